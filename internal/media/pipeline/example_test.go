package pipeline_test

import (
	"fmt"
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/pipeline"
	"camchat/internal/media/synth"
)

// Example wires one peer's microphone and camera to another peer's speaker
// and screen over a perfect 40 ms network, on an explicit clock: the shape
// of what a call does per remote peer.
func Example() {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const delay = 40 * time.Millisecond
	var now time.Time

	// Receiving side: audio first, since video syncs to its clock.
	ar, _ := pipeline.NewAudioReceiver(pipeline.AudioReceiverConfig{OutputLatency: 20 * time.Millisecond})
	defer ar.Close()
	requests := 0
	vr, _ := pipeline.NewVideoReceiver(pipeline.VideoReceiverConfig{Audio: ar, RequestKeyframe: func() { requests++ }})
	defer vr.Close()
	pb, _ := pipeline.NewPlayback(pipeline.PlaybackConfig{}) // Echo: the local AudioSender
	pb.Attach(0, ar)

	// Sending side: both senders share the media clock's epoch.
	as, _ := pipeline.NewAudioSender(pipeline.AudioSenderConfig{Epoch: start, Send: func(p pipeline.AudioPacket) {
		ar.Push(p, now.Add(delay)) // stands in for the network
	}})
	defer as.Close()
	vs, _ := pipeline.NewVideoSender(pipeline.VideoSenderConfig{Epoch: start,
		Encoder: codec.VP8EncoderConfig{Width: 320, Height: 240, FrameRate: 15, Bitrate: 300_000, TemporalLayers: 3},
		Send: func(p pipeline.VideoPacket) {
			vr.Push(p, now.Add(delay))
		}})
	defer vs.Close()

	mic, _ := synth.NewMic(synth.MicConfig{Start: start, Epoch: start})
	pat, _ := synth.NewPattern(320, 240)
	pcm := make([]int16, pipeline.FrameSamples)
	out := make([]int16, pipeline.FrameSamples)
	var heard []int16
	shown := 0
	var frame uint32
	for tick := range 200 { // 2 s in 10 ms device periods
		now = start.Add(time.Duration(tick) * pipeline.FrameDuration)
		mic.Read(pcm)
		as.Process(pcm, now)
		if at := start.Add(time.Duration(frame) * time.Second / 15); !at.After(now) { // 15 fps
			vs.Encode(pat.Render(nil, frame, synth.StampTime(at, start)), at)
			frame++
		}
		// Packets sent now are pushed with their arrival time; play and
		// show a network delay later.
		pb.ReadFrame(now.Add(delay), out)
		heard = append(heard, out...)
		if _, _, ok := vr.Due(now.Add(delay)); ok {
			shown++
		}
	}
	fmt.Println("clicks heard:", len(synth.FindClicks(heard, 0)))
	fmt.Println("frames shown:", shown >= 28, "keyframe requests:", requests)
	// Output:
	// clicks heard: 4
	// frames shown: true keyframe requests: 0
}
