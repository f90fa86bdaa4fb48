package rtmfptest

import "time"

// event is a datagram leaving a link: at time at, p comes out of link and
// continues with h. Events are stored by value, so scheduling a datagram
// allocates nothing.
type event struct {
	at   time.Time
	seq  uint64 // tie-break: events due at the same instant run in the order scheduled
	link *Link
	p    packet
	h    hop
}

// scheduler is a min-heap of events ordered by (at, seq), driven by a single
// time.AfterFunc timer armed for the earliest event. All fields are guarded
// by Network.mu.
//
// One timer rather than one per datagram keeps the run deterministic: events
// due at the same virtual instant run in one callback, in heap order, instead
// of in timer goroutines that race each other. Under testing/synctest the
// timer lives in the bubble, so virtual time jumps straight to the next event
// whenever every goroutine is durably blocked; no goroutine is left running
// between events, so nothing leaks when a test returns.
type scheduler struct {
	heap    []event
	seq     uint64
	timer   *time.Timer
	armed   bool      // timer is set and has not run yet
	armedAt time.Time // when the armed timer fires
}

func (s *scheduler) less(i, j int) bool {
	a, b := &s.heap[i], &s.heap[j]
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.seq < b.seq
}

func (s *scheduler) push(e event) {
	s.heap = append(s.heap, e)
	i := len(s.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s.heap[i], s.heap[p] = s.heap[p], s.heap[i]
		i = p
	}
}

func (s *scheduler) pop() event {
	h := s.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = event{}
	s.heap = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= last {
			break
		}
		m := l
		if r := l + 1; r < last && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			break
		}
		s.heap[i], s.heap[m] = s.heap[m], s.heap[i]
		i = m
	}
	return top
}

// schedule makes p leave link l at virtual time at and continue with h
// (n.mu held). The event time, not the clock, is passed on as "now", so
// chained delays add up exactly even on a real clock where timers fire late.
func (n *Network) schedule(at time.Time, l *Link, p packet, h hop) {
	s := &n.sched
	s.seq++
	s.push(event{at: at, seq: s.seq, link: l, p: p, h: h})
	if s.armed && !at.Before(s.armedAt) {
		return
	}
	d := max(time.Until(at), 0)
	if s.timer == nil {
		s.timer = time.AfterFunc(d, n.runDue)
	} else {
		s.timer.Reset(d)
	}
	s.armed, s.armedAt = true, at
}

// runDue is the timer callback: it runs every event that is due, in order,
// and re-arms the timer for the next one.
func (n *Network) runDue() {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := &n.sched
	s.armed = false
	if n.closed {
		return
	}
	now := time.Now()
	for len(s.heap) > 0 && !s.heap[0].at.After(now) {
		e := s.pop()
		e.link.stats.Delivered++
		n.next(e.at, e.p, e.h)
	}
	// Events scheduled while running may have armed the timer for a later
	// instant than an event already waiting in the heap.
	if len(s.heap) > 0 && (!s.armed || !s.armedAt.Equal(s.heap[0].at)) {
		at := s.heap[0].at
		s.timer.Reset(max(time.Until(at), 0))
		s.armed, s.armedAt = true, at
	}
}
