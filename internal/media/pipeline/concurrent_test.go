package pipeline

import (
	"sync"
	"testing"
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/synth"
)

// TestConcurrentUse runs each pipeline call on the goroutine a call would
// make it from (capture, network, audio output, display, control) at once;
// run with -race it checks the locking, and the counts check that nothing
// was lost between goroutines.
func TestConcurrentUse(t *testing.T) {
	const frames = 200 // 10 ms microphone frames; 2 s
	audioPkts := make(chan AudioPacket, frames)
	videoPkts := make(chan VideoPacket, frames)
	as, err := NewAudioSender(AudioSenderConfig{Epoch: t0, Send: func(p AudioPacket) {
		p.Payload = append([]byte(nil), p.Payload...)
		audioPkts <- p
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	vs, err := NewVideoSender(VideoSenderConfig{Epoch: t0, Encoder: codec.VP8EncoderConfig{Width: 160, Height: 120, FrameRate: 10, Bitrate: 100_000, TemporalLayers: 2},
		Send: func(p VideoPacket) {
			p.Payload = append([]byte(nil), p.Payload...)
			videoPkts <- p
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer vs.Close()
	ar, _ := NewAudioReceiver(AudioReceiverConfig{})
	defer ar.Close()
	vr, _ := NewVideoReceiver(VideoReceiverConfig{Audio: ar, RequestKeyframe: func() { vs.RequestKeyframe(t0) }})
	defer vr.Close()
	pb, _ := NewPlayback(PlaybackConfig{Echo: as})
	pb.Attach(0, ar)

	var wg sync.WaitGroup
	wg.Go(func() { // capture
		mic, _ := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0})
		pat, _ := synth.NewPattern(160, 120)
		buf := make([]int16, FrameSamples)
		for i := range frames {
			at := t0.Add(time.Duration(i) * FrameDuration)
			mic.Read(buf)
			if err := as.Process(buf, at); err != nil {
				t.Error(err)
			}
			if i%10 == 0 {
				if err := vs.Encode(pat.Render(nil, uint32(i/10), 0), at); err != nil {
					t.Error(err)
				}
			}
		}
		close(audioPkts)
		close(videoPkts)
	})
	wg.Go(func() { // network
		a, v := audioPkts, videoPkts
		for a != nil || v != nil {
			select {
			case p, ok := <-a:
				if !ok {
					a = nil
					continue
				}
				ar.Push(p, t0.Add(p.Timestamp+40*time.Millisecond))
			case p, ok := <-v:
				if !ok {
					v = nil
					continue
				}
				vr.Push(p, t0.Add(p.Timestamp+40*time.Millisecond))
			}
		}
	})
	wg.Go(func() { // audio output
		out := make([]int16, FrameSamples)
		for i := range frames {
			pb.ReadFrame(t0.Add(time.Duration(i)*FrameDuration), out)
			pb.Levels()
		}
	})
	wg.Go(func() { // display
		for i := range frames {
			vr.Due(t0.Add(time.Duration(i) * FrameDuration))
		}
	})
	wg.Go(func() { // control
		for i := range 50 {
			as.SetBitrate(MinAudioBitrate + i%2*8000)
			vs.SetBitrate(80_000 + i%2*20_000)
			vs.RequestKeyframe(t0.Add(time.Duration(i) * 40 * time.Millisecond))
			as.Stats()
			vs.Stats()
			ar.Stats()
			vr.Stats()
		}
	})
	wg.Wait()
	if st := as.Stats(); st.Packets != frames/2 || st.FarFrames != frames {
		t.Errorf("audio sender %+v", st)
	}
	if st := ar.Stats(); st.Jitter.Received != frames/2 {
		t.Errorf("audio receiver %+v", st)
	}
	if st := vr.Stats(); st.Received != frames/10 {
		t.Errorf("video receiver %+v", st)
	}
}
