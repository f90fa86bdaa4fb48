package video

import (
	"image"
	"testing"
)

func TestCopyI420(t *testing.T) {
	src := gridI420(33, 17, func(x, y int) uint8 { return uint8(x*7 + y) }, func(x, y int) uint8 { return uint8(x + 11*y) })
	dst := CopyI420(nil, src)
	if dst == src || &dst.Y[0] == &src.Y[0] || psnr(t, dst, src) < 1000 {
		t.Fatal("copy differs or aliases")
	}
	if again := CopyI420(dst, src); again != dst {
		t.Fatal("destination not reused")
	}
	// A sub-image at an even origin copies its own pixels.
	sub := src.SubImage(image.Rect(4, 2, 20, 12)).(*image.YCbCr)
	c := CopyI420(nil, sub)
	if c.Rect != image.Rect(0, 0, 16, 10) || c.Y[0] != src.Y[2*33+4] || c.Cb[0] != src.Cb[1*17+2] {
		t.Fatalf("sub-image copy %v Y0 %d Cb0 %d", c.Rect, c.Y[0], c.Cb[0])
	}
	if allocs := testing.AllocsPerRun(10, func() { CopyI420(dst, src) }); allocs != 0 {
		t.Fatalf("%v allocs", allocs)
	}
}
