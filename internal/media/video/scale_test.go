package video

import (
	"errors"
	"image"
	"testing"
)

// gridI420 fills a w×h I420 image with sample = f(x, y) per plane.
func gridI420(w, h int, fy, fc func(x, y int) uint8) *image.YCbCr {
	img := NewI420(w, h)
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = fy(x, y)
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			img.Cb[y*img.CStride+x] = fc(x, y)
			img.Cr[y*img.CStride+x] = 255 - fc(x, y)
		}
	}
	return img
}

func TestScaleHalvesWithBox(t *testing.T) {
	src := gridI420(8, 4, func(x, y int) uint8 { return uint8(10*x + y) }, func(x, y int) uint8 { return uint8(20*x + 3*y) })
	var s Scaler
	dst, err := s.Scale(nil, src, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Y(0,0) = mean(0, 10, 1, 11) = 5.5 → 6; Y(3,1) = mean(62,72,63,73) = 67.5 → 68.
	if dst.Y[0] != 6 || dst.Y[1*dst.YStride+3] != 68 {
		t.Fatalf("Y %v", dst.Y)
	}
	// Cb(1,0) of a 4×2 chroma grid: mean(40, 60, 43, 63) = 51.5 → 52.
	if dst.Cb[1] != 52 || dst.Cr[1] != 255-51 {
		t.Fatalf("Cb %v Cr %v", dst.Cb, dst.Cr)
	}
}

func TestScaleCropsCentre(t *testing.T) {
	// 16:9 640x360 to 4:3 320x240: crop 480x360 from x=80, then nearest.
	src := gridI420(640, 360, func(x, y int) uint8 { return uint8(x / 4) }, func(x, y int) uint8 { return uint8(y) })
	var s Scaler
	dst, err := s.Scale(nil, src, 320, 240)
	if err != nil {
		t.Fatal(err)
	}
	if s.cropX != 80 || s.cropW != 480 || s.cropY != 0 || s.cropH != 360 {
		t.Fatalf("crop x=%d w=%d y=%d h=%d", s.cropX, s.cropW, s.cropY, s.cropH)
	}
	// Column 0 samples source x = 80 + 0 (centre of the first 1.5 pixels).
	if dst.Y[0] != 80/4 || dst.Y[319] != uint8((80+479)/4) {
		t.Fatalf("edges %d %d", dst.Y[0], dst.Y[319])
	}
	// Identity: same size is a copy, and the destination is reused.
	same, err := s.Scale(nil, dst, 320, 240)
	if err != nil || psnr(t, same, dst) < 1000 {
		t.Fatalf("identity err=%v", err)
	}
	again, _ := s.Scale(same, dst, 320, 240)
	if again != same {
		t.Fatal("destination not reused")
	}
	if allocs := testing.AllocsPerRun(5, func() { s.Scale(same, src, 320, 240) }); allocs != 0 {
		t.Fatalf("%v allocs per scale", allocs)
	}
}

func TestConverterScalesMJPEG(t *testing.T) {
	c, err := NewConverter(FormatMJPEG, Size{640, 480}, Size{320, 240})
	if err != nil {
		t.Fatal(err)
	}
	img, err := c.Convert(readFixture(t, fixMJPEGNoDHT))
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect != image.Rect(0, 0, 320, 240) {
		t.Fatalf("rect %v", img.Rect)
	}
	// Against the full frame halved by hand.
	var d MJPEGDecoder
	full, err := d.Decode(nil, readFixture(t, fixMJPEG))
	if err != nil {
		t.Fatal(err)
	}
	want := NewI420(320, 240)
	half := func(dst, src []byte, ds, ss, w, h int) {
		for y := range h {
			for x := range w {
				sum := int(src[2*y*ss+2*x]) + int(src[2*y*ss+2*x+1]) + int(src[(2*y+1)*ss+2*x]) + int(src[(2*y+1)*ss+2*x+1])
				dst[y*ds+x] = uint8((sum + 2) / 4)
			}
		}
	}
	half(want.Y, full.Y, want.YStride, full.YStride, 320, 240)
	half(want.Cb, full.Cb, want.CStride, full.CStride, 160, 120)
	half(want.Cr, full.Cr, want.CStride, full.CStride, 160, 120)
	if p := psnr(t, img, want); p < 1000 {
		t.Fatalf("PSNR vs hand-halved frame %.1f dB", p)
	}
	if _, err := NewConverter(h264, Size{640, 480}, Size{}); err == nil {
		t.Fatal("H264 converter made")
	}
}

func TestConverterYUYVSizes(t *testing.T) {
	c, err := NewConverter(FormatYUYV, Size{320, 240}, Size{})
	if err != nil {
		t.Fatal(err)
	}
	frame := sceneYUYV(320, 240)
	want, _ := YUYVToI420(nil, frame, 320, 240, 0)
	// Rows padded to 704 bytes: the stride is recognised.
	padded := make([]byte, 0, 704*240)
	for y := range 240 {
		padded = append(padded, frame[y*640:(y+1)*640]...)
		padded = append(padded, make([]byte, 64)...)
	}
	for name, raw := range map[string][]byte{"exact": frame, "padded": padded} {
		img, err := c.Convert(raw)
		if err != nil || psnr(t, img, want) < 1000 {
			t.Fatalf("%s: err %v", name, err)
		}
	}
	// A 640x480 frame (the driver picked another size) and a torn frame
	// are refused, not misread.
	for name, raw := range map[string][]byte{"640x480": sceneYUYV(640, 480), "torn": frame[:len(frame)-100], "long": append(frame, 1, 2)} {
		if _, err := c.Convert(raw); !errors.Is(err, ErrBadSize) && !errors.Is(err, ErrShortFrame) {
			t.Fatalf("%s: err %v", name, err)
		}
	}
}
