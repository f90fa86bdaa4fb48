package rtmfp

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/wire"
)

// Limits of the startup machinery (rtmfp-cpp include/rtmfp/params.hpp; RFC 7016 §2.2, §3.5.1).
const (
	// MaxDatagram is the largest datagram accepted: a 4-byte session ID and
	// at most 8192 bytes of encrypted packet (DECRYPT_BUF_LENGTH).
	MaxDatagram = wire.SessionIDLength + flashcrypto.MaxPacketLength
	// minDatagram is a session ID and one cipher block.
	minDatagram = wire.SessionIDLength + 16
	// MaxCandidates is the most addresses an initiator tries at once
	// (REDIRECT_THRESHOLD).
	MaxCandidates = 24
	// UltimateSessionTimeout bounds a handshake (ULTIMATE_SESSION_TIMEOUT).
	UltimateSessionTimeout = 95 * time.Second
	// helloFirstInterval and helloIntervalStep give the IHello and
	// IIKeying retransmission times 0, 1, 3.5, 7.5, 13 … s.
	helloFirstInterval = time.Second
	helloIntervalStep  = 1500 * time.Millisecond
	// RedirectHelloDelay holds back the first IHello to an address a
	// Redirect named. The introducer forwards our IHello to the target
	// as it redirects us (RFC 7016 §3.5.1.4), and the target's RHello must
	// leave its NAT before our IHello reaches it: a router without an
	// input firewall keeps a conntrack entry for a datagram that came in
	// first, and then gives the target's answer another public port,
	// which our NAT filters (measured with nattest: one call in four
	// failed without the delay).
	RedirectHelloDelay = 50 * time.Millisecond
	// MaxEarlyPackets is how many undecryptable packets an initiator in
	// S_KEYING_SENT keeps to replay once the session opens.
	MaxEarlyPackets = 18
	// MaxPendingKeying bounds the IIKeyings waiting for a public-key
	// computation; beyond it they are dropped (and each prefix has a
	// smaller bound of its own, admission.go).
	MaxPendingKeying = 64
	// AmplificationFactor bounds the answer to an unauthenticated datagram:
	// never more than this many times the bytes it carried.
	AmplificationFactor = 3
	// ihelloPadTo pads our IHello packets so that a responder with a large
	// certificate can answer within AmplificationFactor.
	ihelloPadTo = 400
	// maxStartupPacket is the largest startup packet cleartext.
	maxStartupPacket = 4256
	// tagLen is the size of an initiator's IHello tag.
	tagLen = 16
)

// outDatagram is a startup packet waiting for the socket.
type outDatagram struct {
	to netip.AddrPort
	b  []byte
}

// keyingJob is an IIKeying that passed the cookie check and waits for its
// public-key computation (a pkRespond job).
type keyingJob struct {
	from netip.AddrPort
	isid wire.SessionID
	skic []byte
}

// engine is the sans-I/O core of an Endpoint: the sessions, the startup
// pseudo-session and the packet scheduler. It is driven by receive, work,
// timeout and flush, and tells its driver when to call again with
// nextDeadline. Every field is guarded by mu; application calls lock mu,
// change state and wake the loop.
type engine struct {
	mu sync.Mutex

	cfg       Config // constant
	id        *flashcrypto.Identity
	policy    flashcrypto.Policy
	epoch     time.Time // timestamp clock origin
	defCipher *flashcrypto.PacketCipher
	cookies   *flashcrypto.CookieJar
	secret    [32]byte // mobility check secret
	rand      io.Reader

	sessions map[wire.SessionID]*Session // by our receive session ID
	byTag    map[string]*Session         // initiators in IHELLO_SENT or KEYING_SENT
	byAddr   map[netip.AddrPort]*Session // open sessions by far address (one of each)
	bySKIC   map[uint64]*Session         // responder sessions by SKIC digest (repeated IIKeying)
	order    []*Session                  // open sessions in round-robin order
	snap     []*Session                  // scratch for snapshot
	heap     []*Session                  // sessions with a deadline, earliest first (timers.go)
	dirty    []*Session                  // sessions touched since the last flush (timers.go)
	nextSeq  uint64                      // scheduling order of the next session that opens
	visits   uint64                      // session visits by timeout and flush (tests count them)
	closed   bool
	// localLoopback: our socket is bound to a loopback address, so loopback
	// candidates and reply addresses are legitimate (usableAddr).
	localLoopback bool
	// localLinkLocal: our socket is bound to a link-local address.
	localLinkLocal bool

	out       []outDatagram
	pkQ       []*pkJob // public-key jobs for the key worker (pubkey.go)
	unmatched []UnmatchedIHello
	accepted  []*Session // sessions opened as responder, for the accept queue

	tcSent    time.Time     // any session sent TC (for cc fastgrow)
	keepalive time.Duration // keepalive period of new sessions (Endpoint.SetKeepalivePeriod)
	rrLast    [8]uint64     // per priority, the seq of the session served last (round robin)

	// Latest time-critical packet received: its time and session, and the
	// latest of any other session (tcrFor).
	tcLast, tcPrev time.Time
	tcLastS        *Session

	stats EndpointStats

	overAnswer tokenBucket // bytes of answers beyond AmplificationFactor (Config.OverAnswerRate)

	// recvMem is what the receive flows of all sessions hold; each
	// session's budget is inside it (recvmem.go).
	recvMem *flow.MemoryBudget
	// adm counts responder sessions and key agreements per source prefix
	// (admission.go).
	adm *admission

	rbuf []byte // decrypt scratch
	pbuf []byte // plain packet being assembled
	wbuf []byte // sealed packet

	wake func() // wakes the loop after an application call (set by Endpoint)
	// flushLimit bounds the data packets of one flush call (0: none). The
	// Endpoint sets it (before its goroutines start) so that its queue of
	// packets waiting for the socket stays small.
	flushLimit int
}

func newEngine(cfg Config) (*engine, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	now := cfg.Now()
	e := &engine{
		cfg:       cfg,
		id:        cfg.Identity,
		policy:    cfg.Policy,
		epoch:     now,
		defCipher: flashcrypto.NewDefaultCipher(),
		rand:      &lockedReader{r: cfg.Rand},
		sessions:  make(map[wire.SessionID]*Session),
		byTag:     make(map[string]*Session),
		byAddr:    make(map[netip.AddrPort]*Session),
		bySKIC:    make(map[uint64]*Session),
		rbuf:      make([]byte, 0, MaxDatagram+64),
		pbuf:      make([]byte, 0, maxStartupPacket+64),
		wbuf:      make([]byte, 0, MaxDatagram+64),
		wake:      func() {},
		keepalive: cfg.KeepalivePeriod,
		recvMem:   flow.NewMemoryBudget(cfg.EndpointRecvMemory, nil),
		adm:       newAdmission(cfg.Admission),
	}
	if cfg.OverAnswerRate > 0 {
		e.overAnswer = tokenBucket{rate: float64(cfg.OverAnswerRate), burst: float64(cfg.OverAnswerRate) / 4}
	}
	if e.cookies = cfg.CookieJar; e.cookies == nil {
		if e.cookies, err = flashcrypto.NewCookieJar(cfg.Rand, now); err != nil {
			return nil, err
		}
	}
	if _, err := io.ReadFull(cfg.Rand, e.secret[:]); err != nil {
		return nil, fmt.Errorf("rtmfp: randomness: %w", err)
	}
	return e, nil
}

func (e *engine) drop(r DropReason) { e.stats.Dropped[r]++ }

// epochTime is a time as an offset from the engine's epoch plus one, zero
// meaning none: a quarter of a time.Time, for per-session arrays.
type epochTime time.Duration

func (e *engine) toEpoch(t time.Time) epochTime {
	if t.IsZero() {
		return 0
	}
	return epochTime(t.Sub(e.epoch) + 1)
}

func (e *engine) fromEpoch(t epochTime) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return e.epoch.Add(time.Duration(t) - 1)
}

// timestamp is our header timestamp at now (RFC 7016 §2.2.4).
func (e *engine) timestamp(now time.Time) cc.Timestamp { return cc.TimestampAt(now.Sub(e.epoch)) }

// newSID picks an unused non-zero receive session ID, 32 random bits from
// Config.Rand. It must not be predictable: a default-key RIKeying or Cookie
// Change is addressed by it alone (RFC 7016 §3.5.1.1), so a guessable ID
// would let an off-path sender answer our handshakes.
func (e *engine) newSID() (wire.SessionID, error) {
	var b [4]byte
	for {
		if _, err := io.ReadFull(e.rand, b[:]); err != nil {
			return 0, fmt.Errorf("rtmfp: randomness: %w", err)
		}
		sid := wire.SessionID(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
		if sid == wire.StartupSessionID {
			continue
		}
		if _, used := e.sessions[sid]; !used {
			return sid, nil
		}
	}
}

// receive processes one datagram from the socket (RFC 7016 §2.2.1: unscramble
// the session ID, SID 0 is the startup pseudo-session, unknown IDs dropped).
func (e *engine) receive(now time.Time, from netip.AddrPort, pkt []byte) {
	if e.closed {
		return
	}
	e.stats.PacketsReceived++
	e.stats.BytesReceived += uint64(len(pkt))
	switch {
	case len(pkt) > MaxDatagram:
		e.drop(DropTooLong)
		return
	case len(pkt) < minDatagram:
		e.drop(DropTooShort)
		return
	}
	sid, err := wire.UnscrambleSessionID(pkt)
	if err != nil {
		e.drop(DropTooShort)
		return
	}
	if sid == wire.StartupSessionID {
		e.receiveStartup(now, from, pkt)
		return
	}
	s := e.sessions[sid]
	if s == nil {
		e.drop(DropUnknownSession)
		return
	}
	e.touch(s)
	s.receive(now, from, pkt)
	e.enforceRecvMemory(now, s)
}

// openError maps a packet protection failure to its drop reason.
func openError(err error) DropReason {
	switch {
	case errors.Is(err, flashcrypto.ErrPacketTooLarge):
		return DropTooLong
	case errors.Is(err, flashcrypto.ErrPacketLength):
		return DropBadLength
	case errors.Is(err, flashcrypto.ErrReplayed), errors.Is(err, flashcrypto.ErrSequenceTooOld):
		return DropReplay
	case errors.Is(err, flashcrypto.ErrBadChecksum), errors.Is(err, flashcrypto.ErrShortCleartext):
		return DropChecksum
	case errors.Is(err, flashcrypto.ErrBadSequence):
		return DropMalformed
	default:
		return DropDecrypt
	}
}

// sealStartup builds a startup-mode packet carrying chunks, sealed with the
// default key and addressed to sid (RFC 7425 §4.1), padded with 0xff so the
// cleartext is at least padTo bytes.
func (e *engine) sealStartup(now time.Time, sid wire.SessionID, chunks []byte, padTo int) []byte {
	h := wire.PacketHeader{Mode: wire.ModeStartup, HasTimestamp: true, Timestamp: wire.Timestamp(e.timestamp(now))}
	plain := h.Append(make([]byte, 0, h.Length()+len(chunks)+padTo))
	plain = append(plain, chunks...)
	if len(plain) < padTo {
		plain = wire.AppendPadding(plain, padTo-len(plain))
	}
	out := make([]byte, wire.SessionIDLength, wire.SessionIDLength+e.defCipher.SealedLen(len(plain)))
	out = e.defCipher.Seal(out, plain)
	_ = wire.PutScrambledSessionID(out, sid)
	return out
}

// queueStartup queues a startup packet.
func (e *engine) queueStartup(to netip.AddrPort, b []byte) {
	e.out = append(e.out, outDatagram{to: to, b: b})
}

// answerStartup queues an answer to an unauthenticated datagram of reqLen
// bytes. An answer larger than AmplificationFactor times that is sent only
// from the endpoint-wide over-answer budget (Config.OverAnswerRate).
func (e *engine) answerStartup(now time.Time, to netip.AddrPort, b []byte, reqLen int) bool {
	if len(b) > AmplificationFactor*reqLen {
		if !e.overAnswer.take(now, float64(len(b))) {
			e.drop(DropAmplification)
			return false
		}
		e.stats.OverAnswers++
	}
	e.queueStartup(to, b)
	return true
}

// tokenBucket is a byte budget refilled at rate per second up to burst.
// The zero value never has tokens.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (tb *tokenBucket) take(now time.Time, n float64) bool {
	if !tb.has(now, n) {
		return false
	}
	tb.tokens -= n
	return true
}

// has reports whether n tokens are there, without taking them.
func (tb *tokenBucket) has(now time.Time, n float64) bool {
	if tb.rate <= 0 {
		return false
	}
	if tb.last.IsZero() {
		tb.tokens = tb.burst
	} else if d := now.Sub(tb.last); d > 0 {
		tb.tokens = min(tb.burst, tb.tokens+d.Seconds()*tb.rate)
	}
	tb.last = now
	return tb.tokens >= n
}

// full reports whether the bucket is full (nothing to remember).
func (tb *tokenBucket) full(now time.Time) bool {
	return tb.rate <= 0 || tb.has(now, tb.burst)
}

// snapshot lists the sessions in a reused slice (valid until the next call).
func (e *engine) snapshot() []*Session {
	clear(e.snap)
	e.snap = e.snap[:0]
	for _, s := range e.sessions {
		e.snap = append(e.snap, s)
	}
	return e.snap
}

// addOpen puts an opened session into the scheduling order.
func (e *engine) addOpen(s *Session) {
	e.order = append(e.order, s)
	e.indexAddr(s)
	e.nextSeq++
	s.seq = e.nextSeq
	e.touch(s)
}

// remove forgets a session entirely.
func (e *engine) remove(s *Session) {
	if e.sessions[s.rsid] == s {
		delete(e.sessions, s.rsid)
	}
	if s.hs != nil && s.hs.tag != "" && e.byTag[s.hs.tag] == s {
		delete(e.byTag, s.hs.tag)
	}
	for i, o := range e.order {
		if o == s {
			e.order = append(e.order[:i], e.order[i+1:]...)
			break
		}
	}
	e.unindexAddr(s)
	s.releaseRecvMemory()
	if s.admitted {
		s.admitted = false
		e.adm.sessionEnded(s.admitFrom)
	}
	if !s.isInitiator {
		if k := skicKey(s.skicSum); e.bySKIC[k] == s {
			delete(e.bySKIC, k)
		}
	}
	e.heapRemove(s)
	if e.tcLastS == s {
		e.tcLast, e.tcPrev, e.tcLastS = e.tcPrev, time.Time{}, nil
	}
}

// indexAddr and unindexAddr keep byAddr, which answers "an open session
// at this address" without a scan; when two sessions share an address
// (after a move) the first keeps the entry.
func (e *engine) indexAddr(s *Session) {
	if _, taken := e.byAddr[s.farAddr]; !taken {
		e.byAddr[s.farAddr] = s
	}
}

func (e *engine) unindexAddr(s *Session) {
	if e.byAddr[s.farAddr] == s {
		delete(e.byAddr, s.farAddr)
	}
}

// skicKey is the bySKIC key of a SKIC digest.
func skicKey(d [16]byte) uint64 {
	return uint64(d[0]) | uint64(d[1])<<8 | uint64(d[2])<<16 | uint64(d[3])<<24 |
		uint64(d[4])<<32 | uint64(d[5])<<40 | uint64(d[6])<<48 | uint64(d[7])<<56
}

// findOpen returns an open session whose far certificate the EPD selects.
func (e *engine) findOpen(epd flashcrypto.EPD) *Session {
	for _, s := range e.order {
		if s.state == stateOpen && s.farCert != nil && epd.Selects(s.farCert) {
			return s
		}
	}
	return nil
}

func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	}
	return a
}

// closeAll aborts every session with err (endpoint shutdown).
func (e *engine) closeAll(now time.Time, err error) {
	e.closed = true
	for _, s := range append([]*Session(nil), e.snapshot()...) {
		s.abort(now, err, true)
	}
}
