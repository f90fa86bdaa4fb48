package rendezvous

import (
	"slices"
	"sync/atomic"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/wire"
)

// introduce handles an IHello whose EPD does not select the server (RFC
// 7016 §3.5.1.4–§3.5.1.6; the Cirrus-style introduction of rtmfp-cpp's
// test/tcserver.cpp). If it names, by fingerprint, a connected client that has
// done connect and setPeerInfo, the initiator gets a Redirect from ep
// listing the target's observed address and every address it reported, and
// the target gets an FIHello carrying the initiator's observed address, so
// that its RHello opens the initiator's NAT while the initiator's IHellos
// open the target's. Introductions to one target are rate-limited
// (Limits.IntroductionRate), since the initiator's address may be forged.
// It runs on ep's loop goroutine.
func (s *Server) introduce(ep *rtmfp.Endpoint, u rtmfp.UnmatchedIHello) {
	if u.Via != nil {
		// A client forwarded an IHello to us: we are nobody's target.
		s.ctr.drop(DropForwarded)
		return
	}
	epd, err := flashcrypto.ParseEPD(u.EPD)
	if err != nil || !epd.HasFingerprint {
		s.ctr.drop(DropNoFingerprint)
		return
	}
	s.mu.Lock()
	t := s.peers[epd.Fingerprint]
	if t == nil {
		s.mu.Unlock()
		if s.cfg.Directory == nil || !s.remoteRedirect(ep, epd.Fingerprint, u.EPD, u.From, u.Tag) {
			s.ctr.drop(DropUnknownTarget)
		}
		return
	}
	if !t.connected || !t.peerInfo || t.closing {
		s.mu.Unlock()
		s.ctr.drop(DropTargetNotReady)
		return
	}
	if !t.intros.allow(s.cfg.Now(), s.cfg.Limits.IntroductionRate, s.cfg.Limits.IntroductionBurst) {
		s.mu.Unlock()
		s.ctr.drop(DropIntroRate)
		return
	}
	addrs := make([]wire.Address, 0, 1+len(t.reported))
	addrs = append(addrs, wire.Address{AddrPort: t.addr, Origin: wire.OriginObserved})
	for _, a := range t.reported {
		if a != t.addr && len(addrs) < rtmfp.MaxCandidates {
			addrs = append(addrs, wire.Address{AddrPort: a, Origin: wire.OriginReported})
		}
	}
	sess := t.sess
	s.mu.Unlock()
	addrs = slices.Clip(addrs)
	// Counted before the packets leave, so that whoever sees an effect of
	// the introduction (a direct session) also sees it counted. Redirect
	// fails only once the endpoint is closing.
	atomic.AddUint64(&s.ctr.introductions, 1)
	if err := ep.Redirect(u.From, u.Tag, addrs...); err != nil {
		return
	}
	if !s.cfg.NoForward {
		if err := sess.ForwardIHello(u.EPD, u.From, u.Tag); err != nil {
			s.cfg.Logger.Debug("forward IHello", "target", epd.Fingerprint.String(), "err", err)
		}
	}
	s.cfg.Logger.Debug("introduction", "initiator", u.From.String(), "target", epd.Fingerprint.String(), "addresses", len(addrs))
}
