package rendezvous

import (
	"net/netip"
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
// The target's RHello is charged, with the Redirect, to the initiator's
// amplification budget (guard.go reserve), since the initiator's address
// may be forged. It runs on ep's loop goroutine.
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
	// The target's RHello answers the initiator's address as we saw it,
	// which the IHello may have forged: it goes only within that
	// address's budget, with our Redirect (introBudget).
	certLen := remoteTargetCert
	if c := sess.FarCertificate(); c != nil {
		certLen = len(c.Raw)
	}
	forward := !s.cfg.NoForward && s.introBudget(u.From, u.Tag, certLen, sealedStartupSize(wire.Redirect{Tag: u.Tag, Addresses: addrs}.Length()))
	// Counted before the packets leave, so that whoever sees an effect of
	// the introduction (a direct session) also sees it counted. Redirect
	// fails only once the endpoint is closing.
	atomic.AddUint64(&s.ctr.introductions, 1)
	if err := ep.Redirect(u.From, u.Tag, addrs...); err != nil {
		return
	}
	if forward {
		if err := sess.ForwardIHello(u.EPD, u.From, u.Tag); err != nil {
			s.cfg.Logger.Debug("forward IHello", "target", epd.Fingerprint.String(), "err", err)
		}
	}
	s.cfg.Logger.Debug("introduction", "initiator", u.From.String(), "target", epd.Fingerprint.String(), "addresses", len(addrs))
}

// remoteTargetCert is the certificate size an introduction to a peer
// another server holds is charged for (the directory does not carry it):
// one with static keys of groups 16, 14 and 2, as camchat identities
// have, is 908 bytes.
const remoteTargetCert = 908

// introBudget decides whether the target of an introduction may be asked
// to answer the initiator at from (an RHello with a certificate of certLen
// bytes): only if that address's amplification budget
// (rtmfp.AmplificationFactor times what it sent in the window, less what
// went to it) pays for the RHello and the Redirect of redirect bytes,
// which the guard charges when it is written. The RHello is charged here. An
// IHello that cannot pay gets the Redirect alone (if that fits), counted
// (DropIntroAmplification): camchat pads its IHellos so that it can.
func (s *Server) introBudget(from netip.AddrPort, tag []byte, certLen, redirect int) bool {
	now := s.cfg.Now()
	rh := rhelloSize(len(tag), certLen)
	if s.lim.budget(now, from) < rh+redirect {
		s.ctr.drop(DropIntroAmplification)
		return false
	}
	s.lim.reserve(now, from, rh)
	return true
}
