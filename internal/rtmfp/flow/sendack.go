package flow

import (
	"math"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/wire"
)

// OnAck applies a Data Ack Ranges chunk for this flow: its header in ack
// (Ranges ignored) and its ranges read from it, decoded with the cursor rule
// (RFC 7016 §2.3.13, §2.3.14). It returns the bytes that left the flight and whether any
// fragment was newly acknowledged. The first ack ends the startup options; the
// advertised buffer becomes the window, and a zero window starts the persist
// timer (RFC 7016 §3.6.2.5, §3.6.2.6).
func (s *Sender) OnAck(now time.Time, ack wire.AckRanges, it wire.AckRangeIter) (acked cc.ByteCount, ok bool) {
	if !s.beginAck(now, ack.BufferBlocks) {
		return 0, false
	}
	acked, ok = s.ackRange(1, ack.CumulativeAck)
	for r, more := it.Next(); more && r.From < s.nextSeq(); r, more = it.Next() {
		a, o := s.ackRange(r.From, r.To)
		acked += a
		ok = ok || o
	}
	s.endAck(now)
	return acked, ok
}

// OnAckBitmap applies a Data Ack Bitmap chunk. Its bitmap's bit order is
// unverified and no known implementation sends it, so only the cumulative
// acknowledgement and the window are used (rtmfp-cpp does the same).
func (s *Sender) OnAckBitmap(now time.Time, ack wire.AckBitmap) (acked cc.ByteCount, ok bool) {
	if !s.beginAck(now, ack.BufferBlocks) {
		return 0, false
	}
	acked, ok = s.ackRange(1, ack.CumulativeAck)
	s.endAck(now)
	return acked, ok
}

func (s *Sender) beginAck(now time.Time, blocks uint64) bool {
	if s.state == SendCompleteLinger || s.state == SendClosed {
		return false
	}
	s.refresh(now)
	s.stats.Acks++
	s.opts = nil // the receiver knows the flow (RFC 7016 §3.6.2.3)
	if blocks > math.MaxInt32/wire.BufferBlockSize {
		blocks = math.MaxInt32 / wire.BufferBlockSize
	}
	s.window = int(blocks) * wire.BufferBlockSize
	if s.window == 0 {
		if !s.zeroWindow {
			s.zeroWindow, s.zeroSince, s.probeInterval = true, now, 0
		}
	} else {
		s.zeroWindow = false
	}
	return true
}

func (s *Sender) endAck(now time.Time) {
	s.releaseFront()
	s.flushFin()
	s.checkComplete(now)
}

// ackRange marks the fragments from..to acknowledged. A receiver repeats
// its ranges in every ack, so runs already acknowledged are jumped over with
// the skip hint left on their first fragment: the work is the new
// acknowledgements plus the ranges, whatever the ranges span.
func (s *Sender) ackRange(from, to wire.SeqNum) (acked cc.ByteCount, ok bool) {
	from = max(from, s.fragBase)
	end := s.nextSeq()
	if to >= end {
		to = end - 1
	}
	if from > to {
		return 0, false
	}
	run := from // first of the acknowledged run being walked
	seq := from
	for seq <= to {
		f := s.frag(seq)
		if f.acked {
			seq += wire.SeqNum(max(f.skip, 1))
			continue
		}
		ok = true
		f.acked, f.released, f.skip = true, true, 1
		if f.inFlight {
			f.inFlight = false
			s.outstanding -= cc.ByteCount(f.size)
			acked += cc.ByteCount(f.size)
			// Karn's rule: an ack for a fragment sent more than once
			// may be for an older transmission, and crediting the
			// newest TSN would NAK everything sent in between.
			if f.txCount == 1 && f.tsn > s.maxAckedTSN {
				s.maxAckedTSN = f.tsn
			}
		}
		m := s.msg(f.msg)
		m.unacked--
		if m.unacked == 0 && m.fatePending {
			s.settle(m, receiptDelivered) // abandoned, yet all of it arrived
		}
		if m.unacked == 0 && m.cut && !m.resolved() {
			m.delivered = true
			s.buffered -= len(m.data)
			s.stats.Delivered++
			m.receipt.resolve(receiptDelivered)
			putBuf(m.buf)
			m.buf, m.data, m.parent = nil, nil, nil
		}
		seq++
	}
	// Everything from run to min(seq, end)-1 is now acknowledged.
	if stop := min(seq, end); stop > run && run >= s.fragBase {
		s.frag(run).skip = int32(min(uint64(stop-run), 1<<30))
	}
	return acked, ok
}

// releaseFront drops released fragments from the front of the ring and
// resolved messages with no fragments left from the front of the queue.
func (s *Sender) releaseFront() {
	for s.frags.len() > 0 && s.frags.front().released {
		s.msg(s.frags.front().msg).pending--
		s.frags.popFront()
		s.fragBase++
	}
	for s.msgs.len() > 0 {
		m := s.msgs.front()
		if m.pending > 0 || !(m.cut || m.abandoned && !m.finCarrier) {
			break
		}
		if !m.resolved() {
			break // cut, waiting for acks
		}
		putBuf(m.buf)
		s.msgs.popFront()
		s.msgHead++
	}
}

// live reports whether a flight entry is the current transmission of a
// fragment still in flight.
func (s *Sender) live(e flightEntry) (*fragment, bool) {
	if e.seq < s.fragBase || e.seq >= s.nextSeq() {
		return nil, false
	}
	f := s.frag(e.seq)
	return f, f.inFlight && f.tsn == e.tsn
}

// ApplyNAKs runs the NAK pass after the acknowledgements of one received
// packet (RFC 7016 §3.6.2.5; rtmfp-cpp Session::onPacketAfterChunks): every
// fragment of this flow still in flight that was sent in a packet numbered at
// or below highest (the session's highest acknowledged TSN) gets a NAK, and
// the third declares it lost. Lost fragments are queued for retransmission,
// or for one ABN transmission if their message was abandoned (NoRetransmit,
// deadline).
func (s *Sender) ApplyNAKs(highest cc.TSN) cc.NAKReport {
	var rep cc.NAKReport
	s.trimFlight()
	for i := 0; i < s.flight.len(); i++ {
		e := *s.flight.at(i)
		if e.tsn > highest {
			break
		}
		f, ok := s.live(e)
		if !ok {
			continue
		}
		f.naks++
		if !f.sentABN {
			rep.AnyNAKs = true
		}
		if f.naks >= cc.NAKsForLoss {
			rep.LostBytes += cc.ByteCount(f.size)
			if !f.sentABN {
				rep.AnyLoss = true
			}
			s.lose(e.seq, f)
		}
	}
	s.trimFlight()
	s.releaseFront()
	s.flushFin()
	return rep
}

// trimFlight drops stale entries from the front of the flight list.
func (s *Sender) trimFlight() {
	for s.flight.len() > 0 {
		if _, ok := s.live(*s.flight.front()); ok {
			return
		}
		s.flight.popFront()
	}
}

// OnTimeout declares every fragment in flight lost, as a retransmission
// timeout does (RFC 7016 §3.5.2.2), and returns their bytes.
func (s *Sender) OnTimeout(now time.Time) (lost cc.ByteCount) {
	s.refresh(now)
	for i := 0; i < s.flight.len(); i++ {
		e := *s.flight.at(i)
		if f, ok := s.live(e); ok {
			lost += cc.ByteCount(f.size)
			s.lose(e.seq, f)
		}
	}
	s.flight.clear()
	s.releaseFront()
	s.flushFin()
	s.checkComplete(now)
	return lost
}

// lose takes a transmission out of the flight and decides its fate: sent
// again with data, sent once with ABN, or given up.
func (s *Sender) lose(seq wire.SeqNum, f *fragment) {
	f.inFlight = false
	s.outstanding -= cc.ByteCount(f.size)
	s.stats.Lost++
	m := s.msg(f.msg)
	m.lost = true
	if m.fatePending {
		s.settle(m, receiptAbandoned)
	}
	if !m.abandoned && m.noRetransmit {
		s.abandon(m)
	}
	if m.abandoned && f.sentABN && !f.fin {
		f.released = true // the FSN covers it
		return
	}
	s.rtx.push(seq)
}
