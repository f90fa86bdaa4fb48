package main

import (
	"math"
	"math/rand/v2"
	"time"
)

// room is the acoustic path from the loudspeaker to the microphone.
type room struct {
	delay time.Duration // direct path
	gain  float64       // direct path's gain
	tail  uint64        // seed of the reverberant tail
}

const (
	rt60     = 300 * time.Millisecond
	clipAt   = 0.8 * fullScale // the loudspeaker's clipping level
	noiseDB  = -65.0           // microphone noise, dBFS
	tailSpan = 400 * time.Millisecond
)

// impulse returns the room's impulse response: the direct path, then a
// reverberant tail of Gaussian noise under an exponential envelope that
// falls 60 dB in rt60, holding as much energy as the direct path.
func (r room) impulse() []float64 {
	d := int(r.delay.Seconds() * rate)
	n := int(tailSpan.Seconds() * rate)
	h := make([]float64, d+n)
	h[d] = r.gain
	rnd := rand.New(rand.NewPCG(11, r.tail))
	decay := math.Log(1000) / (rt60.Seconds() * rate) // amplitude: -60 dB over rt60
	var e float64
	for k := 1; k < n; k++ {
		v := rnd.NormFloat64() * math.Exp(-decay*float64(k))
		h[d+k] = v
		e += v * v
	}
	s := r.gain / math.Sqrt(e)
	for k := 1; k < n; k++ {
		h[d+k] *= s
	}
	return h
}

// loudspeaker drives the far signal (drive dB above its level) into a
// speaker that clips hard at clipAt.
func loudspeaker(x []float64, drive float64) []float64 {
	g := math.Pow(10, drive/20)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = max(-clipAt, min(clipAt, g*v))
	}
	return y
}

// noise is the microphone's white noise at noiseDB.
func noise(n int, seed uint64) []float64 {
	rnd := rand.New(rand.NewPCG(seed, 7))
	s := fullScale * math.Pow(10, noiseDB/20)
	y := make([]float64, n)
	for i := range y {
		y[i] = s * rnd.NormFloat64()
	}
	return y
}

// pcm rounds and saturates to int16.
func pcm(x []float64) []int16 {
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	return out
}
