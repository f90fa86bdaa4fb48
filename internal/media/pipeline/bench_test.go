package pipeline

import (
	"image"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/playout"
	"camchat/internal/media/synth"
)

// BenchmarkCall is the media budget of one peer in a five-person call: one
// send pipeline (10 ms microphone frames through echo cancellation into 20 ms
// Opus, 320x240 pictures at 15 fps into VP8 at 300 kbit/s with three temporal
// layers) and four receive pipelines (jitter buffer and Opus decoding mixed
// by the Playback, whose output feeds the echo canceller; VP8 decoding and
// lip-sync display at 50 Hz). One op is one second of media. The camera and
// microphone are prepared in advance (noisy pictures, so that the encoder
// spends its budget as with a real camera); the network is a direct hand-over.
//
// Metrics: cpu-%/core is process CPU time (getrusage, all threads) per
// media second as a percentage of one core; allocs/tick is heap allocations
// per 10 ms tick; video-bit/s is what the encoder produced.
func BenchmarkCall(b *testing.B) {
	const (
		fps     = 15
		peers   = 4
		pics    = 2 * fps
		rxDelay = 40 * time.Millisecond
	)
	frames := noisyFrames(b, pics)
	var err error
	mic, _ := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0})
	micPCM := make([]int16, 2*SampleRate)
	mic.Read(micPCM)

	var ars [peers]*AudioReceiver
	var vrs [peers]*VideoReceiver
	var now time.Time
	for i := range peers {
		if ars[i], err = NewAudioReceiver(AudioReceiverConfig{}); err != nil {
			b.Fatal(err)
		}
		defer ars[i].Close()
		if vrs[i], err = NewVideoReceiver(VideoReceiverConfig{Audio: ars[i]}); err != nil {
			b.Fatal(err)
		}
		defer vrs[i].Close()
	}
	as, err := NewAudioSender(AudioSenderConfig{Epoch: t0, PacketLossPercent: 5, Send: func(p AudioPacket) {
		for _, r := range ars {
			if err := r.Push(p, now.Add(rxDelay)); err != nil {
				b.Fatal(err)
			}
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer as.Close()
	var videoBytes int
	vs, err := NewVideoSender(VideoSenderConfig{Epoch: t0, Encoder: codec.VP8EncoderConfig{
		Width: 320, Height: 240, FrameRate: fps, Bitrate: 300_000, TemporalLayers: 3,
	}, Send: func(p VideoPacket) {
		videoBytes += len(p.Payload)
		for _, r := range vrs {
			if err := r.Push(p, now.Add(rxDelay)); err != nil {
				b.Fatal(err)
			}
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	defer vs.Close()
	pb, err := NewPlayback(PlaybackConfig{Echo: as})
	if err != nil {
		b.Fatal(err)
	}
	for i, r := range ars {
		pb.Attach(i, r)
	}

	out := make([]int16, FrameSamples)
	var tick, pic int64
	second := func() {
		for range 100 {
			now = t0.Add(time.Duration(tick) * FrameDuration)
			off := int(tick%200) * FrameSamples
			if err := as.Process(micPCM[off:off+FrameSamples], now); err != nil {
				b.Fatal(err)
			}
			if t0.Add(time.Duration(pic) * time.Second / fps).Before(now.Add(FrameDuration)) {
				if err := vs.Encode(frames[pic%pics], now); err != nil {
					b.Fatal(err)
				}
				pic++
			}
			at := now.Add(rxDelay + 30*time.Millisecond)
			if err := pb.ReadFrame(at, out); err != nil {
				b.Fatal(err)
			}
			if tick%2 == 0 {
				for _, r := range vrs {
					r.Due(at)
				}
			}
			tick++
		}
	}
	second() // warm up: buffers, pools, keyframe
	second()
	videoBytes = 0

	var ms0, ms1 runtime.MemStats
	var ru0, ru1 syscall.Rusage
	runtime.ReadMemStats(&ms0)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		second()
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	runtime.ReadMemStats(&ms1)
	cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
	b.ReportMetric(100*cpu.Seconds()/float64(b.N), "cpu-%/core")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N*100), "allocs/tick")
	b.ReportMetric(float64(videoBytes*8)/float64(b.N), "video-bit/s")
	for i, r := range vrs {
		if st := r.Stats(); st.Display.Shown == 0 || st.KeyframeRequests != 0 {
			b.Fatalf("receiver %d: %+v", i, st)
		}
		if st := ars[i].Stats(); st.Jitter.Decoded == 0 {
			b.Fatalf("audio receiver %d: %+v", i, st)
		}
	}
}

// BenchmarkAudioSender: one 10 ms microphone frame through echo
// cancellation (with a far-end reference) and, every second frame, Opus.
func BenchmarkAudioSender(b *testing.B) {
	mic, _ := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0})
	pcm := make([]int16, 2*SampleRate)
	mic.Read(pcm)
	bytes := 0
	as, err := NewAudioSender(AudioSenderConfig{Epoch: t0, PacketLossPercent: 5, Send: func(p AudioPacket) { bytes += len(p.Payload) }})
	if err != nil {
		b.Fatal(err)
	}
	defer as.Close()
	far := make([]int16, FrameSamples)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		off := (i % 200) * FrameSamples
		copy(far, pcm[(199-i%200)*FrameSamples:])
		as.FarEnd(far)
		if err := as.Process(pcm[off:off+FrameSamples], t0.Add(time.Duration(i)*FrameDuration)); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
	b.SetBytes(FrameSamples * 2)
}

// BenchmarkPlayback4: one 10 ms output tick of four remote streams (half a
// packet pushed into each jitter buffer, four pulls with Opus decoding
// every second tick, the mix and the echo reference).
func BenchmarkPlayback4(b *testing.B) {
	var pkts []AudioPacket
	as, _ := NewAudioSender(AudioSenderConfig{Epoch: t0, Send: func(p AudioPacket) {
		p.Payload = append([]byte(nil), p.Payload...)
		pkts = append(pkts, p)
	}})
	mic, _ := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0})
	buf := make([]int16, FrameSamples)
	for i := range 400 {
		mic.Read(buf)
		as.Process(buf, t0.Add(time.Duration(i)*FrameDuration))
	}
	as.Close()
	ref, _ := NewAudioSender(AudioSenderConfig{Epoch: t0, Send: func(AudioPacket) {}})
	defer ref.Close()
	pb, _ := NewPlayback(PlaybackConfig{Echo: ref})
	var ars [4]*AudioReceiver
	for i := range ars {
		ars[i], _ = NewAudioReceiver(AudioReceiverConfig{})
		defer ars[i].Close()
		pb.Attach(i, ars[i])
	}
	out := make([]int16, FrameSamples)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		now := t0.Add(time.Duration(i) * FrameDuration)
		if i%2 == 0 {
			p := pkts[(i/2)%len(pkts)]
			p.Seq = playout.SeqNum(i / 2)
			p.Timestamp = time.Duration(i/2) * PacketDuration
			for _, r := range ars {
				r.Push(p, now)
			}
		}
		if err := pb.ReadFrame(now.Add(40*time.Millisecond), out); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
	if st := ars[0].Stats(); st.Decoded == 0 && b.N > 100 {
		b.Fatalf("nothing decoded: %+v", st)
	}
}

// BenchmarkVideoSender: one noisy 320x240 picture into VP8 at 300 kbit/s
// with three temporal layers.
func BenchmarkVideoSender(b *testing.B) {
	frames := noisyFrames(b, 30)
	bytes := 0
	vs, err := NewVideoSender(VideoSenderConfig{Epoch: t0, Encoder: codec.VP8EncoderConfig{Width: 320, Height: 240, FrameRate: 15, Bitrate: 300_000, TemporalLayers: 3},
		Send: func(p VideoPacket) { bytes += len(p.Payload) }})
	if err != nil {
		b.Fatal(err)
	}
	defer vs.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		if err := vs.Encode(frames[i%len(frames)], t0.Add(time.Duration(i)*time.Second/15)); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
	b.ReportMetric(float64(bytes*8*15)/float64(b.N), "bit/s")
}

// BenchmarkVideoReceiver: one 320x240 VP8 frame decoded, scheduled and
// shown.
func BenchmarkVideoReceiver(b *testing.B) {
	frames := noisyFrames(b, 30)
	var pkts []VideoPacket
	vs, _ := NewVideoSender(VideoSenderConfig{Epoch: t0, Encoder: codec.VP8EncoderConfig{Width: 320, Height: 240, FrameRate: 15, Bitrate: 300_000, TemporalLayers: 3, KeyframeInterval: 1000},
		Send: func(p VideoPacket) {
			p.Payload = append([]byte(nil), p.Payload...)
			pkts = append(pkts, p)
		}})
	for i := range 300 {
		vs.Encode(frames[i%len(frames)], t0.Add(time.Duration(i)*time.Second/15))
	}
	vs.Close()
	var vr *VideoReceiver
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		k := i % len(pkts)
		if k == 0 {
			b.StopTimer()
			if vr != nil {
				vr.Close()
			}
			vr, _ = NewVideoReceiver(VideoReceiverConfig{})
			b.StartTimer()
		}
		now := t0.Add(time.Duration(i) * time.Second / 15)
		vr.Push(pkts[k], now)
		if _, _, ok := vr.Due(now); !ok {
			b.Fatalf("frame %d not shown", k)
		}
	}
	reportCPU(b, cpu0)
	vr.Close()
}

func noisyFrames(b *testing.B, n int) []*image.YCbCr {
	pat, err := synth.NewPattern(320, 240)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	out := make([]*image.YCbCr, n)
	for i := range out {
		out[i] = pat.Render(nil, uint32(i), 0)
		addNoise(out[i], rng)
	}
	return out
}

// cpuTime is the process's CPU time so far (user and system, all threads).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU time per op since start: unlike ns/op it does not
// grow when other processes take the machine's cores.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}
