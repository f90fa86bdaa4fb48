package rtmfp

import (
	"net/netip"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/wire"
)

// Sending: the packet scheduler across sessions (flush), and each session's
// packet assembly: header timestamps and echoes, control chunks,
// acknowledgements and data under congestion control (RFC 7016 §3.5.2,
// §3.6.2).

// flush sends everything ready: queued startup packets, then each touched
// session's control chunks and acknowledgements, then data by priority
// across those sessions (strict precedence, round robin within a level, as
// rtmfp-cpp's Interface does). Sessions not touched since the last flush
// have nothing new to send (timers.go) and are not visited. After
// flushLimit data packets it stops and reports that more may be ready; the
// next call goes on where it stopped.
func (e *engine) flush(now time.Time, send func(to netip.AddrPort, b []byte)) (more bool) {
	for i, o := range e.out {
		e.stats.PacketsSent++
		e.stats.BytesSent += uint64(len(o.b))
		send(o.to, o.b)
		e.out[i] = outDatagram{}
	}
	e.out = e.out[:0]
	e.sortDirty()
	// Sessions may close while sending; the list itself only grows, and
	// closed ones are skipped.
	for i := 0; i < len(e.dirty); i++ {
		if s := e.dirty[i]; s.scheduled() {
			e.visits++
			s.flushControl(now, send)
		}
	}
	// Data: repeatedly give one packet to the next session, in round-robin
	// order, at the highest priority some session can send now.
	for n := 0; ; n++ {
		if e.flushLimit > 0 && n >= e.flushLimit {
			// The dirty list stays, so the next flush visits the
			// same sessions.
			return true
		}
		pri, ok := e.highestReady(now)
		if !ok {
			break
		}
		s := e.nextRoundRobin(now, pri)
		if s == nil {
			break
		}
		s.sendDataPacket(now, pri, send)
		e.rrLast[pri] = s.seq
	}
	for i := 0; i < len(e.dirty); i++ {
		if s := e.dirty[i]; s.scheduled() {
			s.flushAcks(now, send)
		}
	}
	e.refresh(now, true)
	return false
}

// scheduled reports whether s takes part in flush (open or closing).
func (s *Session) scheduled() bool {
	return s.seq != 0 && s.state != stateClosed
}

// highestReady returns the highest priority at which some touched session
// has data it may send now.
func (e *engine) highestReady(now time.Time) (flow.Priority, bool) {
	best, found := flow.Priority(0), false
	for _, s := range e.dirty {
		if !s.scheduled() {
			continue
		}
		if p, ok := s.readyPriority(now); ok && (!found || p > best) {
			best, found = p, true
		}
	}
	return best, found
}

// nextRoundRobin is the session that sends the next packet at pri: the first
// ready one after the one served last at pri, in opening order, wrapping.
// The dirty list is sorted by opening order.
func (e *engine) nextRoundRobin(now time.Time, pri flow.Priority) *Session {
	var first *Session
	for _, s := range e.dirty {
		if !s.scheduled() || !s.readyAt(now, pri) {
			continue
		}
		if s.seq > e.rrLast[pri] {
			return s
		}
		if first == nil {
			first = s
		}
	}
	return first
}

// otherSessionTC reports whether any session sent TC within 800 ms.
func (e *engine) otherSessionTC(now time.Time) bool {
	return !e.tcSent.IsZero() && now.Sub(e.tcSent) < cc.TimeCriticalTimeout
}

// sealOnce seals a one-off session packet (close acknowledgement on abort).
func (s *Session) sealOnce(now time.Time, chunks []byte) []byte {
	plain := s.appendHeader(nil, now, false, true)
	plain = append(plain, chunks...)
	out := make([]byte, wire.SessionIDLength, wire.SessionIDLength+s.cipher.SealedLen(len(plain)))
	out = s.cipher.Seal(out, plain)
	_ = wire.PutScrambledSessionID(out, s.fsid)
	return out
}

// appendHeader appends a packet header: the timestamp only when it changed,
// the echo only when fresh and changed (RFC 7016 §3.5.2.2; rtmfp-cpp
// getTimestampIfNew, getTimestampEcho). sample says whether the packet may
// carry a new timestamp (sampleTimestamp).
func (s *Session) appendHeader(b []byte, now time.Time, tc, sample bool) []byte {
	h := wire.PacketHeader{Mode: s.mode(), TimeCritical: tc, TimeCriticalReverse: s.e.tcrFor(s, now)}
	ts := s.e.timestamp(now)
	if sample && (!s.haveTSSent || ts != s.tsSent) {
		h.HasTimestamp, h.Timestamp = true, wire.Timestamp(ts)
		s.haveTSSent, s.tsSent, s.tsSentAt = true, ts, now
	}
	if s.haveTSRecv {
		held := now.Sub(s.tsRecvAt)
		if held < MaxTimestampEchoAge {
			echo := s.tsRecv.Add(held)
			if !s.haveEchoSent || echo != s.echoSent {
				h.HasTimestampEcho, h.TimestampEcho = true, wire.Timestamp(echo)
				s.haveEchoSent, s.echoSent = true, echo
			}
		} else {
			s.haveTSRecv = false
		}
	}
	return h.Append(b)
}

// readyPriority is the highest priority at which this session may send data
// now. The congestion window and pacing apply to the session as a whole;
// in addition, while a higher priority has sent data within the
// time-critical timeout, lower priorities leave one MSS of the window free,
// so the next message of the higher priority goes at once instead of waiting
// for an acknowledgement behind bulk data that filled the window.
func (s *Session) readyPriority(now time.Time) (flow.Priority, bool) {
	if s.state != stateOpen {
		return 0, false
	}
	p, ok := s.flows.highestWanting(now)
	if !ok {
		return 0, false
	}
	reserve := s.reserveFor(now, p)
	if s.cc.NextSendTimeAt(now, reserve == 0).After(now) {
		return 0, false
	}
	if !s.cc.CanSend(s.flows.outstanding() + reserve) {
		return 0, false
	}
	return p, true
}

// reserveFor is the part of the congestion window priority p must leave free.
func (s *Session) reserveFor(now time.Time, p flow.Priority) cc.ByteCount {
	for q := int(p) + 1; q < len(s.priSentAt); q++ {
		if t := s.e.fromEpoch(s.priSentAt[q]); !t.IsZero() && now.Sub(t) < cc.TimeCriticalTimeout {
			return cc.MSS
		}
	}
	return 0
}

// readyAt reports whether the session may send data at priority pri now.
func (s *Session) readyAt(now time.Time, pri flow.Priority) bool {
	p, ok := s.readyPriority(now)
	return ok && p >= pri
}

// packet assembly buffer: chunks are appended after room for the longest
// header, which is written in front when the packet is complete.
func (s *Session) startPacket() []byte {
	return s.e.pbuf[:wire.MaxHeaderLength]
}

// sendPacket finishes a packet started by startPacket and sends it to to;
// it returns the datagram's size.
func (s *Session) sendPacket(now time.Time, b []byte, tc bool, to netip.AddrPort, send func(netip.AddrPort, []byte)) int {
	var hb [wire.MaxHeaderLength]byte
	h := s.appendHeader(hb[:0], now, tc, s.sampleTimestamp(now, len(b)-wire.MaxHeaderLength))
	start := wire.MaxHeaderLength - len(h)
	copy(b[start:], h)
	plain := b[start:]
	out := s.cipher.Seal(s.e.wbuf[:wire.SessionIDLength], plain)
	_ = wire.PutScrambledSessionID(out, s.fsid)
	send(to, out)
	s.e.wbuf = out[:0]
	s.lastTx = now
	s.stats.PacketsSent++
	s.stats.BytesSent += uint64(len(out))
	s.meter.at(s.e.interval(now)).sent += uint32(len(out))
	s.e.stats.PacketsSent++
	s.e.stats.BytesSent += uint64(len(out))
	return len(out)
}

// sampleTimestamp reports whether a packet of size bytes (before its header)
// may carry a new timestamp. The far end echoes the last timestamp it
// received, so the packet that carries it is the one whose round trip is
// measured (RFC 7016 §3.5.2.2). In real-time mode only small packets carry
// it (or any packet when none did for realtimeSampleGap): a full-size
// packet's round trip includes its own serialization (31 ms at 300
// kbit/s against 8 ms for an audio packet), which the rate control read
// as a queue on slow links; audio packets measure what audio meets.
func (s *Session) sampleTimestamp(now time.Time, size int) bool {
	if _, on := s.cc.PacingRate(); !on || size <= realtimeSampleSize {
		return true
	}
	return now.Sub(s.tsSentAt) >= realtimeSampleGap
}

// traceSent reports a data packet (sendDataPacket).
func (s *Session) traceSent(now time.Time, size, data, rtx int, tc bool) {
	s.e.trace(TraceEvent{Time: now, Kind: TracePacketSent, Session: s, Bytes: size, Data: data, Count: rtx, TimeCritical: tc})
}

// flushControl sends immediate acknowledgements and control chunks, and a
// mobility check if one is due.
func (s *Session) flushControl(now time.Time, send func(netip.AddrPort, []byte)) {
	if s.mobAddr.IsValid() && s.state == stateOpen {
		secs := uint64(now.Sub(s.e.epoch) / time.Second)
		b := s.startPacket()
		b = wire.Ping{Message: s.mobilityCheck(secs, s.mobAddr)}.Append(b)
		s.sendPacket(now, b, false, s.mobAddr, send)
		s.mobSentAt = now
		s.mobAddr = netip.AddrPort{}
	}
	if s.mobReplyTo.IsValid() && s.state == stateOpen {
		b := s.startPacket()
		b = wire.PingReply{Message: s.mobReply}.Append(b)
		s.sendPacket(now, b, false, s.mobReplyTo, send)
		s.mobReplyTo, s.mobReply = netip.AddrPort{}, nil
	}
	if s.state == stateClosed {
		return
	}
	for {
		b := s.startPacket()
		b = s.flows.appendAcks(b, now, true)
		// Control chunks in order, as many as fit.
		n := 0
		for n < len(s.control) {
			l := wire.ChunkHeaderLength + (int(s.control[n+1])<<8 | int(s.control[n+2]))
			if len(b)+l > MaxPacket+wire.MaxHeaderLength {
				break
			}
			b = append(b, s.control[n:n+l]...)
			n += l
		}
		if n == 0 && len(b) == wire.MaxHeaderLength {
			if len(s.control) > 0 { // a chunk larger than a packet: drop it
				s.control = s.control[:0]
			}
			return
		}
		s.control = s.control[:copy(s.control, s.control[n:])]
		s.sendPacket(now, b, false, s.farAddr, send)
		if len(s.control) == 0 && !s.flows.immediateAckDue() {
			return
		}
	}
}

// sendDataPacket assembles one packet of user data, serving priority pri
// first and then lower ones, with pending acknowledgements riding along.
func (s *Session) sendDataPacket(now time.Time, pri flow.Priority, send func(netip.AddrPort, []byte)) {
	b := s.startPacket()
	b = s.flows.appendAcks(b, now, false)
	s.tsn++
	var rtx0 uint64
	tracing := s.e.cfg.Tracer != nil
	if tracing {
		rtx0 = s.flows.retransmitted()
	}
	// Lower priorities fill the rest of the packet only if the pacer
	// would let them go on their own: a packet of audio sent ahead of
	// video's pacing stays small, so it does not occupy a slow
	// bottleneck for a full packet's serialization (32 ms at 300 kbit/s).
	lower := !s.cc.NextSendTimeAt(now, false).After(now)
	b, sent, chunks, tc := s.flows.appendData(b, now, s.tsn, pri, lower, MaxPacket+wire.MaxHeaderLength)
	if sent > 0 {
		s.priSentAt[pri] = s.e.toEpoch(now)
		s.trimAt = now.Add(flowTrimDelay)
		s.meter.at(s.e.interval(now)).frags += uint32(chunks)
	}
	if sent == 0 && len(b) == wire.MaxHeaderLength {
		s.tsn--
		return
	}
	size := s.sendPacket(now, b, tc, s.farAddr, send)
	if tracing {
		s.traceSent(now, size, sent, int(s.flows.retransmitted()-rtx0), tc)
	}
	s.cc.OnPacketSent(now, cc.ByteCount(sent), tc)
	s.stats.DataBytesSent += uint64(sent)
	if tc {
		s.e.tcSent = now
		s.adjustCongestionDelay(now)
	}
	if sent > 0 {
		if s.rtoAt.IsZero() {
			s.rtoAt = now.Add(s.cc.ERTO())
		}
		// The first data sent since the far end last answered starts
		// the retransmit limit (rtmfp-cpp rescheduleTimeoutAlarm sets
		// m_retransmit_deadline_epoch on every send; acknowledgements
		// and Ping Replies reset it).
		if s.rtxEpoch.IsZero() {
			s.rtxEpoch = now
		}
	}
}

// adjustCongestionDelay tightens delay-based detection while the session
// sends time-critical data: that data waits in the same bottleneck queue as
// everything else the session sends, so the queue the controller tolerates
// is the delay it adds to audio. Outside those periods the configured
// threshold (cc's default, tuned for throughput) applies again.
func (s *Session) adjustCongestionDelay(now time.Time) {
	if !s.cc.DelayDetection() {
		return
	}
	want := s.e.cfg.CongestionDelay
	if s.cc.TimeCritical(now) {
		want = s.e.cfg.TimeCriticalCongestionDelay
	}
	if want == 0 {
		want = cc.DefaultCongestionDelay
	}
	if s.cc.CongestionDelay() != want {
		s.cc.SetCongestionDelay(want)
	}
}

// flushAcks sends the acknowledgements that are due and did not ride on a
// data packet.
func (s *Session) flushAcks(now time.Time, send func(netip.AddrPort, []byte)) {
	if s.state != stateOpen && s.state != stateNearClose && s.state != stateFarCloseLinger {
		return
	}
	for i := 0; i < 8 && s.flows.ackDue(now); i++ {
		b := s.startPacket()
		b = s.flows.appendAcks(b, now, false)
		if len(b) == wire.MaxHeaderLength {
			return
		}
		s.sendPacket(now, b, false, s.farAddr, send)
	}
}

// tcRecv records that s received a time-critical packet at now. The engine
// keeps the latest such time and its session, and the latest time of any
// other session, so tcrFor answers in O(1) (RFC 7016 §3.5.2.1).
func (e *engine) tcRecv(s *Session, now time.Time) {
	if e.tcLastS != s {
		e.tcPrev = e.tcLast
		e.tcLastS = s
	}
	e.tcLast = now
}

// tcrFor reports whether a packet of s must carry TCR: some other session
// received time-critical data within 800 ms (rtmfp-cpp
// shouldSessionReportTCR; RFC 7016 §3.5.2.1).
func (e *engine) tcrFor(s *Session, now time.Time) bool {
	t := e.tcLast
	if e.tcLastS == s {
		t = e.tcPrev
	}
	return !t.IsZero() && now.Sub(t) < cc.TimeCriticalTimeout
}
