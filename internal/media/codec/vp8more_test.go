package codec

import (
	"sync"
	"testing"
)

// TestVP8FeedbackFromOtherGoroutine drives SetBitrate and RequestKeyframe
// from a second goroutine while frames are encoded, as the network side
// does; run with -race it also proves the hand-off is race-free.
func TestVP8FeedbackFromOtherGoroutine(t *testing.T) {
	e := newTestEncoder(t, VP8EncoderConfig{Width: 64, Height: 48, FrameRate: 15, Bitrate: 200_000, TemporalLayers: 3})
	buf := make([]byte, 0, 64<<10)
	// The stream's first keyframe comes before the feedback starts, so the
	// request below must produce exactly one more.
	if f, err := e.Encode(buf[:0], movingPattern(64, 48, 0)); err != nil || !f.Keyframe {
		t.Fatalf("first frame: keyframe %v, %v", f.Keyframe, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 50 {
			if err := e.SetBitrate(100_000 + i*1000); err != nil {
				t.Error(err)
			}
		}
		e.RequestKeyframe()
	}()
	keys := 0
	for i := 1; i <= 20; i++ {
		f, err := e.Encode(buf[:0], movingPattern(64, 48, i))
		if err != nil {
			t.Fatal(err)
		}
		if f.Keyframe {
			keys++
		}
	}
	wg.Wait()
	f, err := e.Encode(buf[:0], movingPattern(64, 48, 21))
	if err != nil {
		t.Fatal(err)
	}
	if f.Keyframe {
		keys++
	}
	if keys != 1 {
		t.Errorf("%d requested keyframes produced, want exactly 1", keys)
	}
	if got := e.Bitrate(); got != 149_000 {
		t.Errorf("Bitrate() = %d, want the last value set, 149000", got)
	}
}

// TestVP8FrameDrop lets rate control skip frames after a steep bitrate cut
// and checks that skipped frames are reported and the layer pattern keeps
// its place.
func TestVP8FrameDrop(t *testing.T) {
	e := newTestEncoder(t, VP8EncoderConfig{Width: testW, Height: testH, FrameRate: testFPS,
		Bitrate: 2_000_000, TemporalLayers: 2, FrameDropThreshold: 30})
	dropped := 0
	for i := range 60 {
		if i == 10 {
			if err := e.SetBitrate(MinVP8Bitrate); err != nil {
				t.Fatal(err)
			}
		}
		f, err := e.Encode(nil, movingPattern(testW, testH, i))
		if err != nil {
			t.Fatal(err)
		}
		if f.Dropped {
			dropped++
			if len(f.Data) != 0 {
				t.Errorf("frame %d dropped but has %d bytes", i, len(f.Data))
			}
			continue
		}
		if want := TemporalLayerID(i % 2); f.TemporalLayer != want {
			t.Errorf("frame %d: layer %d, want %d", i, f.TemporalLayer, want)
		}
	}
	t.Logf("%d of 60 frames dropped after a cut from 2000 to %d kbit/s", dropped, MinVP8Bitrate/1000)
	if dropped == 0 {
		t.Error("no frame dropped")
	}
}
