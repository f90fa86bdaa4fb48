package mediatest

import "math"

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
