package flow

import (
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/wire"
)

// WantsToSend reports whether AppendData would add a chunk to a packet with
// room for a full fragment: a retransmission, an ABN or FIN to send, or new
// data, within the receiver's window.
func (s *Sender) WantsToSend(now time.Time) bool {
	if s.state == SendCompleteLinger || s.state == SendClosed {
		return false
	}
	s.refresh(now)
	s.flushFin()
	if int64(s.outstanding) >= int64(s.window) {
		return false
	}
	if _, ok := s.peekRtx(now); ok {
		return true
	}
	return s.peekNew(now) != nil
}

// forwardSeq returns the forward sequence number: every sequence number at or
// below it is acknowledged or abandoned, so the receiver may stop waiting for
// it (RFC 7016 §3.6.2.3; rtmfp-cpp findForwardSequenceNumber). A message
// abandoned with all of it in flight (its fate pending) holds the FSN until
// it is acknowledged or lost: the receiver acknowledges whatever the FSN
// covers, so an acknowledgement past the FSN would not prove delivery.
func (s *Sender) forwardSeq() wire.SeqNum {
	if s.fsnNext < s.fragBase {
		s.fsnNext = s.fragBase
	}
	for end := s.nextSeq(); s.fsnNext < end; s.fsnNext++ {
		f := s.frag(s.fsnNext)
		if m := s.msg(f.msg); !f.acked && !f.released && (!m.abandoned || m.fatePending) {
			break
		}
	}
	return s.fsnNext - 1
}

// peekRtx returns the first fragment in the retransmission queue that still
// needs sending, dropping stale entries and abandoning messages past their
// FinishBy on the way.
func (s *Sender) peekRtx(now time.Time) (wire.SeqNum, bool) {
	for s.rtx.len() > 0 {
		seq := *s.rtx.front()
		if seq < s.fragBase {
			s.rtx.popFront()
			continue
		}
		f := s.frag(seq)
		if f.acked || f.released || f.inFlight {
			s.rtx.popFront()
			continue
		}
		m := s.msg(f.msg)
		if !m.abandoned && s.expired(m, now) {
			s.abandon(m)
		}
		if m.abandoned && f.sentABN && !f.fin {
			// The one ABN transmission was lost; the FSN covers it.
			f.released = true
			s.rtx.popFront()
			continue
		}
		return seq, true
	}
	return 0, false
}

// peekNew returns the first message with bytes still to cut, abandoning the
// expired ones on the way. The FIN carrier counts although abandoned.
func (s *Sender) peekNew(now time.Time) *message {
	if s.sendMsg < s.msgHead {
		s.sendMsg = s.msgHead
	}
	for ; s.sendMsg < s.msgHead+uint64(s.msgs.len()); s.sendMsg++ {
		m := s.msg(s.sendMsg)
		if m.cut {
			continue
		}
		if m.finCarrier {
			return m
		}
		if m.abandoned {
			continue
		}
		if s.expired(m, now) {
			s.abandon(m)
			continue
		}
		return m
	}
	return nil
}

// maxFragment is the size cap of a new fragment: a full packet's worth less
// the startup options, so that any fragment can be sent again as the first
// chunk of a packet with the options (rtmfp-cpp basicWrite).
func (s *Sender) maxFragment() int {
	if s.opts != nil {
		return MaxFragment - len(s.opts) - 1
	}
	return MaxFragment
}

// AppendData appends to dst as many User Data and Next User Data chunks as fit
// in budget bytes: retransmissions and ABN fragments first, then new
// fragments, while the bytes in flight stay below the receiver's window (RFC
// 7016 §3.6.2.3, §3.6.2.4). Every fragment sent is recorded with tsn, the
// session's number for this packet. The first chunk carries the startup
// options until the first ack. sentBytes is the number of bytes appended;
// tc reports time-critical data (the flow's priority is 4 or more).
func (s *Sender) AppendData(dst []byte, now time.Time, tsn cc.TSN, budget int) (out []byte, sentBytes int, tc bool) {
	if s.state == SendCompleteLinger || s.state == SendClosed {
		return dst, 0, false
	}
	s.refresh(now)
	s.flushFin()
	start := len(dst)
	fsn := s.forwardSeq()
	var prevSeq, prevFSN wire.SeqNum
	first := true
	for int64(s.outstanding) < int64(s.window) {
		room := budget - (len(dst) - start)
		var seq wire.SeqNum
		var f *fragment
		if rseq, ok := s.peekRtx(now); ok {
			seq, f = rseq, s.frag(rseq)
			hdr, _ := s.chunkHeader(seq, fsn, prevSeq, prevFSN, first)
			n := int(f.n)
			if s.msg(f.msg).abandoned {
				n = 0
			}
			if hdr+n > room {
				break
			}
			s.rtx.popFront()
		} else {
			m := s.peekNew(now)
			if m == nil {
				break
			}
			seq = s.nextSeq()
			hdr, _ := s.chunkHeader(seq, fsn, prevSeq, prevFSN, first)
			left := len(m.data) - m.cutOff
			n := min(left, room-hdr, s.maxFragment())
			if n < left && n < minSplit || n < 0 {
				break
			}
			f = s.cut(m, n)
		}
		m := s.msg(f.msg)
		abn := m.abandoned
		flags := wire.UserDataFlags(0).WithFragment(f.fra)
		if f.fin {
			flags |= wire.FlagFIN
		}
		var data []byte
		if abn {
			flags |= wire.FlagABN
		} else {
			data = m.data[f.off : f.off+f.n]
		}
		var opts []byte
		if first && s.opts != nil {
			opts = s.opts
			flags |= wire.FlagOPT
		}
		before := len(dst)
		chunkFSN := min(fsn, seq) // an ABN fragment may lie below the FSN
		if !first && seq == prevSeq+1 {
			chunkFSN = prevFSN
			dst = wire.NextUserData{Flags: flags, Options: opts, Data: data}.Append(dst)
		} else {
			dst = wire.UserData{Flags: flags, FlowID: s.id, SeqNum: seq, FSNOffset: uint64(seq - chunkFSN), Options: opts, Data: data}.Append(dst)
		}
		size := len(dst) - before
		s.recordSend(f, seq, tsn, size, abn)
		m.started = true
		first, prevSeq, prevFSN = false, seq, chunkFSN
	}
	sentBytes = len(dst) - start
	return dst, sentBytes, sentBytes > 0 && s.priority.TimeCritical()
}

// chunkHeader returns the length of the chunk that would carry seq without its
// data, and whether it would be a Next User Data chunk.
func (s *Sender) chunkHeader(seq, fsn, prevSeq, prevFSN wire.SeqNum, first bool) (int, bool) {
	n := wire.ChunkHeaderLength + 1
	if first && s.opts != nil {
		n += len(s.opts) + 1
	}
	if !first && seq == prevSeq+1 {
		return n, true
	}
	return n + wire.VLULen(uint64(s.id)) + wire.VLULen(uint64(seq)) + wire.VLULen(uint64(seq-min(fsn, seq))), false
}

// cut makes the next fragment of m, n bytes long, with the next sequence
// number.
func (s *Sender) cut(m *message, n int) *fragment {
	id := s.sendMsg
	f := fragment{msg: id, off: int32(m.cutOff), n: int32(n)}
	whole := len(m.data)
	switch {
	case m.cutOff == 0 && n == whole:
		f.fra = wire.FragmentWhole
	case m.cutOff == 0:
		f.fra = wire.FragmentBegin
	case m.cutOff+n == whole:
		f.fra = wire.FragmentEnd
	default:
		f.fra = wire.FragmentMiddle
	}
	m.cutOff += n
	s.unsent -= n
	m.unacked++
	m.pending++
	if m.cutOff == whole {
		m.cut = true
		f.fin = m.final
	}
	s.stats.Fragments++
	s.frags.push(f)
	return s.frags.back()
}

// recordSend puts a transmission in flight.
func (s *Sender) recordSend(f *fragment, seq wire.SeqNum, tsn cc.TSN, size int, abn bool) {
	if abn {
		f.sentABN = true
		s.stats.AbandonChunks++
	} else {
		if f.tsn != 0 {
			s.stats.Retransmitted++
		}
		s.stats.DataChunks++
	}
	f.inFlight = true
	if f.txCount < 255 {
		f.txCount++
	}
	f.tsn = tsn
	f.naks = 0
	f.size = int32(size)
	s.outstanding += cc.ByteCount(size)
	s.stats.ChunkBytes += uint64(size)
	s.flight.push(flightEntry{seq: seq, tsn: tsn})
}
