package video

import (
	"bytes"
	"errors"
	"image"
	"testing"
)

func TestYUYVToI420Exact(t *testing.T) {
	// 4×2: two rows of two pixel pairs, bytes Y0 U Y1 V.
	src := []byte{
		10, 100, 11, 200, 12, 101, 13, 201,
		20, 110, 21, 210, 22, 111, 23, 212,
	}
	img, err := YUYVToI420(nil, src, 4, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 || img.Rect != image.Rect(0, 0, 4, 2) {
		t.Fatalf("got %v %v", img.SubsampleRatio, img.Rect)
	}
	wantY := []byte{10, 11, 12, 13, 20, 21, 22, 23}
	wantCb := []byte{105, 106} // (100+110+1)/2, (101+111+1)/2
	wantCr := []byte{205, 207} // (200+210+1)/2, (201+212+1)/2 rounds half up
	if !bytes.Equal(img.Y, wantY) || !bytes.Equal(img.Cb, wantCb) || !bytes.Equal(img.Cr, wantCr) {
		t.Fatalf("Y %v Cb %v Cr %v", img.Y, img.Cb, img.Cr)
	}
}

func TestYUYVToI420OddHeightAndStride(t *testing.T) {
	// 2×3 with rows padded to 6 bytes; the last chroma row stands alone.
	src := []byte{
		1, 50, 2, 60, 0xee, 0xee,
		3, 52, 4, 62, 0xee, 0xee,
		5, 90, 6, 91, // the last row need not be padded
	}
	img, err := YUYVToI420(nil, src, 2, 3, 6)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img.Y, []byte{1, 2, 3, 4, 5, 6}) || !bytes.Equal(img.Cb, []byte{51, 90}) || !bytes.Equal(img.Cr, []byte{61, 91}) {
		t.Fatalf("Y %v Cb %v Cr %v", img.Y, img.Cb, img.Cr)
	}
}

func TestYUYVToI420Rejects(t *testing.T) {
	for _, tc := range []struct {
		name          string
		n, w, h, strd int
		want          error
	}{
		{"odd width", 3 * 2 * 2, 3, 2, 0, ErrBadSize},
		{"zero height", 8, 4, 0, 0, ErrBadSize},
		{"negative width", 8, -4, 1, 0, ErrBadSize},
		{"stride too small", 64, 4, 2, 6, ErrBadSize},
		{"one byte short", 4*2*2 - 1, 4, 2, 0, ErrShortFrame},
		{"empty", 0, 4, 2, 0, ErrShortFrame},
	} {
		if _, err := YUYVToI420(nil, make([]byte, tc.n), tc.w, tc.h, tc.strd); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestYUYVReusesDestination(t *testing.T) {
	src := sceneYUYV(64, 48)
	a, err := YUYVToI420(nil, src, 64, 48, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := YUYVToI420(a, src, 64, 48, 0)
	if a != b {
		t.Fatal("same-size destination was not reused")
	}
	c, _ := YUYVToI420(a, src[:32*24*2], 32, 24, 0)
	if c == a || c.Rect.Dx() != 32 {
		t.Fatalf("size change: got %v, same=%v", c.Rect, c == a)
	}
	if allocs := testing.AllocsPerRun(10, func() { YUYVToI420(a, src, 64, 48, 0) }); allocs != 0 {
		t.Fatalf("%v allocations per reused conversion", allocs)
	}
}

// TestYUYVFixture converts the recorded 320x240 frame and checks every
// sample against a per-pixel reading of the packed bytes.
func TestYUYVFixture(t *testing.T) {
	src := readFixture(t, fixYUYV)
	const w, h = 320, 240
	if len(src) != 2*w*h {
		t.Fatalf("fixture is %d bytes", len(src))
	}
	img, err := YUYVToI420(nil, src, w, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	for y := range h {
		for x := range w {
			if got, want := img.Y[y*w+x], src[2*(y*w+x)]; got != want {
				t.Fatalf("Y(%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
	for cy := range h / 2 {
		for cx := range w / 2 {
			o0, o1 := (2*cy*w+2*cx)*2, ((2*cy+1)*w+2*cx)*2
			wantCb := (int(src[o0+1]) + int(src[o1+1]) + 1) / 2
			wantCr := (int(src[o0+3]) + int(src[o1+3]) + 1) / 2
			if int(img.Cb[cy*160+cx]) != wantCb || int(img.Cr[cy*160+cx]) != wantCr {
				t.Fatalf("chroma(%d,%d) = %d,%d want %d,%d", cx, cy, img.Cb[cy*160+cx], img.Cr[cy*160+cx], wantCb, wantCr)
			}
		}
	}
	// And the picture is the scene it was made from.
	if p := psnr(t, img, referenceI420(sceneImage(w, h, image.YCbCrSubsampleRatio444))); p < 40 {
		t.Fatalf("PSNR vs scene %.1f dB", p)
	}
}
