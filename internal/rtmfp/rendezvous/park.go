package rendezvous

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// Parking. Most peers of a rendezvous server sit idle for hours after
// connect and setPeerInfo; a goroutine blocked on each one's control flow
// would cost its stack (4 KiB) per peer. A peer whose control flow has been
// quiet for parkAfter is parked instead: its goroutine ends and the flow's
// readiness function (rtmfp.RecvFlow.SetReadyFunc) queues the peer for one
// dispatcher goroutine when a message arrives or the session ends, which
// un-parks it into a new goroutine. An idle peer costs no goroutine and no
// polling.
const parkAfter = 5 * time.Second

// nowait is an ended context: a Read with it returns a message if one is
// ready and never waits.
var nowait = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// park hands p to the dispatcher; it reports false when the server is
// shutting down (the caller keeps the peer).
func (s *Server) park(p *peer) bool {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return false
	}
	s.parked[p] = struct{}{}
	s.wg.Done() // the peer's goroutine ends
	s.mu.Unlock()
	// Called at once if a message came meanwhile.
	p.ctl.SetReadyFunc(func() { s.readyPush(p) })
	return true
}

// readyPush queues p for the dispatcher. It runs with the transport's lock
// held, so it only takes the leaf lock readyMu.
func (s *Server) readyPush(p *peer) {
	s.readyMu.Lock()
	s.readyQ = append(s.readyQ, p)
	s.readyMu.Unlock()
	select {
	case s.readySig <- struct{}{}:
	default:
	}
}

// dispatch runs until Shutdown, un-parking the peers whose control flow
// became readable.
func (s *Server) dispatch() {
	defer close(s.pollDone)
	var ps []*peer
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.readySig:
		}
		s.readyMu.Lock()
		ps, s.readyQ = s.readyQ, ps[:0]
		s.readyMu.Unlock()
		for i, p := range ps {
			s.wake(p)
			ps[i] = nil
		}
	}
}

// wake un-parks p if its control flow has a message or ended. A peer can
// be queued more than once, or be queued and already un-parked.
func (s *Server) wake(p *peer) {
	s.mu.Lock()
	_, parked := s.parked[p]
	s.mu.Unlock()
	if !parked {
		return
	}
	b, err := p.ctl.Read(nowait)
	if errors.Is(err, context.Canceled) {
		return // still quiet
	}
	p.ctl.SetReadyFunc(nil)
	s.mu.Lock()
	delete(s.parked, p)
	s.wg.Add(1)
	s.mu.Unlock()
	if err != nil {
		go s.endPeer(p)
		return
	}
	go s.control(p, b)
}

// unparkAll ends every parked peer's session (at Shutdown, after the
// dispatcher stopped).
func (s *Server) unparkAll() {
	s.mu.Lock()
	ps := make([]*peer, 0, len(s.parked))
	for p := range s.parked {
		ps = append(ps, p)
	}
	clear(s.parked)
	s.wg.Add(len(ps))
	s.mu.Unlock()
	for _, p := range ps {
		p.ctl.SetReadyFunc(nil)
		s.endPeer(p)
	}
}

// moved is a far address change reported by the transport.
type moved struct {
	p    *peer
	addr netip.AddrPort
}

// notePush records that p's far end moved to a (rtmfp.Session.SetFarAddrFunc);
// the janitor applies it. Like readyPush it runs under the transport's lock.
func (s *Server) notePush(p *peer, a netip.AddrPort) {
	s.readyMu.Lock()
	s.movedQ = append(s.movedQ, moved{p, a})
	s.readyMu.Unlock()
}

// applyMoves follows the peers that moved since the last call.
func (s *Server) applyMoves() {
	s.readyMu.Lock()
	ms := s.movedQ
	s.movedQ = nil
	s.readyMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range ms {
		if _, live := s.sessions[m.p.sess]; live && m.addr.IsValid() && m.addr != m.p.addr {
			s.lim.moveSession(m.p.addr, m.addr)
			m.p.addr = m.addr
			if m.p.peerInfo && s.peers[m.p.id] == m.p {
				s.register(m.p)
			}
		}
	}
}
