package fft

// Convolve returns x convolved with h, cut to len(x), by overlap-add with
// 65536-point transforms: the rooms the canceller's tests and the speech
// bench build (h up to a few tenths of a second at 48 kHz). It panics if h
// is 65536 samples or longer.
func Convolve(x, h []float64) []float64 {
	const n = 1 << 16
	block := n - len(h) + 1
	if block <= 0 {
		panic("fft: impulse response too long")
	}
	f, _ := NewReal(n)
	buf := make([]float32, n)
	hr, hi := make([]float32, f.Bins()), make([]float32, f.Bins())
	for i, v := range h {
		buf[i] = float32(v)
	}
	f.Forward(buf, hr, hi)
	xr, xi := make([]float32, f.Bins()), make([]float32, f.Bins())
	y := make([]float64, len(x)+n)
	for at := 0; at < len(x); at += block {
		clear(buf)
		for i := 0; i < block && at+i < len(x); i++ {
			buf[i] = float32(x[at+i])
		}
		f.Forward(buf, xr, xi)
		for k := range xr {
			xr[k], xi[k] = xr[k]*hr[k]-xi[k]*hi[k], xr[k]*hi[k]+xi[k]*hr[k]
		}
		f.Inverse(xr, xi, buf)
		for i, v := range buf {
			y[at+i] += float64(v) / n
		}
	}
	return y[:len(x)]
}
