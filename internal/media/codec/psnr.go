package codec

import (
	"fmt"
	"image"
	"math"
)

// MaxPSNR is what PSNRY reports for identical luma planes, where the true
// value is infinite; a finite cap keeps averages over many frames
// meaningful (libvpx uses the same 100 dB cap).
const MaxPSNR = 100.0

// PSNRY returns the peak signal-to-noise ratio of the luma (Y) planes of two
// frames of the same size, in dB: 10·log10(255² / MSE).
func PSNRY(a, b *image.YCbCr) (float64, error) {
	if a == nil || b == nil {
		return 0, fmt.Errorf("codec: psnr: nil frame: %w", ErrSizeMismatch)
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	if w != b.Rect.Dx() || h != b.Rect.Dy() {
		return 0, fmt.Errorf("codec: psnr: %v vs %v: %w", a.Rect.Size(), b.Rect.Size(), ErrSizeMismatch)
	}
	if w == 0 || h == 0 {
		return 0, fmt.Errorf("codec: psnr: empty frame: %w", ErrSizeMismatch)
	}
	var sse uint64
	for y := range h {
		ra := a.Y[a.YOffset(a.Rect.Min.X, a.Rect.Min.Y+y):][:w]
		rb := b.Y[b.YOffset(b.Rect.Min.X, b.Rect.Min.Y+y):][:w]
		for x, pa := range ra {
			d := int(pa) - int(rb[x])
			sse += uint64(d * d)
		}
	}
	if sse == 0 {
		return MaxPSNR, nil
	}
	mse := float64(sse) / float64(w*h)
	return min(10*math.Log10(255*255/mse), MaxPSNR), nil
}
