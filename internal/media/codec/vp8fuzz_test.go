package codec

import (
	"errors"
	"testing"
)

// FuzzVP8Decode feeds arbitrary bytes to a decoder that has already seen a
// real keyframe, as a receiver's decoder would be fed by a hostile or
// damaged stream. Whatever the input, Decode must return an image or one of
// the documented errors, never panic or crash in C.
func FuzzVP8Decode(f *testing.F) {
	e, err := NewVP8Encoder(VP8EncoderConfig{Width: 64, Height: 48, FrameRate: 15, Bitrate: 100_000, TemporalLayers: 2})
	if err != nil {
		f.Fatal(err)
	}
	var frames [][]byte
	for i := range 4 {
		fr, err := e.Encode(nil, movingPattern(64, 48, i))
		if err != nil {
			f.Fatal(err)
		}
		frames = append(frames, fr.Data)
		f.Add(fr.Data)
	}
	e.Close()
	key := frames[0]
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := NewVP8Decoder()
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.Decode(key, nil); err != nil {
			t.Fatal(err)
		}
		img, err := d.Decode(b, nil)
		switch {
		case err == nil:
			if img != nil && (img.Rect.Dx() == 0 || img.Rect.Dy() == 0) {
				t.Fatalf("empty image %v", img.Rect)
			}
		case errors.Is(err, ErrDecode), errors.Is(err, ErrCorruptFrame), errors.Is(err, ErrTruncated):
		default:
			t.Fatalf("undocumented error %v", err)
		}
		// The decoder keeps working: a keyframe always recovers it.
		if _, err := d.Decode(key, nil); err != nil {
			t.Fatalf("keyframe after fuzz input: %v", err)
		}
	})
}
