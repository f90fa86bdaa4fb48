package rtmfp

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/wire"
)

// errLocked is the session's error for calls that need it open.
func (s *Session) errLocked() error {
	if s.err != nil {
		return s.err
	}
	if s.state != stateOpen {
		return ErrNotOpen
	}
	return nil
}

// Err returns the session's first fatal error, or nil while it is open.
func (s *Session) Err() error {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	return s.err
}

// Done is closed when the session ends (closed by either end, aborted, timed
// out); Err then says why.
func (s *Session) Done() <-chan struct{} { return s.done }

// OpenFlow opens a new send flow with the given metadata and priority.
func (s *Session) OpenFlow(metadata []byte, pri Priority) (*SendFlow, error) {
	return s.openFlow(metadata, pri, false, 0)
}

func (s *Session) openFlow(metadata []byte, pri Priority, assoc bool, assocID wire.FlowID) (*SendFlow, error) {
	if len(metadata) > MaxMetadata {
		return nil, ErrMetadataTooLarge
	}
	if !pri.Valid() {
		return nil, fmt.Errorf("rtmfp: open flow: priority %d out of range", pri)
	}
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := s.errLocked(); err != nil {
		return nil, err
	}
	s.flows.nextID++
	id := s.flows.nextID
	sf := &SendFlow{
		s:   s,
		pri: pri,
		f: flow.NewSender(flow.SendConfig{
			ID: id, Metadata: append([]byte(nil), metadata...),
			Associated: assoc, AssociatedID: assocID, Priority: pri,
		}),
		returns: make(chan *RecvFlow, e.cfg.FlowAcceptQueue),
		space:   make(chan struct{}, 1),
	}
	s.flows.addSend(sf)
	e.touch(s)
	return sf, nil
}

// AcceptFlow waits for a flow the far end opened that is not associated to
// one of ours (those arrive through SendFlow.AcceptReturn).
func (s *Session) AcceptFlow(ctx context.Context) (*RecvFlow, error) {
	select {
	case rf := <-s.flows.acceptQ:
		return rf, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.done:
		select {
		case rf := <-s.flows.acceptQ:
			return rf, nil
		default:
		}
		return nil, s.Err()
	}
}

// NearNonce and FarNonce are the session nonces Flash exposes as
// NetConnection.nearNonce and farNonce (RFC 7425 §4.6.3): this end's near
// nonce equals the far end's far nonce unless someone sits in the middle.
func (s *Session) NearNonce() [32]byte {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.est == nil {
		return [32]byte{}
	}
	return s.est.Nonces.Near
}

// FarNonce: see NearNonce.
func (s *Session) FarNonce() [32]byte {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.est == nil {
		return [32]byte{}
	}
	return s.est.Nonces.Far
}

// Nonces returns both nonces.
func (s *Session) Nonces() flashcrypto.Nonces {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.est == nil {
		return flashcrypto.Nonces{}
	}
	return s.est.Nonces
}

// Negotiated reports the packet protections in force (HMAC, sequence numbers).
func (s *Session) Negotiated() flashcrypto.Negotiated {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.est == nil {
		return flashcrypto.Negotiated{}
	}
	return s.est.Negotiated
}

// FarPeerID is the far end's peer ID (SHA-256 of its certificate's canonical part).
func (s *Session) FarPeerID() flashcrypto.PeerID {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	if s.farCert == nil {
		return flashcrypto.PeerID{}
	}
	return s.farCert.PeerID
}

// FarCertificate is the far end's certificate.
func (s *Session) FarCertificate() *flashcrypto.Cert {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	return s.farCert
}

// FarAddr is the address packets to the far end go to now (it follows the
// far end when it moves, RFC 7016 §3.5.4.2).
func (s *Session) FarAddr() netip.AddrPort {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	return s.farAddr
}

// SetFarAddrFunc registers fn to be called with the new address whenever
// the far end moves: a mobility check from its new address was answered and
// packets now go there (RFC 7016 §3.5.4.2). nil unregisters. fn runs on the
// endpoint's loop with its lock held: it must not block and must not call
// methods of this package.
func (s *Session) SetFarAddrFunc(fn func(netip.AddrPort)) {
	s.e.mu.Lock()
	s.onMove = fn
	s.e.mu.Unlock()
}

// IsInitiator reports whether this end opened the session.
func (s *Session) IsInitiator() bool { return s.isInitiator }

// ForwardIHello forwards an initiator's IHello to the far end as an FIHello
// (RFC 7016 §3.5.1.4): the far end may answer the initiator at replyAddr
// directly, which is how a rendezvous server or a room member introduces two
// peers.
func (s *Session) ForwardIHello(epd []byte, replyAddr netip.AddrPort, tag []byte) error {
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := s.errLocked(); err != nil {
		return err
	}
	c := wire.FIHello{EPD: epd, ReplyAddress: wire.Address{AddrPort: replyAddr, Origin: wire.OriginObserved}, Tag: tag}
	if c.Length() > MaxPacket-wire.MaxHeaderLength {
		return fmt.Errorf("rtmfp: forward IHello: %d bytes do not fit a packet", c.Length())
	}
	s.control = c.Append(s.control)
	e.touch(s)
	e.wake()
	return nil
}

// SetFIHelloMode sets what this session does with FIHellos its far end
// forwards to us.
func (s *Session) SetFIHelloMode(m FIHelloMode) {
	s.e.mu.Lock()
	s.fiMode = m
	s.e.mu.Unlock()
}

// SetKeepalivePeriod changes how long this session may send nothing before
// it sends a keepalive Ping (at least MinTimerPeriod), e.g. the value a
// server asks for with the Flash "set keepalive" event (RFC 7425 §5.3.4).
func (s *Session) SetKeepalivePeriod(d time.Duration) {
	d = max(d, MinTimerPeriod)
	s.e.mu.Lock()
	s.keepalive = d
	s.e.touch(s)
	s.e.mu.Unlock()
	s.e.wake()
}

// KeepalivePeriod is the session's current keepalive period.
func (s *Session) KeepalivePeriod() time.Duration {
	s.e.mu.Lock()
	defer s.e.mu.Unlock()
	return s.keepalive
}

// Close closes the session in an orderly way (RFC 7016 §3.5.5): every flow
// ends, a Close Request goes now and every 5 s until acknowledged (90 s at
// most). Done is closed at once.
func (s *Session) Close() error {
	e := s.e
	e.mu.Lock()
	s.closeOrderly(e.cfg.Now(), ErrSessionClosed)
	e.touch(s)
	e.mu.Unlock()
	e.wake()
	return nil
}

// Abort closes the session abruptly: a Close Acknowledgement goes to the far
// end, which aborts too.
func (s *Session) Abort() {
	e := s.e
	e.mu.Lock()
	s.abort(e.cfg.Now(), ErrSessionAborted, true)
	e.mu.Unlock()
	e.wake()
}

// Stats returns the session's figures.
func (s *Session) Stats() SessionStats {
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	st := s.stats
	c := s.cc.Stats()
	st.LatestRTT, st.SRTT, st.RTTVar, st.CWND = c.LatestRTT, c.SRTT, c.RTTVar, c.CWND
	st.BaseRTT = c.BaseRTT
	st.LossCuts, st.DelayCuts, st.Timeouts = c.LossCuts, c.DelayCuts, c.Timeouts
	st.Outstanding = s.flows.outstanding()
	if r, on := s.cc.PacingRate(); on {
		st.PacingRate = r
	}
	for _, sf := range s.flows.send {
		fs := sf.f.Stats()
		st.Retransmits += fs.Retransmitted
		st.Abandoned += fs.Abandoned
		st.SendQueue += sf.f.Unsent()
	}
	if s.state == stateOpen {
		sum, span := s.meter.read(e.interval(e.cfg.Now()))
		if span > 0 {
			st.SendRate = float64(sum.sent) / span.Seconds()
			st.RecvRate = float64(sum.recv) / span.Seconds()
		}
		if sum.frags > 0 {
			st.Loss = min(float64(sum.lost)/float64(sum.frags), 1)
		}
	}
	st.RecvMemory, st.RecvMemoryPeak = s.recvMem.Held(), s.recvMem.Peak()
	st.Retransmits += s.flows.closedRetransmits
	st.Abandoned += s.flows.closedAbandoned
	return st
}
