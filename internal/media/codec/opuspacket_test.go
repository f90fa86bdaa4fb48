package codec

import (
	"slices"
	"testing"
)

// TestOpusHasFECMatchesDecoder: a FEC call on a packet that OpusHasFEC says
// carries none gives exactly what concealment gives, and one on a packet
// it says carries FEC gives something else (compared where the packet
// keeps the mode and bandwidth of the packets before: at a change libopus's FEC
// call differs from concealment either way). With no expected loss there
// is no FEC; at 20% there is, on most packets of speech. (At 24 kbit/s and
// 5% it depends on the bandwidth libopus picks: this harmonic test signal
// goes wideband, where FEC fits; full-band speech does not.)
func TestOpusHasFECMatchesDecoder(t *testing.T) {
	for _, tc := range []struct {
		bitrate, loss int
		wantFEC       int // 1 most packets, 0 none, -1 either
	}{{24_000, 5, -1}, {24_000, 0, 0}, {32_000, 20, 1}, {24_000, 20, 1}} {
		e, err := NewOpusEncoder(OpusEncoderConfig{Bitrate: tc.bitrate, PacketLossPercent: tc.loss})
		if err != nil {
			t.Fatal(err)
		}
		n := e.FrameSamples()
		const frames = 60
		in := speechLike(0, frames*n)
		var pkts [][]byte
		for f := range frames {
			pkt, err := e.Encode(nil, in[f*n:(f+1)*n])
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, pkt)
		}
		with, compared := 0, 0
		for k := 2; k < frames; k++ {
			has := OpusHasFEC(pkts[k])
			if has {
				with++
			}
			if pkts[k][0]>>3 != pkts[k-1][0]>>3 || pkts[k][0]>>3 != pkts[k-2][0]>>3 {
				continue
			}
			// Two decoders in the same state lose packet k-1: one asks
			// packet k for FEC, the other conceals.
			a, _ := NewOpusDecoder()
			b, _ := NewOpusDecoder()
			pa, pb := make([]int16, n), make([]int16, n)
			for _, p := range pkts[:k-1] {
				a.Decode(p, pa)
				b.Decode(p, pb)
			}
			if _, err := a.DecodeFEC(pkts[k], pa); err != nil {
				t.Fatal(err)
			}
			if _, err := b.DecodePLC(pb); err != nil {
				t.Fatal(err)
			}
			compared++
			if has == slices.Equal(pa, pb) {
				t.Errorf("%d bit/s, %d%%: packet %d: OpusHasFEC %v, but the FEC call %s concealment", tc.bitrate, tc.loss, k, has,
					map[bool]string{true: "equals", false: "differs from"}[slices.Equal(pa, pb)])
			}
		}
		t.Logf("%d bit/s, %d%% expected loss: %d of %d packets carry FEC; %d compared with the decoder", tc.bitrate, tc.loss, with, frames-2, compared)
		switch {
		case compared < (frames-2)*3/4:
			t.Errorf("only %d of %d packets kept their mode", compared, frames-2)
		case tc.wantFEC == 0 && with > 0, tc.wantFEC == 1 && with < (frames-2)/2:
			t.Errorf("%d bit/s, %d%%: %d of %d packets with FEC", tc.bitrate, tc.loss, with, frames-2)
		}
	}
}

func TestOpusHasFECMalformed(t *testing.T) {
	for _, pkt := range [][]byte{
		nil,
		{0x08},                   // SILK, one frame, empty
		{0x09, 1, 2, 3},          // two equal frames of an odd total
		{0x0a, 200, 1, 2},        // a first frame longer than the packet
		{0x0a, 253},              // a two-byte size cut short
		{0x0b},                   // code 3 without its count byte
		{0x0b, 0x00},             // zero frames
		{0x0b, 0x41, 255, 255},   // padding running off the end
		{0x0b, 0x82, 250, 1},     // VBR sizes past the end
		{0x0b, 0x03, 1, 2, 3, 4}, // CBR, 4 bytes in 3 frames
		{0xf8, 0xff, 0xff},       // CELT only
	} {
		if OpusHasFEC(pkt) {
			t.Errorf("OpusHasFEC(% x) = true", pkt)
		}
	}
}

// FuzzOpusHasFEC: any packet gives an answer, never a panic, and a packet
// that decodes as FEC data when OpusHasFEC says so does not fail.
func FuzzOpusHasFEC(f *testing.F) {
	e, err := NewOpusEncoder(OpusEncoderConfig{Bitrate: 32_000, PacketLossPercent: 20})
	if err != nil {
		f.Fatal(err)
	}
	n := e.FrameSamples()
	in := speechLike(0, 8*n)
	for i := range 8 {
		pkt, err := e.Encode(nil, in[i*n:(i+1)*n])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pkt)
		// The same frame in the other packings (RFC 6716 §3.2).
		f.Add(append([]byte{pkt[0] | 2, byte(len(pkt) - 1)}, append(pkt[1:], pkt[1:]...)...))
		f.Add(append([]byte{pkt[0] | 3, 0x81}, pkt[1:]...))
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		has := OpusHasFEC(pkt)
		if !has {
			return
		}
		d, err := NewOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, n)
		// libopus may still reject the rest of the packet; what matters
		// is that the answer came without reading out of bounds.
		d.DecodeFEC(pkt, pcm)
	})
}
