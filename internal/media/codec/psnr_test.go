package codec

import (
	"errors"
	"image"
	"math"
	"testing"
)

func TestPSNRY(t *testing.T) {
	a := movingPattern(64, 48, 3)
	b := movingPattern(64, 48, 3)
	if got, err := PSNRY(a, b); err != nil || got != MaxPSNR {
		t.Fatalf("identical frames: got %v, %v; want %v", got, err, MaxPSNR)
	}
	// Every luma sample off by exactly 2 (clamped values avoided by the
	// pattern's range): MSE 4, PSNR = 10·log10(65025/4) = 42.110 dB.
	for i := range b.Y {
		if b.Y[i] < 250 {
			b.Y[i] += 2
		} else {
			b.Y[i] -= 2
		}
	}
	got, err := PSNRY(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := 10 * math.Log10(65025.0/4); math.Abs(got-want) > 1e-9 {
		t.Fatalf("PSNR = %.6f, want %.6f", got, want)
	}
	// Chroma differences do not count.
	c := movingPattern(64, 48, 3)
	for i := range c.Cb {
		c.Cb[i] ^= 0xff
	}
	if got, _ := PSNRY(a, c); got != MaxPSNR {
		t.Fatalf("chroma-only change: PSNR %v, want %v", got, MaxPSNR)
	}
	// Sub-images are compared by their own rectangles.
	sa := a.SubImage(image.Rect(8, 8, 40, 40)).(*image.YCbCr)
	sb := movingPattern(64, 48, 3).SubImage(image.Rect(8, 8, 40, 40)).(*image.YCbCr)
	if got, _ := PSNRY(sa, sb); got != MaxPSNR {
		t.Fatalf("equal sub-images: %v", got)
	}
	if _, err := PSNRY(a, movingPattern(32, 48, 3)); !errors.Is(err, ErrSizeMismatch) {
		t.Fatalf("size mismatch: err %v", err)
	}
	if _, err := PSNRY(nil, a); !errors.Is(err, ErrSizeMismatch) {
		t.Fatalf("nil frame: err %v", err)
	}
}
