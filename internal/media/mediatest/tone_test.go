package mediatest

import (
	"math"
	"testing"
)

func TestGoertzelMeasuresToneAmplitude(t *testing.T) {
	tone := Tone{Freq: 440, Amplitude: 8000, SampleRate: 48000}
	buf := make([]int16, 4800) // 100 ms, 44 whole periods
	tone.Fill(buf)
	if got := Goertzel(buf, 48000, 440); math.Abs(got-8000) > 80 {
		t.Fatalf("Goertzel at 440 Hz = %.1f, want 8000 ± 1%%", got)
	}
	// 1 kHz is far outside the 10 Hz bin of a 100 ms window.
	if got := Goertzel(buf, 48000, 1000); got > 80 {
		t.Fatalf("Goertzel at 1000 Hz = %.1f, want < 80 (1%% leakage)", got)
	}
	if got := RMS(buf); math.Abs(got-8000/math.Sqrt2) > 20 {
		t.Fatalf("RMS = %.1f, want %.1f", got, 8000/math.Sqrt2)
	}
	if Goertzel(nil, 48000, 440) != 0 || RMS(nil) != 0 {
		t.Fatal("empty input must measure 0")
	}
}

func TestToneKeepsPhaseAcrossFrames(t *testing.T) {
	whole := Tone{Freq: 440, Amplitude: 10000, SampleRate: 48000}
	split := whole
	a := make([]int16, 960)
	whole.Fill(a)
	b := make([]int16, 960)
	for i := 0; i < len(b); i += 480 {
		split.Fill(b[i : i+480])
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("sample %d: %d in one call, %d in 10 ms frames", i, a[i], b[i])
		}
	}
}

func TestToneBlocks(t *testing.T) {
	tone := Tone{Freq: 440, Amplitude: 8192, SampleRate: 48000}
	rec := make([]int16, 480*20)
	tone.Fill(rec[480*3 : 480*13]) // 3 blocks of silence, 10 of tone
	clear(rec[480*8 : 480*9])      // one gap
	onset, good, gaps, median := ToneBlocks(rec, 480, 48000, 440, 8192)
	// The tone spans blocks 3 to 12; blocks 4 to 11 are judged: seven
	// clean, one gap.
	if onset != 480*3 || good != 7 || gaps != 1 || median < 8192*0.9 || median > 8192*1.1 {
		t.Fatalf("onset %d good %d gaps %d median %.0f, want 1440, 7, 1, 8192", onset, good, gaps, median)
	}
	if onset, _, _, _ := ToneBlocks(make([]int16, 4800), 480, 48000, 440, 8192); onset != -1 {
		t.Fatalf("silence: onset %d, want -1", onset)
	}
}
