package rendezvous

import (
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/wire"
)

// Directory shares a server's introducible peers with other rendezvous
// servers and finds the peers they hold, so that several servers introduce
// each other's clients (a cluster: package cluster implements it over
// NATS). A server without one (Config.Directory nil) knows only its own
// clients.
//
// The server calls Register and Unregister with its peer table's lock held
// and Introduce from an endpoint's loop goroutine: none of them may block
// or call back into the server. Register must copy reported.
type Directory interface {
	// Register says that id may be introduced through this server: its
	// session's far address as last observed and the addresses it
	// reported (setPeerInfo). It is called again when either changes.
	Register(id flashcrypto.PeerID, observed netip.AddrPort, reported []netip.AddrPort)
	// Unregister says that id is no longer introducible here.
	Unregister(id flashcrypto.PeerID)
	// Introduce handles an IHello naming a peer this server does not
	// hold (RFC 7016 §3.5.1.4): if another server holds it, Introduce
	// asks that server to forward the IHello to the target through the
	// session it holds (only its packets pass the target's NAT; it calls
	// Server.ForwardIntroduction) and returns the target's addresses for
	// the Redirect this server sends to the initiator. The error wraps
	// ErrNoTarget when no other server holds the target, ErrIntroRate
	// when introductions to it are over their rate.
	Introduce(target flashcrypto.PeerID, epd []byte, from netip.AddrPort, tag []byte) (addrs []wire.Address, err error)
}

// DirectoryLookup is implemented by a Directory that can find the
// addresses of a peer another server holds without asking that server to
// forward the IHello: the server answers an IHello too small to pay for
// the target's RHello (within three times its bytes) with the Redirect
// alone.
type DirectoryLookup interface {
	Lookup(target flashcrypto.PeerID) ([]wire.Address, error)
}

// ForwardIntroduction sends the FIHello of an introduction that another
// server of a cluster began (RFC 7016 §3.5.1.5): that server received the
// IHello for target from the initiator at from and sent it the Redirect;
// this one holds the target's session. The introduction rate of target
// applies as for an IHello received here, so a target's limit holds
// across the cluster whichever server the IHellos reach.
func (s *Server) ForwardIntroduction(target flashcrypto.PeerID, epd []byte, from netip.AddrPort, tag []byte) error {
	s.mu.Lock()
	t := s.peers[target]
	switch {
	case t == nil:
		s.mu.Unlock()
		s.ctr.drop(DropUnknownTarget)
		return fmt.Errorf("%w: %s", ErrNoTarget, target)
	case !t.connected || !t.peerInfo || t.closing:
		s.mu.Unlock()
		s.ctr.drop(DropTargetNotReady)
		return fmt.Errorf("%w: %s is not registered", ErrNoTarget, target)
	case !t.intros.allow(s.cfg.Now(), s.cfg.Limits.IntroductionRate, s.cfg.Limits.IntroductionBurst):
		s.mu.Unlock()
		s.ctr.drop(DropIntroRate)
		return fmt.Errorf("%w: %s", ErrIntroRate, target)
	}
	sess := t.sess
	s.mu.Unlock()
	if s.cfg.NoForward {
		return nil
	}
	if err := sess.ForwardIHello(epd, from, tag); err != nil {
		return fmt.Errorf("rendezvous: forward IHello to %s: %w", target, err)
	}
	atomic.AddUint64(&s.ctr.forwarded, 1)
	return nil
}

// register and unregister tell the directory, if any, about p. They are
// called with Server.mu held, so that the directory sees a peer's changes
// in the order they happened (a move after the session ended would
// otherwise register a dead peer again).
func (s *Server) register(p *peer) {
	if s.cfg.Directory != nil {
		s.cfg.Directory.Register(p.id, p.addr, p.reported)
	}
}

func (s *Server) unregister(id flashcrypto.PeerID) {
	if s.cfg.Directory != nil {
		s.cfg.Directory.Unregister(id)
	}
}

// remoteRedirect answers an IHello for a peer that this server does not
// hold from the directory: the Redirect lists the addresses the holding
// server knows, filtered as setPeerInfo addresses are here (another
// server may listen on loopback when this one does not).
func (s *Server) remoteRedirect(ep *rtmfp.Endpoint, target flashcrypto.PeerID, epd []byte, from netip.AddrPort, tag []byte) bool {
	// The holding server's FIHello makes the target answer from, which
	// may be forged: only within from's budget, with our Redirect (of
	// one address at least), as in introduce; otherwise the Redirect
	// alone, if the directory can find the target without forwarding.
	var addrs []wire.Address
	var err error
	if s.introBudget(from, tag, remoteTargetCert, redirectSize(len(tag), 1)) {
		addrs, err = s.cfg.Directory.Introduce(target, epd, from, tag)
	} else if l, ok := s.cfg.Directory.(DirectoryLookup); ok {
		addrs, err = l.Lookup(target)
	} else {
		return true
	}
	switch {
	case errors.Is(err, ErrIntroRate):
		s.ctr.drop(DropIntroRate)
		return true
	case err != nil:
		return false
	}
	kept := addrs[:0:0]
	for _, a := range addrs {
		if reportable(a.AddrPort, ep.LocalAddr().Addr().IsLoopback()) {
			kept = append(kept, a)
		}
	}
	if len(kept) == 0 {
		s.ctr.drop(DropPeerAddr)
		return true
	}
	atomic.AddUint64(&s.ctr.introductions, 1)
	atomic.AddUint64(&s.ctr.remoteIntroductions, 1)
	_ = ep.Redirect(from, tag, kept...)
	s.cfg.Logger.Debug("introduction through the cluster", "initiator", from.String(), "target", target.String(), "addresses", len(kept))
	return true
}
