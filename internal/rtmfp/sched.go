package rtmfp

import (
	"slices"
	"time"

	"camchat/internal/rtmfp/cc"
)

// Scheduling state of the engine's loop. Each pass of the loop must cost in
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
