package rtmfp

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/flashcrypto"
)

// Default session timers. The library defaults of rtmfp-cpp (keepalive one
// hour, no retransmit or idle limit) suit servers; a call wants to notice a
// vanished peer within seconds, so camchat uses the values of the reference's
// interactive clients (rtmfp-cpp test/tcconn.cpp, test/fcclient.cpp).
const (
	DefaultKeepalivePeriod = 10 * time.Second
	DefaultRetransmitLimit = 20 * time.Second
	DefaultIdleLimit       = 300 * time.Second
	// DefaultTimeCriticalCongestionDelay is the delay-based detection
	// threshold while a session sends time-critical data.
	DefaultTimeCriticalCongestionDelay = 20 * time.Millisecond
	// MinTimerPeriod is the floor of the three periods above (rtmfp-cpp
	// MIN_KEEPALIVE_PERIOD, MIN_RTX_PERIOD, MIN_IDLE_PERIOD).
	MinTimerPeriod = time.Second
)

// FIHelloMode says what a session does with an FIHello that its far end
// forwards to us (RFC 7016 §3.5.1.4; rtmfp-cpp setSessionFIHelloMode).
type FIHelloMode uint8

const (
	// FIHelloIgnore drops forwarded IHellos (the reference's default).
	FIHelloIgnore FIHelloMode = iota
	// FIHelloSendRHello answers with an RHello straight to the reply
	// address, if the EPD selects us: the target's half of an introduction
	// (RFC 7016 §3.5.1.5).
	FIHelloSendRHello
	// FIHelloSendRedirect answers the reply address with an empty Redirect,
	// which tells the initiator to try the address it came from.
	FIHelloSendRedirect
)

// UnmatchedIHello is an IHello (or FIHello) whose EPD does not select this
// endpoint. A rendezvous server or a room member uses it to introduce the
// initiator to the peer it asks for: Endpoint.Redirect to the initiator and
// Session.ForwardIHello to the target (RFC 7016 §3.5.1.4–§3.5.1.6).
type UnmatchedIHello struct {
	EPD  []byte         // as received; a copy owned by the callee
	Tag  []byte         // the initiator's tag; a copy
	From netip.AddrPort // the initiator's address as observed (or the FIHello reply address)
	// Via is the session the IHello was forwarded on (nil for a direct IHello).
	Via *Session
}

// Config configures an Endpoint. Identity is required; every other zero
// value selects a default.
type Config struct {
	// Identity is this end's certificate and keys (RFC 7425 §4.3).
	Identity *flashcrypto.Identity
	// Policy negotiates HMAC and session sequence numbers (RFC 7425 §4.6).
	// The zero value is flashcrypto.DefaultPolicy: both on between camchat
	// peers, Flash-era initiators still served.
	Policy flashcrypto.Policy

	// Now is the clock (default time.Now; under testing/synctest time.Now
	// is virtual). Rand is the randomness (default crypto/rand).
	Now  func() time.Time
	Rand io.Reader

	// KeepalivePeriod, RetransmitLimit and IdleLimit are the session timers
	// of RFC 7016 §3.5.2.2 (defaults above; at least MinTimerPeriod).
	//
	// A session whose far end stops answering ends with ErrRetransmitLimit
	// RetransmitLimit after the first packet it sent since the last answer:
	// while it sends data, about RetransmitLimit plus a round trip after
	// the far end went; while idle, at most KeepalivePeriod (plus one MRTO
	// for the responder) more, since the keepalive Ping is what goes
	// unanswered. A call that must notice a crashed peer within 10 s sets
	// KeepalivePeriod 2 s and RetransmitLimit 6 s (at most 6.5 s sending,
	// 8.5 s idle over a 300 ms round trip; TestVanishedPeerWithinTenSeconds).
	// IdleLimit plays no part: it closes sessions that have no flows.
	KeepalivePeriod time.Duration
	RetransmitLimit time.Duration
	IdleLimit       time.Duration

	// CongestionDelay is the threshold of delay-based congestion detection
	// (cc.Config): 0 selects cc.DefaultCongestionDelay. Set
	// DisableDelayDetection for the loss-only controller.
	CongestionDelay       time.Duration
	DisableDelayDetection bool
	// TimeCriticalCongestionDelay replaces CongestionDelay while the
	// session sends time-critical data (priority 4 and up): 0 means
	// DefaultTimeCriticalCongestionDelay. Such a session is in cc's
	// real-time mode, which paces by rate with thresholds of its own;
	// this one applies to the window rules only if that mode ends
	// while the time-critical state lasts.
	TimeCriticalCongestionDelay time.Duration

	// Tracer, if set, receives the transport's events (trace.go):
	// packets sent, acknowledgements and losses, timeouts, RTT samples,
	// window and rate, state changes. It runs on the endpoint's loop
	// with the engine locked: it must return quickly and must not call
	// the endpoint or its sessions. Unset, tracing costs a nil check.
	Tracer func(TraceEvent)

	// FIHelloMode is the initial FIHello mode of every session
	// (Session.SetFIHelloMode changes one session).
	FIHelloMode FIHelloMode

	// OnUnmatchedIHello, if set, is called for every IHello whose EPD does
	// not select us, on the endpoint's loop goroutine with no lock held.
	// It must not block for long; it may call any method of the endpoint.
	OnUnmatchedIHello func(UnmatchedIHello)

	// RecvBufferCapacity is each receive flow's buffer in bytes (the window
	// advertised to the sender); 0 means 1 MiB.
	RecvBufferCapacity int
	// MaxRecvMessage is the largest message a receive flow must be able to
	// reassemble; 0 means RecvBufferCapacity. With the window it bounds
	// the memory one receive flow may hold, whatever its sender does:
	// 2·(RecvBufferCapacity + MaxRecvMessage) of pooled buffers (a pooled
	// buffer is less than twice its data). A larger message can never
	// complete.
	MaxRecvMessage int
	// AcceptQueue bounds the sessions waiting for Accept; beyond it new
	// ones are refused. 0 means 16. It also bounds the flows of each
	// session waiting for AcceptFlow or AcceptReturn unless FlowAcceptQueue
	// is set.
	AcceptQueue int
	// SessionRecvMemory bounds the memory the receive flows of one
	// session hold: fragments and messages not yet read (in pooled
	// buffers, as flow.Receiver.Held counts them) and a fixed cost per
	// flow. 0 means 4·(RecvBufferCapacity + MaxRecvMessage), room for
	// two flows at their own bound. An honest far end stays within the
	// windows we advertise and far below it; a session whose far end goes
	// beyond it is closed with ErrRecvMemory and counted
	// (EndpointStats.RecvMemoryCloses).
	SessionRecvMemory int
	// EndpointRecvMemory bounds the same over all sessions; 0 means
	// 8·SessionRecvMemory. When a fragment does not fit it, the session
	// that holds the most is closed with ErrRecvMemory, so that many
	// hostile sessions together cannot hold more and honest ones, which
	// hold little, go on.
	EndpointRecvMemory int
	// FlowAcceptQueue bounds, per session, the flows waiting for
	// AcceptFlow (and, per send flow, for AcceptReturn); beyond it new
	// ones are rejected. 0 means AcceptQueue. A server with many sessions
	// that takes each flow at once can keep it small: the queue's buffer
	// is allocated with every session and send flow.
	FlowAcceptQueue int

	// CookieJar, if set, makes and checks the endpoint's RHello cookies
	// in place of one of its own: a server shares it with what filters
	// its startup packets before the transport (rendezvous' guard checks
	// an IIKeying's cookie to know its source is not forged).
	CookieJar *flashcrypto.CookieJar

	// Admission bounds the sessions far ends open to us and the key
	// agreements they cost, per source prefix (admission.go); zero
	// fields select DefaultAdmission's.
	Admission Admission

	// OverAnswerRate is how many bytes per second the endpoint may send, in
	// all, as answers to unauthenticated datagrams that are larger than
	// AmplificationFactor times the datagram (the burst is a quarter second
	// of it). Our own IHellos are padded so that no answer to them needs it,
	// but the reference implementation's and Flash-era peers' IHellos are
	// not, and an RHello with a static-key certificate is several times
	// their size. The budget keeps those peers able to reach us while
	// bounding what a spoofed-source flood can make us reflect to this rate
	// for the whole endpoint. 0 means DefaultOverAnswerRate; a negative
	// value enforces the 3× bound strictly (for public servers).
	OverAnswerRate int
}

// DefaultOverAnswerRate is the default Config.OverAnswerRate: enough for a
// few dozen handshakes a second from peers that do not pad their IHellos.
const DefaultOverAnswerRate = 32 << 10

// withDefaults returns cfg with defaults filled in, or an error.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Identity == nil {
		return cfg, fmt.Errorf("%w: no identity", ErrConfig)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
		*d = max(*d, MinTimerPeriod)
	}
	def(&cfg.KeepalivePeriod, DefaultKeepalivePeriod)
	def(&cfg.RetransmitLimit, DefaultRetransmitLimit)
	def(&cfg.IdleLimit, DefaultIdleLimit)
	if cfg.CongestionDelay < 0 {
		return cfg, fmt.Errorf("%w: negative congestion delay", ErrConfig)
	}
	if cfg.DisableDelayDetection {
		cfg.CongestionDelay = cc.DelayDetectionOff
	}
	if cfg.TimeCriticalCongestionDelay <= 0 {
		cfg.TimeCriticalCongestionDelay = DefaultTimeCriticalCongestionDelay
	}
	if cfg.RecvBufferCapacity <= 0 {
		cfg.RecvBufferCapacity = 1 << 20
	}
	if cfg.MaxRecvMessage <= 0 {
		cfg.MaxRecvMessage = cfg.RecvBufferCapacity
	}
	if cfg.SessionRecvMemory <= 0 {
		cfg.SessionRecvMemory = 4 * (cfg.RecvBufferCapacity + cfg.MaxRecvMessage)
	}
	if cfg.EndpointRecvMemory <= 0 {
		cfg.EndpointRecvMemory = 8 * cfg.SessionRecvMemory
	}
	if cfg.AcceptQueue <= 0 {
		cfg.AcceptQueue = 16
	}
	if cfg.FlowAcceptQueue <= 0 {
		cfg.FlowAcceptQueue = cfg.AcceptQueue
	}
	if cfg.OverAnswerRate == 0 {
		cfg.OverAnswerRate = DefaultOverAnswerRate
	}
	return cfg, nil
}
