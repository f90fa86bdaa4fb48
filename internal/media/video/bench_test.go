package video

import (
	"image"
	"testing"
)

func BenchmarkYUYVToI420_640x480(b *testing.B) {
	src := sceneYUYV(640, 480)
	dst := NewI420(640, 480)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := YUYVToI420(dst, src, 640, 480, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func benchMJPEG(b *testing.B, name string) {
	src := readFixture(b, name)
	var d MJPEGDecoder
	var dst *image.YCbCr
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = d.Decode(dst, src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMJPEGToI420_640x480(b *testing.B)      { benchMJPEG(b, fixMJPEG) }
func BenchmarkMJPEGToI420_640x480NoDHT(b *testing.B) { benchMJPEG(b, fixMJPEGNoDHT) }

func BenchmarkScale_640x480to320x240(b *testing.B) {
	src := sceneImage(640, 480, image.YCbCrSubsampleRatio420)
	dst := NewI420(320, 240)
	var s Scaler
	b.ReportAllocs()
	for b.Loop() {
		s.Scale(dst, src, 320, 240)
	}
}

func BenchmarkScale_640x360to320x240(b *testing.B) {
	src := sceneImage(640, 360, image.YCbCrSubsampleRatio420)
	dst := NewI420(320, 240)
	var s Scaler
	b.ReportAllocs()
	for b.Loop() {
		s.Scale(dst, src, 320, 240)
	}
}
