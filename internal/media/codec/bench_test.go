package codec

import (
	"fmt"
	"image"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. Benchmarks report it per
// frame next to wall time because the machines that run them are shared:
// wall time grows with other load, CPU time much less.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportPerFrame adds wall and CPU time per frame in the given unit.
func reportPerFrame(b *testing.B, cpuStart time.Duration, unit time.Duration, name string) {
	n := float64(b.N)
	b.ReportMetric(float64(b.Elapsed())/n/float64(unit), name+"/frame")
	b.ReportMetric(float64(cpuTime(b)-cpuStart)/n/float64(unit), "cpu-"+name+"/frame")
}

func BenchmarkOpusEncode(b *testing.B) {
	e, err := NewOpusEncoder(OpusEncoderConfig{Bitrate: 32_000, PacketLossPercent: 10})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	n := e.FrameSamples()
	in := speechLike(0, 50*n)
	buf := make([]byte, 0, OpusMaxPacket)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		f := i % 50
		if _, err := e.Encode(buf[:0], in[f*n:(f+1)*n]); err != nil {
			b.Fatal(err)
		}
	}
	reportPerFrame(b, cpu0, time.Microsecond, "µs")
}

func BenchmarkOpusDecode(b *testing.B) {
	e, err := NewOpusEncoder(OpusEncoderConfig{Bitrate: 32_000, PacketLossPercent: 10})
	if err != nil {
		b.Fatal(err)
	}
	n := e.FrameSamples()
	in := speechLike(0, 50*n)
	pkts := make([][]byte, 50)
	for f := range pkts {
		if pkts[f], err = e.Encode(nil, in[f*n:(f+1)*n]); err != nil {
			b.Fatal(err)
		}
	}
	e.Close()
	d, err := NewOpusDecoder()
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	pcm := make([]int16, n)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	for i := 0; b.Loop(); i++ {
		if _, err := d.Decode(pkts[i%50], pcm); err != nil {
			b.Fatal(err)
		}
	}
	reportPerFrame(b, cpu0, time.Microsecond, "µs")
}

var vp8BenchSizes = []struct {
	w, h, bitrate int
}{
	{320, 240, 300_000},
	{640, 480, 1_000_000},
}

func BenchmarkVP8Encode(b *testing.B) {
	for _, s := range vp8BenchSizes {
		b.Run(fmt.Sprintf("%dx%d/cpuused%d", s.w, s.h, DefaultVP8Speed), func(b *testing.B) {
			e, err := NewVP8Encoder(VP8EncoderConfig{Width: s.w, Height: s.h, FrameRate: 15, Bitrate: s.bitrate})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			src := make([]*image.YCbCr, 30)
			for i := range src {
				src[i] = movingPattern(s.w, s.h, i)
			}
			buf := make([]byte, 0, 256<<10)
			bytes := 0
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			for i := 0; b.Loop(); i++ {
				f, err := e.Encode(buf[:0], src[i%len(src)])
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(f.Data)
			}
			reportPerFrame(b, cpu0, time.Millisecond, "ms")
			b.ReportMetric(float64(bytes)/float64(b.N), "B/frame")
		})
	}
}

func BenchmarkVP8Decode(b *testing.B) {
	for _, s := range vp8BenchSizes {
		b.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(b *testing.B) {
			e, err := NewVP8Encoder(VP8EncoderConfig{Width: s.w, Height: s.h, FrameRate: 15, Bitrate: s.bitrate})
			if err != nil {
				b.Fatal(err)
			}
			// Frame 0 is the only keyframe, so looping back to it restarts
			// the reference chain cleanly.
			frames := make([][]byte, 60)
			total := 0
			for i := range frames {
				f, err := e.Encode(nil, movingPattern(s.w, s.h, i))
				if err != nil {
					b.Fatal(err)
				}
				frames[i] = f.Data
				total += len(f.Data)
			}
			e.Close()
			d, err := NewVP8Decoder()
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			var img *image.YCbCr
			b.ReportAllocs()
			b.SetBytes(int64(total / len(frames)))
			cpu0 := cpuTime(b)
			for i := 0; b.Loop(); i++ {
				if img, err = d.Decode(frames[i%len(frames)], img); err != nil {
					b.Fatal(err)
				}
			}
			reportPerFrame(b, cpu0, time.Millisecond, "ms")
		})
	}
}
