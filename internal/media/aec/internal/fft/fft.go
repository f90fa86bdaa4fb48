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
	// Twiddles of the complex transform, pass by pass (see complexFFT):
	// the pass joining stages 2h and 4h holds for each j < h the
	// interleaved values exp(-2πi j/2h), exp(-2πi j/4h) and
	// exp(-2πi (j+h)/4h), at offset twAt(h).
	tw, twInv []float32
	postRe    []float32 // exp(-2πi k/n), k <= m: the real-signal split
	postIm    []float32
	zr, zi    []float32 // scratch, m each
}

// NewReal prepares transforms of length n.
func NewReal(n int) (*Real, error) {
	if n < 4 || n&(n-1) != 0 {
		return nil, fmt.Errorf("fft: length %d is not a power of two >= 4", n)
	}
	m := n / 2
	f := &Real{n: n, m: m,
		rev: make([]int32, m),
		tw:  make([]float32, 0, 6*m), twInv: make([]float32, 0, 6*m),
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
		for j := range h {
			for _, a := range [3]float64{float64(j) / float64(2*h), float64(j) / float64(4*h), float64(j+h) / float64(4*h)} {
				s, c := math.Sincos(-2 * math.Pi * a)
				f.tw = append(f.tw, float32(c), float32(s))
				f.twInv = append(f.twInv, float32(c), float32(-s))
			}
		}
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

// twAt is the offset in tw of the pass that starts with stage 2h.
func (f *Real) twAt(h int) int {
	off := 0
	for g := f.firstH(); g < h; g *= 4 {
		off += 6 * g
	}
	return off
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
	for i, r := range f.rev[:m] {
		zr[r], zi[r] = x[2*i], x[2*i+1]
	}
	f.complexFFT(zr, zi, false)
	// Split the transform of the even/odd packing into the real signal's
	// spectrum: with Z[k] = E[k] + i·O[k], X[k] = E[k] + w^k·O[k].
	re[0], im[0] = zr[0]+zi[0], 0
	re[m], im[m] = zr[0]-zi[0], 0
	for k := 1; k < m; k++ {
		ar, ai := zr[k], zi[k]
		br, bi := zr[m-k], -zi[m-k] // conj(Z[m-k])
		er, ei := (ar+br)*0.5, (ai+bi)*0.5
		// O = (Z[k] - conj(Z[m-k])) / 2i
		dr, di := (ar-br)*0.5, (ai-bi)*0.5
		or, oi := di, -dr
		wr, wi := f.postRe[k], f.postIm[k]
		re[k] = er + wr*or - wi*oi
		im[k] = ei + wr*oi + wi*or
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
	// Rebuild Z[k] = E[k] + i·O[k] from X: E = (X[k] + conj(X[m-k]))/2,
	// O = (X[k] - conj(X[m-k]))·conj(w^k)/2, then transform back with
	// conjugated twiddles; the factor 2 makes the result n·x.
	for k := 0; k < m; k++ {
		ar, ai := re[k], im[k]
		br, bi := re[m-k], -im[m-k]
		if k == 0 {
			ai, bi = 0, 0
		}
		er, ei := ar+br, ai+bi
		dr, di := ar-br, ai-bi
		wr, wi := f.postRe[k], -f.postIm[k]
		or, oi := dr*wr-di*wi, dr*wi+di*wr
		// Z = E + i·O
		r := f.rev[k]
		zr[r], zi[r] = er-oi, ei+or
	}
	f.complexFFT(zr, zi, true)
	for i := 0; i < m; i++ {
		x[2*i], x[2*i+1] = zr[i], zi[i]
	}
}

// complexFFT transforms z (bit-reversed order in, natural order out) in
// place, decimation in time; inverse uses conjugated twiddles and does not
// scale. Stages go two at a time (radix 2², four points per step with
// three twiddles), which halves the passes over memory; the first pass
// needs no multiplication.
func (f *Real) complexFFT(zr, zi []float32, inverse bool) {
	m := len(zr)
	zi = zi[:m]
	h := 1
	if bits.TrailingZeros(uint(m))%2 == 1 {
		// An odd number of stages: one plain radix-2 stage first.
		for i := 0; i+1 < m; i += 2 {
			ar, ai, br, bi := zr[i], zi[i], zr[i+1], zi[i+1]
			zr[i], zi[i], zr[i+1], zi[i+1] = ar+br, ai+bi, ar-br, ai-bi
		}
		h = 2
	} else {
		// Stages of sizes 2 and 4: twiddles 1 and ∓i.
		for i := 0; i+3 < m; i += 4 {
			b0r, b0i := zr[i]+zr[i+1], zi[i]+zi[i+1]
			b1r, b1i := zr[i]-zr[i+1], zi[i]-zi[i+1]
			b2r, b2i := zr[i+2]+zr[i+3], zi[i+2]+zi[i+3]
			b3r, b3i := zr[i+2]-zr[i+3], zi[i+2]-zi[i+3]
			u3r, u3i := b3i, -b3r // b3·(-i)
			if inverse {
				u3r, u3i = -b3i, b3r // b3·i
			}
			zr[i], zi[i] = b0r+b2r, b0i+b2i
			zr[i+2], zi[i+2] = b0r-b2r, b0i-b2i
			zr[i+1], zi[i+1] = b1r+u3r, b1i+u3i
			zr[i+3], zi[i+3] = b1r-u3r, b1i-u3i
		}
		h = 4
	}
	twAll := f.tw
	if inverse {
		twAll = f.twInv
	}
	for ; 4*h <= m; h *= 4 {
		tw := twAll[f.twAt(h):]
		tw = tw[:6*h]
		for start := 0; start < m; start += 4 * h {
			r0, i0 := zr[start:start+h], zi[start:start+h]
			r1, i1 := zr[start+h:start+2*h], zi[start+h:start+2*h]
			r2, i2 := zr[start+2*h:start+3*h], zi[start+2*h:start+3*h]
			r3, i3 := zr[start+3*h:start+4*h], zi[start+3*h:start+4*h]
			i0, r1, i1, r2, i2, r3, i3 = i0[:len(r0)], r1[:len(r0)], i1[:len(r0)], r2[:len(r0)], i2[:len(r0)], r3[:len(r0)], i3[:len(r0)]
			for j := range r0 {
				w := tw[6*j : 6*j+6 : 6*j+6]
				// Stage of size 2h: twiddle w2 on the odd halves.
				c, s := w[0], w[1]
				t1r, t1i := r1[j]*c-i1[j]*s, r1[j]*s+i1[j]*c
				t3r, t3i := r3[j]*c-i3[j]*s, r3[j]*s+i3[j]*c
				b0r, b0i := r0[j]+t1r, i0[j]+t1i
				b1r, b1i := r0[j]-t1r, i0[j]-t1i
				b2r, b2i := r2[j]+t3r, i2[j]+t3i
				b3r, b3i := r2[j]-t3r, i2[j]-t3i
				// Stage of size 4h: w4 on b2, w4·(∓i) on b3.
				c, s = w[2], w[3]
				u2r, u2i := b2r*c-b2i*s, b2r*s+b2i*c
				c, s = w[4], w[5]
				u3r, u3i := b3r*c-b3i*s, b3r*s+b3i*c
				r0[j], i0[j] = b0r+u2r, b0i+u2i
				r2[j], i2[j] = b0r-u2r, b0i-u2i
				r1[j], i1[j] = b1r+u3r, b1i+u3i
				r3[j], i3[j] = b1r-u3r, b1i-u3i
			}
		}
	}
}
