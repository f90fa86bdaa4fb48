package playout

import (
	"math"
	"testing"
	"time"
)

// TestLevelMeterSpeakingHysteresis: a full-scale square wave reads 0 dBFS
// and turns Speaking on; silence turns it off only after the hold.
func TestLevelMeterSpeakingHysteresis(t *testing.T) {
	m, err := NewLevelMeter(MixerConfig{}, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	loud := make([]int16, 480)
	for i := range loud {
		loud[i] = math.MaxInt16
		if i%2 == 1 {
			loud[i] = math.MinInt16 + 1
		}
	}
	var l Level
	for range 50 {
		l = m.Feed(loud)
	}
	if !l.Speaking || l.DBFS < -0.1 || l.DBFS > 0.01 {
		t.Fatalf("square wave: %+v, want speaking at 0 dBFS", l)
	}
	// Default release 200 ms and hold 300 ms: still speaking after 100 ms
	// of silence, silent within 4 s (0.22 dB per frame down to -52 dBFS, then the hold).
	for range 10 {
		l = m.Silence()
	}
	if !l.Speaking {
		t.Fatalf("100 ms of silence already cleared speaking: %+v", l)
	}
	for range 390 {
		l = m.Silence()
	}
	if l.Speaking || l.DBFS > -60 {
		t.Fatalf("after 4 s of silence: %+v", l)
	}
	if _, err := NewLevelMeter(MixerConfig{}, 0); err == nil {
		t.Fatal("a zero frame duration was accepted")
	}
}
