package playout

import (
	"errors"
	"math"
	"testing"
)

const frameN = 960

func constFrame(v int16) []int16 {
	f := make([]int16, frameN)
	for i := range f {
		f[i] = v
	}
	return f
}

// sine returns a 1 kHz sine frame (exactly 20 periods in 960 samples).
func sine(amp float64) []int16 {
	f := make([]int16, frameN)
	for i := range f {
		f[i] = int16(math.Round(amp * math.Sin(2*math.Pi*float64(i)/48)))
	}
	return f
}

func newMixer(t testing.TB) *Mixer {
	t.Helper()
	m, err := NewMixer(MixerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mix(t testing.TB, m *Mixer, in [MaxStreams][]int16) []int16 {
	t.Helper()
	out := make([]int16, frameN)
	if err := m.Mix(out, in); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMixerSums(t *testing.T) {
	m := newMixer(t)
	a, b, c := sine(3000), constFrame(-1200), constFrame(250)
	out := mix(t, m, [MaxStreams][]int16{a, b, nil, c})
	for i := range out {
		if want := a[i] + b[i] + c[i]; out[i] != want {
			t.Fatalf("sample %d: %d, want %d", i, out[i], want)
		}
	}
	out = mix(t, m, [MaxStreams][]int16{})
	for i, v := range out {
		if v != 0 {
			t.Fatalf("no streams: sample %d = %d", i, v)
		}
	}
}

func TestMixerVolume(t *testing.T) {
	m := newMixer(t)
	if err := m.SetVolume(0, 0.5); err != nil {
		t.Fatal(err)
	}
	if err := m.SetVolume(1, 2); err != nil {
		t.Fatal(err)
	}
	in := [MaxStreams][]int16{constFrame(1000), constFrame(3000)}
	first := mix(t, m, in)
	// The change ramps over the first frame: 4000 at the start moving to
	// 500+6000 at the end, never outside those bounds.
	for i := 1; i < frameN; i++ {
		if first[i] < first[i-1] || first[i] < 4000 || first[i] > 6500 {
			t.Fatalf("ramp sample %d = %d after %d", i, first[i], first[i-1])
		}
	}
	if first[frameN-1] < 6490 {
		t.Errorf("ramp ends at %d, want about 6500", first[frameN-1])
	}
	out := mix(t, m, in)
	for i, v := range out {
		if v != 6500 {
			t.Fatalf("sample %d = %d, want 500+6000", i, v)
		}
	}
	for _, v := range []float64{-0.1, 2.01, math.NaN(), math.Inf(1)} {
		if err := m.SetVolume(0, v); !errors.Is(err, ErrVolume) {
			t.Errorf("volume %v: err %v", v, err)
		}
	}
	if err := m.SetVolume(4, 1); !errors.Is(err, ErrStream) {
		t.Errorf("stream 4: err %v", err)
	}
}

func TestMixerMute(t *testing.T) {
	m := newMixer(t)
	in := [MaxStreams][]int16{constFrame(8000), nil, constFrame(100)}
	mix(t, m, in)
	if err := m.SetMuted(0, true); err != nil {
		t.Fatal(err)
	}
	fade := mix(t, m, in)
	if fade[0] < 8000 || fade[frameN-1] > 110 {
		t.Errorf("mute fade from %d to %d, want from about 8100 to about 100", fade[0], fade[frameN-1])
	}
	out := mix(t, m, in)
	for i, v := range out {
		if v != 100 {
			t.Fatalf("muted: sample %d = %d, want 100", i, v)
		}
	}
	// The muted stream is still metered.
	if l := m.Level(0); !l.Speaking || l.DBFS < -13 {
		t.Errorf("muted stream level %+v, want speaking near -12 dBFS", l)
	}
	// Unmute restores the volume it had.
	m.SetVolume(0, 0.5)
	m.SetMuted(0, false)
	mix(t, m, in)
	out = mix(t, m, in)
	if out[0] != 4100 {
		t.Errorf("unmuted at 0.5: %d, want 4100", out[0])
	}
}

func TestMixerNoWraparound(t *testing.T) {
	m := newMixer(t)
	s := sine(32767)
	// Plain int16 addition of the two would wrap.
	wraps := false
	for _, v := range s {
		if v > 0 && v+v < 0 {
			wraps = true
		}
	}
	if !wraps {
		t.Fatal("test signal would not wrap; it proves nothing")
	}
	out := mix(t, m, [MaxStreams][]int16{s, s})
	for i := range out {
		sum := 2 * int32(s[i])
		switch {
		case sum > 0 && out[i] <= 0, sum < 0 && out[i] >= 0, sum == 0 && out[i] != 0:
			t.Fatalf("sample %d: sum %d came out as %d", i, sum, out[i])
		}
		if abs32(sum) <= limiterKnee && int32(out[i]) != sum {
			t.Fatalf("sample %d: %d below the knee changed to %d", i, sum, out[i])
		}
	}
	// Four full-scale streams, volume 2: 8x full scale still stays in
	// range.
	for i := range MaxStreams {
		m.SetVolume(i, 2)
	}
	mix(t, m, [MaxStreams][]int16{s, s, s, s})
	out = mix(t, m, [MaxStreams][]int16{s, s, s, s})
	peak := int16(0)
	for i := range out {
		if (s[i] > 0) != (out[i] > 0) {
			t.Fatalf("sample %d: input %d, output %d", i, s[i], out[i])
		}
		peak = max(peak, out[i])
	}
	// 8 x 32767 = 262136: 24576 + 237560*8191/(237560+8191) = 32493.
	if peak != 32493 {
		t.Errorf("peak %d, want 32493", peak)
	}
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

func TestSoftClipCurve(t *testing.T) {
	prev := softClip(-8 * 65536)
	for x := int32(-8 * 65536); x <= 8*65536; x++ {
		y := softClip(x)
		if y < prev {
			t.Fatalf("not monotonic at %d: %d after %d", x, y, prev)
		}
		if abs32(x) <= limiterKnee && int32(y) != x {
			t.Fatalf("%d changed to %d below the knee", x, y)
		}
		if (x > 0 && y <= 0) || (x < 0 && y >= 0) {
			t.Fatalf("%d changed sign to %d", x, y)
		}
		prev = y
	}
	// Spot values: the curve is half way to full scale when the excess
	// equals the range.
	for _, c := range []struct {
		x    int32
		want int16
	}{
		{24576, 24576},
		{24576 + 8191, 24576 + 4095},
		{-(24576 + 8191), -(24576 + 4095)},
		{1 << 30, 32766},
		{-1 << 30, -32766},
	} {
		if got := softClip(c.x); got != c.want {
			t.Errorf("softClip(%d) = %d, want %d", c.x, got, c.want)
		}
	}
}

func meanSquareDB(f []int16) float64 {
	var s float64
	for _, v := range f {
		s += float64(v) * float64(v)
	}
	return 10 * math.Log10(s/float64(len(f))/fullScalePower)
}

func TestMixerLevelOfSine(t *testing.T) {
	m := newMixer(t)
	// A 1 kHz sine at -10 dBFS peak: RMS -13.01 dBFS.
	s := sine(32768 * math.Pow(10, -10.0/20))
	want := meanSquareDB(s)
	if math.Abs(want-(-13.0103)) > 0.01 {
		t.Fatalf("test sine is %.4f dBFS", want)
	}
	mix(t, m, [MaxStreams][]int16{s})
	// One frame after silence the attack (20 ms time constant, 20 ms
	// frame) has reached 1-1/e of the power: 1.99 dB short.
	if got, w := m.Level(0).DBFS, want+10*math.Log10(1-math.Exp(-1)); math.Abs(got-w) > 1e-9 {
		t.Errorf("after one frame: %.4f dBFS, want %.4f", got, w)
	}
	for range 30 {
		mix(t, m, [MaxStreams][]int16{s})
	}
	if got := m.Level(0).DBFS; math.Abs(got-want) > 0.001 {
		t.Errorf("steady: %.4f dBFS, want %.4f", got, want)
	}
	// Release: 200 ms time constant, so power falls by e^-0.1 a frame,
	// 0.4343 dB.
	before := m.Level(0).DBFS
	for range 5 {
		mix(t, m, [MaxStreams][]int16{})
	}
	if got, w := m.Level(0).DBFS, before-5*10*0.1/math.Ln10; math.Abs(got-w) > 1e-6 {
		t.Errorf("after 5 silent frames: %.4f, want %.4f", got, w)
	}
	// The other streams never had signal.
	for i := 1; i < MaxStreams; i++ {
		if l := m.Level(i); l.DBFS != MinLevelDBFS || l.Speaking {
			t.Errorf("stream %d: %+v", i, l)
		}
	}
	// Volume does not change the meter.
	m.SetVolume(0, 0.25)
	for range 40 {
		mix(t, m, [MaxStreams][]int16{s})
	}
	if got := m.Level(0).DBFS; math.Abs(got-want) > 0.001 {
		t.Errorf("at volume 0.25: %.4f dBFS, want %.4f", got, want)
	}
	if err := m.Reset(0); err != nil {
		t.Fatal(err)
	}
	if l := m.Levels()[0]; l.DBFS != MinLevelDBFS || l.Speaking {
		t.Errorf("after reset: %+v", l)
	}
}

func TestMixerSpeakingHysteresis(t *testing.T) {
	m := newMixer(t)
	loud := sine(32768 * math.Pow(10, -27.0/20))   // -30 dBFS RMS
	middle := sine(32768 * math.Pow(10, -44.0/20)) // -47 dBFS RMS: between thresholds
	speaking := func() bool { return m.Level(0).Speaking }

	// Between the thresholds from silence: never turns on.
	for range 20 {
		mix(t, m, [MaxStreams][]int16{middle})
		if speaking() {
			t.Fatalf("turned on at %.1f dBFS", m.Level(0).DBFS)
		}
	}
	// Loud: on at the first frame (-30 dBFS less 2 dB attack > -42).
	mix(t, m, [MaxStreams][]int16{loud})
	if !speaking() {
		t.Fatalf("not speaking at %.1f dBFS", m.Level(0).DBFS)
	}
	// Back between the thresholds: stays on indefinitely.
	for range 100 {
		mix(t, m, [MaxStreams][]int16{middle})
		if !speaking() {
			t.Fatalf("dropped out at %.1f dBFS", m.Level(0).DBFS)
		}
	}
	// Silence: the level decays 0.4343 dB per frame from about -47 dBFS
	// and crosses -52 dBFS after 12 frames; Speaking then holds for 300 ms
	// (15 frames) and clears on the 15th frame below.
	lvl := m.Level(0).DBFS
	crossAt := int(math.Floor((lvl-(-52))/(10*0.1/math.Ln10))) + 1
	offAt := crossAt + 15 - 1
	for f := 1; f <= offAt+5; f++ {
		mix(t, m, [MaxStreams][]int16{})
		if got, want := speaking(), f < offAt; got != want {
			t.Fatalf("silent frame %d (level %.2f): speaking %v, want %v (cross at %d)", f, m.Level(0).DBFS, got, want, crossAt)
		}
	}
	if crossAt != 12 {
		t.Errorf("crossed -52 dBFS after %d frames, want 12", crossAt)
	}
}

func TestMixerFrameSizeErrors(t *testing.T) {
	m := newMixer(t)
	if err := m.Mix(make([]int16, 100), [MaxStreams][]int16{}); !errors.Is(err, ErrFrameSize) {
		t.Errorf("short output: %v", err)
	}
	if err := m.Mix(make([]int16, frameN), [MaxStreams][]int16{nil, make([]int16, 10)}); !errors.Is(err, ErrFrameSize) {
		t.Errorf("short input: %v", err)
	}
	if _, err := NewMixer(MixerConfig{SpeakingOnDBFS: -60, SpeakingOffDBFS: -50}); !errors.Is(err, ErrConfig) {
		t.Errorf("inverted thresholds: %v", err)
	}
}

func TestMixerAllocatesNothing(t *testing.T) {
	m := newMixer(t)
	in := [MaxStreams][]int16{sine(1000), sine(2000), nil, sine(3000)}
	out := make([]int16, frameN)
	v := 0.0
	if n := testing.AllocsPerRun(200, func() {
		v = 2 - v // ramps every frame
		m.SetVolume(1, v)
		m.Mix(out, in)
	}); n != 0 {
		t.Errorf("%v allocations per frame", n)
	}
}
