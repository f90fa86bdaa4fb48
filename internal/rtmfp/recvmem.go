package rtmfp

import "time"

// Receive memory budgets. Each receive flow bounds what it holds (the
// window behind a gap, 2·(window + MaxRecvMessage) in all; package flow),
// but a far end chooses how many flows it opens and how many sessions: in
// one review a client with 200 flows, each filled behind a gap that never
// closed, made a server hold 30 MB per session. So every session's flows
// share a budget (Config.SessionRecvMemory) inside the endpoint's
// (Config.EndpointRecvMemory): a fragment or a new flow that does not fit
// is dropped, and the session that went over is closed, or, when the
// endpoint's budget is full, the session that holds the most.

// recvFlowCost is what a receive flow itself is charged, beyond its
// metadata and buffers: the flow's state, its acknowledgement ranges and
// its channels.
const recvFlowCost = 1024

// enforceRecvMemory closes, after a packet of s, the session that went
// over a receive memory budget: s over its own, or the largest holder when
// the endpoint's is full.
func (e *engine) enforceRecvMemory(now time.Time, s *Session) {
	if n := s.recvMem.TakeRefused(); n > 0 {
		e.stats.Dropped[DropRecvMemory] += uint64(n)
		s.stats.Dropped[DropRecvMemory] += uint64(n)
		if s.state != stateClosed {
			e.stats.RecvMemoryCloses++
			s.abort(now, ErrRecvMemory, true)
		}
	}
	if n := e.recvMem.TakeRefused(); n > 0 {
		e.stats.Dropped[DropRecvMemory] += uint64(n)
		var big *Session
		for _, o := range e.sessions {
			if big == nil || o.recvMem.Held() > big.recvMem.Held() {
				big = o
			}
		}
		if big != nil {
			e.stats.RecvMemoryCloses++
			big.abort(now, ErrRecvMemory, true)
		}
	}
}

// releaseRecvMemory gives back to the endpoint what a session that ended
// holds. Fragments of messages that can no longer complete are freed;
// whole messages stay for the application to read, no longer counted
// against the endpoint.
func (s *Session) releaseRecvMemory() {
	for _, rf := range s.flows.recv {
		rf.r.DropFragments()
	}
	s.recvMem.Detach()
}
