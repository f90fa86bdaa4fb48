package cc

import (
	"testing"
	"time"
)

func TestBaseRTTWindow(t *testing.T) {
	ms := time.Millisecond
	steps := []struct {
		at      time.Duration // since t0
		rtt     time.Duration
		base    time.Duration
		lowered bool
	}{
		{0, 50 * ms, 50 * ms, true},
		{10 * time.Second, 45 * ms, 45 * ms, true},
		{31 * time.Second, 80 * ms, 45 * ms, false}, // a new bucket; the old one still counts
		{62 * time.Second, 90 * ms, 45 * ms, false},
		{93 * time.Second, 90 * ms, 45 * ms, false},
		{124 * time.Second, 90 * ms, 45 * ms, false},
		{155 * time.Second, 90 * ms, 45 * ms, false},
		{180 * time.Second, 95 * ms, 45 * ms, false},  // same bucket as 155 s: no expiry check yet
		{186 * time.Second, 100 * ms, 80 * ms, false}, // the t0 bucket (186 s old) expired
		{217 * time.Second, 100 * ms, 90 * ms, false}, // the 31 s bucket expired
		{218 * time.Second, 70 * ms, 70 * ms, true},
	}
	var b BaseRTT
	if _, ok := b.Value(); ok {
		t.Fatal("empty tracker has a value")
	}
	for _, s := range steps {
		lowered := b.Sample(t0.Add(s.at), s.rtt)
		base, ok := b.Value()
		if !ok || base != s.base || lowered != s.lowered {
			t.Errorf("at %v sample %v: base %v (ok %v) lowered %v; want %v lowered %v",
				s.at, s.rtt, base, ok, lowered, s.base, s.lowered)
		}
	}
	b.Reset()
	if _, ok := b.Value(); ok {
		t.Fatal("value after reset")
	}
	if !b.Sample(t0.Add(300*time.Second), 120*ms) {
		t.Error("first sample after reset did not report a new base")
	}
	if base, _ := b.Value(); base != 120*ms {
		t.Errorf("base after reset %v, want 120ms (history forgotten)", base)
	}
}

func TestBaseRTTLongRun(t *testing.T) {
	// Hours of samples: the ring never grows and the base follows the
	// minimum of the last three minutes.
	var b BaseRTT
	for i := 0; i < 4*3600; i++ {
		rtt := time.Duration(40+i/600) * time.Millisecond // +1 ms every 10 minutes
		b.Sample(t0.Add(time.Duration(i)*time.Second), rtt)
	}
	base, _ := b.Value()
	// At 4 h the samples are 63 ms; three minutes back they were 63 ms too
	// (the step to 63 happened at 3h50m) → base 63 ms.
	if base != 63*time.Millisecond {
		t.Errorf("base %v, want 63ms", base)
	}
	if b.n > baseRTTSlots {
		t.Errorf("%d buckets", b.n)
	}
}
