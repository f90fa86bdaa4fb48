package rtmfp

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/wire"
)

// Session timers (rtmfp-cpp params.hpp; RFC 7016 §3.5.2, §3.5.4, §3.5.5).
const (
	// MaxTimestampEchoAge: a timestamp older than this is no longer echoed.
	MaxTimestampEchoAge = 128 * time.Second
	// NearCloseRetransmit and NearCloseTimeout: an orderly close repeats
	// its Close Request every 5 s and gives up after 90 s.
	NearCloseRetransmit = 5 * time.Second
	NearCloseTimeout    = 90 * time.Second
	// FarCloseLinger: after a Close Request the session answers further
	// ones with Close Acks for 19 s.
	FarCloseLinger = 19 * time.Second
	// MobilityCheckInterval: at most one mobility check per second.
	MobilityCheckInterval = time.Second
	// MobilityCheckLifetime: a mobility check's answer is valid this long.
	MobilityCheckLifetime = 120 * time.Second
	// MaxPacket is the cleartext size of session packets.
	MaxPacket = 1200
	// pingMobility marks a mobility check Ping.
	pingMobility = 'M'
	// maxControl bounds the control chunks queued between flushes.
	maxControl = 4096
	// fiHelloRate and fiHelloBurst bound the FIHellos per second a session
	// gets answered (RFC 7016 §3.5.1.4): each answer goes to an address the
	// far end names, so an authenticated but hostile far end must not turn
	// us into a reflector. Honest forwarders relay one per IHello
	// retransmission of each initiator, far below this.
	fiHelloRate  = 4
	fiHelloBurst = 8
	// flowTrimDelay: flows quiet this long give back their queue storage
	// (flow.Sender.Trim), so that an idle session is small; a busy one
	// keeps it and does not allocate.
	flowTrimDelay = 2 * time.Second
)

type sessionState uint8

const (
	stateIHelloSent sessionState = iota
	stateKeyingSent
	stateOpen
	stateNearClose
	stateFarCloseLinger
	stateClosed
)

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

	// Responder: the sealed RIKeying packet, resent on a repeated IIKeying.
	riKeying []byte
}

// skicDigest is what a responder keeps of an initiator's SKIC.
func skicDigest(skic []byte) (d [16]byte) {
	h := sha256.Sum256(skic)
	copy(d[:], h[:])
	return d
}

// Session is one RTMFP session (RFC 7016 §3.5): a keyed, congestion
// controlled association with one far end, carrying flows in both
// directions. Its methods are safe for concurrent use; every field below is
// guarded by the endpoint's engine mutex.
type Session struct {
	e           *engine
	isInitiator bool
	state       sessionState
	rsid, fsid  wire.SessionID // receive (ours) and send (far end's) session IDs
	farAddr     netip.AddrPort
	farCert     *flashcrypto.Cert
	est         *flashcrypto.Established
	cipher      *flashcrypto.PacketCipher

	// Handshake state, dropped once the session is open (the responder
	// keeps it until the initiator's first packet shows it has our
	// RIKeying).
	hs       *handshake
	resolved *Session // this attempt was answered by another session
	// Responder: digest of the initiator's SKIC, to recognize a repeated
	// IIKeying (RFC 7016 §3.5.1.2).
	skicSum [16]byte

	opened     chan struct{} // closed when open, resolved or failed
	openedDone bool
	done       chan struct{} // closed when the session ends for the application
	doneClosed bool
	err        error // first fatal error

	// Header timestamps (RFC 7016 §3.5.2.2).
	tsRecv       cc.Timestamp
	tsRecvAt     time.Time
	haveTSRecv   bool
	tsSent       cc.Timestamp
	haveTSSent   bool
	echoSent     cc.Timestamp
	haveEchoSent bool

	cc           cc.Controller
	tsn          cc.TSN
	lastTx       time.Time // last packet sent (keepalive)
	keepaliveOut bool
	keepalive    time.Duration // keepalive period (SetKeepalivePeriod)
	rtxEpoch     time.Time     // first unanswered transmission; zero = none
	rtoAt        time.Time     // retransmission timer; zero = off
	trimAt       time.Time     // when quiet flows give back storage; zero = nothing to trim
	lastIdle     time.Time
	closeStarted time.Time
	closeNext    time.Time
	control      []byte // control chunks waiting for the next packet
	fiMode       FIHelloMode
	fiHello      tokenBucket // FIHello answers (fiHelloRate)

	// Address mobility (RFC 7016 §3.5.4.2).
	mobAddr   netip.AddrPort // where a check is to be sent
	mobSentAt time.Time
	onMove    func(netip.AddrPort) // SetFarAddrFunc

	flows
	priSentAt [8]epochTime // last data sent per priority (headroom rule)
	stats     SessionStats
	meter     meter // recent rates and loss for SessionStats (meter.go)

	// Scheduling (sched.go).
	seq   uint64    // opening order, 0 until open
	due   time.Time // deadline as placed in the heap
	hidx  int       // index in the engine's heap, -1 when absent
	dirty bool      // in the engine's dirty list
}

func (e *engine) newSession(now time.Time, initiator bool) (*Session, error) {
	sid, err := e.newSID()
	if err != nil {
		return nil, err
	}
	s := &Session{
		e:           e,
		isInitiator: initiator,
		rsid:        sid,
		hs:          &handshake{started: now},
		opened:      make(chan struct{}),
		done:        make(chan struct{}),
		fiMode:      e.cfg.FIHelloMode,
		keepalive:   e.keepalive,
		hidx:        -1,
		fiHello:     tokenBucket{rate: fiHelloRate, burst: fiHelloBurst},
	}
	s.flows.init(e.cfg.FlowAcceptQueue)
	e.sessions[s.rsid] = s
	e.touch(s)
	return s, nil
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
	s.hs.candidates = append(s.hs.candidates, candidate{addr: a, next: now, interval: helloFirstInterval})
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

// resolveTo ends this opening attempt in favour of another session with the
// same far end (an open one, one already keying, or the winner of a glare).
func (s *Session) resolveTo(o *Session) {
	s.resolved = o
	s.state = stateClosed
	s.e.remove(s)
	s.signalOpened()
}

func (s *Session) signalOpened() {
	if !s.openedDone {
		s.openedDone = true
		close(s.opened)
	}
}

// fail ends a handshake with err.
func (s *Session) fail(now time.Time, err error) {
	s.setErr(err)
	s.state = stateClosed
	s.e.remove(s)
	s.signalOpened()
	s.finish()
}

func (s *Session) setErr(err error) {
	if s.err == nil {
		s.err = err
	}
}

// setOpen moves the session to S_OPEN.
func (s *Session) setOpen(now time.Time) {
	s.state = stateOpen
	_ = s.cc.Init(cc.Config{CongestionDelay: s.e.cfg.CongestionDelay})
	s.lastTx, s.lastIdle = now, now
	s.meter.start(s.e.interval(now))
	if s.hs.tag != "" {
		delete(s.e.byTag, s.hs.tag)
	}
	if s.isInitiator {
		s.hs = nil // the early packets were taken before
	}
	s.e.addOpen(s)
	s.signalOpened()
}

// finish ends the session for the application: every flow ends with an
// exception (RFC 7016 §3.5.5), blocked calls wake up.
func (s *Session) finish() {
	s.flows.endAll()
	if !s.doneClosed {
		s.doneClosed = true
		close(s.done)
	}
}

// abort closes the session abruptly, sending a Close Acknowledgement first
// when asked (RFC 7016 §3.5.5; rtmfp-cpp close(false)).
func (s *Session) abort(now time.Time, err error, sendAck bool) {
	if sendAck && s.cipher != nil && (s.state == stateOpen || s.state == stateNearClose || s.state == stateFarCloseLinger) {
		s.e.queueStartup(s.farAddr, s.sealOnce(now, wire.SessionCloseAck{}.Append(nil)))
	}
	s.setErr(err)
	s.state = stateClosed
	s.e.remove(s)
	s.signalOpened()
	s.finish()
}

// closeOrderly starts an orderly close (S_NEARCLOSE).
func (s *Session) closeOrderly(now time.Time, err error) {
	switch s.state {
	case stateIHelloSent, stateKeyingSent:
		s.fail(now, err)
		return
	case stateOpen:
	default:
		return
	}
	s.setErr(err)
	s.state = stateNearClose
	s.closeStarted, s.closeNext = now, now
	s.finish()
}

// sealOnce seals a one-off session packet (close acknowledgement on abort).
func (s *Session) sealOnce(now time.Time, chunks []byte) []byte {
	plain := s.appendHeader(nil, now, false)
	plain = append(plain, chunks...)
	out := make([]byte, wire.SessionIDLength, wire.SessionIDLength+s.cipher.SealedLen(len(plain)))
	out = s.cipher.Seal(out, plain)
	_ = wire.PutScrambledSessionID(out, s.fsid)
	return out
}

// mode is the packet mode this end sends.
func (s *Session) mode() wire.Mode {
	if s.isInitiator {
		return wire.ModeInitiator
	}
	return wire.ModeResponder
}

// appendHeader appends a packet header: the timestamp only when it changed,
// the echo only when fresh and changed (RFC 7016 §3.5.2.2; rtmfp-cpp
// getTimestampIfNew, getTimestampEcho).
func (s *Session) appendHeader(b []byte, now time.Time, tc bool) []byte {
	h := wire.PacketHeader{Mode: s.mode(), TimeCritical: tc, TimeCriticalReverse: s.e.tcrFor(s, now)}
	ts := s.e.timestamp(now)
	if !s.haveTSSent || ts != s.tsSent {
		h.HasTimestamp, h.Timestamp = true, wire.Timestamp(ts)
		s.haveTSSent, s.tsSent = true, ts
	}
	if s.haveTSRecv {
		held := now.Sub(s.tsRecvAt)
		if held < MaxTimestampEchoAge {
			echo := s.tsRecv.Add(held)
			if !s.haveEchoSent || echo != s.echoSent {
				h.HasTimestampEcho, h.TimestampEcho = true, wire.Timestamp(echo)
				s.haveEchoSent, s.echoSent = true, echo
			}
		} else {
			s.haveTSRecv = false
		}
	}
	return h.Append(b)
}

// receive handles a datagram addressed to this session's ID.
func (s *Session) receive(now time.Time, from netip.AddrPort, pkt []byte) {
	e := s.e
	switch s.state {
	case stateIHelloSent:
		e.drop(DropHandshake)
		return
	case stateKeyingSent:
		// RIKeying and Cookie Change come with the default key to our ID
		// (RFC 7425 §4.1); anything else is an early session packet.
		if from != s.farAddr {
			// Only the address our IIKeying went to may answer it (see
			// receiveKeying); nor may others fill the early-packet slots.
			e.drop(DropHandshake)
			return
		}
		plain, err := e.defCipher.Open(e.rbuf[:0], pkt[wire.SessionIDLength:])
		if err != nil {
			if len(s.hs.early) >= MaxEarlyPackets {
				e.drop(DropEarlyOverflow)
				return
			}
			s.hs.early = append(s.hs.early, earlyPacket{from: from, b: bytes.Clone(pkt)})
			return
		}
		s.receiveKeying(now, from, plain)
		return
	case stateClosed:
		e.drop(DropUnknownSession)
		return
	}
	plain, err := s.cipher.Open(e.rbuf[:0], pkt[wire.SessionIDLength:])
	if err != nil {
		r := openError(err)
		e.drop(r)
		s.stats.Dropped[r]++
		return
	}
	h, n, err := wire.ParsePacketHeader(plain)
	if err != nil {
		e.drop(DropMalformed)
		s.stats.Dropped[DropMalformed]++
		return
	}
	if h.Mode == s.mode() || h.Mode == wire.ModeStartup {
		e.drop(DropBadMode)
		s.stats.Dropped[DropBadMode]++
		return
	}
	s.stats.PacketsReceived++
	s.stats.BytesReceived += uint64(len(pkt))
	s.meter.at(e.interval(now)).recv += uint32(len(pkt))
	// An authenticated packet from the initiator: it has our RIKeying.
	s.hs = nil
	if h.HasTimestamp {
		s.tsRecv, s.tsRecvAt, s.haveTSRecv = cc.Timestamp(h.Timestamp), now, true
	}
	if h.HasTimestampEcho && s.state == stateOpen {
		s.cc.OnTimestampEcho(now, e.timestamp(now), cc.Timestamp(h.TimestampEcho))
	}
	if h.TimeCritical {
		e.tcRecv(s, now)
	}
	if h.TimeCriticalReverse {
		s.cc.OnTCR(now)
	}
	s.processChunks(now, from, plain[n:])
	if s.state == stateClosed {
		return
	}
	// A valid packet from a new address: check the path before moving
	// (RFC 7016 §3.5.4.2).
	if from != s.farAddr && s.state == stateOpen {
		if s.mobSentAt.IsZero() || now.Sub(s.mobSentAt) >= MobilityCheckInterval {
			s.mobAddr = from
		}
	}
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
			est, err := s.hs.initiator.Complete(c.SKRC)
			if err != nil {
				e.drop(DropHandshake)
				s.fail(now, ErrHandshakeFailed)
				return
			}
			cipher, err := est.Cipher()
			if err != nil {
				s.fail(now, ErrHandshakeFailed)
				return
			}
			s.est, s.cipher, s.fsid = est, cipher, c.ResponderSessionID
			early := s.hs.early
			s.setOpen(now)
			e.stats.HandshakesCompleted++
			for _, p := range early {
				s.receive(now, p.from, p.b)
			}
			return
		}
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

// processChunks handles the chunks of an authenticated session packet.
func (s *Session) processChunks(now time.Time, from netip.AddrPort, body []byte) {
	e := s.e
	r := wire.NewChunkReader(body)
	s.flows.beginPacket()
	var prev wire.UserData
	havePrev := false
	seenFIHello := false
	for t, p, ok := r.Next(); ok; t, p, ok = r.Next() {
		if t != wire.ChunkNextUserData {
			havePrev = false
		}
		switch t {
		case wire.ChunkPing:
			if len(s.control)+len(p)+wire.ChunkHeaderLength <= maxControl {
				s.control = wire.PingReply{Message: p}.Append(s.control)
			}
			if len(p) > 0 && p[0] == pingMobility {
				s.cc.ResetBaseRTT()
			}
		case wire.ChunkPingReply:
			s.keepaliveOut = false
			s.rtxEpoch = time.Time{}
			if len(p) > 0 && p[0] == pingMobility {
				s.onMobilityReply(now, from, p)
			}
		case wire.ChunkUserData:
			c, err := wire.ParseUserData(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			if s.state == stateOpen {
				s.onUserData(now, c)
			}
			prev, havePrev = c, true
		case wire.ChunkNextUserData:
			if !havePrev {
				e.drop(DropMalformed)
				continue
			}
			c, err := wire.ParseNextUserData(p)
			if err != nil {
				e.drop(DropMalformed)
				havePrev = false
				continue
			}
			prev = c.Follow(prev)
			if s.state == stateOpen {
				s.onUserData(now, prev)
			}
		case wire.ChunkAckRanges:
			ack, it, err := wire.NewAckRangeIter(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			if s.onAckRanges(now, ack, it) {
				s.keepaliveOut = false
				s.rtxEpoch = time.Time{}
			}
		case wire.ChunkAckBitmap:
			ack, err := wire.ParseAckBitmap(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			if s.onAckBitmap(now, ack) {
				s.keepaliveOut = false
				s.rtxEpoch = time.Time{}
			}
		case wire.ChunkBufferProbe:
			c, err := wire.ParseBufferProbe(p)
			if err == nil {
				s.onBufferProbe(now, c.FlowID)
			}
		case wire.ChunkFlowException:
			c, err := wire.ParseFlowException(p)
			if err == nil {
				s.onFlowException(c.FlowID, c.Code)
			}
		case wire.ChunkFIHello:
			if seenFIHello { // only the first FIHello of a packet counts
				e.drop(DropRateLimited)
				s.stats.Dropped[DropRateLimited]++
				continue
			}
			seenFIHello = true
			c, err := wire.ParseFIHello(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			if s.fiMode != FIHelloIgnore && s.state == stateOpen {
				s.onFIHello(now, from, c)
			}
		case wire.ChunkSessionClose:
			switch s.state {
			case stateOpen:
				s.setErr(ErrSessionClosed)
				s.state = stateFarCloseLinger
				s.closeStarted = now
				s.finish()
				s.control = wire.SessionCloseAck{}.Append(s.control)
			case stateFarCloseLinger:
				s.control = wire.SessionCloseAck{}.Append(s.control)
			case stateNearClose:
				// Both ends closing: acknowledge and finish.
				s.e.queueStartup(s.farAddr, s.sealOnce(now, wire.SessionCloseAck{}.Append(nil)))
				s.state = stateClosed
				s.e.remove(s)
				return
			}
		case wire.ChunkSessionCloseAck:
			switch s.state {
			case stateOpen:
				s.abort(now, ErrSessionAborted, true)
				return
			case stateNearClose:
				s.state = stateClosed
				s.e.remove(s)
				return
			}
		}
	}
	if r.Err() != nil {
		e.drop(DropMalformed)
		s.stats.Dropped[DropMalformed]++
	}
	s.flows.endPacket(now, s)
}

// mobilityCheck builds the Ping message of a mobility check to addr:
// 'M' | VLU seconds | SHA-256('M' | VLU seconds | encoded address | secret)
// (rtmfp-cpp makeMobilityCheck; we have one interface, so no interface ID).
func (s *Session) mobilityCheck(secs uint64, addr netip.AddrPort) []byte {
	msg := []byte{pingMobility}
	msg = wire.AppendVLU(msg, secs)
	h := sha256.New()
	h.Write(msg)
	h.Write(wire.Address{AddrPort: addr}.Append(nil))
	h.Write(s.e.secret[:])
	return h.Sum(msg)
}

func (s *Session) onMobilityReply(now time.Time, from netip.AddrPort, p []byte) {
	secs, n, err := wire.ParseVLU(p[1:])
	if err != nil || n == 0 {
		return
	}
	if !bytes.Equal(p, s.mobilityCheck(secs, from)) {
		s.e.drop(DropHandshake)
		return
	}
	age := now.Sub(s.e.epoch) - time.Duration(secs)*time.Second
	if age < 0 || age > MobilityCheckLifetime {
		return
	}
	if from != s.farAddr {
		s.e.unindexAddr(s)
		s.farAddr = from
		s.e.indexAddr(s)
		s.cc.ResetBaseRTT()
		if s.onMove != nil {
			s.onMove(from)
		}
	}
}

// onTimer runs the session's due timers.
func (s *Session) onTimer(now time.Time) {
	switch s.state {
	case stateIHelloSent, stateKeyingSent:
		if now.Sub(s.hs.started) >= UltimateSessionTimeout {
			s.fail(now, ErrHandshakeTimeout)
			return
		}
		if s.state == stateIHelloSent {
			s.sendIHellos(now)
		} else if !s.hs.keyingNext.After(now) {
			s.sendIIKeying(now)
		}
	case stateOpen:
		s.adjustCongestionDelay(now)
		if at := s.rtxLimitAt(); !at.IsZero() && !at.After(now) {
			s.abort(now, ErrRetransmitLimit, false)
			return
		}
		if !s.rtoAt.IsZero() && !s.rtoAt.After(now) {
			s.onRTO(now)
			if s.state != stateOpen {
				return
			}
		}
		if !s.keepaliveOut && !s.keepaliveAt().After(now) {
			s.sendKeepalive(now)
		}
		if s.flows.count() > 0 {
			s.lastIdle = now
		} else if now.Sub(s.lastIdle) >= s.e.cfg.IdleLimit {
			s.closeOrderly(now, ErrIdle)
			return
		}
		s.flows.onTimer(now, s)
		if !s.trimAt.IsZero() && !s.trimAt.After(now) {
			s.trimAt = time.Time{}
			s.flows.trim()
		}
	case stateNearClose:
		if now.Sub(s.closeStarted) >= NearCloseTimeout {
			s.state = stateClosed
			s.e.remove(s)
			return
		}
		if !s.closeNext.After(now) {
			s.control = wire.SessionClose{}.Append(s.control)
			s.closeNext = now.Add(NearCloseRetransmit)
		}
	case stateFarCloseLinger:
		if now.Sub(s.closeStarted) >= FarCloseLinger {
			s.state = stateClosed
			s.e.remove(s)
		}
	}
}

// rtxLimitAt is when the session gives up on a far end that answers
// nothing (RFC 7016 §3.5.2.2): the retransmit limit after the first packet
// that asked for an answer (data or a keepalive Ping) since the last one
// came (an acknowledgement or a Ping Reply). Zero: nothing waits for an
// answer. rtmfp-cpp checks the limit only when its retransmission timer
// fires, which after a few backoffs can be seconds late; the session's
// deadline includes this time, so the limit holds to the timer's precision.
func (s *Session) rtxLimitAt() time.Time {
	if s.rtxEpoch.IsZero() {
		return time.Time{}
	}
	return s.rtxEpoch.Add(s.e.cfg.RetransmitLimit)
}

// keepaliveAt is when a keepalive Ping is due: a period after the last
// packet sent; the responder waits one MRTO more so both ends do not ping
// (rtmfp-cpp onKeepaliveAlarm).
func (s *Session) keepaliveAt() time.Time {
	t := s.lastTx.Add(s.keepalive)
	if !s.isInitiator {
		t = t.Add(s.cc.MRTO())
	}
	return t
}

func (s *Session) sendKeepalive(now time.Time) {
	s.control = wire.Ping{}.Append(s.control)
	s.keepaliveOut = true
	if s.rtxEpoch.IsZero() {
		s.rtxEpoch = now
	}
	if s.rtoAt.IsZero() {
		s.rtoAt = now.Add(s.cc.ERTO())
	}
}

// onRTO is the retransmission timeout (RFC 7016 §3.5.2.2, Appendix A.2):
// all outstanding data is lost, the window collapses, and if nothing has
// been answered for the retransmit limit the far end is gone.
func (s *Session) onRTO(now time.Time) {
	out := s.flows.outstanding()
	if out == 0 && !s.keepaliveOut {
		s.cc.OnTimeout(now, false)
		s.rtoAt = time.Time{}
		s.rtxEpoch = time.Time{}
		return
	}
	if !s.rtxEpoch.IsZero() && now.Sub(s.rtxEpoch) >= s.e.cfg.RetransmitLimit {
		s.abort(now, ErrRetransmitLimit, false)
		return
	}
	s.cc.OnTimeout(now, out > 0)
	if lost := s.flows.onTimeout(now); lost > 0 {
		s.meter.at(s.e.interval(now)).lost += uint32(lost)
	}
	s.stats.Timeouts++
	if s.keepaliveOut {
		s.control = wire.Ping{}.Append(s.control)
	}
	s.rtoAt = now.Add(s.cc.ERTO())
}

// deadline is when onTimer must next run (zero: no timer).
func (s *Session) deadline(now time.Time) time.Time {
	switch s.state {
	case stateIHelloSent:
		d := s.hs.started.Add(UltimateSessionTimeout)
		for _, c := range s.hs.candidates {
			d = earliest(d, c.next)
		}
		return d
	case stateKeyingSent:
		return earliest(s.hs.started.Add(UltimateSessionTimeout), s.hs.keyingNext)
	case stateOpen:
		d := earliest(s.rtoAt, s.rtxLimitAt())
		if !s.keepaliveOut {
			d = earliest(d, s.keepaliveAt())
		}
		if s.flows.count() == 0 {
			d = earliest(d, s.lastIdle.Add(s.e.cfg.IdleLimit))
		}
		d = earliest(d, s.flows.deadline(now, s))
		d = earliest(d, s.trimAt)
		if len(s.control) > 0 || s.mobAddr.IsValid() {
			d = earliest(d, now)
		}
		return d
	case stateNearClose:
		return earliest(s.closeStarted.Add(NearCloseTimeout), s.closeNext)
	case stateFarCloseLinger:
		d := s.closeStarted.Add(FarCloseLinger)
		if len(s.control) > 0 {
			d = earliest(d, now)
		}
		return d
	}
	return time.Time{}
}

// readyPriority is the highest priority at which this session may send data
// now. The congestion window and pacing apply to the session as a whole;
// in addition, while a higher priority has sent data within the
// time-critical timeout, lower priorities leave one MSS of the window free,
// so the next message of the higher priority goes at once instead of waiting
// for an acknowledgement behind bulk data that filled the window.
func (s *Session) readyPriority(now time.Time) (flow.Priority, bool) {
	if s.state != stateOpen || s.cc.NextSendTime(now).After(now) {
		return 0, false
	}
	out := s.flows.outstanding()
	p, ok := s.flows.highestWanting(now)
	if !ok {
		return 0, false
	}
	if !s.cc.CanSend(out + s.reserveFor(now, p)) {
		return 0, false
	}
	return p, true
}

// reserveFor is the part of the congestion window priority p must leave free.
func (s *Session) reserveFor(now time.Time, p flow.Priority) cc.ByteCount {
	for q := int(p) + 1; q < len(s.priSentAt); q++ {
		if t := s.e.fromEpoch(s.priSentAt[q]); !t.IsZero() && now.Sub(t) < cc.TimeCriticalTimeout {
			return cc.MSS
		}
	}
	return 0
}

// readyAt reports whether the session may send data at priority pri now.
func (s *Session) readyAt(now time.Time, pri flow.Priority) bool {
	p, ok := s.readyPriority(now)
	return ok && p >= pri
}

// packet assembly buffer: chunks are appended after room for the longest
// header, which is written in front when the packet is complete.
func (s *Session) startPacket() []byte {
	return s.e.pbuf[:wire.MaxHeaderLength]
}

// sendPacket finishes a packet started by startPacket and sends it to to.
func (s *Session) sendPacket(now time.Time, b []byte, tc bool, to netip.AddrPort, send func(netip.AddrPort, []byte)) {
	var hb [wire.MaxHeaderLength]byte
	h := s.appendHeader(hb[:0], now, tc)
	start := wire.MaxHeaderLength - len(h)
	copy(b[start:], h)
	plain := b[start:]
	out := s.cipher.Seal(s.e.wbuf[:wire.SessionIDLength], plain)
	_ = wire.PutScrambledSessionID(out, s.fsid)
	send(to, out)
	s.e.wbuf = out[:0]
	s.lastTx = now
	s.stats.PacketsSent++
	s.stats.BytesSent += uint64(len(out))
	s.meter.at(s.e.interval(now)).sent += uint32(len(out))
	s.e.stats.PacketsSent++
	s.e.stats.BytesSent += uint64(len(out))
}

// flushControl sends immediate acknowledgements and control chunks, and a
// mobility check if one is due.
func (s *Session) flushControl(now time.Time, send func(netip.AddrPort, []byte)) {
	if s.mobAddr.IsValid() && s.state == stateOpen {
		secs := uint64(now.Sub(s.e.epoch) / time.Second)
		b := s.startPacket()
		b = wire.Ping{Message: s.mobilityCheck(secs, s.mobAddr)}.Append(b)
		s.sendPacket(now, b, false, s.mobAddr, send)
		s.mobSentAt = now
		s.mobAddr = netip.AddrPort{}
	}
	if s.state == stateClosed {
		return
	}
	for {
		b := s.startPacket()
		b = s.flows.appendAcks(b, now, true)
		// Control chunks in order, as many as fit.
		n := 0
		for n < len(s.control) {
			l := wire.ChunkHeaderLength + (int(s.control[n+1])<<8 | int(s.control[n+2]))
			if len(b)+l > MaxPacket+wire.MaxHeaderLength {
				break
			}
			b = append(b, s.control[n:n+l]...)
			n += l
		}
		if n == 0 && len(b) == wire.MaxHeaderLength {
			if len(s.control) > 0 { // a chunk larger than a packet: drop it
				s.control = s.control[:0]
			}
			return
		}
		s.control = s.control[:copy(s.control, s.control[n:])]
		s.sendPacket(now, b, false, s.farAddr, send)
		if len(s.control) == 0 && !s.flows.immediateAckDue() {
			return
		}
	}
}

// sendDataPacket assembles one packet of user data, serving priority pri
// first and then lower ones, with pending acknowledgements riding along.
func (s *Session) sendDataPacket(now time.Time, pri flow.Priority, send func(netip.AddrPort, []byte)) {
	b := s.startPacket()
	b = s.flows.appendAcks(b, now, false)
	s.tsn++
	b, sent, chunks, tc := s.flows.appendData(b, now, s.tsn, pri, MaxPacket+wire.MaxHeaderLength)
	if sent > 0 {
		s.priSentAt[pri] = s.e.toEpoch(now)
		s.trimAt = now.Add(flowTrimDelay)
		s.meter.at(s.e.interval(now)).frags += uint32(chunks)
	}
	if sent == 0 && len(b) == wire.MaxHeaderLength {
		s.tsn--
		return
	}
	s.sendPacket(now, b, tc, s.farAddr, send)
	s.cc.OnPacketSent(now, cc.ByteCount(sent), tc)
	s.stats.DataBytesSent += uint64(sent)
	if tc {
		s.e.tcSent = now
		s.adjustCongestionDelay(now)
	}
	if sent > 0 {
		if s.rtoAt.IsZero() {
			s.rtoAt = now.Add(s.cc.ERTO())
		}
		// The first data sent since the far end last answered starts
		// the retransmit limit (rtmfp-cpp rescheduleTimeoutAlarm sets
		// m_retransmit_deadline_epoch on every send; acknowledgements
		// and Ping Replies reset it).
		if s.rtxEpoch.IsZero() {
			s.rtxEpoch = now
		}
	}
}

// adjustCongestionDelay tightens delay-based detection while the session
// sends time-critical data: that data waits in the same bottleneck queue as
// everything else the session sends, so the queue the controller tolerates
// is the delay it adds to audio. Outside those periods the configured
// threshold (cc's default, tuned for throughput) applies again.
func (s *Session) adjustCongestionDelay(now time.Time) {
	if !s.cc.DelayDetection() {
		return
	}
	want := s.e.cfg.CongestionDelay
	if s.cc.TimeCritical(now) {
		want = s.e.cfg.TimeCriticalCongestionDelay
	}
	if want == 0 {
		want = cc.DefaultCongestionDelay
	}
	if s.cc.CongestionDelay() != want {
		s.cc.SetCongestionDelay(want)
	}
}

// flushAcks sends the acknowledgements that are due and did not ride on a
// data packet.
func (s *Session) flushAcks(now time.Time, send func(netip.AddrPort, []byte)) {
	if s.state != stateOpen && s.state != stateNearClose && s.state != stateFarCloseLinger {
		return
	}
	for i := 0; i < 8 && s.flows.ackDue(now); i++ {
		b := s.startPacket()
		b = s.flows.appendAcks(b, now, false)
		if len(b) == wire.MaxHeaderLength {
			return
		}
		s.sendPacket(now, b, false, s.farAddr, send)
	}
}
