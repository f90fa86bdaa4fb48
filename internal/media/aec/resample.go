package aec

import "math"

// halfband is a linear-phase low-pass FIR at half the Nyquist frequency,
// for 2:1 decimation and interpolation: every tap at an even distance from
// the centre other than the centre itself is zero, so only half of them
// cost a multiplication. Kaiser-windowed sinc, 47 taps: flat to 10 kHz and
// down 60 dB from 14 kHz at 48 kHz.
type halfband struct {
	center float32   // the centre tap, 1/2
	odd    []float32 // taps at distances 1, 3, 5, ... from the centre
}

const halfbandTaps = 47

// roundTripDelay is how much later than its input, in samples at the high
// rate, a signal comes out of a decimator and an interpolator in turn.
const roundTripDelay = halfbandTaps

func newHalfband() halfband {
	m := halfbandTaps / 2
	h := halfband{center: 0.5}
	const beta = 6.0
	i0 := besselI0(beta)
	for d := 1; d <= m; d += 2 {
		sinc := math.Sin(math.Pi*float64(d)/2) / (math.Pi * float64(d))
		r := float64(d) / float64(m+1)
		w := besselI0(beta*math.Sqrt(1-r*r)) / i0
		h.odd = append(h.odd, float32(sinc*w))
	}
	return h
}

func besselI0(x float64) float64 {
	s, t := 1.0, 1.0
	for k := 1; k < 30; k++ {
		t *= (x / 2) / float64(k)
		s += t * t
	}
	return s
}

// decimator halves the sample rate of a stream, one frame at a time.
type decimator struct {
	h        *halfband
	hist     []float32 // the last halfbandTaps-1 input samples, then the frame
	even, od []float32 // hist split by sample parity
}

func newDecimator(h *halfband, frame int) decimator {
	n := halfbandTaps - 1 + frame
	return decimator{h: h, hist: make([]float32, n), even: make([]float32, n/2), od: make([]float32, n/2)}
}

// run filters in (an even number of samples) and writes every second
// output sample to out (len(in)/2). It returns the energy of the part the
// filter removed (the band above a quarter of the rate), from the same
// samples.
//
// Output j is centred on input sample 2j+1 of the frame (less the filter's
// delay): an even sample of the history, times the centre tap, plus the
// odd samples around it in symmetric pairs. The pairs are summed tap by
// tap over the whole frame, so that every loop runs over consecutive
// samples.
func (d *decimator) run(in []float32, out []float32) (removed float32) {
	m := halfbandTaps - 1 // even
	x := d.hist[:m+len(in)]
	copy(x[m:], in)
	half := len(x) / 2
	ev, od := d.even[:half], d.od[:half]
	for q := range half {
		ev[q], od[q] = x[2*q], x[2*q+1]
	}
	// Centre of output j: x[2j+1+m/2] = ev[j+c] with c = (m/2+1)/2.
	c := (m/2 + 1) / 2
	n := len(out)
	centre := ev[c : c+n]
	// Tap k pairs x[centre-2k-1] = od[j+c-k-1] and x[centre+2k+1] = od[j+c+k].
	if t := d.h.odd; len(t) == 12 && c == 12 {
		// The 47 taps in registers: output j reads od[j:j+24].
		t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11 := t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11]
		ctr := d.h.center
		for j := range out {
			w := od[j : j+24 : j+24]
			out[j] = ctr*centre[j] +
				t0*(w[11]+w[12]) + t1*(w[10]+w[13]) + t2*(w[9]+w[14]) + t3*(w[8]+w[15]) +
				t4*(w[7]+w[16]) + t5*(w[6]+w[17]) + t6*(w[5]+w[18]) + t7*(w[4]+w[19]) +
				t8*(w[3]+w[20]) + t9*(w[2]+w[21]) + t10*(w[1]+w[22]) + t11*(w[0]+w[23])
		}
	} else {
		for j := range out {
			out[j] = d.h.center * centre[j]
		}
		for k, t := range d.h.odd {
			a, b := od[c-k-1:c-k-1+n], od[c+k:c+k+n]
			b = b[:len(a)]
			o := out[:len(a)]
			for j := range a {
				o[j] += t * (a[j] + b[j])
			}
		}
	}
	for j, v := range out {
		hp := centre[j] - v
		removed += hp * hp
	}
	copy(d.hist, x[len(in):])
	return removed
}

// interpolator doubles the sample rate of a stream, one frame at a time.
type interpolator struct {
	h    *halfband
	hist []float32 // low-rate samples: the last taps/2 of them, then the frame
	mid  []float32 // the in-between samples of one frame
}

func newInterpolator(h *halfband, frame int) interpolator {
	return interpolator{h: h, hist: make([]float32, len(h.odd)*2+frame), mid: make([]float32, frame)}
}

// run writes 2·len(in) samples to out: in's samples placed at the odd
// positions the decimator took them from, zeros between, filtered by the
// halfband with gain 2.
func (p *interpolator) run(in []float32, out []float32) {
	m := len(p.h.odd) * 2
	u := p.hist[:m+len(in)]
	copy(u[m:], in)
	half := len(p.h.odd)
	n := len(in)
	// Output pair (2j, 2j+1): the odd one sits on low-rate sample
	// base = m+j-half (centre tap), the even one halfway between it and
	// the one before (odd taps, in symmetric pairs u[base-1-k], u[base+k]).
	mid := p.mid[:n]
	clear(mid)
	for k, t := range p.h.odd {
		a, b := u[half-1-k:half-1-k+n], u[half+k:half+k+n]
		b = b[:len(a)]
		o := mid[:len(a)]
		for j := range a {
			o[j] += t * (a[j] + b[j])
		}
	}
	base := u[half : half+n]
	for j := range mid {
		out[2*j] = 2 * mid[j]
		out[2*j+1] = 2 * p.h.center * base[j]
	}
	copy(p.hist, u[len(in):])
}
