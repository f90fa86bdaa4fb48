package rtmfp

import (
	"bytes"
	"errors"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/wire"
)

// receiveStartup handles a packet for the startup pseudo-session, SID 0
// (RFC 7016 §3.5.1): IHello and IIKeying to a responder, RHello and Redirect
// to an initiator. It decrypts with the default key and requires the startup
// mode (rtmfp-cpp StartupSession::onPacketHeader).
// startupChunks parses the header of a default-key packet, which must be in
// startup mode (rtmfp-cpp StartupSession::onPacketHeader), and returns a
// reader over its chunks; a bad header is dropped and counted.
func (e *engine) startupChunks(plain []byte) (wire.ChunkReader, bool) {
	h, n, err := wire.ParsePacketHeader(plain)
	if err != nil {
		e.drop(DropMalformed)
		return wire.ChunkReader{}, false
	}
	if h.Mode != wire.ModeStartup {
		e.drop(DropBadMode)
		return wire.ChunkReader{}, false
	}
	return wire.NewChunkReader(plain[n:]), true
}

func (e *engine) receiveStartup(now time.Time, from netip.AddrPort, pkt []byte) {
	plain, err := e.defCipher.Open(e.rbuf[:0], pkt[wire.SessionIDLength:])
	if err != nil {
		e.drop(openError(err))
		return
	}
	r, ok := e.startupChunks(plain)
	if !ok {
		return
	}
	seenIHello, seenIIKeying := false, false
	for t, p, ok := r.Next(); ok; t, p, ok = r.Next() {
		switch t {
		case wire.ChunkIHello:
			if seenIHello { // only the first IHello of a packet counts
				continue
			}
			seenIHello = true
			c, err := wire.ParseIHello(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			e.onIHello(now, from, from, c.EPD, c.Tag, len(pkt), nil)
		case wire.ChunkRHello:
			c, err := wire.ParseRHello(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			e.onRHello(now, from, c)
		case wire.ChunkRedirect:
			c, err := wire.ParseRedirect(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			e.onRedirect(now, from, c)
		case wire.ChunkIIKeying:
			// Only the first IIKeying of a packet counts, as for IHello:
			// each may be answered (Cookie Change), and a spoofed datagram
			// must not fan out into many answers.
			if seenIIKeying {
				e.drop(DropRateLimited)
				continue
			}
			seenIIKeying = true
			c, err := wire.ParseIIKeying(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			e.onIIKeying(now, from, c, len(pkt))
		}
	}
	if r.Err() != nil {
		e.drop(DropMalformed)
	}
}

// onIHello answers an IHello, or an FIHello forwarded on session via, whose
// answer goes to replyTo (RFC 7016 §3.5.1.2, §3.5.1.4). If the EPD selects us
// the answer is an RHello with a cookie bound to replyTo (or, for an FIHello
// in FIHelloSendRedirect mode, an empty Redirect); otherwise the application's
// unmatched-IHello hook decides.
func (e *engine) onIHello(now time.Time, from, replyTo netip.AddrPort, epdRaw, tag []byte, reqLen int, via *Session) {
	epd, err := flashcrypto.ParseEPD(epdRaw)
	if err != nil {
		e.drop(DropMalformed)
		return
	}
	if !epd.Selects(e.id.Cert()) {
		if e.cfg.OnUnmatchedIHello != nil {
			e.unmatched = append(e.unmatched, UnmatchedIHello{
				EPD: bytes.Clone(epdRaw), Tag: bytes.Clone(tag), From: replyTo, Via: via,
			})
		} else {
			e.drop(DropHandshake)
		}
		return
	}
	var chunk []byte
	if via != nil && via.fiMode == FIHelloSendRedirect {
		chunk = wire.Redirect{Tag: tag}.Append(nil)
	} else {
		chunk = wire.RHello{Tag: tag, Cookie: e.cookies.Make(replyTo, now), Certificate: e.id.Cert().Raw}.Append(nil)
	}
	b := e.sealStartup(now, wire.StartupSessionID, chunk, 0)
	if via != nil {
		// Forwarded by an authenticated session, which onFIHello already
		// rate-limited; its bytes are also charged to the endpoint's
		// over-answer budget, when there is one, so that all sessions
		// together cannot reflect more than that to third parties.
		if e.overAnswer.rate > 0 {
			if !e.overAnswer.take(now, float64(len(b))) {
				e.drop(DropAmplification)
				return
			}
			e.stats.OverAnswers++
		}
		e.queueStartup(replyTo, b)
		return
	}
	e.answerStartup(now, replyTo, b, reqLen)
}

// onRHello continues an initiator's handshake (RFC 7016 §3.5.1.1): the tag
// names the session; the certificate must be selected by our EPD.
func (e *engine) onRHello(now time.Time, from netip.AddrPort, c wire.RHello) {
	s := e.byTag[string(c.Tag)]
	if s == nil || s.state != stateIHelloSent {
		e.drop(DropHandshake)
		return
	}
	cert, err := flashcrypto.ParseCert(c.Certificate)
	if err != nil || !s.hs.epd.Selects(cert) {
		e.drop(DropHandshake)
		return
	}
	cert.Raw = bytes.Clone(cert.Raw)
	// An open session with the same canonical EPD answers the request
	// (rtmfp-cpp Session::onRHello).
	if o := e.findOpenCert(cert); o != nil {
		o.answeredFrom(now, from)
		s.resolveTo(o)
		return
	}
	// A session already keying with the same far end absorbs this one.
	for _, o := range e.byTag {
		if o != s && o.state == stateKeyingSent && o.farCert != nil && o.farCert.PeerID == cert.PeerID {
			s.resolveTo(o)
			return
		}
	}
	if s.hs.keying {
		return // an earlier RHello's key agreement is under way
	}
	s.hs.keying = true
	e.queueJob(&pkJob{kind: pkInitiate, s: s, cert: cert, from: from, cookie: bytes.Clone(c.Cookie)})
}

// finishInitiate goes on with an RHello once the initiator's keying
// component is computed: IIKeying to the RHello's source (RFC 7016
// §3.5.1.1), unless the attempt ended or another session took over
// meanwhile.
func (s *Session) finishInitiate(now time.Time, j *pkJob) {
	e := s.e
	if s.state != stateIHelloSent || s.hs == nil {
		return
	}
	s.hs.keying = false
	if j.err != nil {
		s.fail(now, errors.Join(ErrHandshakeFailed, j.err))
		e.drop(DropHandshake)
		return
	}
	if o := e.findOpenCert(j.cert); o != nil {
		s.resolveTo(o)
		return
	}
	for _, o := range e.byTag {
		if o != s && o.state == stateKeyingSent && o.farCert != nil && o.farCert.PeerID == j.cert.PeerID {
			s.resolveTo(o)
			return
		}
	}
	e.touch(s)
	s.farCert = j.cert
	s.hs.initiator = j.in
	s.hs.cookie = j.cookie
	s.farAddr = j.from
	s.state = stateKeyingSent
	s.buildIIKeying()
	s.hs.keyingInterval = helloFirstInterval
	s.sendIIKeying(now)
}

// findOpenCert returns an open session whose far end has cert's peer ID.
func (e *engine) findOpenCert(cert *flashcrypto.Cert) *Session {
	for _, o := range e.order {
		if o.state == stateOpen && o.farCert != nil && o.farCert.PeerID == cert.PeerID {
			return o
		}
	}
	return nil
}

// onRedirect adds the listed addresses (or, for an empty list, the
// Redirect's source) as candidates of the initiator the tag names
// (RFC 7016 §3.5.1.1; rtmfp-cpp RTMFP::onRedirect).
func (e *engine) onRedirect(now time.Time, from netip.AddrPort, c wire.Redirect) {
	s := e.byTag[string(c.Tag)]
	if s == nil || s.state != stateIHelloSent {
		e.drop(DropHandshake)
		return
	}
	e.stats.Redirects++
	e.touch(s)
	if len(c.Addresses) == 0 {
		s.addCandidate(now, from, from)
		return
	}
	for _, a := range c.Addresses {
		s.addCandidate(now, a.AddrPort, from)
	}
}

// onIIKeying is the responder's cookie check and duplicate detection, all
// before any public-key work (RFC 7016 §3.5.1.2).
func (e *engine) onIIKeying(now time.Time, from netip.AddrPort, c wire.IIKeying, reqLen int) {
	if c.InitiatorSessionID == 0 {
		e.drop(DropMalformed)
		return
	}
	switch err := e.cookies.Check(c.Cookie, from, now); {
	case errors.Is(err, flashcrypto.ErrCookieMismatch):
		// Genuine and fresh, issued to another address: the initiator's
		// address changed (NAT rebinding). RFC 7016 §3.5.1.2.
		ch := wire.RHelloCookieChange{OldCookie: c.Cookie, NewCookie: e.cookies.Make(from, now)}.Append(nil)
		if e.answerStartup(now, from, e.sealStartup(now, c.InitiatorSessionID, ch, 0), reqLen) {
			e.stats.CookieChanges++
		}
		return
	case err != nil:
		e.drop(DropBadCookie)
		return
	}
	// The same IIKeying again: its RIKeying was lost. Retransmit the stored
	// one; this is the only time RIKeying is resent (RFC 7016 §3.5.1.2; rtmfp-cpp RTMFP::onIIKeying).
	sum := skicDigest(c.SKIC)
	if s := e.bySKIC[skicKey(sum)]; s != nil && s.farAddr == from && s.fsid == c.InitiatorSessionID && s.skicSum == sum {
		if s.hs != nil && s.hs.riKeying != nil {
			e.stats.RIKeyingRetransmits++
			e.queueStartup(from, s.hs.riKeying)
		}
		return
	}
	for _, j := range e.pkQ {
		if j.kind == pkRespond && j.resp.from == from && j.resp.isid == c.InitiatorSessionID && bytes.Equal(j.resp.skic, c.SKIC) {
			return // already queued
		}
	}
	// A cookie buys agreements for one keying component: another needs a
	// new RHello, so an initiator cannot send IIKeyings with fresh
	// "public keys" at the cost of an agreement each (admission.go).
	cid := e.cookies.ID(c.Cookie)
	if e.adm.cookieUsed(now, cid, sum) {
		e.drop(DropCookieUsed)
		return
	}
	if e.pendingResponders() >= MaxPendingKeying {
		e.drop(DropQueueFull)
		return
	}
	cert, err := flashcrypto.ParseCert(c.Certificate)
	if err != nil {
		e.drop(DropHandshake)
		return
	}
	g, err := flashcrypto.KeyingGroup(cert, c.SKIC)
	if err != nil || !e.id.Cert().Supports(g) {
		e.drop(DropHandshake)
		return
	}
	if r, ok := e.adm.admitKeying(now, from.Addr(), keyingCost(g)); !ok {
		e.drop(r)
		return
	}
	e.adm.useCookie(now, cid, sum)
	cert.Raw = bytes.Clone(cert.Raw)
	e.queueJob(&pkJob{kind: pkRespond, cert: cert, resp: keyingJob{
		from: from, isid: c.InitiatorSessionID,
		skic: bytes.Clone(c.SKIC),
	}})
}

// finishResponder opens the session of a responder job whose key agreement
// is done (RFC 7016 §3.5.1.2; rtmfp-cpp RTMFP::onIIKeying), unless what
// happened meanwhile decides otherwise: a glare we win, an open session
// another certificate holds, or the same IIKeying already answered.
func (e *engine) finishResponder(now time.Time, pj *pkJob) {
	j, cert := pj.resp, pj.cert
	var opened *Session
	defer func() {
		e.adm.keyingDone(j.from.Addr(), opened != nil)
		if opened != nil {
			opened.admitted, opened.admitFrom = true, j.from.Addr()
		}
	}()
	if s := e.bySKIC[skicKey(skicDigest(j.skic))]; s != nil && s.farAddr == j.from && s.fsid == j.isid {
		return // answered while this one was computed
	}
	// Glare (RFC 7016 §3.5.1.3, RFC 7425 §4.3.6): we are opening a session
	// to the same far end. The smaller-or-equal certificate wins; the winner
	// ignores the other's IIKeying, the loser accepts it and gives up its
	// own attempt, which then resolves to the session opened here.
	var losing []*Session
	for _, o := range e.byTag {
		if o.state != stateIHelloSent && o.state != stateKeyingSent {
			continue
		}
		same := (o.farCert != nil && o.farCert.PeerID == cert.PeerID) || (o.farCert == nil && o.hs.epd.Selects(cert))
		if !same {
			continue
		}
		if flashcrypto.NearWinsGlare(e.id.Cert().Raw, cert.Raw) {
			e.drop(DropHandshake)
			return
		}
		losing = append(losing, o)
	}
	// An open session with this far end at this address is replaced only
	// by the very same certificate (RFC 7425 §4.3.7).
	var replaced *Session
	if o := e.byAddr[j.from]; o != nil && o.state == stateOpen && o.farCert != nil {
		if !cert.Overrides(o.farCert) {
			e.drop(DropHandshake)
			return
		}
		// A session we opened moments ago to a far end that loses the
		// glare: this is the attempt it gave up when it took ours, sent
		// before and delivered late. Taking it for a restart would
		// replace the session both ends share with one the far end
		// never completes (RFC 7016 §3.5.1.3, RFC 7425 §4.3.6).
		if o.isInitiator && now.Sub(o.openedAt) < glareLinger && flashcrypto.NearWinsGlare(e.id.Cert().Raw, cert.Raw) {
			e.drop(DropHandshake)
			return
		}
		replaced = o
	}
	skrc, est := pj.skrc, pj.est
	if pj.err != nil {
		e.drop(DropHandshake)
		return
	}
	cipher, err := est.Cipher()
	if err != nil {
		e.drop(DropHandshake)
		return
	}
	if replaced != nil {
		replaced.abort(now, ErrReplaced, false)
	}
	s, err := e.newSession(now, false)
	if err != nil {
		e.drop(DropHandshake)
		return
	}
	opened = s
	s.fsid = j.isid
	s.farAddr = j.from
	s.farCert = cert
	s.skicSum = skicDigest(j.skic)
	e.bySKIC[skicKey(s.skicSum)] = s
	s.est = est
	s.cipher = cipher
	ri := wire.RIKeying{ResponderSessionID: s.rsid, SKRC: skrc, Signature: []byte{flashcrypto.Signature}}.Append(nil)
	s.hs.riKeying = e.sealStartup(now, j.isid, ri, 0)
	e.queueStartup(j.from, s.hs.riKeying)
	s.setOpen(now)
	e.stats.HandshakesAccepted++
	for _, o := range losing {
		o.resolveTo(s)
	}
	e.accepted = append(e.accepted, s)
}
