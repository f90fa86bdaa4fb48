package aec

import (
	"math"
	"math/rand/v2"
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
}

func newScene(delay time.Duration, gain float64, total, farOnly time.Duration) scene {
	n := int(total.Seconds() * rate)
	far := speech(1, n, 9000, 130)
	echo := echoPath(far, delay, gain, 2)
	nearF := speech(3, n, 6000, 210)
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
	return scene{far: toPCM(far), near: toPCM(nearF), mic: toPCM(mic)}
}

// TestEchoReturnLossEnhancement: on synthetic echo paths of 40 to 120 ms, the
// echo is at least 20 dB down within 2 s, in every half second from then on
// in which the far end talks.
func TestEchoReturnLossEnhancement(t *testing.T) {
	for _, tc := range []struct {
		delay time.Duration
		gain  float64
	}{{40 * time.Millisecond, 0.5}, {80 * time.Millisecond, 0.3}, {120 * time.Millisecond, 0.7}} {
		s := newScene(tc.delay, tc.gain, 6*time.Second, 6*time.Second)
		out := run(t, Config{SampleRate: rate, FrameSize: frame}, s.mic, s.far)
		win := rate / 2
		worst := math.Inf(1)
		for i := 2 * rate; i+win <= len(out); i += win {
			in, res := energy(s.mic[i:i+win]), energy(out[i:i+win])
			if db(energy(s.far[i:i+win])/float64(win)) < 50 { // far end silent here
				continue
			}
			worst = min(worst, db(in/max(res, 1)))
		}
		t.Logf("delay %v gain %.1f: worst ERLE after 2 s = %.1f dB", tc.delay, tc.gain, worst)
		if worst < 20 {
			t.Errorf("delay %v: ERLE %.1f dB, want >= 20", tc.delay, worst)
		}
	}
}

// TestDoubleTalkKeepsNearEnd: once converged, near-end speech over the echo
// keeps at least 70% of its energy (no more than 1.5 dB lost) compared with
// the same speech processed without any echo (single talk). The near-end part
// of the output is its projection onto the near-end signal, so residual echo
// cannot hide a loss. The single-talk figure itself (the DC notch and the
// noise suppressor on the synthetic voice, no echo involved) is logged and
// bounded separately.
func TestDoubleTalkKeepsNearEnd(t *testing.T) {
	cfg := Config{SampleRate: rate, FrameSize: frame}
	for _, delay := range []time.Duration{40 * time.Millisecond, 120 * time.Millisecond} {
		s := newScene(delay, 0.5, 8*time.Second, 4*time.Second)
		near := make([]float64, len(s.near))
		for i, v := range s.near {
			near[i] = float64(v)
		}
		from := 4*rate + rate/2

		single := run(t, cfg, s.near, make([]int16, len(s.near)))
		gs, _ := gainOf(single, near, from)

		out := run(t, cfg, s.mic, s.far)
		g, lag := gainOf(out, near, from)
		loss := 20 * math.Log10(gs/g)
		t.Logf("delay %v: near end in double talk %.2f dB below single talk (energy kept %.0f%%); single talk itself %.2f dB; lag %d",
			delay, loss, 100*(g/gs)*(g/gs), -20*math.Log10(gs), lag)
		if loss > 1.5 {
			t.Errorf("delay %v: near end lost %.2f dB during double talk, want <= 1.5", delay, loss)
		}
		if gs < 0.8 {
			t.Errorf("single talk keeps only %.2f of the near end", gs)
		}
		if lag != frame {
			t.Errorf("output lags the input by %d samples, want one frame (%d)", lag, frame)
		}
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
	// Noise in the pauses: compare the output's pause energy with the input's.
	var inPause, outPause float64
	for i := 2 * rate; i+frame < n; i++ {
		if math.Abs(voice[i]) < 1 {
			inPause += mic[i] * mic[i]
			outPause += float64(out[i+frame]) * float64(out[i+frame])
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

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{}, {SampleRate: 48000}, {SampleRate: 48000, FrameSize: 9600}, {SampleRate: 1000, FrameSize: 10},
		{SampleRate: 48000, FrameSize: 480, Tail: time.Millisecond}} {
		if c, err := New(cfg); err == nil {
			c.Close()
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func BenchmarkProcess(b *testing.B) {
	s := newScene(80*time.Millisecond, 0.5, 2*time.Second, time.Second)
	c, err := New(Config{SampleRate: rate, FrameSize: frame})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	out := make([]int16, frame)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := (i * frame) % (len(s.mic) - frame)
		c.Process(s.mic[off:off+frame], s.far[off:off+frame], out)
	}
}
