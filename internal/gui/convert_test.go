package gui

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

func randomYCbCr(rng *rand.Rand, w, h int, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	for _, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		for i := range p {
			p[i] = byte(rng.IntN(256))
		}
	}
	return img
}

// checkAgainstStdlib compares every pixel with image/color's conversion.
func checkAgainstStdlib(t *testing.T, name string, dst *image.RGBA, src *image.YCbCr) {
	t.Helper()
	r := src.Rect
	if dst.Rect != image.Rect(0, 0, r.Dx(), r.Dy()) {
		t.Fatalf("%s: dst %v for src %v", name, dst.Rect, r)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := src.YCbCrAt(x, y)
			wr, wg, wb := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
			got := dst.RGBAAt(x-r.Min.X, y-r.Min.Y)
			if got != (color.RGBA{wr, wg, wb, 255}) {
				t.Fatalf("%s: pixel (%d,%d) YCbCr %v: got %v, want %v", name, x, y, c, got, color.RGBA{wr, wg, wb, 255})
			}
		}
	}
}

func TestI420ToRGBAMatchesImageColor(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{640, 480}, {320, 240}, {1, 1}, {3, 5}, {17, 9}, {2, 2}} {
		src := randomYCbCr(rng, sz[0], sz[1], image.YCbCrSubsampleRatio420)
		checkAgainstStdlib(t, "whole", I420ToRGBA(nil, src), src)
	}
	// Sub-images with odd and even origins (a cropped picture shares its
	// parent's planes).
	src := randomYCbCr(rng, 64, 48, image.YCbCrSubsampleRatio420)
	for _, r := range []image.Rectangle{image.Rect(1, 1, 30, 20), image.Rect(2, 3, 63, 47), image.Rect(5, 0, 6, 1)} {
		sub := src.SubImage(r).(*image.YCbCr)
		checkAgainstStdlib(t, "sub "+r.String(), I420ToRGBA(nil, sub), sub)
	}
	// Other ratios take the general path.
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio444} {
		s := randomYCbCr(rng, 31, 17, ratio)
		checkAgainstStdlib(t, ratio.String(), I420ToRGBA(nil, s), s)
	}
	// Extremes of the range clamp the way image/color does.
	ext := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	copy(ext.Y, []byte{0, 255, 16, 235, 255, 0, 128, 128})
	copy(ext.Cb, []byte{0, 255})
	copy(ext.Cr, []byte{255, 0})
	checkAgainstStdlib(t, "extremes", I420ToRGBA(nil, ext), ext)
}

func TestI420ToRGBAReusesBuffer(t *testing.T) {
	src := randomYCbCr(rand.New(rand.NewPCG(3, 4)), 320, 240, image.YCbCrSubsampleRatio420)
	dst := I420ToRGBA(nil, src)
	if got := I420ToRGBA(dst, src); got != dst {
		t.Fatal("same size: a new image instead of the buffer given")
	}
	small := randomYCbCr(rand.New(rand.NewPCG(5, 6)), 160, 120, image.YCbCrSubsampleRatio420)
	if got := I420ToRGBA(dst, small); got == dst || got.Rect.Dx() != 160 {
		t.Fatalf("other size: got %v", got.Rect)
	}
	if n := testing.AllocsPerRun(20, func() { I420ToRGBA(dst, src) }); n != 0 {
		t.Fatalf("%v allocations per conversion, want 0", n)
	}
}

func TestI420ToRGBAMalformed(t *testing.T) {
	// Planes shorter than the rectangle claims: no panic, missing pixels
	// black.
	img := &image.YCbCr{Rect: image.Rect(0, 0, 8, 8), SubsampleRatio: image.YCbCrSubsampleRatio420,
		Y: make([]byte, 20), Cb: make([]byte, 3), Cr: make([]byte, 1), YStride: 8, CStride: 4}
	for _, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		for i := range p {
			p[i] = 128
		}
	}
	dst := I420ToRGBA(nil, img)
	if c := dst.RGBAAt(7, 7); c != (color.RGBA{0, 0, 0, 255}) {
		t.Fatalf("pixel outside the planes: %v, want black", c)
	}
	if c := dst.RGBAAt(0, 0); c != (color.RGBA{128, 128, 128, 255}) {
		t.Fatalf("pixel inside the planes: %v, want converted", c)
	}
	I420ToRGBA(nil, &image.YCbCr{SubsampleRatio: image.YCbCrSubsampleRatio420})
}

// BenchmarkI420ToRGBA640x480: the budget is 2 ms and no allocation per frame.
func BenchmarkI420ToRGBA640x480(b *testing.B) {
	src := randomYCbCr(rand.New(rand.NewPCG(7, 8)), 640, 480, image.YCbCrSubsampleRatio420)
	dst := I420ToRGBA(nil, src)
	b.SetBytes(int64(len(dst.Pix)))
	b.ReportAllocs()
	for b.Loop() {
		I420ToRGBA(dst, src)
	}
}

func BenchmarkI420ToRGBA320x240(b *testing.B) {
	src := randomYCbCr(rand.New(rand.NewPCG(7, 8)), 320, 240, image.YCbCrSubsampleRatio420)
	dst := I420ToRGBA(nil, src)
	b.ReportAllocs()
	for b.Loop() {
		I420ToRGBA(dst, src)
	}
}
