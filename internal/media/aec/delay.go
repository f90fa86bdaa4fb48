package aec

import "math"

// delayEstimator finds the echo's delay, in frames, from the correlation
// of the far end's and the microphone's spectral envelopes: log power in
// bands of 300 Hz to 6 kHz, each less its running mean, correlated over
// every lag up to maxLag and normalized. Envelopes survive what defeats a
// sample correlation (reverberation, clipping, a near talker, which only
// adds uncorrelated power), and a frame's worth of resolution is enough:
// the adaptive filter covers a margin on both sides of the estimate.
//
// It answers in frames (10 ms) and costs bands·(maxLag+1) multiply-adds
// per frame.
type delayEstimator struct {
	bands  [][2]int // bin ranges
	maxLag int

	// hist holds the far features of the last maxLag+1 frames; frame t-j
	// is at row (head-j) mod (maxLag+1).
	hist []float32
	head int

	xMean, yMean []float32
	corr, xVar   []float64 // per lag
	yVar         float64
	idle         int // frames since the far end was last active

	delay     int  // current estimate
	known     bool // an estimate has been made
	candidate int  // lag that has led for hold frames
	held      int
	changes   int
}

const (
	delaySmooth = 0.985 // about 0.7 s of memory at 10 ms
	meanSmooth  = 0.995 // about 2 s
	delayHold   = 8     // frames a new lag must lead before it is taken
	delayMinNCC = 0.25
)

func newDelayEstimator(binHz float64, bins, maxLag int) *delayEstimator {
	d := &delayEstimator{maxLag: maxLag}
	const nb = 20
	lo, hi := 300.0, 6000.0
	prev := -1
	for b := 0; b < nb; b++ {
		f0 := lo * math.Pow(hi/lo, float64(b)/nb)
		f1 := lo * math.Pow(hi/lo, float64(b+1)/nb)
		k0, k1 := max(int(f0/binHz), prev+1), int(f1/binHz)
		if k1 < k0 || k1 >= bins {
			continue
		}
		d.bands = append(d.bands, [2]int{k0, k1})
		prev = k1
	}
	nb2 := len(d.bands)
	d.hist = make([]float32, (maxLag+1)*nb2)
	d.xMean, d.yMean = make([]float32, nb2), make([]float32, nb2)
	d.corr, d.xVar = make([]float64, maxLag+1), make([]float64, maxLag+1)
	d.idle = maxLag + 1
	return d
}

// bandLog is the log power of each band of a power spectrum.
func (d *delayEstimator) bandLog(pow []float32, out []float32) {
	for b, r := range d.bands {
		var s float32
		for _, v := range pow[r[0] : r[1]+1] {
			s += v
		}
		out[b] = float32(math.Log(float64(s)/float64(r[1]-r[0]+1) + 1e4))
	}
}

// update takes the far end's and the microphone's power spectra of this
// frame and whether the far end is active, and returns the delay estimate
// in frames and whether there is one.
func (d *delayEstimator) update(farPow, micPow []float32, farActive bool, scratch []float32) (int, bool) {
	nb := len(d.bands)
	rows := d.maxLag + 1
	d.head = (d.head + 1) % rows
	x := d.hist[d.head*nb : (d.head+1)*nb]
	d.bandLog(farPow, x)
	y := scratch[:nb]
	d.bandLog(micPow, y)
	for b := range x {
		d.xMean[b] = meanSmooth*d.xMean[b] + (1-meanSmooth)*x[b]
		x[b] -= d.xMean[b]
		d.yMean[b] = meanSmooth*d.yMean[b] + (1-meanSmooth)*y[b]
		y[b] -= d.yMean[b]
	}
	if farActive {
		d.idle = 0
	} else {
		d.idle++
	}
	if d.idle > d.maxLag {
		return d.delay, d.known // nothing of the far end can be in the microphone
	}
	var yy float64
	for _, v := range y {
		yy += float64(v) * float64(v)
	}
	d.yVar = delaySmooth*d.yVar + (1-delaySmooth)*yy
	best, bestNCC := 0, -1.0
	for j := 0; j <= d.maxLag; j++ {
		r := (d.head - j + rows) % rows
		h := d.hist[r*nb : (r+1)*nb]
		var c, xx float64
		for b, v := range h {
			c += float64(v) * float64(y[b])
			xx += float64(v) * float64(v)
		}
		d.corr[j] = delaySmooth*d.corr[j] + (1-delaySmooth)*c
		d.xVar[j] = delaySmooth*d.xVar[j] + (1-delaySmooth)*xx
		if n := d.corr[j] / math.Sqrt(d.xVar[j]*d.yVar+1e-9); n > bestNCC {
			best, bestNCC = j, n
		}
	}
	if bestNCC < delayMinNCC {
		d.held = 0
		return d.delay, d.known
	}
	if best != d.candidate {
		d.candidate, d.held = best, 0
	}
	d.held++
	if d.held >= delayHold && (!d.known || best != d.delay) {
		cur := d.corr[d.delay] / math.Sqrt(d.xVar[d.delay]*d.yVar+1e-9)
		if !d.known || bestNCC > cur+0.02 {
			d.delay, d.known = best, true
			d.changes++
		}
	}
	return d.delay, d.known
}

// reset forgets everything.
func (d *delayEstimator) reset() {
	clear(d.hist)
	clear(d.xMean)
	clear(d.yMean)
	clear(d.corr)
	clear(d.xVar)
	d.yVar, d.idle = 0, d.maxLag+1
	d.delay, d.known, d.candidate, d.held = 0, false, 0, 0
}
