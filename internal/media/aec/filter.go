package aec

// blockFilter is a partitioned-block frequency-domain adaptive filter
// (overlap-save, one partition per frame): partition p holds the echo
// path's frequency response over taps [p·L, (p+1)·L) of its window, for
// bins 0..bins-1. It models bins up to the adaptive band's edge only;
// higher bins are left to the suppressor.
//
// The coefficients of partition p live at [p·bins, (p+1)·bins) of re and
// im.
type blockFilter struct {
	parts, bins int
	re, im      []float32
	// delay is the echo delay, in frames, the filter is aligned to: its
	// partition p filters the far spectrum delay-margin+p frames old.
	delay int
}

func newBlockFilter(parts, bins int) blockFilter {
	return blockFilter{parts: parts, bins: bins,
		re: make([]float32, parts*bins), im: make([]float32, parts*bins)}
}

func (f *blockFilter) part(p int) (re, im []float32) {
	return f.re[p*f.bins : (p+1)*f.bins], f.im[p*f.bins : (p+1)*f.bins]
}

// reset zeroes the filter.
func (f *blockFilter) reset() {
	clear(f.re)
	clear(f.im)
}

// copyFrom makes f equal to g (of the same shape).
func (f *blockFilter) copyFrom(g *blockFilter) {
	copy(f.re, g.re)
	copy(f.im, g.im)
	f.delay = g.delay
}

// realign aligns the filter to the echo delay d. If moved, the echo path
// itself moved (a device buffer grew or shrank): the coefficients keep
// their partitions, so the room the filter learned moves with the direct
// path. Otherwise the delay was only found more exactly: the coefficients
// keep the lags they model.
func (f *blockFilter) realign(d int, moved bool) {
	if !moved {
		f.shift(d - f.delay)
	}
	f.delay = d
}

// shift moves the coefficients by n partitions towards the start (n > 0:
// the echo now comes n frames later relative to the filter's first
// partition, which has moved with it), filling with zeros.
func (f *blockFilter) shift(n int) {
	b := f.bins
	switch {
	case n >= f.parts || -n >= f.parts:
		f.reset()
	case n > 0:
		copy(f.re, f.re[n*b:])
		copy(f.im, f.im[n*b:])
		clear(f.re[(f.parts-n)*b:])
		clear(f.im[(f.parts-n)*b:])
	case n < 0:
		copy(f.re[-n*b:], f.re)
		copy(f.im[-n*b:], f.im)
		clear(f.re[:-n*b])
		clear(f.im[:-n*b])
	}
}

// macc2 adds a·x to accA and b·x to accB (complex, bin by bin: two
// filters on one far spectrum), |a|²·|x|² to pa and v·|x|² to pw.
func macc2(accARe, accAIm, accBRe, accBIm, pa, pw, aRe, aIm, bRe, bIm, v, xRe, xIm []float32) {
	n := len(accARe)
	accAIm, accBRe, accBIm, pa, pw = accAIm[:n], accBRe[:n], accBIm[:n], pa[:n], pw[:n]
	aRe, aIm, bRe, bIm, v, xRe, xIm = aRe[:n], aIm[:n], bRe[:n], bIm[:n], v[:n], xRe[:n], xIm[:n]
	for k := range accARe {
		xr, xi := xRe[k], xIm[k]
		ar, ai, br, bi := aRe[k], aIm[k], bRe[k], bIm[k]
		accARe[k] += ar*xr - ai*xi
		accAIm[k] += ar*xi + ai*xr
		accBRe[k] += br*xr - bi*xi
		accBIm[k] += br*xi + bi*xr
		x2 := xr*xr + xi*xi
		pa[k] += (ar*ar + ai*ai) * x2
		pw[k] += v[k] * x2
	}
}

// macc1 adds b·x to acc (complex, bin by bin) and v·|x|² to pw.
func macc1(accRe, accIm, pw, bRe, bIm, v, xRe, xIm []float32) {
	n := len(accRe)
	accIm, pw, bRe, bIm, v, xRe, xIm = accIm[:n], pw[:n], bRe[:n], bIm[:n], v[:n], xRe[:n], xIm[:n]
	for k := range accRe {
		xr, xi := xRe[k], xIm[k]
		br, bi := bRe[k], bIm[k]
		accRe[k] += br*xr - bi*xi
		accIm[k] += br*xi + bi*xr
		pw[k] += v[k] * (xr*xr + xi*xi)
	}
}

// maccPow adds a·x to acc (complex, bin by bin) and |a|²·|x|² to pa.
func maccPow(accRe, accIm, pa, aRe, aIm, xRe, xIm []float32) {
	n := len(accRe)
	accIm, pa, aRe, aIm, xRe, xIm = accIm[:n], pa[:n], aRe[:n], aIm[:n], xRe[:n], xIm[:n]
	for k := range accRe {
		xr, xi := xRe[k], xIm[k]
		ar, ai := aRe[k], aIm[k]
		accRe[k] += ar*xr - ai*xi
		accIm[k] += ar*xi + ai*xr
		pa[k] += (ar*ar + ai*ai) * (xr*xr + xi*xi)
	}
}

// macc2x2 is macc2 for two partitions at once (filters a and b on far
// spectrum x, filters c and d on far spectrum y): the accumulators are
// loaded and stored once for both.
func macc2x2(accARe, accAIm, accBRe, accBIm, pa, pw, aRe, aIm, bRe, bIm, v, xRe, xIm, cRe, cIm, dRe, dIm, u, yRe, yIm []float32) {
	n := len(accARe)
	accAIm, accBRe, accBIm, pa, pw = accAIm[:n], accBRe[:n], accBIm[:n], pa[:n], pw[:n]
	aRe, aIm, bRe, bIm, v, xRe, xIm = aRe[:n], aIm[:n], bRe[:n], bIm[:n], v[:n], xRe[:n], xIm[:n]
	cRe, cIm, dRe, dIm, u, yRe, yIm = cRe[:n], cIm[:n], dRe[:n], dIm[:n], u[:n], yRe[:n], yIm[:n]
	for k := range accARe {
		xr, xi, yr, yi := xRe[k], xIm[k], yRe[k], yIm[k]
		ar, ai, br, bi := aRe[k], aIm[k], bRe[k], bIm[k]
		cr, ci, dr, di := cRe[k], cIm[k], dRe[k], dIm[k]
		accARe[k] += ar*xr - ai*xi + cr*yr - ci*yi
		accAIm[k] += ar*xi + ai*xr + cr*yi + ci*yr
		accBRe[k] += br*xr - bi*xi + dr*yr - di*yi
		accBIm[k] += br*xi + bi*xr + dr*yi + di*yr
		x2, y2 := xr*xr+xi*xi, yr*yr+yi*yi
		pa[k] += (ar*ar+ai*ai)*x2 + (cr*cr+ci*ci)*y2
		pw[k] += v[k]*x2 + u[k]*y2
	}
}
