package rtmfp

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/wire"
)

// The session's side of the handshake (RFC 7016 §3.5.1): the initiator's
// IHellos, IIKeying, Cookie Change and RIKeying, and the answers to
// forwarded IHellos. The startup pseudo-session (startup.go) handles what
// arrives for session ID 0.

// candidate is an address an initiator sends IHellos to.
type candidate struct {
	addr     netip.AddrPort
	next     time.Time
	interval time.Duration
}

type earlyPacket struct {
	from netip.AddrPort
	b    []byte
}

// handshake is the part of a session that only the handshake needs.
type handshake struct {
	// Initiator (RFC 7016 §3.5.1.1).
	epd            flashcrypto.EPD
	epdRaw         []byte
	tag            string
	candidates     []candidate
	started        time.Time
	initiator      *flashcrypto.Initiator
	cookie         []byte
	iikeying       []byte // the IIKeying chunk
	keyingNext     time.Time
	keyingInterval time.Duration
	cookieChanged  bool
	early          []earlyPacket
	// keying: a public-key job for this handshake is queued or under
	// way (pubkey.go); RHellos and RIKeyings that arrive meanwhile are
	// ignored (the first one wins, as without the wait).
	keying bool

	// Responder: the sealed RIKeying packet, resent on a repeated IIKeying.
	riKeying []byte
}

// skicDigest is what a responder keeps of an initiator's SKIC.
func skicDigest(skic []byte) (d [16]byte) {
	h := sha256.Sum256(skic)
	copy(d[:], h[:])
	return d
}

// startInitiator begins a handshake to epd at addrs (RFC 7016 §3.5.1.1).
func (e *engine) startInitiator(now time.Time, epdRaw []byte, epd flashcrypto.EPD, addrs []netip.AddrPort) (*Session, error) {
	s, err := e.newSession(now, true)
	if err != nil {
		return nil, err
	}
	s.state = stateIHelloSent
	s.hs.epd, s.hs.epdRaw = epd, bytes.Clone(epdRaw)
	var tag [tagLen]byte
	if _, err := e.rand.Read(tag[:]); err != nil {
		e.remove(s)
		return nil, err
	}
	s.hs.tag = string(tag[:])
	e.byTag[s.hs.tag] = s
	e.stats.HandshakesInitiated++
	for _, a := range addrs {
		s.addCandidate(now, a, netip.AddrPort{})
	}
	return s, nil
}

// addCandidate adds an address to try, at most MaxCandidates, and sends it
// an IHello at once. informant is who told us the address (a Redirect's
// source); for the application's own addresses it is the zero AddrPort and
// only validity is checked. An address from the network must pass
// usableAddr, so a Redirect cannot aim our IHellos at third parties.
func (s *Session) addCandidate(now time.Time, a, informant netip.AddrPort) {
	if !a.IsValid() || len(s.hs.candidates) >= MaxCandidates {
		return
	}
	if informant.IsValid() && !s.e.usableAddr(a, informant) {
		s.e.drop(DropBadAddress)
		return
	}
	for _, c := range s.hs.candidates {
		if c.addr == a {
			return
		}
	}
	next := now
	if informant.IsValid() {
		next = now.Add(RedirectHelloDelay) // let the introduced target send first
	}
	s.hs.candidates = append(s.hs.candidates, candidate{addr: a, next: next, interval: helloFirstInterval})
	s.sendIHellos(now)
}

// sendIHellos sends an IHello to every candidate that is due and schedules
// the next one: 0, 1, 3.5, 7.5, 13 … s (the interval grows by 1.5 s).
func (s *Session) sendIHellos(now time.Time) {
	var pkt []byte
	for i := range s.hs.candidates {
		c := &s.hs.candidates[i]
		if c.next.After(now) {
			continue
		}
		if pkt == nil {
			ch := wire.IHello{EPD: s.hs.epdRaw, Tag: []byte(s.hs.tag)}.Append(nil)
			pkt = s.e.sealStartup(now, wire.StartupSessionID, ch, ihelloPadTo)
		}
		s.e.queueStartup(c.addr, pkt)
		c.next = now.Add(c.interval)
		c.interval += helloIntervalStep
	}
}

func (s *Session) buildIIKeying() {
	s.hs.iikeying = wire.IIKeying{
		InitiatorSessionID: s.rsid,
		Cookie:             s.hs.cookie,
		Certificate:        s.e.id.Cert().Raw,
		SKIC:               s.hs.initiator.SKIC(),
		Signature:          []byte{flashcrypto.Signature},
	}.Append(nil)
}

func (s *Session) sendIIKeying(now time.Time) {
	s.e.queueStartup(s.farAddr, s.e.sealStartup(now, wire.StartupSessionID, s.hs.iikeying, 0))
	s.hs.keyingNext = now.Add(s.hs.keyingInterval)
	s.hs.keyingInterval += helloIntervalStep
}

// receiveKeying handles a default-key packet in S_KEYING_SENT: RIKeying opens
// the session, Cookie Change restarts IIKeying once (RFC 7016 §3.5.1.1).
func (s *Session) receiveKeying(now time.Time, from netip.AddrPort, plain []byte) {
	e := s.e
	r, ok := e.startupChunks(plain)
	if !ok {
		return
	}
	// RIKeying and Cookie Change are sealed with the public default key and
	// name the session only by our session ID: they are accepted only from
	// the address our IIKeying went to (receive checks it), so that an
	// off-path sender cannot open or redirect the handshake (RFC 7016
	// §3.5.1.1 leaves this check to us).
	for t, p, ok := r.Next(); ok; t, p, ok = r.Next() {
		switch t {
		case wire.ChunkRHelloCookieChange:
			c, err := wire.ParseRHelloCookieChange(p)
			if err != nil || s.hs.cookieChanged || !bytes.Equal(c.OldCookie, s.hs.cookie) {
				e.drop(DropHandshake)
				continue
			}
			s.hs.cookieChanged = true
			s.hs.cookie = bytes.Clone(c.NewCookie)
			s.buildIIKeying()
			s.hs.keyingInterval = helloFirstInterval
			s.sendIIKeying(now)
		case wire.ChunkRIKeying:
			c, err := wire.ParseRIKeying(p)
			if err != nil || c.ResponderSessionID == 0 {
				e.drop(DropMalformed)
				continue
			}
			if s.hs.keying {
				e.drop(DropHandshake)
				continue
			}
			s.hs.keying = true
			e.queueJob(&pkJob{kind: pkComplete, s: s, in: s.hs.initiator, skrc: bytes.Clone(c.SKRC), rsid: c.ResponderSessionID})
			return
		}
	}
}

// finishComplete opens the session once the RIKeying's key agreement is
// done, and replays the packets that came early (RFC 7016 §3.5.1.1).
func (s *Session) finishComplete(now time.Time, j *pkJob) {
	e := s.e
	if s.state != stateKeyingSent || s.hs == nil || s.hs.initiator != j.in {
		return
	}
	s.hs.keying = false
	if j.err != nil {
		e.drop(DropHandshake)
		s.fail(now, ErrHandshakeFailed)
		return
	}
	cipher, err := j.est.Cipher()
	if err != nil {
		s.fail(now, ErrHandshakeFailed)
		return
	}
	e.touch(s)
	s.est, s.cipher, s.fsid = j.est, cipher, j.rsid
	early := s.hs.early
	s.setOpen(now)
	e.stats.HandshakesCompleted++
	for _, p := range early {
		s.receive(now, p.from, p.b)
	}
}

// onFIHello answers a forwarded IHello (RFC 7016 §3.5.1.4) within the
// session's FIHello budget, and only to a reply address usableAddr accepts.
func (s *Session) onFIHello(now time.Time, from netip.AddrPort, c wire.FIHello) {
	e := s.e
	to := c.ReplyAddress.AddrPort
	if !e.usableAddr(to, from) {
		e.drop(DropBadAddress)
		s.stats.Dropped[DropBadAddress]++
		return
	}
	if !s.fiHello.take(now, 1) {
		e.drop(DropRateLimited)
		s.stats.Dropped[DropRateLimited]++
		return
	}
	e.onIHello(now, from, to, c.EPD, c.Tag, 0, s)
}
