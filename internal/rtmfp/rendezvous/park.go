package rendezvous

import (
	"context"
	"errors"
	"time"
)

// Parking. Most peers of a rendezvous server sit idle for hours after
// connect and setPeerInfo; a goroutine blocked on each one's control flow
// would cost its stack (4 KiB) per peer. A peer whose control flow has been
// quiet for parkAfter is parked instead: its goroutine ends, and one poller
// looks at every parked flow once each parkPoll, a tenth of them every
// tenth of it, with a read that does not wait. A message (or the end of the
// session) un-parks the peer into a new goroutine. The price is up to
// parkPoll of added latency on the first command after a quiet spell,
// which Flash clients' NetConnection calls tolerate, and one read a second
// per idle peer, each taking the transport's lock. (A readiness
// notification on rtmfp.RecvFlow would remove the polling.)
const (
	parkAfter  = 5 * time.Second
	parkPoll   = time.Second
	parkSlices = 10
)

// nowait is an ended context: a Read with it returns a message if one is
// ready and never waits.
var nowait = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// park hands p to the poller; it reports false when the server is shutting
// down (the caller keeps the peer).
func (s *Server) park(p *peer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.parked[p] = s.parkSlot % parkSlices
	s.parkSlot++
	s.wg.Done() // the peer's goroutine ends
	return true
}

// poll runs until Shutdown: every parkPoll/parkSlices it looks at the
// parked peers of one slice.
func (s *Server) poll() {
	defer close(s.pollDone)
	t := time.NewTicker(parkPoll / parkSlices)
	defer t.Stop()
	var ps []*peer
	for slot := 0; ; slot = (slot + 1) % parkSlices {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		ps = ps[:0]
		for p, slice := range s.parked {
			if slice == slot {
				ps = append(ps, p)
			}
		}
		s.mu.Unlock()
		for i, p := range ps {
			s.wake(p)
			ps[i] = nil
		}
	}
}

// wake un-parks p if its control flow has a message or ended.
func (s *Server) wake(p *peer) {
	b, err := p.ctl.Read(nowait)
	if errors.Is(err, context.Canceled) {
		return // still quiet
	}
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
// poller stopped).
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
		s.endPeer(p)
	}
}
