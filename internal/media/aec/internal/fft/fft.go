// Package fft computes discrete Fourier transforms of real float32 signals
// whose length is a power of two, for the echo canceller's block filters
// and spectral suppressor. Spectra are kept as separate real and imaginary
// arrays of n/2+1 bins (DC to Nyquist), the layout the per-bin loops of the
// canceller want. A Real allocates nothing after NewReal and is used by one
// goroutine at a time.
package fft

import (
	"fmt"
	"math"
	"math/bits"
)

// Real transforms real signals of one length n (a power of two, at least 4).
type Real struct {
	n, m int // m = n/2, the length of the inner complex transform

	rev []int32 // bit reversal of 0..m-1
	// passes holds the twiddles of the complex transform's radix-4
	// passes (see complexFFT), forward and inverse.
	passes, passesInv []pass
	postRe            []float32 // exp(-2πi k/n), k <= m: the real-signal split
	postIm            []float32
	zr, zi            []float32 // scratch, m each
}

// pass is one radix-4 pass of the complex transform: it joins blocks of h
// into blocks of 4h, twiddling by w^j, w^2j and w^3j (w = exp(∓2πi/4h))
// for j < h.
type pass struct {
	h                      int
	c1, s1, c2, s2, c3, s3 []float32
}

func newPass(h int, sign float64) pass {
	p := pass{h: h}
	for r, t := range []*[]float32{&p.c1, &p.c2, &p.c3} {
		*t = make([]float32, h)
		for j := range h {
			(*t)[j] = float32(math.Cos(2 * math.Pi * float64((r+1)*j) / float64(4*h)))
		}
	}
	for r, t := range []*[]float32{&p.s1, &p.s2, &p.s3} {
		*t = make([]float32, h)
		for j := range h {
			(*t)[j] = float32(sign * math.Sin(2*math.Pi*float64((r+1)*j)/float64(4*h)))
		}
	}
	return p
}

// NewReal prepares transforms of length n.
func NewReal(n int) (*Real, error) {
	if n < 4 || n&(n-1) != 0 {
		return nil, fmt.Errorf("fft: length %d is not a power of two >= 4", n)
	}
	m := n / 2
	f := &Real{n: n, m: m,
		rev:    make([]int32, m),
		postRe: make([]float32, m+1), postIm: make([]float32, m+1),
		zr: make([]float32, m), zi: make([]float32, m),
	}
	shift := 64 - bits.TrailingZeros(uint(m))
	for i := range f.rev {
		if m > 1 {
			f.rev[i] = int32(bits.Reverse64(uint64(i)) >> shift)
		}
	}
	for h := f.firstH(); 4*h <= m; h *= 4 {
		f.passes = append(f.passes, newPass(h, -1))
		f.passesInv = append(f.passesInv, newPass(h, 1))
	}
	for k := range f.postRe {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		f.postRe[k], f.postIm[k] = float32(c), float32(s)
	}
	return f, nil
}

// firstH is the h of the first pass that needs twiddles: after one
// radix-2 stage (an odd number of stages) or the first radix-2² pass.
func (f *Real) firstH() int {
	if bits.TrailingZeros(uint(f.m))%2 == 1 {
		return 2
	}
	return 4
}

// Len is the signal length n.
func (f *Real) Len() int { return f.n }

// Bins is the number of spectrum bins, n/2+1.
func (f *Real) Bins() int { return f.m + 1 }

// Forward computes the spectrum of x (n samples) into re and im (n/2+1
// bins each): X[k] = Σ x[t]·exp(-2πi kt/n).
func (f *Real) Forward(x, re, im []float32) {
	m := f.m
	x = x[:2*m]
	re, im = re[:m+1], im[:m+1]
	zr, zi := f.zr[:m], f.zi[:m]
	rev := f.rev[:m]
	for i := range m {
		r := rev[i] & int32(m-1)
		zr[r], zi[r] = x[2*i], x[2*i+1]
	}
	f.complexFFT(zr, zi, false)
	// Split the transform of the even/odd packing into the real signal's
	// spectrum: with Z[k] = E[k] + i·O[k], X[k] = E[k] + w^k·O[k], and
	// X[m-k] from the same two values (E and O of m-k are the conjugates
	// of those of k, and w^(m-k) = -conj(w^k)).
	re[0], im[0] = zr[0]+zi[0], 0
	re[m], im[m] = zr[0]-zi[0], 0
	postRe, postIm := f.postRe[:m/2+1], f.postIm[:m/2+1]
	for k := 1; k <= m/2; k++ {
		q := m - k
		ar, ai := zr[k], zi[k]
		br, bi := zr[q], -zi[q] // conj(Z[m-k])
		er, ei := (ar+br)*0.5, (ai+bi)*0.5
		// O = (Z[k] - conj(Z[m-k])) / 2i
		or, oi := (ai-bi)*0.5, -(ar-br)*0.5
		wr, wi := postRe[k], postIm[k]
		tr, ti := wr*or-wi*oi, wr*oi+wi*or
		re[k], im[k] = er+tr, ei+ti
		re[q], im[q] = er-tr, ti-ei
	}
}

// Inverse computes the signal x (n samples) whose spectrum is re, im (n/2+1
// bins), scaled by n: Inverse(Forward(x)) = n·x. The imaginary parts of the
// DC and Nyquist bins are ignored.
func (f *Real) Inverse(re, im, x []float32) {
	m := f.m
	x = x[:2*m]
	re, im = re[:m+1], im[:m+1]
	zr, zi := f.zr[:m], f.zi[:m]
	rev := f.rev[:m]
	postRe, postIm := f.postRe[:m/2+1], f.postIm[:m/2+1]
	// Rebuild Z[k] = E[k] + i·O[k] from X: E = (X[k] + conj(X[m-k]))/2,
	// O = (X[k] - conj(X[m-k]))·conj(w^k)/2 (doubled: the result is then
	// n·x), Z[m-k] from the same values; transform back with conjugated
	// twiddles, in bit-reversed order.
	{
		er, dr := re[0]+re[m], re[0]-re[m]
		zr[0], zi[0] = er, dr
	}
	for k := 1; k <= m/2; k++ {
		q := m - k
		ar, ai := re[k], im[k]
		br, bi := re[q], -im[q]
		er, ei := ar+br, ai+bi
		dr, di := ar-br, ai-bi
		wr, wi := postRe[k], -postIm[k]
		or, oi := dr*wr-di*wi, dr*wi+di*wr
		r, rq := rev[k]&int32(m-1), rev[q]&int32(m-1)
		zr[r], zi[r] = er-oi, ei+or
		// k's E and O conjugated, and -conj(w^k) for w^(m-k)
		zr[rq], zi[rq] = er+oi, or-ei
	}
	f.complexFFT(zr, zi, true)
	for i := range m {
		x[2*i], x[2*i+1] = zr[i], zi[i]
	}
}

// complexFFT transforms z (bit-reversed order in, natural order out) in
// place, decimation in time; inverse uses conjugated twiddles and does not
// scale. Stages go two at a time (radix 4: four points per step with
// three twiddles), which halves the passes over memory; the first pass
// needs no multiplication.
func (f *Real) complexFFT(zr, zi []float32, inverse bool) {
	m := len(zr)
	zi = zi[:m]
	if bits.TrailingZeros(uint(m))%2 == 1 {
		// An odd number of stages: one plain radix-2 stage first.
		for i := 0; i+1 < m; i += 2 {
			ar, ai, br, bi := zr[i], zi[i], zr[i+1], zi[i+1]
			zr[i], zi[i], zr[i+1], zi[i+1] = ar+br, ai+bi, ar-br, ai-bi
		}
	} else {
		// Stages of sizes 2 and 4: twiddles 1 and ∓i (the inverse puts
		// b1 ∓ i·b3 in the other places).
		o1, o3 := 1, 3
		if inverse {
			o1, o3 = 3, 1
		}
		for i := 0; i+3 < m; i += 4 {
			b0r, b0i := zr[i]+zr[i+1], zi[i]+zi[i+1]
			b1r, b1i := zr[i]-zr[i+1], zi[i]-zi[i+1]
			b2r, b2i := zr[i+2]+zr[i+3], zi[i+2]+zi[i+3]
			b3r, b3i := zr[i+2]-zr[i+3], zi[i+2]-zi[i+3]
			zr[i], zi[i] = b0r+b2r, b0i+b2i
			zr[i+2], zi[i+2] = b0r-b2r, b0i-b2i
			zr[i+o1], zi[i+o1] = b1r+b3i, b1i-b3r // b1 - i·b3
			zr[i+o3], zi[i+o3] = b1r-b3i, b1i+b3r // b1 + i·b3
		}
	}
	passes := f.passes
	if inverse {
		passes = f.passesInv
	}
	for _, p := range passes {
		h := p.h
		c1, s1, c2, s2, c3, s3 := p.c1[:h], p.s1[:h], p.c2[:h], p.s2[:h], p.c3[:h], p.s3[:h]
		for start := 0; start < m; start += 4 * h {
			// Quarter q holds the DFT of the subsequence (q0, q2, q1, q3:
			// bit reversal) of every fourth sample: a radix-4 step
			// twiddles q2, q1 and q3 by w^j, w^2j and w^3j.
			r0, i0 := zr[start:start+h], zi[start:start+h]
			r1, i1 := zr[start+h:start+2*h], zi[start+h:start+2*h]
			r2, i2 := zr[start+2*h:start+3*h], zi[start+2*h:start+3*h]
			r3, i3 := zr[start+3*h:start+4*h], zi[start+3*h:start+4*h]
			// The inverse puts b1 ∓ i·b3 in the other quarters.
			o1r, o1i, o3r, o3i := r1, i1, r3, i3
			if inverse {
				o1r, o1i, o3r, o3i = r3, i3, r1, i1
			}
			i0, r1, i1, r2, i2, r3, i3 = i0[:h], r1[:h], i1[:h], r2[:h], i2[:h], r3[:h], i3[:h]
			r0, o1r, o1i, o3r, o3i = r0[:h], o1r[:h], o1i[:h], o3r[:h], o3i[:h]
			for j := range h {
				a1r, a1i := r2[j]*c1[j]-i2[j]*s1[j], r2[j]*s1[j]+i2[j]*c1[j]
				a2r, a2i := r1[j]*c2[j]-i1[j]*s2[j], r1[j]*s2[j]+i1[j]*c2[j]
				a3r, a3i := r3[j]*c3[j]-i3[j]*s3[j], r3[j]*s3[j]+i3[j]*c3[j]
				b0r, b0i := r0[j]+a2r, i0[j]+a2i
				b1r, b1i := r0[j]-a2r, i0[j]-a2i
				b2r, b2i := a1r+a3r, a1i+a3i
				b3r, b3i := a1r-a3r, a1i-a3i
				r0[j], i0[j] = b0r+b2r, b0i+b2i
				r2[j], i2[j] = b0r-b2r, b0i-b2i
				o1r[j], o1i[j] = b1r+b3i, b1i-b3r // b1 - i·b3
				o3r[j], o3i[j] = b1r-b3i, b1i+b3r // b1 + i·b3
			}
		}
	}
}
