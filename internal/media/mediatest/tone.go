package mediatest

import (
	"math"
	"sort"
)

// Tone is a sine generator that keeps its phase across calls, so that
// consecutive frames join without clicks.
type Tone struct {
	Freq       float64 // Hz
	Amplitude  float64 // peak, in int16 units
	SampleRate float64 // Hz

	phase float64 // radians, in [0, 2π)
}

// Fill writes the next len(dst) samples of the tone.
func (t *Tone) Fill(dst []int16) {
	step := 2 * math.Pi * t.Freq / t.SampleRate
	for i := range dst {
		dst[i] = int16(math.Round(t.Amplitude * math.Sin(t.phase)))
		t.phase += step
		if t.phase >= 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
}

// Goertzel returns the amplitude (peak, in int16 units) of the component of
// samples at freq, using the Goertzel recurrence. A full-scale sine at freq
// measures about its peak; other frequencies measure near zero when the
// window holds many periods.
func Goertzel(samples []int16, sampleRate, freq float64) float64 {
	if len(samples) == 0 {
		return 0
	}
	w := 2 * math.Pi * freq / sampleRate
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x) + coeff*s1 - s2
		s2, s1 = s1, s0
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	if power < 0 {
		power = 0
	}
	return 2 * math.Sqrt(power) / float64(len(samples))
}

// RMS returns the root mean square of samples, in int16 units.
func RMS(samples []int16) float64 {
	if len(samples) == 0 {
		return 0
	}
	var sum float64
	for _, x := range samples {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum / float64(len(samples)))
}

// ToneBlocks judges a recording of a tone of peak amplitude amp block by
// block (size samples each). The tone is taken to run from the first to the
// last block where it reaches a quarter of amp; onset is the first sample
// of the first such block, or -1 when the tone never appears. The blocks in
// between (not the first and last, which may be partly silence) are judged:
// good counts blocks within ±10% of amp, gaps counts blocks under half of it
// (a sound server that starves a stream plays silence, on a loaded machine
// for tens of milliseconds at a time), and median is their median level.
func ToneBlocks(samples []int16, size int, sampleRate, freq, amp float64) (onset, good, gaps int, median float64) {
	var levels []float64
	first, last := -1, -1
	for i := 0; i+size <= len(samples); i += size {
		l := Goertzel(samples[i:i+size], sampleRate, freq)
		levels = append(levels, l)
		if l > amp/4 {
			if first < 0 {
				first = len(levels) - 1
			}
			last = len(levels) - 1
		}
	}
	if first < 0 {
		return -1, 0, 0, 0
	}
	judged := levels[first+1 : max(last, first+1)]
	for _, l := range judged {
		switch {
		case l >= amp*0.9 && l <= amp*1.1:
			good++
		case l < amp/2:
			gaps++
		}
	}
	if len(judged) > 0 {
		sorted := append([]float64(nil), judged...)
		sort.Float64s(sorted)
		median = sorted[len(sorted)/2]
	}
	return first * size, good, gaps, median
}
