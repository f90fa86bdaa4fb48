package rtmfp

import (
	"slices"
	"time"

	"camchat/internal/rtmfp/wire"
)

// Timers: when each session's timers must run, and what they do (IHello and
// IIKeying retransmission, retransmission timeout, retransmit limit,
// keepalive, idle limit, close; RFC 7016 §3.5.1.1, §3.5.2.2, §3.5.5).
//
// Each pass of the loop must cost in
// proportion to what happened, not to the number of sessions: a rendezvous
// server holds thousands of idle sessions, each with a keepalive every few
// seconds, and a pass that visits every session on every keepalive starves
// the reader.
//
//   - The deadline heap orders sessions by the next time their timers must
//     run (Session.deadline); timeout pops only those that are due.
//   - The dirty list holds sessions touched since the last flush: by a
//     packet, a timer, an application call or a new handshake. Only they can
//     have something new to send, and only their deadlines can have moved,
//     so flush visits only them and then recomputes their deadlines.
//
// A session that has data it may not send yet (congestion window, pacing,
// headroom) is woken by the event that lifts the limit: an acknowledgement
// (a packet) or a time in its deadline (a timer); both touch it.

// touch marks s as having new work: flush visits it and its deadline is
// recomputed.
func (e *engine) touch(s *Session) {
	if s.dirty || s.state == stateClosed {
		return
	}
	s.dirty = true
	e.dirty = append(e.dirty, s)
}

// refresh recomputes the deadline of every touched session and places it in
// the heap. With clear it also empties the dirty list (after flush visited
// it); timeout refreshes without clearing, so sessions touched since the
// last flush are still flushed.
func (e *engine) refresh(now time.Time, clearDirty bool) {
	for i, s := range e.dirty {
		if s.state == stateClosed {
			e.heapRemove(s)
		} else {
			e.heapSet(s, s.deadline(now))
		}
		if clearDirty {
			s.dirty = false
			e.dirty[i] = nil
		}
	}
	if clearDirty {
		e.dirty = e.dirty[:0]
	}
}

// sortDirty puts the dirty list in scheduling order (the order sessions
// opened), which keeps the order of packets across sessions deterministic.
func (e *engine) sortDirty() {
	slices.SortFunc(e.dirty, func(a, b *Session) int {
		switch {
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
}

// The heap is a binary min-heap of sessions keyed by Session.due, each
// session knowing its index (hidx, -1 when not in the heap), so a changed
// deadline is fixed in O(log n) without searching.

func (e *engine) heapLess(i, j int) bool { return e.heap[i].due.Before(e.heap[j].due) }

func (e *engine) heapSwap(i, j int) {
	h := e.heap
	h[i], h[j] = h[j], h[i]
	h[i].hidx = i
	h[j].hidx = j
}

func (e *engine) heapUp(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !e.heapLess(i, p) {
			return
		}
		e.heapSwap(i, p)
		i = p
	}
}

func (e *engine) heapDown(i int) {
	n := len(e.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && e.heapLess(r, l) {
			m = r
		}
		if !e.heapLess(m, i) {
			return
		}
		e.heapSwap(i, m)
		i = m
	}
}

// heapSet gives s the deadline d (zero: none, out of the heap).
func (e *engine) heapSet(s *Session, d time.Time) {
	if d.IsZero() {
		e.heapRemove(s)
		return
	}
	if s.hidx < 0 {
		s.due = d
		s.hidx = len(e.heap)
		e.heap = append(e.heap, s)
		e.heapUp(s.hidx)
		return
	}
	if d.Equal(s.due) {
		return
	}
	s.due = d
	e.heapUp(s.hidx)
	e.heapDown(s.hidx)
}

// heapRemove takes s out of the heap.
func (e *engine) heapRemove(s *Session) {
	i := s.hidx
	if i < 0 {
		return
	}
	last := len(e.heap) - 1
	if i != last {
		e.heapSwap(i, last)
	}
	e.heap[last] = nil
	e.heap = e.heap[:last]
	s.hidx = -1
	if i != last {
		e.heapUp(i)
		e.heapDown(i)
	}
}

// nextDeadline is the earliest time timeout must run (zero: none). It
// brings the deadlines of touched sessions up to date first.
func (e *engine) nextDeadline(now time.Time) time.Time {
	e.refresh(now, false)
	if len(e.heap) == 0 {
		return time.Time{}
	}
	return e.heap[0].due
}

// timeout runs the timers of the sessions whose deadline has passed, and
// only those.
func (e *engine) timeout(now time.Time) {
	e.refresh(now, false)
	for len(e.heap) > 0 && !e.heap[0].due.After(now) {
		s := e.heap[0]
		e.heapRemove(s)
		e.visits++
		e.touch(s)
		s.onTimer(now)
	}
}

// onTimer runs the session's due timers.
func (s *Session) onTimer(now time.Time) {
	switch s.state {
	case stateIHelloSent, stateKeyingSent:
		if now.Sub(s.hs.started) >= UltimateSessionTimeout {
			s.fail(now, ErrHandshakeTimeout)
			return
		}
		if s.state == stateIHelloSent {
			s.sendIHellos(now)
		} else if !s.hs.keyingNext.After(now) {
			s.sendIIKeying(now)
		}
	case stateOpen:
		s.adjustCongestionDelay(now)
		if at := s.rtxLimitAt(); !at.IsZero() && !at.After(now) {
			s.abort(now, ErrRetransmitLimit, false)
			return
		}
		if !s.rtoAt.IsZero() && !s.rtoAt.After(now) {
			s.onRTO(now)
			if s.state != stateOpen {
				return
			}
		}
		if !s.keepaliveOut && !s.keepaliveAt().After(now) {
			s.sendKeepalive(now)
		}
		if s.flows.count() > 0 {
			s.lastIdle = now
		} else if now.Sub(s.lastIdle) >= s.e.cfg.IdleLimit {
			s.closeOrderly(now, ErrIdle)
			return
		}
		s.flows.onTimer(now, s)
		if !s.trimAt.IsZero() && !s.trimAt.After(now) {
			s.trimAt = time.Time{}
			s.flows.trim()
		}
	case stateNearClose:
		if now.Sub(s.closeStarted) >= NearCloseTimeout {
			s.state = stateClosed
			s.e.remove(s)
			return
		}
		if !s.closeNext.After(now) {
			s.control = wire.SessionClose{}.Append(s.control)
			s.closeNext = now.Add(NearCloseRetransmit)
		}
	case stateFarCloseLinger:
		if now.Sub(s.closeStarted) >= FarCloseLinger {
			s.state = stateClosed
			s.e.remove(s)
		}
	}
}

// rtxLimitAt is when the session gives up on a far end that answers
// nothing (RFC 7016 §3.5.2.2): the retransmit limit after the first packet
// that asked for an answer (data or a keepalive Ping) since the last one
// came (an acknowledgement or a Ping Reply). Zero: nothing waits for an
// answer. rtmfp-cpp checks the limit only when its retransmission timer
// fires, which after a few backoffs can be seconds late; the session's
// deadline includes this time, so the limit holds to the timer's precision.
func (s *Session) rtxLimitAt() time.Time {
	if s.rtxEpoch.IsZero() {
		return time.Time{}
	}
	return s.rtxEpoch.Add(s.e.cfg.RetransmitLimit)
}

// keepaliveAt is when a keepalive Ping is due: a period after the last
// packet sent; the responder waits one MRTO more so both ends do not ping
// (rtmfp-cpp onKeepaliveAlarm).
func (s *Session) keepaliveAt() time.Time {
	t := s.lastTx.Add(s.keepalive)
	if !s.isInitiator {
		t = t.Add(s.cc.MRTO())
	}
	return t
}

func (s *Session) sendKeepalive(now time.Time) {
	s.control = wire.Ping{}.Append(s.control)
	s.keepaliveOut = true
	if s.rtxEpoch.IsZero() {
		s.rtxEpoch = now
	}
	if s.rtoAt.IsZero() {
		s.rtoAt = now.Add(s.cc.ERTO())
	}
}

// onRTO is the retransmission timeout (RFC 7016 §3.5.2.2, Appendix A.2):
// all outstanding data is lost, the window collapses, and if nothing has
// been answered for the retransmit limit the far end is gone.
func (s *Session) onRTO(now time.Time) {
	out := s.flows.outstanding()
	if out == 0 && !s.keepaliveOut {
		s.cc.OnTimeout(now, false)
		s.rtoAt = time.Time{}
		s.rtxEpoch = time.Time{}
		return
	}
	if !s.rtxEpoch.IsZero() && now.Sub(s.rtxEpoch) >= s.e.cfg.RetransmitLimit {
		s.abort(now, ErrRetransmitLimit, false)
		return
	}
	s.cc.OnTimeout(now, out > 0)
	lost := s.flows.onTimeout(now)
	if lost > 0 {
		s.meter.at(s.e.interval(now)).lost += uint32(lost)
	}
	if s.e.cfg.Tracer != nil {
		s.e.trace(TraceEvent{Time: now, Kind: TraceTimeout, Session: s, Count: int(lost), CWND: s.cc.CWND()})
	}
	s.stats.Timeouts++
	if s.keepaliveOut {
		s.control = wire.Ping{}.Append(s.control)
	}
	s.rtoAt = now.Add(s.cc.ERTO())
}

// deadline is when onTimer must next run (zero: no timer).
func (s *Session) deadline(now time.Time) time.Time {
	switch s.state {
	case stateIHelloSent:
		d := s.hs.started.Add(UltimateSessionTimeout)
		for _, c := range s.hs.candidates {
			d = earliest(d, c.next)
		}
		return d
	case stateKeyingSent:
		return earliest(s.hs.started.Add(UltimateSessionTimeout), s.hs.keyingNext)
	case stateOpen:
		d := earliest(s.rtoAt, s.rtxLimitAt())
		if !s.keepaliveOut {
			d = earliest(d, s.keepaliveAt())
		}
		if s.flows.count() == 0 {
			d = earliest(d, s.lastIdle.Add(s.e.cfg.IdleLimit))
		}
		d = earliest(d, s.flows.deadline(now, s))
		d = earliest(d, s.trimAt)
		if len(s.control) > 0 || s.mobAddr.IsValid() || s.mobReplyTo.IsValid() {
			d = earliest(d, now)
		}
		return d
	case stateNearClose:
		return earliest(s.closeStarted.Add(NearCloseTimeout), s.closeNext)
	case stateFarCloseLinger:
		d := s.closeStarted.Add(FarCloseLinger)
		if len(s.control) > 0 {
			d = earliest(d, now)
		}
		return d
	}
	return time.Time{}
}
