package synth

import (
	"testing"
	"time"
)

func benchRender(b *testing.B, w, h int) {
	p, err := NewPattern(w, h)
	if err != nil {
		b.Fatal(err)
	}
	img := p.Render(nil, 0, 0)
	b.SetBytes(int64(len(img.Y) + len(img.Cb) + len(img.Cr)))
	b.ReportAllocs()
	var n uint32
	for b.Loop() {
		img = p.Render(img, n, time.Duration(n)*33*time.Millisecond)
		n++
	}
}

func BenchmarkRender_320x240(b *testing.B) { benchRender(b, 320, 240) }
func BenchmarkRender_640x480(b *testing.B) { benchRender(b, 640, 480) }

func BenchmarkReadStamp_320x240(b *testing.B) {
	p, _ := NewPattern(320, 240)
	img := p.Render(nil, 12345, time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := ReadStamp(img); !ok {
			b.Fatal("unreadable")
		}
	}
}

func BenchmarkMicRead_20ms(b *testing.B) {
	m, _ := NewMic(MicConfig{Start: time.Unix(0, 0)})
	buf := make([]int16, SampleRate/50)
	b.SetBytes(int64(2 * len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		m.Read(buf)
	}
}
