package synth

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

func readAll(t *testing.T, m *Mic, n int, chunks []int) []int16 {
	t.Helper()
	out := make([]int16, 0, n)
	for i := 0; len(out) < n; i++ {
		c := min(chunks[i%len(chunks)], n-len(out))
		buf := make([]int16, c)
		if got, err := m.Read(buf); err != nil || got != c {
			t.Fatalf("Read %d: %d %v", c, got, err)
		}
		out = append(out, buf...)
	}
	return out
}

func TestMicClicksAtSamplePositions(t *testing.T) {
	epoch := time.Unix(0, 0)
	// Sample 0 is 123.456789 ms past a 500 ms boundary: the next boundary is
	// 376.543211 ms = 18074.07 samples later, so the click is at 18075.
	start := time.Date(2026, 11, 28, 10, 0, 0, 123456789, time.UTC)
	m, err := NewMic(MicConfig{Start: start})
	if err != nil {
		t.Fatal(err)
	}
	if m.FirstClick() != 18075 || m.ClickPeriod() != 24000 {
		t.Fatalf("first click %d period %d", m.FirstClick(), m.ClickPeriod())
	}
	// Odd chunk sizes must not change the signal.
	a := readAll(t, m, 3*SampleRate, []int{960, 7, 1, 4801})
	m2, _ := NewMic(MicConfig{Start: start})
	b := readAll(t, m2, 3*SampleRate, []int{3 * SampleRate})
	if !slices.Equal(a, b) {
		t.Fatal("output depends on chunking")
	}
	clicks := FindClicks(a, 0)
	want := []int{18075, 42075, 66075, 90075, 114075, 138075}
	if !slices.Equal(clicks, want) {
		t.Fatalf("clicks %v, want %v", clicks, want)
	}
	// Each click sits within one sample after its boundary on the clock.
	for _, c := range clicks {
		at := start.Add(time.Duration(c) * time.Second / SampleRate)
		if d := ClickDelay(at, epoch, 500*time.Millisecond); d < 0 || d >= time.Second/SampleRate {
			t.Fatalf("click %d is %v after its boundary", c, d)
		}
	}
	// Peak levels: the tone alone stays below the threshold by far.
	peak := 0.0
	for i, s := range a {
		if i >= 18075 && i < 18075+clickSamples {
			continue
		}
		if i > 18075+clickSamples && (i-18075)%24000 < clickSamples {
			continue
		}
		peak = max(peak, math.Abs(float64(s)))
	}
	if peak > 0.11*math.MaxInt16 {
		t.Fatalf("tone peak %v", peak)
	}
}

// TestMicReceiverMeasures: a receiver that hears the stream 1234 samples
// late with a lost 20 ms packet finds the delay and the gap from the clicks.
func TestMicReceiverMeasures(t *testing.T) {
	epoch := time.Unix(0, 0)
	start := epoch.Add(1000 * time.Second) // on a boundary: click at sample 0
	m, _ := NewMic(MicConfig{Start: start})
	sent := readAll(t, m, 2*SampleRate, []int{960})
	const lag = 1234
	recv := append(make([]int16, lag), sent[:30000]...)
	recv = append(recv, sent[30000+960:]...) // packet 30000..30959 lost
	clicks := FindClicks(recv, 0)
	want := []int{lag, lag + 24000, lag + 48000 - 960, lag + 72000 - 960}
	if !slices.Equal(clicks, want) {
		t.Fatalf("clicks %v, want %v", clicks, want)
	}
	// Playout of recv sample 0 at start: delay of the first click.
	heard := start.Add(time.Duration(clicks[0]) * time.Second / SampleRate)
	if d := ClickDelay(heard, epoch, 500*time.Millisecond); d != lag*time.Second/SampleRate {
		t.Fatalf("delay %v", d)
	}
	// The gap shows as a short interval.
	if gap := 24000 - (clicks[2] - clicks[1]); gap != 960 {
		t.Fatalf("gap %d samples", gap)
	}
}

func TestFindClicksQuiet(t *testing.T) {
	m, _ := NewMic(MicConfig{ClickLevel: 0.0001, Start: time.Unix(0, 1)})
	buf := make([]int16, SampleRate)
	m.Read(buf)
	if c := FindClicks(buf, 0); len(c) != 0 {
		t.Fatalf("clicks in tone alone: %v", c)
	}
	if c := FindClicks(nil, 0); c != nil {
		t.Fatalf("clicks in nothing: %v", c)
	}
	// Negative peaks count, and a second loud burst inside the gap does not.
	s := make([]int16, 10000)
	s[100], s[200], s[9000] = -30000, 30000, 30000
	if c := FindClicks(s, 4800); !slices.Equal(c, []int{100, 9000}) {
		t.Fatalf("clicks %v", c)
	}
}

func TestNewMicRejects(t *testing.T) {
	for _, cfg := range []MicConfig{
		{ClickEvery: 333333 * time.Microsecond}, // 15999.98 samples
		{ToneLevel: 0.5, ClickLevel: 0.6},
		{ToneHz: 30000},
		{ClickEvery: 5 * time.Millisecond},
	} {
		if _, err := NewMic(cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

// TestMicTalkAndPause: with Talk and Pause the tone is present for Talk and
// absent for Pause, repeating from sample 0, while the clicks go on.
func TestMicTalkAndPause(t *testing.T) {
	start := time.Unix(1000, 0)
	m, err := NewMic(MicConfig{Start: start, Talk: 300 * time.Millisecond, Pause: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]int16, 2*SampleRate) // 2 s
	m.Read(buf)
	energy := func(from, to time.Duration) (peak int) {
		for _, v := range buf[int(from)*SampleRate/int(time.Second) : int(to)*SampleRate/int(time.Second)] {
			peak = max(peak, int(v), -int(v))
		}
		return peak
	}
	// Clicks fall on whole 500 ms of the Unix clock: here at 0, 0.5, 1, 1.5 s.
	// Check windows clear of them.
	for c := range 4 {
		base := time.Duration(c) * 500 * time.Millisecond
		if p := energy(base+10*time.Millisecond, base+290*time.Millisecond); p < 3000 {
			t.Errorf("cycle %d: tone peak %d while talking", c, p)
		}
		if p := energy(base+310*time.Millisecond, base+490*time.Millisecond); p != 0 {
			t.Errorf("cycle %d: peak %d in the pause", c, p)
		}
	}
	if clicks := FindClicks(buf, 0); len(clicks) != 4 {
		t.Errorf("%d clicks, want 4 (they go on through pauses)", len(clicks))
	}
	if _, err := NewMic(MicConfig{Start: start, Talk: -time.Second, Pause: time.Second}); err == nil {
		t.Error("negative talk accepted")
	}
}
