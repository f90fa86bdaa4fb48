package codec

import (
	"errors"
	"testing"
)

// Golden frame headers built by hand from RFC 6386 §9.1.
var (
	// Keyframe, version 0, shown, first_part_size 0x1234:
	// tag = 0 | 0<<1 | 1<<4 | 0x1234<<5 = 0x024690 -> 90 46 02 (LE),
	// start code 9d 01 2a, width 320 (40 01), height 240 with vertical
	// scale 1 (0x40f0 -> f0 40).
	goldenKeyHeader = []byte{0x90, 0x46, 0x02, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x40}
	// Inter frame, version 1, shown, first_part_size 77:
	// tag = 1 | 1<<1 | 1<<4 | 77<<5 = 0x0009b3 -> b3 09 00.
	goldenInterHeader = []byte{0xb3, 0x09, 0x00}
)

func TestParseVP8FrameHeaderGolden(t *testing.T) {
	h, err := ParseVP8FrameHeader(goldenKeyHeader)
	if err != nil {
		t.Fatal(err)
	}
	want := VP8FrameHeader{Keyframe: true, Version: 0, ShowFrame: true, FirstPartSize: 0x1234,
		Width: 320, Height: 240, HScale: 0, VScale: 1}
	if h != want {
		t.Errorf("keyframe header = %+v, want %+v", h, want)
	}
	h, err = ParseVP8FrameHeader(goldenInterHeader)
	if err != nil {
		t.Fatal(err)
	}
	want = VP8FrameHeader{Keyframe: false, Version: 1, ShowFrame: true, FirstPartSize: 77}
	if h != want {
		t.Errorf("inter header = %+v, want %+v", h, want)
	}
	if !IsVP8Keyframe(goldenKeyHeader) || IsVP8Keyframe(goldenInterHeader) {
		t.Error("IsVP8Keyframe disagrees with the golden headers")
	}
	bad := append([]byte(nil), goldenKeyHeader...)
	bad[4] = 0x02 // broken start code
	if _, err := ParseVP8FrameHeader(bad); !errors.Is(err, ErrDecode) {
		t.Errorf("bad start code: err %v", err)
	}
}

func TestParseVP8FrameHeaderTruncated(t *testing.T) {
	for n := range len(goldenKeyHeader) {
		if _, err := ParseVP8FrameHeader(goldenKeyHeader[:n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("keyframe header prefix %d: err %v, want ErrTruncated", n, err)
		}
	}
	for n := range len(goldenInterHeader) {
		if _, err := ParseVP8FrameHeader(goldenInterHeader[:n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("inter header prefix %d: err %v, want ErrTruncated", n, err)
		}
	}
}

func TestParseVP8FrameHeaderFromEncoder(t *testing.T) {
	e := newTestEncoder(t, VP8EncoderConfig{Width: testW, Height: testH, FrameRate: testFPS, Bitrate: 300_000})
	for i, f := range encodeFrames(t, e, 0, 3, nil) {
		h, err := ParseVP8FrameHeader(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		if h.Keyframe != (i == 0) || !h.ShowFrame || h.Version != 0 || int(h.FirstPartSize) >= len(f.Data) {
			t.Errorf("frame %d header %+v (len %d)", i, h, len(f.Data))
		}
		if i == 0 && (h.Width != testW || h.Height != testH || h.HScale != 0 || h.VScale != 0) {
			t.Errorf("keyframe size %dx%d scale %d/%d", h.Width, h.Height, h.HScale, h.VScale)
		}
	}
}

func FuzzParseVP8FrameHeader(f *testing.F) {
	f.Add(goldenKeyHeader)
	f.Add(goldenInterHeader)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseVP8FrameHeader(b)
		if err != nil {
			return
		}
		if h.Keyframe && len(b) < 10 || len(b) < 3 {
			t.Fatalf("accepted %d bytes as %+v", len(b), h)
		}
		if h.Keyframe != (b[0]&1 == 0) || h.FirstPartSize > vp8MaxFirstPartSz {
			t.Fatalf("inconsistent header %+v from % x", h, b[:3])
		}
	})
}
