package rtmfp

import (
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
	// MaxPacket is the cleartext size of session packets.
	MaxPacket = 1200
	// maxControl bounds the control chunks queued between flushes.
	maxControl = 4096
	// realtimeSampleSize and realtimeSampleGap: in real-time mode a new
	// timestamp goes only in packets of at most this many bytes, or in
	// any packet when none carried one for the gap (sampleTimestamp).
	realtimeSampleSize = 400
	realtimeSampleGap  = 100 * time.Millisecond
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
	// glareLinger: for this long after a session we opened to a far end
	// that loses glares, an IIKeying from it is a stale attempt, not a
	// restart (startup.go completeResponder). The loser stops its attempt
	// the moment it takes ours, so only what was in flight (a round trip,
	// or a retransmission one interval later) can still come.
	glareLinger = 5 * time.Second
)

// sessionState is where a session is in its life (RFC 7016 §3.5: S_IHELLO_SENT,
// S_KEYING_SENT, S_OPEN, S_NEARCLOSE, S_FARCLOSE_LINGER, S_CLOSED).
type sessionState uint8

const (
	stateIHelloSent sessionState = iota
	stateKeyingSent
	stateOpen
	stateNearClose
	stateFarCloseLinger
	stateClosed
)

// Session is one RTMFP session (RFC 7016 §3.5): a keyed, congestion
// controlled association with one far end, carrying flows in both
// directions. Its methods are safe for concurrent use; every field below is
// guarded by the endpoint's engine mutex.
type Session struct {
	e           *engine
	isInitiator bool
	openedAt    time.Time // when the handshake completed (loop goroutine)
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
	// Responder: the session counts against the prefixes of admitFrom
	// until it is removed (admission.go).
	admitted  bool
	admitFrom netip.Addr

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
	tsSentAt     time.Time // when a packet last carried a timestamp
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
	mobAddr netip.AddrPort // where a check is to be sent
	// A mobility check that came from an address other than the
	// session's is answered there (mobility.go: answerCheck).
	mobReplyTo netip.AddrPort
	mobReply   []byte
	mobSentAt  time.Time
	onMove     func(netip.AddrPort) // SetFarAddrFunc

	flows
	recvMem   *flow.MemoryBudget // what the receive flows hold, inside the engine's (recvmem.go)
	priSentAt [8]epochTime       // last data sent per priority (headroom rule)
	stats     SessionStats
	meter     meter // recent rates and loss for SessionStats (meter.go)

	// Scheduling (timers.go).
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
		recvMem:     flow.NewMemoryBudget(e.cfg.SessionRecvMemory, e.recvMem),
	}
	s.flows.init(e.cfg.FlowAcceptQueue)
	e.sessions[s.rsid] = s
	e.touch(s)
	return s, nil
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
	s.openedAt = now
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
	s.traceState(now)
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
	s.traceState(now)
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
	s.traceState(now)
}

// mode is the packet mode this end sends.
func (s *Session) mode() wire.Mode {
	if s.isInitiator {
		return wire.ModeInitiator
	}
	return wire.ModeResponder
}
