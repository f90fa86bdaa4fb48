package pipeline

import (
	"image"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/synth"
)

// videoRig drives a VideoSender from the synthetic pattern on an explicit
// clock and hands its packets to the test.
type videoRig struct {
	t     *testing.T
	vs    *VideoSender
	pat   *synth.Pattern
	img   *image.YCbCr
	n     uint32
	fps   int
	sent  []VideoPacket // payloads copied
	noise *rand.Rand    // when set, sensor-like noise is added to luma
}

func newVideoRig(t *testing.T, enc codec.VP8EncoderConfig, minKey time.Duration) *videoRig {
	t.Helper()
	r := &videoRig{t: t, fps: enc.FrameRate}
	vs, err := NewVideoSender(VideoSenderConfig{Epoch: t0, Encoder: enc, MinKeyframeInterval: minKey, Send: func(p VideoPacket) {
		p.Payload = append([]byte(nil), p.Payload...)
		r.sent = append(r.sent, p)
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { vs.Close() })
	r.vs = vs
	if r.pat, err = synth.NewPattern(enc.Width, enc.Height); err != nil {
		t.Fatal(err)
	}
	return r
}

// now is the capture time of the next frame.
func (r *videoRig) now() time.Time {
	return t0.Add(time.Duration(r.n) * time.Second / time.Duration(r.fps))
}

// step captures and encodes one frame and returns its packet (the zero
// packet when rate control dropped it).
func (r *videoRig) step() (VideoPacket, bool) {
	now := r.now()
	r.img = r.pat.Render(r.img, r.n, synth.StampTime(now, t0))
	if r.noise != nil {
		addNoise(r.img, r.noise)
	}
	k := len(r.sent)
	if err := r.vs.Encode(r.img, now); err != nil {
		r.t.Fatal(err)
	}
	r.n++
	if len(r.sent) == k {
		return VideoPacket{}, false
	}
	return r.sent[k], true
}

// TestTemporalLayersBaseOnly: a receiver given only the base layer (or the
// two lower layers) of a three-layer stream decodes every frame it gets,
// shows a quarter (half) of the frame rate and never asks for a keyframe.
func TestTemporalLayersBaseOnly(t *testing.T) {
	rig := newVideoRig(t, codec.VP8EncoderConfig{Width: 320, Height: 240, FrameRate: 15, Bitrate: 300_000, TemporalLayers: 3}, 0)
	var recv [3]*VideoReceiver
	var requests [3]int
	for i := range recv {
		r, err := NewVideoReceiver(VideoReceiverConfig{RequestKeyframe: func() { requests[i]++ }})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		recv[i] = r
	}
	var shown [3][]uint32
	const frames = 140 // under the 150-frame keyframe interval
	for range frames {
		p, ok := rig.step()
		if !ok {
			t.Fatal("rate control dropped a frame")
		}
		now := rig.now() // decoded just before the next capture
		for i, r := range recv {
			if int(p.Layer) > i {
				continue // this receiver's path carries layers 0..i
			}
			if err := r.Push(p, now); err != nil {
				t.Fatal(err)
			}
			pic, ts, ok := r.Due(now)
			if !ok {
				t.Fatalf("receiver of layers 0..%d: decoded frame %v not shown", i, p.Timestamp)
			}
			n, _, ok := synth.ReadStamp(pic)
			if !ok || ts != p.Timestamp {
				t.Fatalf("receiver %d: stamp unreadable or ts %v != %v", i, ts, p.Timestamp)
			}
			if psnr, err := codec.PSNRY(pic, rig.pat.Render(nil, n, synth.StampTime(t0.Add(ts), t0))); err != nil || psnr < 30 {
				t.Errorf("receiver %d frame %d: PSNR-Y %.1f dB (%v)", i, n, psnr, err)
			}
			shown[i] = append(shown[i], n)
		}
	}
	// The pattern is L0 L2 L1 L2 from the keyframe at frame 0.
	for i, want := range []int{frames / 4, frames / 2, frames} {
		st := recv[i].Stats()
		if len(shown[i]) != want || requests[i] != 0 || st.KeyframeRequests != 0 || st.Skipped != 0 || st.DecodeErrors != 0 {
			t.Errorf("layers 0..%d: shown %d frames (want %d), %d requests, stats %+v", i, len(shown[i]), want, requests[i], st)
		}
		step := uint32(4 >> i)
		for k, n := range shown[i] {
			if n != uint32(k)*step {
				t.Errorf("layers 0..%d: shown frame %d is number %d, want %d", i, k, n, uint32(k)*step)
				break
			}
		}
	}
	t.Logf("shown: base %d, base+1 %d, all %d of %d frames", len(shown[0]), len(shown[1]), len(shown[2]), frames)
}

// TestVideoBitrateChangeWithoutKeyframe: halving the bitrate at run time
// halves the bytes sent within a second, with no keyframe and no trouble
// at a receiver.
func TestVideoBitrateChangeWithoutKeyframe(t *testing.T) {
	rig := newVideoRig(t, codec.VP8EncoderConfig{Width: 320, Height: 240, FrameRate: 15, Bitrate: 300_000, TemporalLayers: 2}, 0)
	rig.noise = rand.New(rand.NewPCG(3, 4)) // without it the pattern needs less than 150 kbit/s
	r, err := NewVideoReceiver(VideoReceiverConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var bytes [8]int // per second
	for s := range 8 {
		if s == 4 {
			if err := rig.vs.SetBitrate(150_000); err != nil {
				t.Fatal(err)
			}
		}
		for range 15 {
			p, ok := rig.step()
			if !ok {
				continue
			}
			if p.Keyframe && rig.n > 1 {
				t.Errorf("keyframe at frame %d", rig.n-1)
			}
			bytes[s] += len(p.Payload)
			if err := r.Push(p, rig.now()); err != nil {
				t.Fatal(err)
			}
			r.Due(rig.now())
		}
	}
	before := float64(bytes[1]+bytes[2]+bytes[3]) * 8 / 3
	after := float64(bytes[5]+bytes[6]+bytes[7]) * 8 / 3
	st, rs := rig.vs.Stats(), r.Stats()
	t.Logf("bytes per second: %v; bit/s before %.0f after %.0f; sender %+v", bytes, before, after, st)
	if before < 225_000 || before > 375_000 || after < 112_000 || after > 188_000 {
		t.Errorf("rate %.0f bit/s at 300k, %.0f at 150k", before, after)
	}
	if st.Keyframes != 1 || st.Bitrate != 150_000 {
		t.Errorf("sender %+v", st)
	}
	if rs.KeyframeRequests != 0 || rs.DecodeErrors != 0 || rs.Display.Shown != 120 {
		t.Errorf("receiver %+v", rs)
	}
}

// TestKeyframeRequestInterval: the sender grants a request at once, defers
// one inside the minimum interval to the first frame after it, and the
// receiver repeats its request no more often than its own interval while
// it cannot decode.
func TestKeyframeRequestInterval(t *testing.T) {
	rig := newVideoRig(t, codec.VP8EncoderConfig{Width: 160, Height: 120, FrameRate: 10, Bitrate: 100_000}, 500*time.Millisecond)
	for range 3 { // keyframe at frame 0
		rig.step()
	}
	if rig.vs.RequestKeyframe(rig.now()) {
		t.Error("request 300 ms after the first keyframe granted at once")
	}
	for range 20 {
		switch rig.n {
		case 11:
			if !rig.vs.RequestKeyframe(rig.now()) {
				t.Error("request 600 ms after the last keyframe not granted")
			}
		case 13:
			if rig.vs.RequestKeyframe(rig.now()) {
				t.Error("request 200 ms after a forced keyframe granted at once")
			}
		}
		rig.step()
	}
	var keys []uint32
	for i, p := range rig.sent {
		if p.Keyframe {
			keys = append(keys, uint32(i))
		}
	}
	// Frame 0: first keyframe. The request at 300 ms waits for frame 5
	// (500 ms); the one at 1100 ms is granted at frame 11; the one at
	// 1300 ms waits for frame 16 (1600 ms).
	want := []uint32{0, 5, 11, 16}
	if !slices.Equal(keys, want) {
		t.Errorf("keyframes at frames %v, want %v", keys, want)
	}
	st := rig.vs.Stats()
	if st.Requests != 3 || st.Deferred != 2 || st.Forced != 3 || st.Keyframes != 4 {
		t.Errorf("sender %+v", st)
	}

	// A receiver that joins without a keyframe and gets no answer asks
	// every 300 ms, once per interval.
	var asked []time.Time
	var now time.Time
	r, err := NewVideoReceiver(VideoReceiverConfig{RequestKeyframe: func() { asked = append(asked, now) }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, p := range rig.sent[1:5] { // inter frames only
		if p.Keyframe {
			t.Fatal("keyframe among the inter frames")
		}
		for k := range 5 {
			now = t0.Add(time.Duration(i*5+k) * 100 * time.Millisecond)
			if err := r.Push(p, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Pushes every 100 ms for 2 s: requests at 0, 300, ..., 1800 ms.
	if len(asked) != 7 {
		t.Errorf("%d requests over 2 s: %v", len(asked), asked)
	}
	for i := 1; i < len(asked); i++ {
		if d := asked[i].Sub(asked[i-1]); d != 300*time.Millisecond {
			t.Errorf("requests %v apart", d)
		}
	}
	if st := r.Stats(); st.Skipped != 20 || st.Decoded != 0 || st.KeyframeRequests != 7 || st.Suppressed != 13 {
		t.Errorf("receiver %+v", st)
	}
}

// addNoise adds a camera's sensor noise (±3 levels, below the stamp band so
// that stamps stay exact) to the luma plane, so that the encoder needs its
// whole budget as it does with a real camera.
func addNoise(img *image.YCbCr, rng *rand.Rand) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := synth.StampHeight(w) + 12; y < h; y++ {
		row := img.Y[y*img.YStride : y*img.YStride+w]
		for x := range row {
			v := int(row[x]) + rng.IntN(7) - 3
			row[x] = uint8(min(max(v, 0), 255))
		}
	}
}

// TestVideoSenderFromCamera: VideoSender.Deliver is the camera's callback;
// in a synctest bubble the synthetic camera runs on virtual time and every
// picture becomes a packet stamped with its capture time.
func TestVideoSenderFromCamera(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		epoch := time.Now()
		var pkts []VideoPacket
		vs, err := NewVideoSender(VideoSenderConfig{Epoch: epoch, Encoder: codec.VP8EncoderConfig{Width: 160, Height: 120, FrameRate: 10, Bitrate: 100_000},
			Send: func(p VideoPacket) {
				p.Payload = nil
				pkts = append(pkts, p)
			}})
		if err != nil {
			t.Fatal(err)
		}
		defer vs.Close()
		cam, err := synth.NewCamera(synth.CameraConfig{Width: 160, Height: 120, FPS: 10, Epoch: epoch})
		if err != nil {
			t.Fatal(err)
		}
		if err := cam.Start(vs.Deliver); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second - time.Millisecond)
		cam.Close()
		if len(pkts) != 10 || vs.LastError() != nil {
			t.Fatalf("%d packets from 1 s of camera (last error %v)", len(pkts), vs.LastError())
		}
		for i, p := range pkts {
			if want := time.Duration(i) * 100 * time.Millisecond; p.Timestamp != want || p.Keyframe != (i == 0) {
				t.Errorf("packet %d: ts %v keyframe %v, want ts %v", i, p.Timestamp, p.Keyframe, want)
			}
		}
	})
}
