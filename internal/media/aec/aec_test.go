package aec

import (
	"camchat/internal/media/aec/internal/fft"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
)

const (
	rate  = 48000
	frame = 480 // 10 ms
)

// speech makes a deterministic speech-like signal: coloured noise with a
// pitch buzz under a syllable envelope (about 4 syllables a second with
// pauses), peaking near amp. Adaptive filters need broadband excitation with
// the pauses and level changes of real speech; a tone would be too easy.
func speech(seed uint64, n int, amp float64, pitch float64) []float64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]float64, n)
	var lp, env float64
	syl := 0
	sylLen := 0
	for i := range out {
		if sylLen == 0 { // next syllable or pause
			syl++
			sylLen = int((0.12 + 0.2*r.Float64()) * rate)
		}
		sylLen--
		target := 0.0
		if syl%3 != 0 {
			target = 0.4 + 0.6*r.Float64()*0.01 + 0.6
		}
		env += (target - env) * 0.002
		lp += (r.NormFloat64() - lp) * 0.3
		buzz := math.Sin(2*math.Pi*pitch*float64(i)/rate) + 0.5*math.Sin(2*math.Pi*2*pitch*float64(i)/rate)
		out[i] = amp * env * (0.6*lp + 0.25*buzz)
	}
	return out
}

// voiced makes a vowel-like signal: harmonics of a pitch gliding between
// 100 and 160 Hz, falling 12 dB an octave above 500 Hz (little energy at
// a few kHz, as in voiced speech), under the syllable envelope of speech
// with syllables of different loudness.
// Clipping it puts energy where it has little; broadband noise would
// hide the distortion under its own spectrum.
func voiced(seed uint64, n int, amp float64) []float64 {
	r := rand.New(rand.NewPCG(seed, seed^0x51ed))
	out := make([]float64, n)
	var env, phase float64
	syl, sylLen := 0, 0
	var f0, loud float64
	for i := range out {
		if sylLen == 0 {
			syl++
			sylLen = int((0.12 + 0.2*r.Float64()) * rate)
			f0 = 100 + 60*r.Float64()
			loud = math.Pow(10, -12*r.Float64()/20) // syllables 0 to 12 dB down
		}
		sylLen--
		target := 0.0
		if syl%3 != 0 {
			target = loud
		}
		env += (target - env) * 0.002
		// Intonation: the pitch glides ±15 % within a syllable.
		phase += 2 * math.Pi * f0 * (1 + 0.15*math.Sin(2*math.Pi*3*float64(i)/rate)) / rate
		var v float64
		for h := 1; float64(h)*f0 < 8000; h++ {
			a := 1.0
			if f := float64(h) * f0; f > 500 {
				a = 500 * 500 / (f * f)
			}
			v += a * math.Sin(float64(h)*phase)
		}
		out[i] = amp * env * v / 4
	}
	return out
}

// echoPath convolves x with a room: a direct path after delay at the given
// gain and a decaying reverberant tail of 60 ms.
func echoPath(x []float64, delay time.Duration, gain float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	d := int(delay.Seconds() * rate)
	h := map[int]float64{d: gain}
	for k := 1; k < 60*rate/1000; k += 7 {
		h[d+k] = gain * 0.35 * math.Exp(-float64(k)/(0.015*rate)) * r.NormFloat64()
	}
	y := make([]float64, len(x))
	for lag, g := range h {
		for i := lag; i < len(x); i++ {
			y[i] += g * x[i-lag]
		}
	}
	return y
}

// roomPath convolves x with a reverberant room: the direct path after delay
// at the given gain, then a tail of Gaussian noise under an envelope that
// falls 60 dB in 300 ms, as much energy as the direct path (the speech
// bench's room), by overlap-add with the package's FFT.
func roomPath(x []float64, delay time.Duration, gain float64, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 3))
	d := int(delay.Seconds() * rate)
	tail := 4 * rate / 10
	h := make([]float64, d+tail)
	h[d] = gain
	var e float64
	for k := 1; k < tail; k++ {
		v := r.NormFloat64() * math.Pow(10, -3*float64(k)/(0.3*rate))
		h[d+k] = v
		e += v * v
	}
	for k := 1; k < tail; k++ {
		h[d+k] *= gain / math.Sqrt(e)
	}
	return fft.Convolve(x, h)
}

func toPCM(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return out
}

func energy(x []int16) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return e
}

func db(ratio float64) float64 { return 10 * math.Log10(ratio) }

// gainOf returns how much of ref is in out from sample from on: the
// least-squares gain of ref in out at the lag (0 to two frames) where it is
// largest, and that lag. A projection, so other signals in out (residual
// echo, noise) do not count as ref.
func gainOf(out []int16, ref []float64, from int) (gain float64, lag int) {
	for l := 0; l <= 2*frame; l++ {
		var dot, rr float64
		for i := from; i+l < len(out); i++ {
			dot += float64(out[i+l]) * ref[i]
			rr += ref[i] * ref[i]
		}
		if g := dot / rr; g > gain {
			gain, lag = g, l
		}
	}
	return gain, lag
}

// run feeds mic and far through a new Canceller frame by frame.
func run(t testing.TB, cfg Config, mic, far []int16) []int16 {
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := make([]int16, len(mic))
	for i := 0; i+frame <= len(mic); i += frame {
		c.Process(mic[i:i+frame], far[i:i+frame], out[i:i+frame])
	}
	return out
}

// scene is a call on speakers: the far end's voice plays and returns through
// the room; after farOnly the near end starts talking too (double talk).
type scene struct {
	far, near, mic []int16
	echo           []float64 // the echo alone
}

// sceneOpts varies a scene: a loudspeaker driven into clipping, and an
// echo path that grows by move at moveAt (a device buffer growing).
type sceneOpts struct {
	clipDB          float64 // clip level above the far signal's RMS (0: no clipping)
	voiced          bool    // the far end is voiced (see voiced), not speech
	reverb          bool    // the room of roomPath, not of echoPath
	move            time.Duration
	moveAt          time.Duration
	farAmp, nearAmp float64
}

func newScene(delay time.Duration, gain float64, total, farOnly time.Duration) scene {
	return newSceneOpts(delay, gain, total, farOnly, sceneOpts{})
}

func newSceneOpts(delay time.Duration, gain float64, total, farOnly time.Duration, o sceneOpts) scene {
	n := int(total.Seconds() * rate)
	if o.farAmp == 0 {
		o.farAmp = 9000
	}
	if o.nearAmp == 0 {
		o.nearAmp = 6000
	}
	far := speech(1, n, o.farAmp, 130)
	if o.voiced {
		far = voiced(1, n, o.farAmp)
	}
	played := far
	if o.clipDB != 0 {
		// The loudspeaker clips clipDB above the RMS of the far
		// signal's active part (a speech peak is 15-20 dB above it).
		var sum float64
		var active int
		for _, v := range far {
			if math.Abs(v) > o.farAmp/100 {
				sum += v * v
				active++
			}
		}
		lim := math.Sqrt(sum/float64(active)) * math.Pow(10, o.clipDB/20)
		played = make([]float64, n)
		for i, v := range far {
			played[i] = max(-lim, min(lim, v))
		}
	}
	echo := echoPath(played, delay, gain, 2)
	if o.reverb {
		echo = roomPath(played, delay, gain, 2)
	}
	if o.move != 0 {
		moved := echoPath(played, delay+o.move, gain, 2) // the same room, later
		at := int(o.moveAt.Seconds() * rate)
		copy(echo[at:], moved[at:])
	}
	nearF := speech(3, n, o.nearAmp, 210)
	noise := rand.New(rand.NewPCG(4, 4))
	start := int(farOnly.Seconds() * rate)
	mic := make([]float64, n)
	for i := range mic {
		mic[i] = echo[i] + 10*noise.NormFloat64() // a -70 dBFS noise floor
		if i < start {
			nearF[i] = 0
		}
		mic[i] += nearF[i]
	}
	return scene{far: toPCM(far), near: toPCM(nearF), mic: toPCM(mic), echo: echo}
}

// lagOf is the canceller's latency in samples.
func lagOf(t testing.TB) int {
	c, err := New(Config{SampleRate: rate, FrameSize: frame})
	if err != nil {
		t.Fatal(err)
	}
	return int(c.Latency().Seconds()*rate + 0.5)
}

// erleWindows returns the ERLE of every window of n samples from from on
// in which the echo alone is above -50 dBFS, the output read lag samples
// later.
func erleWindows(s scene, out []int16, lag, from, n int) []float64 {
	var e []float64
	for i := from; i+n+lag <= len(out); i += n {
		var ee float64
		for _, v := range s.echo[i : i+n] {
			ee += v * v
		}
		if db(ee/float64(n)) < 20*math.Log10(32768)-50 {
			continue
		}
		in, res := energy(s.mic[i:i+n]), energy(out[i+lag:i+lag+n])
		e = append(e, db(in/max(res, 1)))
	}
	return e
}

func medianOf(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestEchoReturnLossEnhancement: on synthetic echo paths of 40 to 120 ms, the
// echo is at least 40 dB down in the median half second once 2 s have
// passed, and 25 dB in the worst.
func TestEchoReturnLossEnhancement(t *testing.T) {
	lag := lagOf(t)
	for _, tc := range []struct {
		delay time.Duration
		gain  float64
	}{{40 * time.Millisecond, 0.5}, {80 * time.Millisecond, 0.3}, {120 * time.Millisecond, 0.7}} {
		s := newScene(tc.delay, tc.gain, 8*time.Second, 8*time.Second)
		out := run(t, Config{SampleRate: rate, FrameSize: frame}, s.mic, s.far)
		e := erleWindows(s, out, lag, 2*rate, rate/2)
		med, worst := medianOf(e), slices.Min(e)
		t.Logf("delay %v gain %.1f: ERLE after 2 s median %.1f dB, worst %.1f dB", tc.delay, tc.gain, med, worst)
		if med < 40 || worst < 25 {
			t.Errorf("delay %v: ERLE median %.1f, worst %.1f dB; want >= 40 and >= 25", tc.delay, med, worst)
		}
	}
}

// TestFirstSecond: from the first second of the far end's speech on, the
// echo is at least 25 dB down, before the adaptive filter has converged
// (the suppressor knows the far end is playing and assumes the worst).
func TestFirstSecond(t *testing.T) {
	lag := lagOf(t)
	for _, delay := range []time.Duration{40 * time.Millisecond, 120 * time.Millisecond} {
		s := newScene(delay, 0.5, 3*time.Second, 3*time.Second)
		out := run(t, Config{SampleRate: rate, FrameSize: frame}, s.mic, s.far)
		e := erleWindows(s, out, lag, rate, rate/4)
		t.Logf("delay %v: ERLE per 250 ms from 1 s on: %.0f", delay, e)
		if w := slices.Min(e); w < 25 {
			t.Errorf("delay %v: ERLE %.1f dB within the first 3 s, want >= 25 from 1 s on", delay, w)
		}
	}
}

// TestDoubleTalkKeepsNearEnd: near-end speech over the echo, from 3 s on
// (before the filter has converged) and for 9 s without a long pause,
// keeps all but 3.5 dB of its level compared with the same speech
// processed without any echo (single talk), and no half second loses more
// than 6 dB; on this synthetic scene the near end is only 3 dB under a
// dense early echo. The near-end part of the output is its projection onto the
// near-end signal, so residual echo cannot hide a loss. Meanwhile the echo
// stays at least 20 dB down in the median half second: half the sum of the
// outputs of the scene and of the scene with the near end inverted is what
// came through of the echo (Hagerman and Olofsson's phase inversion). The
// single-talk figure itself (the DC notch and the noise suppressor on the
// synthetic voice, no echo involved) is logged and bounded separately.
func TestDoubleTalkKeepsNearEnd(t *testing.T) {
	cfg := Config{SampleRate: rate, FrameSize: frame}
	lag := lagOf(t)
	for _, delay := range []time.Duration{40 * time.Millisecond, 120 * time.Millisecond} {
		s := newScene(delay, 0.5, 12*time.Second, 3*time.Second)
		near := make([]float64, len(s.near))
		inverted := make([]int16, len(s.mic))
		for i, v := range s.near {
			near[i] = float64(v)
			inverted[i] = toPCM([]float64{float64(s.mic[i]) - 2*near[i]})[0] // echo and noise less the near end
		}
		from := 3*rate + rate/2

		single := run(t, cfg, s.near, make([]int16, len(s.near)))
		gs, _ := gainOf(single, near, from)

		out := run(t, cfg, s.mic, s.far)
		g, l := gainOf(out, near, from)
		loss := 20 * math.Log10(gs/g)
		var worst float64
		var windows []float64
		inv := run(t, cfg, inverted, s.far)
		for at := from; at+rate/2+lag <= len(out); at += rate / 2 {
			var dot, dotS, rr, sum, echo float64
			for i := at; i < at+rate/2; i++ {
				dot += float64(out[i+lag]) * near[i]
				dotS += float64(single[i+lag]) * near[i]
				rr += near[i] * near[i]
				h := (float64(out[i+lag]) + float64(inv[i+lag])) / 2
				sum += h * h
				echo += s.echo[i] * s.echo[i]
			}
			worst = max(worst, 20*math.Log10(dotS/max(dot, 1e-9)))
			if testing.Verbose() {
				t.Logf("  %.1f s: near %.1f dB", float64(at)/rate, 20*math.Log10(dot/dotS))
			}
			windows = append(windows, db(echo/max(sum, 1)))
		}
		erle := medianOf(windows)
		t.Logf("delay %v: near end in double talk %.2f dB below single talk (energy kept %.0f%%), %.2f dB in the worst half second; echo %.1f dB down; single talk itself %.2f dB; lag %d",
			delay, loss, 100*(g/gs)*(g/gs), worst, erle, -20*math.Log10(gs), l)
		if loss > 3.5 || worst > 6 {
			t.Errorf("delay %v: near end lost %.2f dB during double talk (%.2f dB in the worst half second), want <= 3.5 (6)", delay, loss, worst)
		}
		if erle < 20 {
			t.Errorf("delay %v: echo %.1f dB down during double talk, want >= 20", delay, erle)
		}
		if gs < 0.8 {
			t.Errorf("single talk keeps only %.2f of the near end", gs)
		}
		if l != lag {
			t.Errorf("output lags the input by %d samples, want the latency (%d)", l, lag)
		}
	}
}

// TestDelayFound: the canceller finds the echo delay by itself, to within
// a frame, from 0 to 300 ms.
func TestDelayFound(t *testing.T) {
	for _, delay := range []time.Duration{0, 40 * time.Millisecond, 120 * time.Millisecond, 300 * time.Millisecond} {
		s := newScene(delay, 0.5, 4*time.Second, 4*time.Second)
		c, err := New(Config{SampleRate: rate, FrameSize: frame})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int16, frame)
		for i := 0; i+frame <= len(s.mic); i += frame {
			c.Process(s.mic[i:i+frame], s.far[i:i+frame], out)
		}
		got, ok := c.Delay()
		t.Logf("echo delay %v: found %v (%v)", delay, got, ok)
		if d := got - delay; !ok || d < -10*time.Millisecond || d > 20*time.Millisecond {
			t.Errorf("echo delay %v: found %v (%v), want within a frame (plus the resampler's millisecond)", delay, got, ok)
		}
	}
}

// TestPathChange: the echo path grows by 40 ms (an audio buffer grew) after
// 5 s. The output is never louder than the microphone, not even in the
// first 100 ms, and within 1.5 s every half second is within 3 dB of what a
// canceller that had the new path from the start does, or 45 dB down.
func TestPathChange(t *testing.T) {
	lag := lagOf(t)
	cfg := Config{SampleRate: rate, FrameSize: frame}
	const total, at = 10 * time.Second, 5 * time.Second
	s := newSceneOpts(80*time.Millisecond, 0.5, total, total, sceneOpts{move: 40 * time.Millisecond, moveAt: at})
	ref := newScene(120*time.Millisecond, 0.5, total, total)
	out, refOut := run(t, cfg, s.mic, s.far), run(t, cfg, ref.mic, ref.far)
	change := int(at.Seconds() * rate)
	for i := change; i+rate/10+lag <= len(out); i += rate / 10 {
		if in, o := energy(s.mic[i:i+rate/10]), energy(out[i+lag:i+lag+rate/10]); o > in {
			t.Errorf("%.1f s after the change: output %.1f dB louder than the microphone", float64(i-change)/rate, db(o/in))
		}
	}
	from := change + 3*rate/2
	e, r := erleWindows(s, out, lag, from, rate/2), erleWindows(ref, refOut, lag, from, rate/2)
	t.Logf("from 1.5 s after the change: ERLE %.0f dB; with that path from the start %.0f dB", e, r)
	if len(e) != len(r) {
		t.Fatalf("%d windows against %d", len(e), len(r))
	}
	for i := range e {
		if e[i] < min(r[i]-3, 45) {
			t.Errorf("window %d from 1.5 s after the change: ERLE %.1f dB, %.1f dB with the path from the start", i, e[i], r[i])
		}
	}
}

// TestClippingSpeaker: a loudspeaker that clips 3 dB above the RMS of
// voiced speech, in a reverberant room, adds echo the linear filter cannot
// model; the echo stays at least 40 dB down in the median half second.
func TestClippingSpeaker(t *testing.T) {
	lag := lagOf(t)
	s := newSceneOpts(80*time.Millisecond, 0.5, 8*time.Second, 8*time.Second, sceneOpts{clipDB: 3, voiced: true, reverb: true})
	out := run(t, Config{SampleRate: rate, FrameSize: frame}, s.mic, s.far)
	e := erleWindows(s, out, lag, 2*rate, rate/2)
	t.Logf("speaker clipping 3 dB above the speech's RMS: ERLE median %.1f dB, worst %.1f dB", medianOf(e), slices.Min(e))
	if m := medianOf(e); m < 40 {
		t.Errorf("ERLE median %.1f dB with a clipping speaker, want >= 40", m)
	}
}

// TestNoiseSuppression: steady noise under speech is reduced while the
// speech keeps its level.
func TestNoiseSuppression(t *testing.T) {
	n := 5 * rate
	voice := speech(7, n, 6000, 180)
	r := rand.New(rand.NewPCG(8, 8))
	mic := make([]float64, n)
	noise := make([]float64, n)
	for i := range mic {
		noise[i] = 300 * r.NormFloat64() // about -40 dBFS hiss
		mic[i] = voice[i] + noise[i]
	}
	pcm := toPCM(mic)
	out := run(t, Config{SampleRate: rate, FrameSize: frame, NoEcho: true}, pcm, make([]int16, n))
	lag := lagOf(t)
	// Noise in the pauses: compare the output's pause energy with the input's.
	var inPause, outPause float64
	for i := 2 * rate; i+lag < n; i++ {
		if math.Abs(voice[i]) < 1 {
			inPause += mic[i] * mic[i]
			outPause += float64(out[i+lag]) * float64(out[i+lag])
		}
	}
	red := db(inPause / outPause)
	g, _ := gainOf(out, voice, 2*rate)
	keep := 20 * math.Log10(g)
	t.Logf("noise reduced by %.1f dB in pauses; speech gain %.2f dB", red, keep)
	if red < 10 {
		t.Errorf("noise reduced by %.1f dB, want >= 10", red)
	}
	if keep < -3 {
		t.Errorf("speech lost %.2f dB, want within 3 dB", -keep)
	}
}

// TestFirstFrameKept: a loud sound in the very first frame is not taken for
// noise (the noise estimate starts no higher than -60 dBFS white noise).
func TestFirstFrameKept(t *testing.T) {
	c, err := New(Config{SampleRate: rate, FrameSize: frame})
	if err != nil {
		t.Fatal(err)
	}
	in := make([]int16, 3*frame)
	for i := range frame {
		in[i] = int16(20000 * math.Sin(2*math.Pi*1000*float64(i)/rate) * (1 - float64(i)/frame))
	}
	out := make([]int16, len(in))
	for i := 0; i < len(in); i += frame {
		c.Process(in[i:i+frame], nil, out[i:i+frame])
	}
	var pin, pout float64
	for i, v := range in {
		pin = max(pin, math.Abs(float64(v)))
		if i < len(out) {
			pout = max(pout, math.Abs(float64(out[i])))
		}
	}
	if pout < 0.8*pin {
		t.Errorf("first frame's peak %0.f came out at %.0f", pin, pout)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{}, {SampleRate: 48000}, {SampleRate: 48000, FrameSize: 9600}, {SampleRate: 1000, FrameSize: 10},
		{SampleRate: 48000, FrameSize: 480, Tail: time.Millisecond},
		{SampleRate: 48000, FrameSize: 480, MaxDelay: -time.Millisecond},
		{SampleRate: 48000, FrameSize: 480, EchoSuppress: 10}} {
		if c, err := New(cfg); err == nil {
			c.Close()
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

// TestOtherRates: 16 kHz (no change of rate for the filter) cancels too.
func TestOtherRates(t *testing.T) {
	const r16, f16 = 16000, 160
	s := newScene(80*time.Millisecond, 0.5, 6*time.Second, 6*time.Second)
	// Every third sample: the synthetic speech is not band-limited, but
	// the canceller only needs a far end and its echo at the same rate.
	dec := func(x []int16) []int16 {
		y := make([]int16, len(x)/3)
		for i := range y {
			y[i] = x[3*i]
		}
		return y
	}
	mic, far := dec(s.mic), dec(s.far)
	c, err := New(Config{SampleRate: r16, FrameSize: f16})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(mic))
	for i := 0; i+f16 <= len(mic); i += f16 {
		c.Process(mic[i:i+f16], far[i:i+f16], out[i:i+f16])
	}
	lag := int(c.Latency().Seconds()*r16 + 0.5)
	from := 3 * r16
	in, res := energy(mic[from:len(mic)-lag]), energy(out[from+lag:])
	t.Logf("16 kHz: ERLE over the last 3 s %.1f dB", db(in/res))
	if db(in/res) < 30 {
		t.Errorf("16 kHz: ERLE %.1f dB, want >= 30", db(in/res))
	}
}

// BenchmarkProcess: one 10 ms frame at 48 kHz with the far end talking
// (speech with its pauses, in which the filters skip the silent far
// spectra), the near end joining after 2 s. cpu-µs/frame is the thread's
// CPU time (on a shared machine wall time also counts other processes).
func BenchmarkProcess(b *testing.B) {
	s := newScene(80*time.Millisecond, 0.5, 4*time.Second, 2*time.Second)
	benchProcess(b, s.mic, s.far)
}

// BenchmarkProcessNoPause: the same with a far end that never pauses
// (noise at -20 dBFS), the most work a frame takes.
func BenchmarkProcessNoPause(b *testing.B) {
	n := 4 * rate
	r := rand.New(rand.NewPCG(9, 9))
	far := make([]float64, n)
	for i := range far {
		far[i] = 3000 * r.NormFloat64()
	}
	echo := echoPath(far, 80*time.Millisecond, 0.5, 2)
	benchProcess(b, toPCM(echo), toPCM(far))
}

func benchProcess(b *testing.B, mic, far []int16) {
	c, err := New(Config{SampleRate: rate, FrameSize: frame})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	out := make([]int16, frame)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	c0 := threadCPU()
	i := 0
	for b.Loop() {
		off := (i * frame) % (len(mic) - frame)
		c.Process(mic[off:off+frame], far[off:off+frame], out)
		i++
	}
	b.ReportMetric(float64(threadCPU()-c0)/float64(time.Microsecond)/float64(i), "cpu-µs/frame")
}

func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
