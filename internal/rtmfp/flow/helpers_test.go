package flow

import (
	"testing"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/wire"
)

// sentChunk is one decoded User Data or Next User Data chunk.
type sentChunk struct {
	next bool // a Next User Data chunk
	ud   wire.UserData
}

// decodeData decodes the data chunks of a packet body, resolving Next User
// Data chunks against their predecessors.
func decodeData(t testing.TB, b []byte) []sentChunk {
	t.Helper()
	var out []sentChunk
	cr := wire.NewChunkReader(b)
	var prev wire.UserData
	for typ, payload, ok := cr.Next(); ok; typ, payload, ok = cr.Next() {
		switch typ {
		case wire.ChunkUserData:
			u, err := wire.ParseUserData(payload)
			if err != nil {
				t.Fatalf("user data: %v", err)
			}
			prev = u
			out = append(out, sentChunk{ud: u})
		case wire.ChunkNextUserData:
			if len(out) == 0 {
				t.Fatal("Next User Data first in packet")
			}
			n, err := wire.ParseNextUserData(payload)
			if err != nil {
				t.Fatalf("next user data: %v", err)
			}
			prev = n.Follow(prev)
			out = append(out, sentChunk{next: true, ud: prev})
		default:
			t.Fatalf("unexpected chunk %v", typ)
		}
	}
	if cr.Err() != nil {
		t.Fatalf("chunk reader: %v", cr.Err())
	}
	return out
}

// ackChunk encodes a Data Ack Ranges chunk and returns its header and
// iterator, as the session would hand them to OnAck.
func ackChunk(t testing.TB, id wire.FlowID, blocks uint64, cum wire.SeqNum, ranges ...wire.SeqRange) (wire.AckRanges, wire.AckRangeIter) {
	t.Helper()
	b := wire.AckRanges{FlowID: id, BufferBlocks: blocks, CumulativeAck: cum, Ranges: ranges}.Append(nil)
	ack, it, err := wire.NewAckRangeIter(b[wire.ChunkHeaderLength:])
	if err != nil {
		t.Fatal(err)
	}
	return ack, it
}

// ack applies an ack and then the NAK pass, as the session does per packet.
func ack(t testing.TB, s *Sender, now time.Time, blocks uint64, cum wire.SeqNum, ranges ...wire.SeqRange) (cc.ByteCount, cc.NAKReport) {
	t.Helper()
	a, it := ackChunk(t, s.ID(), blocks, cum, ranges...)
	n, _ := s.OnAck(now, a, it)
	return n, s.ApplyNAKs(s.MaxAckedTSN())
}

// feed gives every data chunk of a packet to a receiver.
func feed(t testing.TB, r *Receiver, now time.Time, b []byte) (ackNow bool) {
	t.Helper()
	for _, c := range decodeData(t, b) {
		if r.OnData(now, c.ud.SeqNum, c.ud.FSN(), c.ud.Flags, c.ud.Data) {
			ackNow = true
		}
	}
	return r.OnDataPacket() || ackNow
}

// decodeAck decodes the ack chunk (and optional exception report) a receiver
// appended.
func decodeAck(t testing.TB, b []byte) (ex *wire.FlowException, a wire.AckRanges) {
	t.Helper()
	cr := wire.NewChunkReader(b)
	for typ, payload, ok := cr.Next(); ok; typ, payload, ok = cr.Next() {
		switch typ {
		case wire.ChunkFlowException:
			e, err := wire.ParseFlowException(payload)
			if err != nil {
				t.Fatal(err)
			}
			ex = &e
		case wire.ChunkAckRanges:
			r, err := wire.ParseAckRanges(payload, nil)
			if err != nil {
				t.Fatal(err)
			}
			a = r
		default:
			t.Fatalf("unexpected chunk %v in ack", typ)
		}
	}
	return ex, a
}

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func msgOf(n int, fill byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = fill + byte(i)
	}
	return b
}
