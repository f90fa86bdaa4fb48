package pipeline

import (
	"encoding/binary"
	"testing"
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/playout"
	"camchat/internal/media/synth"
)

// encodeVideoSeeds returns a real keyframe and the inter frames after it of
// a two-layer 160x120 stream.
func encodeVideoSeeds(tb testing.TB) []VideoPacket {
	tb.Helper()
	var out []VideoPacket
	vs, err := NewVideoSender(VideoSenderConfig{Epoch: t0, Encoder: codec.VP8EncoderConfig{Width: 160, Height: 120, FrameRate: 15, Bitrate: 100_000, TemporalLayers: 2},
		Send: func(p VideoPacket) {
			p.Payload = append([]byte(nil), p.Payload...)
			out = append(out, p)
		}})
	if err != nil {
		tb.Fatal(err)
	}
	defer vs.Close()
	pat, _ := synth.NewPattern(160, 120)
	for n := range 4 {
		at := t0.Add(time.Duration(n) * time.Second / 15)
		if err := vs.Encode(pat.Render(nil, uint32(n), synth.StampTime(at, t0)), at); err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// videoFuzzPacket builds a packet from fuzz input: a flags byte (bit 0
// keyframe, bit 1 droppable, bits 2-3 layer), three dependency bytes and the
// payload.
func videoFuzzPacket(b []byte) VideoPacket {
	var p VideoPacket
	if len(b) < 4 {
		p.Payload = b
		return p
	}
	p.Keyframe = b[0]&1 != 0
	p.Droppable = b[0]&2 != 0
	p.Layer = codec.TemporalLayerID(b[0] >> 2 & 3)
	copy(p.Deps[:], b[1:4])
	p.Payload = b[4:]
	return p
}

func videoFuzzBytes(p VideoPacket) []byte {
	f := byte(p.Layer) << 2
	if p.Keyframe {
		f |= 1
	}
	if p.Droppable {
		f |= 2
	}
	return append([]byte{f, p.Deps[0], p.Deps[1], p.Deps[2]}, p.Payload...)
}

// FuzzVideoReceiver: whatever arrives between real frames (damaged payload,
// wrong layer or dependencies), the receiver never panics, and a real
// keyframe afterwards always decodes and shows.
func FuzzVideoReceiver(f *testing.F) {
	seeds := encodeVideoSeeds(f)
	for _, p := range seeds {
		f.Add(videoFuzzBytes(p))
		if len(p.Payload) > 20 {
			q := p
			q.Payload = append([]byte(nil), p.Payload[:len(p.Payload)/2]...)
			f.Add(videoFuzzBytes(q)) // truncated
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewVideoReceiver(VideoReceiverConfig{RequestInterval: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		now := t0
		step := func(p VideoPacket) {
			now = now.Add(time.Millisecond)
			r.Push(p, now)
			r.Due(now)
		}
		step(seeds[0])
		step(videoFuzzPacket(b))
		step(seeds[1])
		key := seeds[0]
		key.Timestamp = time.Hour // after anything shown
		if err := r.Push(key, now); err != nil {
			t.Fatal(err)
		}
		if _, ts, ok := r.Due(now); !ok || ts != time.Hour {
			t.Fatalf("keyframe after fuzz input not shown: %v %v", ts, ok)
		}
	})
}

// FuzzAudioReceiver: any packet among real ones (damaged payload, any
// sequence number or timestamp) never panics and never stops the output.
func FuzzAudioReceiver(f *testing.F) {
	var pkts []AudioPacket
	as, err := NewAudioSender(AudioSenderConfig{Epoch: t0, Send: func(p AudioPacket) {
		p.Payload = append([]byte(nil), p.Payload...)
		pkts = append(pkts, p)
	}})
	if err != nil {
		f.Fatal(err)
	}
	mic, _ := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0})
	buf := make([]int16, FrameSamples)
	for i := range 20 {
		mic.Read(buf)
		as.Process(buf, t0.Add(time.Duration(i)*FrameDuration))
	}
	as.Close()
	for i, p := range pkts {
		hdr := binary.BigEndian.AppendUint16(nil, uint16(p.Seq))
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(int32(p.Timestamp/time.Millisecond)))
		f.Add(append(hdr, p.Payload...))
		if i == 3 {
			f.Add(append(hdr, p.Payload[:len(p.Payload)/2]...))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 6 {
			return
		}
		fz := AudioPacket{
			Seq:       playout.SeqNum(binary.BigEndian.Uint16(b)),
			Timestamp: time.Duration(int32(binary.BigEndian.Uint32(b[2:]))) * time.Millisecond,
			Payload:   b[6:],
		}
		r, err := NewAudioReceiver(AudioReceiverConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		out := make([]int16, FrameSamples)
		for i, p := range pkts {
			now := t0.Add(time.Duration(i)*PacketDuration + 40*time.Millisecond)
			if i == 3 {
				r.Push(fz, now)
				continue // the fuzz packet replaces packet 3
			}
			r.Push(p, now)
			for k := range 2 {
				r.Pull(now.Add(time.Duration(k)*FrameDuration), out)
			}
			r.PlayoutClock(now)
		}
		// Every packet is received or, oversized, rejected.
		if st := r.Stats(); st.Jitter.Received+st.Rejected != uint64(len(pkts)) || st.Rejected != st.Jitter.Rejected {
			t.Fatalf("received %d and rejected %d of %d", st.Jitter.Received, st.Rejected, len(pkts))
		}
	})
}
