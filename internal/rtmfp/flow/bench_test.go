package flow

import (
	"testing"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/wire"
)

// benchSender returns a sender past its first ack with a large message
// queued, so AppendData cuts full fragments.
func benchSender(b *testing.B) (*Sender, []byte) {
	s := NewSender(SendConfig{ID: 1})
	s.Write(t0, make([]byte, 64<<20), WriteOptions{})
	a, it := ackChunk(b, 1, 1<<14, 0)
	s.OnAck(t0, a, it)
	return s, make([]byte, 0, 1500)
}

// refill queues another large message when every queued byte is cut.
func refill(b *testing.B, s *Sender) {
	if s.peekNew(t0) == nil {
		b.StopTimer()
		s.Write(t0, make([]byte, 64<<20), WriteOptions{})
		b.StartTimer()
	}
}

// BenchmarkSenderAppendData: one full packet per op (one MaxFragment
// fragment), with a cumulative ack every 16 packets to keep the window open.
func BenchmarkSenderAppendData(b *testing.B) {
	s, buf := benchSender(b)
	ackBuf := make([]byte, 0, 64)
	b.SetBytes(int64(MaxFragment))
	b.ReportAllocs()
	b.ResetTimer()
	tsn := cc.TSN(0)
	for i := range b.N {
		refill(b, s)
		tsn++
		var n int
		buf, n, _ = s.AppendData(buf[:0], t0, tsn, packetBudget)
		if n == 0 {
			b.Fatalf("nothing appended at %d: out %d win %d buffered %d state %v", i, s.Outstanding(), s.Window(), s.Buffered(), s.State())
		}
		if i%16 == 15 {
			ackBuf = wire.AckRanges{FlowID: 1, BufferBlocks: 1 << 14, CumulativeAck: s.nextSeq() - 1}.Append(ackBuf[:0])
			a, it, _ := wire.NewAckRangeIter(ackBuf[wire.ChunkHeaderLength:])
			s.OnAck(t0, a, it)
			s.ApplyNAKs(s.MaxAckedTSN())
		}
	}
}

// BenchmarkSenderOnAck: per op, one Data Ack Ranges chunk decoded and
// applied with its NAK pass, acknowledging two new packets. One fragment per
// 64 acks is missing (a range above a hole, repeated in every ack, as a
// receiver does) until a cumulative ack fills it. The two AppendData calls
// that put those packets in flight are included.
func BenchmarkSenderOnAck(b *testing.B) {
	s, buf := benchSender(b)
	ackBuf := make([]byte, 0, 64)
	tsn := cc.TSN(0)
	send := func() {
		tsn++
		buf, _, _ = s.AppendData(buf[:0], t0, tsn, packetBudget)
	}
	var hole wire.SeqNum
	b.SetBytes(2 * int64(MaxFragment))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		refill(b, s)
		if i%64 == 0 {
			hole = s.nextSeq()
		}
		send()
		send()
		top := s.nextSeq() - 1
		a := wire.AckRanges{FlowID: 1, BufferBlocks: 1 << 14, CumulativeAck: hole - 1,
			Ranges: []wire.SeqRange{{From: hole + 1, To: top}}}
		if i%64 == 63 {
			a.CumulativeAck, a.Ranges = top, nil
		}
		ackBuf = a.Append(ackBuf[:0])
		ar, it, _ := wire.NewAckRangeIter(ackBuf[wire.ChunkHeaderLength:])
		if _, ok := s.OnAck(t0, ar, it); !ok {
			b.Fatal("nothing acked")
		}
		s.ApplyNAKs(s.MaxAckedTSN())
	}
}

// BenchmarkReceiverPacket: per op, one packet carrying one full fragment:
// OnData and OnDataPacket, an ack every second packet, and the message read
// into a reused buffer. frags is the number of fragments per message.
func BenchmarkReceiverPacket(b *testing.B) {
	for _, frags := range []int{1, 3, 800} {
		b.Run(map[int]string{1: "whole", 3: "3-fragment", 800: "800-fragment"}[frags], func(b *testing.B) {
			r := NewReceiver(RecvConfig{ID: 1, BufferCapacity: 1 << 20})
			data := make([]byte, MaxFragment)
			ackBuf := make([]byte, 0, packetBudget)
			out := make([]byte, 0, 801*MaxFragment)
			b.SetBytes(int64(MaxFragment))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				seq := wire.SeqNum(i + 1)
				var fl wire.UserDataFlags
				switch {
				case frags == 1:
					fl = whole
				case i%frags == 0:
					fl = begin
				case i%frags == frags-1:
					fl = end
				default:
					fl = middle
				}
				r.OnData(t0, seq, seq-1, fl, data)
				r.OnDataPacket()
				if due, imm := r.AckDue(); due && imm {
					ackBuf = r.AppendAck(ackBuf[:0], packetBudget)
				}
				for {
					var ok bool
					if out, ok = r.AppendNext(out[:0]); !ok {
						break
					}
				}
			}
		})
	}
}
