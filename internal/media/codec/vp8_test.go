package codec

import (
	"errors"
	"image"
	"testing"
)

const (
	testW, testH = 320, 240
	testFPS      = 15
)

type encodedFrame struct {
	VP8Frame
	src *image.YCbCr
}

func newTestEncoder(t testing.TB, cfg VP8EncoderConfig) *VP8Encoder {
	t.Helper()
	e, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func newTestDecoder(t testing.TB) *VP8Decoder {
	t.Helper()
	d, err := NewVP8Decoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// encodeFrames encodes frames first..first+n-1 of the moving pattern; before
// frame k it calls hook(k) when hook is not nil.
func encodeFrames(t testing.TB, e *VP8Encoder, first, n int, hook func(int)) []encodedFrame {
	t.Helper()
	cfg := e.Config()
	out := make([]encodedFrame, 0, n)
	for k := first; k < first+n; k++ {
		if hook != nil {
			hook(k)
		}
		src := movingPattern(cfg.Width, cfg.Height, k)
		f, err := e.Encode(nil, src)
		if err != nil {
			t.Fatalf("frame %d: %v", k, err)
		}
		if f.Dropped {
			t.Fatalf("frame %d dropped with frame dropping off", k)
		}
		out = append(out, encodedFrame{f, src})
	}
	return out
}

func kbitPerSecond(frames []encodedFrame, fps int) float64 {
	n := 0
	for _, f := range frames {
		n += len(f.Data)
	}
	return float64(n) * 8 * float64(fps) / float64(len(frames)) / 1000
}

// decodeAll decodes frames in order and returns the average PSNR-Y against
// their sources, failing on any decode error or corruption.
func decodeAll(t *testing.T, d *VP8Decoder, frames []encodedFrame) float64 {
	t.Helper()
	var img *image.YCbCr
	sum := 0.0
	for i, f := range frames {
		var err error
		img, err = d.Decode(f.Data, img)
		if err != nil {
			t.Fatalf("decode frame %d (layer %d, %d bytes): %v", i, f.TemporalLayer, len(f.Data), err)
		}
		p, err := PSNRY(f.src, img)
		if err != nil {
			t.Fatal(err)
		}
		sum += p
	}
	return sum / float64(len(frames))
}

func TestVP8EncodeDecodeQualityAndRate(t *testing.T) {
	const target = 300_000
	e := newTestEncoder(t, VP8EncoderConfig{Width: testW, Height: testH, FrameRate: testFPS, Bitrate: target})
	frames := encodeFrames(t, e, 0, 60, nil)
	for i, f := range frames {
		if f.Keyframe != (i == 0) {
			t.Errorf("frame %d keyframe = %v", i, f.Keyframe)
		}
		if IsVP8Keyframe(f.Data) != f.Keyframe {
			t.Errorf("frame %d: header keyframe bit disagrees with encoder", i)
		}
		if f.TemporalLayer != 0 {
			t.Errorf("frame %d: layer %d with one layer", i, f.TemporalLayer)
		}
	}
	psnr := decodeAll(t, newTestDecoder(t), frames)
	kbps := kbitPerSecond(frames, testFPS)
	t.Logf("320x240 @ %d fps, target %d kbit/s, speed %d: %.1f kbit/s, avg PSNR-Y %.2f dB, keyframe %d bytes",
		testFPS, target/1000, e.Config().Speed, kbps, psnr, len(frames[0].Data))
	if psnr < 30 {
		t.Errorf("average PSNR-Y %.2f dB < 30 dB", psnr)
	}
	if kbps < 0.75*target/1000 || kbps > 1.25*target/1000 {
		t.Errorf("bitrate %.1f kbit/s outside ±25%% of %d", kbps, target/1000)
	}
}

func TestVP8ForcedKeyframe(t *testing.T) {
	e := newTestEncoder(t, VP8EncoderConfig{Width: testW, Height: testH, FrameRate: testFPS, Bitrate: 300_000})
	const forced = 6
	frames := encodeFrames(t, e, 0, 12, func(k int) {
		if k == forced {
			e.RequestKeyframe()
		}
	})
	for i, f := range frames {
		if want := i == 0 || i == forced; f.Keyframe != want {
			t.Errorf("frame %d keyframe = %v, want %v", i, f.Keyframe, want)
		}
		if IsVP8Keyframe(f.Data) != f.Keyframe {
			t.Errorf("frame %d: header keyframe bit disagrees", i)
		}
	}
	// A decoder joining late refuses inter frames, then starts at the
	// forced keyframe.
	d := newTestDecoder(t)
	if _, err := d.Decode(frames[forced-1].Data, nil); !errors.Is(err, ErrNeedKeyframe) {
		t.Fatalf("inter frame first: err %v, want ErrNeedKeyframe", err)
	}
	psnr := decodeAll(t, d, frames[forced:])
	t.Logf("decoding from the forced keyframe: avg PSNR-Y %.2f dB", psnr)
	if psnr < 30 {
		t.Errorf("avg PSNR-Y from forced keyframe %.2f dB < 30", psnr)
	}
}

func TestVP8KeyframeInterval(t *testing.T) {
	e := newTestEncoder(t, VP8EncoderConfig{Width: 64, Height: 48, FrameRate: testFPS, Bitrate: 100_000, KeyframeInterval: 5})
	frames := encodeFrames(t, e, 0, 16, nil)
	for i, f := range frames {
		if want := i%5 == 0; f.Keyframe != want {
			t.Errorf("frame %d keyframe = %v, want %v", i, f.Keyframe, want)
		}
	}
}

func TestVP8TemporalLayers(t *testing.T) {
	for _, tc := range []struct {
		layers  int
		pattern []TemporalLayerID
	}{
		{2, []TemporalLayerID{0, 1}},
		{3, []TemporalLayerID{0, 2, 1, 2}},
	} {
		e := newTestEncoder(t, VP8EncoderConfig{Width: testW, Height: testH, FrameRate: 30, Bitrate: 500_000, TemporalLayers: tc.layers})
		const forced = 10 // not a base-layer slot: the pattern must restart there
		frames := encodeFrames(t, e, 0, 32, func(k int) {
			if k == forced {
				e.RequestKeyframe()
			}
		})
		var layerBytes [MaxTemporalLayers]int
		for i, f := range frames {
			slot := i
			if i >= forced {
				slot = i - forced
			}
			want := tc.pattern[slot%len(tc.pattern)]
			if f.TemporalLayer != want {
				t.Errorf("%d layers: frame %d layer %d, want %d", tc.layers, i, f.TemporalLayer, want)
			}
			if f.Keyframe != (i == 0 || i == forced) {
				t.Errorf("%d layers: frame %d keyframe = %v", tc.layers, i, f.Keyframe)
			}
			// Top-layer frames refresh no reference; nothing else is droppable.
			if wantDrop := int(f.TemporalLayer) == tc.layers-1; f.Droppable != wantDrop {
				t.Errorf("%d layers: frame %d (layer %d) droppable = %v", tc.layers, i, f.TemporalLayer, f.Droppable)
			}
			layerBytes[f.TemporalLayer] += len(f.Data)
		}
		t.Logf("%d layers: bytes per layer %v", tc.layers, layerBytes[:tc.layers])

		// Every prefix of the layer stack decodes on its own without error
		// or corruption.
		for top := range tc.layers {
			var sub []encodedFrame
			for _, f := range frames {
				if int(f.TemporalLayer) <= top {
					sub = append(sub, f)
				}
			}
			psnr := decodeAll(t, newTestDecoder(t), sub)
			t.Logf("%d layers: decoding layers 0..%d (%d of %d frames): avg PSNR-Y %.2f dB",
				tc.layers, top, len(sub), len(frames), psnr)
			if psnr < 28 {
				t.Errorf("%d layers, layers 0..%d: avg PSNR-Y %.2f dB < 28", tc.layers, top, psnr)
			}
		}
	}
}

func TestVP8RuntimeBitrateChange(t *testing.T) {
	const high, low = 600_000, 150_000
	e := newTestEncoder(t, VP8EncoderConfig{Width: testW, Height: testH, FrameRate: testFPS, Bitrate: high})
	const n = 45
	frames := encodeFrames(t, e, 0, 2*n, func(k int) {
		if k == n {
			if err := e.SetBitrate(low); err != nil {
				t.Fatal(err)
			}
		}
	})
	for i, f := range frames[1:] {
		if f.Keyframe {
			t.Errorf("frame %d is a keyframe; a bitrate change must not force one", i+1)
		}
	}
	if got := e.Bitrate(); got != low {
		t.Errorf("Bitrate() = %d, want %d", got, low)
	}
	// Compare steady states: the last 30 frames before and after the change.
	before := kbitPerSecond(frames[n-30:n], testFPS)
	after := kbitPerSecond(frames[2*n-30:], testFPS)
	t.Logf("bitrate %d -> %d kbit/s target: measured %.1f -> %.1f kbit/s", high/1000, low/1000, before, after)
	if after > 0.5*before {
		t.Errorf("rate after change %.1f kbit/s not below half of %.1f", after, before)
	}
	if after > 1.25*low/1000 {
		t.Errorf("rate after change %.1f kbit/s above 125%% of target %d", after, low/1000)
	}
	decodeAll(t, newTestDecoder(t), frames)

	if err := e.SetBitrate(MinVP8Bitrate - 1); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("SetBitrate below minimum: err %v", err)
	}
}

func TestVP8DecoderReportsDamage(t *testing.T) {
	e := newTestEncoder(t, VP8EncoderConfig{Width: testW, Height: testH, FrameRate: testFPS, Bitrate: 300_000})
	frames := encodeFrames(t, e, 0, 8, nil)
	e.RequestKeyframe()
	frames = append(frames, encodeFrames(t, e, 8, 2, nil)...)
	if !frames[8].Keyframe {
		t.Fatal("frame 8 is not a keyframe")
	}

	d := newTestDecoder(t)
	decodeAll(t, d, frames[:4])
	// A truncated inter frame is rejected or flagged.
	trunc := frames[4].Data[:len(frames[4].Data)/2]
	img, err := d.Decode(trunc, nil)
	if err == nil {
		t.Fatal("truncated inter frame decoded without error or corruption flag")
	}
	if !errors.Is(err, ErrDecode) && !errors.Is(err, ErrCorruptFrame) {
		t.Fatalf("truncated frame: unexpected error %v", err)
	}
	t.Logf("truncated inter frame: %v (image returned: %v)", err, img != nil)
	// The damage is reported until the keyframe repairs it.
	var later []error
	for _, f := range frames[5:8] {
		_, err := d.Decode(f.Data, nil)
		later = append(later, err)
		if !errors.Is(err, ErrCorruptFrame) && !errors.Is(err, ErrDecode) {
			t.Errorf("inter frame after damage: err %v, want corruption reported", err)
		}
	}
	t.Logf("inter frames after the damaged one: %v", later)
	if psnr := decodeAll(t, d, frames[8:]); psnr < 30 {
		t.Errorf("after keyframe: avg PSNR-Y %.2f", psnr)
	}

	// Every truncated prefix of a keyframe fails cleanly.
	key := frames[0].Data
	accepted := 0
	for n := 1; n < len(key); n += 1 + n/64 {
		_, err := d.Decode(key[:n], nil)
		if err == nil {
			accepted++
			t.Errorf("keyframe prefix of %d/%d bytes decoded cleanly", n, len(key))
		}
	}
	// Garbage after a valid header is rejected or flagged too.
	junk := append([]byte(nil), key[:10]...)
	for i := range 200 {
		junk = append(junk, byte(i*37+11))
	}
	if _, err := d.Decode(junk, nil); err == nil {
		t.Error("keyframe header followed by junk decoded cleanly")
	}
	if _, err := d.Decode(nil, nil); !errors.Is(err, ErrTruncated) {
		t.Errorf("empty frame: err %v, want ErrTruncated", err)
	}
}

func TestVP8EncoderRejectsBadInput(t *testing.T) {
	for _, cfg := range []VP8EncoderConfig{
		{Width: 8, Height: 240, FrameRate: 15, Bitrate: 300_000},
		{Width: 320, Height: 240, FrameRate: 0, Bitrate: 300_000},
		{Width: 320, Height: 240, FrameRate: 15, Bitrate: 1000},
		{Width: 320, Height: 240, FrameRate: 15, Bitrate: 300_000, TemporalLayers: 4},
		{Width: 320, Height: 240, FrameRate: 15, Bitrate: 300_000, Speed: 17},
	} {
		if _, err := NewVP8Encoder(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("config %+v: err %v, want ErrInvalidConfig", cfg, err)
		}
	}
	e := newTestEncoder(t, VP8EncoderConfig{Width: 64, Height: 48, FrameRate: 15, Bitrate: 100_000})
	bad := []*image.YCbCr{
		nil,
		movingPattern(64, 64, 0),
		image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio444),
	}
	short := movingPattern(64, 48, 0)
	short.Cr = short.Cr[:len(short.Cr)-1]
	bad = append(bad, short)
	for i, f := range bad {
		if _, err := e.Encode(nil, f); !errors.Is(err, ErrFrameFormat) {
			t.Errorf("bad frame %d: err %v, want ErrFrameFormat", i, err)
		}
	}
	// A frame that is a sub-image of a larger picture is accepted.
	big := movingPattern(96, 80, 0)
	sub := big.SubImage(image.Rect(16, 16, 80, 64)).(*image.YCbCr)
	f, err := e.Encode(nil, sub)
	if err != nil || !f.Keyframe {
		t.Fatalf("sub-image frame: %+v, %v", f, err)
	}
	e.Close()
	if _, err := e.Encode(nil, movingPattern(64, 48, 0)); !errors.Is(err, ErrClosed) {
		t.Errorf("encode after Close: err %v", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestVP8EncodeAppendsToDst(t *testing.T) {
	e := newTestEncoder(t, VP8EncoderConfig{Width: 64, Height: 48, FrameRate: 15, Bitrate: 100_000})
	prefix := []byte{0xde, 0xad}
	buf := make([]byte, 2, 64<<10)
	copy(buf, prefix)
	f, err := e.Encode(buf, movingPattern(64, 48, 0))
	if err != nil {
		t.Fatal(err)
	}
	if &f.Data[0] != &buf[0] {
		t.Error("encoder did not reuse the caller's buffer")
	}
	if f.Data[0] != 0xde || f.Data[1] != 0xad || !IsVP8Keyframe(f.Data[2:]) {
		t.Errorf("appended data malformed: % x", f.Data[:12])
	}
	// Decoding into the previous image reuses it.
	d := newTestDecoder(t)
	img1, err := d.Decode(f.Data[2:], nil)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := e.Encode(nil, movingPattern(64, 48, 1))
	if err != nil {
		t.Fatal(err)
	}
	img2, err := d.Decode(f2.Data, img1)
	if err != nil {
		t.Fatal(err)
	}
	if img2 != img1 {
		t.Error("decoder did not reuse the destination image")
	}
}
