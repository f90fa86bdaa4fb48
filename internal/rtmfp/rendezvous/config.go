package rendezvous

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

// Config configures a Server. Identity is required; every other zero value
// selects a default.
type Config struct {
	// Identity is the server's certificate and keys: NewEphemeralIdentity
	// with AcceptsAncillary for a Cirrus-like server, or a static identity
	// (LoadOrCreateIdentity) whose fingerprint clients pin.
	Identity *flashcrypto.Identity

	// Apps is the allow-list of application names (the path of the
	// client's tcUrl, without query): connect to any other app is rejected
	// with NetConnection.Connect.Rejected. Empty allows every app. This is
	// the place of Stratus's developer key.
	Apps []string

	// Keepalive, if not zero, is sent to every client after a successful
	// connect as the Set Keepalive event (RFC 7425 §5.3.4): the period of
	// its pings to us and the default for its peer sessions. Each period
	// must be at least tc.MinKeepalive.
	Keepalive tc.SetKeepalive

	// ConnectTimeout closes a session that has not completed connect this
	// long after it opened (default 30 s), so that sessions without a
	// NetConnection cannot hold the server's slots.
	ConnectTimeout time.Duration

	// Limits bound what one source and everyone together may cost.
	Limits Limits

	// Session timers of the transport (rtmfp.Config); zero selects the
	// transport's defaults.
	KeepalivePeriod time.Duration
	RetransmitLimit time.Duration
	IdleLimit       time.Duration

	// NoForward suppresses the FIHello to the target of an introduction:
	// only the Redirect goes out. A target behind an address-dependent
	// filtering NAT then cannot be reached (tests show why the FIHello
	// matters).
	NoForward bool

	// Directory, if set, shares this server's introducible clients with
	// other servers and finds theirs (a cluster); nil keeps the server
	// alone, knowing only its own clients.
	Directory Directory

	// Calls answers commands the server does not know, by name: a
	// client's NetConnection.call(name, …) gets a _result with the
	// values the handler returns, or an _error with the error's text.
	// Handlers run on the calling client's goroutine and must not block
	// for long. `camchat rendezvous` serves relay credentials this way.
	Calls map[string]CallHandler

	// Logger receives structured logs (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now; virtual under testing/synctest).
	// Rand is the randomness for the transport (default crypto/rand).
	Now  func() time.Time
	Rand io.Reader
}

// CallHandler answers one command of a connected client.
type CallHandler func(c Caller, cmd tc.Command) ([]tc.Value, error)

// Caller is the client behind a command: its peer ID and the address its
// session comes from.
type Caller struct {
	PeerID flashcrypto.PeerID
	Addr   netip.AddrPort
}

// Limits are the hardening limits. Zero values select the defaults in
// DefaultLimits; a negative rate or count disables that limit.
type Limits struct {
	// MaxSessions bounds the sessions of the server; MaxSessionsPerIP the
	// sessions from one source IP address (an IPv6 /64), MaxSessionsPerNet
	// from one IPv4 /24 or IPv6 /56, MaxSessionsPerSite from one IPv6
	// /48. The transport counts sessions still keying too
	// (rtmfp.Config.Admission); IHellos from a source at its limit, or
	// from anyone at the global limit, are dropped at once. Left zero, the
	// nested caps are those of DefaultLimits, or less for a smaller
	// MaxSessions: MaxSessions/48 per /56 or /24, MaxSessions/12 per /48,
	// and no more per address than per /56.
	MaxSessions        int
	MaxSessionsPerIP   int
	MaxSessionsPerNet  int
	MaxSessionsPerSite int

	// HandshakeRate and HandshakeBurst are the token bucket of startup
	// packets (IHello, IIKeying: session ID 0) from everyone, per second;
	// HandshakeRatePerIP and HandshakeBurstPerIP the bucket of one source
	// IP address.
	HandshakeRate       float64
	HandshakeBurst      float64
	HandshakeRatePerIP  float64
	HandshakeBurstPerIP float64

	// KeyingRatePerIP and KeyingBurstPerIP are the token bucket of
	// IIKeyings carrying a valid cookie from one source IP: such a source
	// is not forged, and its IIKeyings are never refused for the global
	// bucket, so that a flood of forged IHellos cannot delay the last step
	// of a handshake.
	KeyingRatePerIP  float64
	KeyingBurstPerIP float64

	// AgreementRatePerIP and AgreementBurstPerIP are the key agreement
	// budget of one source IP (an IPv6 /64), in cost units per second
	// (group 2: 1, group 14: 4, group 16: 64; rtmfp.PrefixLimits); an
	// IPv4 /24 or IPv6 /56 gets four times as much, an IPv6 /48 sixteen
	// times. A server identity should not offer group 16 (DefaultGroups):
	// any initiator may pick the costliest group offered.
	AgreementRatePerIP  float64
	AgreementBurstPerIP float64

	// AmplificationWindow is the period over which bytes received from and
	// sent to an address without a session are accounted: within one
	// window at most rtmfp.AmplificationFactor times the bytes received
	// may be sent (default 2 s).
	AmplificationWindow time.Duration

	// IntroductionRate and IntroductionBurst are the token bucket of
	// introductions to one target peer, per second. An introduction makes
	// the target send an RHello to the initiator's address as the server
	// saw it (RFC 7016 §3.5.1.5), which a spoofed IHello chooses: the
	// bucket bounds how fast anyone can aim a client's RHellos at a
	// victim. A legitimate initiator retransmits its IHello at 0, 1, 3.5,
	// 7.5 s…, so a room's peers stay far below it.
	IntroductionRate  float64
	IntroductionBurst float64

	// MaxSources bounds the per-source tables (source IPs and addresses
	// tracked at once); when full, startup packets from new sources are
	// dropped until entries expire.
	MaxSources int

	// SessionRecvMemory bounds what the flows of one client's session may
	// hold in the server's memory (rtmfp.Config.SessionRecvMemory): an
	// honest client holds a few KiB; one that goes beyond is closed.
	// RecvMemory bounds the same over all sessions of one socket
	// (rtmfp.Config.EndpointRecvMemory): when it is reached, the session
	// holding the most is closed.
	SessionRecvMemory int
	RecvMemory        int
}

// DefaultLimits are the limits of a zero Limits: room for tens of
// thousands of clients, a few handshakes a second from each address.
var DefaultLimits = Limits{
	MaxSessions:         50000,
	MaxSessionsPerIP:    256,
	MaxSessionsPerNet:   1024,
	MaxSessionsPerSite:  4096,
	HandshakeRate:       4000,
	HandshakeBurst:      8000,
	HandshakeRatePerIP:  50,
	HandshakeBurstPerIP: 100,
	KeyingRatePerIP:     50,
	KeyingBurstPerIP:    100,
	AgreementRatePerIP:  100,
	AgreementBurstPerIP: 400,
	IntroductionRate:    10,
	IntroductionBurst:   20,
	AmplificationWindow: 2 * time.Second,
	MaxSources:          100000,
	SessionRecvMemory:   256 << 10,
	RecvMemory:          256 << 20,
}

// DefaultConnectTimeout is the default of Config.ConnectTimeout.
const DefaultConnectTimeout = 30 * time.Second

// withDefaults fills zero limits from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pickI := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	pickF := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	pickI(&l.MaxSessions, d.MaxSessions)
	// The nested caps follow a smaller MaxSessions, so that a few
	// prefixes cannot hold all of it: a /56 at most about 2 %, a /48 8 %,
	// an address no more than its /56.
	scaled := func(def, share int) int {
		if l.MaxSessions < 0 {
			return def
		}
		return max(1, min(def, share))
	}
	pickI(&l.MaxSessionsPerNet, scaled(d.MaxSessionsPerNet, l.MaxSessions/48))
	pickI(&l.MaxSessionsPerSite, scaled(d.MaxSessionsPerSite, l.MaxSessions/12))
	pickI(&l.MaxSessionsPerIP, scaled(d.MaxSessionsPerIP, l.MaxSessionsPerNet))
	pickF(&l.KeyingRatePerIP, d.KeyingRatePerIP)
	pickF(&l.KeyingBurstPerIP, d.KeyingBurstPerIP)
	pickF(&l.AgreementRatePerIP, d.AgreementRatePerIP)
	pickF(&l.AgreementBurstPerIP, d.AgreementBurstPerIP)
	pickF(&l.HandshakeRate, d.HandshakeRate)
	pickF(&l.HandshakeBurst, d.HandshakeBurst)
	pickF(&l.HandshakeRatePerIP, d.HandshakeRatePerIP)
	pickF(&l.HandshakeBurstPerIP, d.HandshakeBurstPerIP)
	pickF(&l.IntroductionRate, d.IntroductionRate)
	pickF(&l.IntroductionBurst, d.IntroductionBurst)
	pickI(&l.MaxSources, d.MaxSources)
	pickI(&l.SessionRecvMemory, d.SessionRecvMemory)
	pickI(&l.RecvMemory, d.RecvMemory)
	if l.AmplificationWindow == 0 {
		l.AmplificationWindow = d.AmplificationWindow
	}
	return l
}

// validate checks cfg and fills its defaults.
func (cfg *Config) validate() error {
	if cfg.Identity == nil {
		return fmt.Errorf("%w: no identity", ErrConfig)
	}
	if cfg.Keepalive != (tc.SetKeepalive{}) && (cfg.Keepalive.Server < tc.MinKeepalive || cfg.Keepalive.Peer < tc.MinKeepalive) {
		return fmt.Errorf("%w: keepalive periods must be at least %v", ErrConfig, tc.MinKeepalive)
	}
	if cfg.Limits.AmplificationWindow < 0 {
		return fmt.Errorf("%w: negative amplification window", ErrConfig)
	}
	for _, a := range cfg.Apps {
		if a == "" || strings.ContainsAny(a, "?") {
			return fmt.Errorf("%w: app name %q", ErrConfig, a)
		}
	}
	for _, d := range []time.Duration{cfg.KeepalivePeriod, cfg.RetransmitLimit, cfg.IdleLimit} {
		if d != 0 && d < rtmfp.MinTimerPeriod {
			return fmt.Errorf("%w: session timer %v below %v", ErrConfig, d, rtmfp.MinTimerPeriod)
		}
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return nil
}

// appName is the application name of a connect's app field: the part
// before any query ("app?key=v" → "app").
func appName(app string) string {
	name, _, _ := strings.Cut(app, "?")
	return name
}

// admission is the transport's admission for these limits: sessions
// counted per prefix with those still keying, and key agreement budgets.
func (l Limits) admission() rtmfp.Admission {
	level := func(sessions int, scale float64) rtmfp.PrefixLimits {
		return rtmfp.PrefixLimits{Sessions: sessions, Pending: int(4 * scale),
			KeyingRate: l.AgreementRatePerIP * scale, KeyingBurst: l.AgreementBurstPerIP * scale}
	}
	return rtmfp.Admission{
		MaxSessions: l.MaxSessions,
		Source:      level(l.MaxSessionsPerIP, 1),
		Net:         level(l.MaxSessionsPerNet, 4),
		Site:        level(l.MaxSessionsPerSite, 16),
	}
}
