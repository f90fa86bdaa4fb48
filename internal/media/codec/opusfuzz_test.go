package codec

import (
	"errors"
	"testing"
)

// FuzzOpusDecode feeds arbitrary packets to a decoder mid-stream, then
// uses them for FEC recovery. Every input must yield samples within the
// buffer or ErrDecode, never a panic, and the decoder must keep working.
func FuzzOpusDecode(f *testing.F) {
	e, err := NewOpusEncoder(OpusEncoderConfig{PacketLossPercent: 20})
	if err != nil {
		f.Fatal(err)
	}
	n := e.FrameSamples()
	in := speechLike(0, 5*n)
	var good []byte
	for i := range 5 {
		pkt, err := e.Encode(nil, in[i*n:(i+1)*n])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pkt)
		good = pkt
	}
	f.Add([]byte{0xfc, 0xff, 0xfe}) // TOC code 3 (arbitrary frame count) with garbage
	f.Fuzz(func(t *testing.T, pkt []byte) {
		d, err := NewOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, OpusMaxFrameSamples)
		got, err := d.Decode(pkt, pcm)
		if err != nil && !errors.Is(err, ErrDecode) {
			t.Fatalf("undocumented error %v", err)
		}
		if got < 0 || got > len(pcm) {
			t.Fatalf("decoded %d samples into %d", got, len(pcm))
		}
		if _, err := d.DecodeFEC(pkt, pcm[:n]); err != nil && !errors.Is(err, ErrDecode) {
			t.Fatalf("fec: undocumented error %v", err)
		}
		if got, err := d.Decode(good, pcm); err != nil || got != n {
			t.Fatalf("valid packet after fuzz input: %d, %v", got, err)
		}
	})
}
