package rtmfp

import (
	"net/netip"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
)

// Admission of the sessions far ends open to us (the responder's side of
// RFC 7016 §3.5.1.2). An IIKeying with a valid cookie asks for a
// Diffie-Hellman key agreement, whose cost the initiator chooses (the
// group; a random "public key" costs it nothing) and for a session slot.
// Both are budgeted per source prefix, nested the way addresses are handed
// out: an IPv4 address and its /24; an IPv6 /64 (one subscriber, RFC 6177),
// its /56 and its /48. Before these, one IPv6 /56 could fill a server's
// sessions and a dozen /64s stall its handshakes.
//
//   - Sessions: responder sessions open or still keying count against
//     every prefix of their initiator's address, so a burst of IIKeyings
//     cannot overshoot a cap while their agreements are computed.
//   - Key agreements: each costs units by group (keyingCost), taken from a
//     token bucket per prefix; a cookie buys agreements for one keying
//     component only (the same IIKeying again is an initiator that never
//     got our RIKeying, and may be answered again after the session it
//     opened ended; another is someone replaying the cookie).
//   - Waiting agreements: a few per prefix (by default two per source
//     address, four per /24 or /56, eight per /48) and MaxPendingKeying in
//     all, computed in arrival order: a prefix holds a bounded share of
//     the key worker, so an honest initiator waits for at most
//     MaxPendingKeying agreements.
//
// Loopback addresses are no prefix anyone hands out (several programs on
// one host, tests): their sessions count only against MaxSessions.

// PrefixLimits bound what one address prefix may cost.
type PrefixLimits struct {
	// Sessions bounds the responder sessions open or keying from the
	// prefix.
	Sessions int
	// Pending bounds the key agreements from the prefix waiting to be
	// computed.
	Pending int
	// KeyingRate and KeyingBurst are the token bucket of key agreement
	// cost units (group 2: 1, group 14: 4, group 16: 64) per second.
	KeyingRate  float64
	KeyingBurst float64
}

// Admission bounds the sessions that far ends open to an endpoint and the
// key agreements they cost (admission.go). Zero fields select the values
// of DefaultAdmission; a negative one disables that limit.
type Admission struct {
	// MaxSessions bounds the responder sessions open or keying in all.
	MaxSessions int
	// Source is an IPv4 address or an IPv6 /64, Net an IPv4 /24 or an
	// IPv6 /56, Site an IPv6 /48.
	Source, Net, Site PrefixLimits
}

// DefaultAdmission suits a peer: a call needs a handful of sessions, each
// one agreement; a server raises them (rendezvous.Limits).
var DefaultAdmission = Admission{
	MaxSessions: 1024,
	Source:      PrefixLimits{Sessions: 16, Pending: 2, KeyingRate: 16, KeyingBurst: 128},
	Net:         PrefixLimits{Sessions: 64, Pending: 4, KeyingRate: 64, KeyingBurst: 512},
	Site:        PrefixLimits{Sessions: 256, Pending: 8, KeyingRate: 256, KeyingBurst: 2048},
}

func (a Admission) withDefaults() Admission {
	d := DefaultAdmission
	if a.MaxSessions == 0 {
		a.MaxSessions = d.MaxSessions
	}
	pick := func(l *PrefixLimits, d PrefixLimits) {
		if l.Sessions == 0 {
			l.Sessions = d.Sessions
		}
		if l.Pending == 0 {
			l.Pending = d.Pending
		}
		if l.KeyingRate == 0 {
			l.KeyingRate = d.KeyingRate
		}
		if l.KeyingBurst == 0 {
			l.KeyingBurst = d.KeyingBurst
		}
	}
	pick(&a.Source, d.Source)
	pick(&a.Net, d.Net)
	pick(&a.Site, d.Site)
	return a
}

// keyingCost is the cost of a key agreement in group g, in units of a
// group 2 agreement (BenchmarkDHGroup*: 0.48, 2.1 and 34 ms here; 0.37 and
// 7.3 ms on another machine), rounded up.
func keyingCost(g flashcrypto.Group) float64 {
	switch g {
	case flashcrypto.Group2:
		return 1
	case flashcrypto.Group14:
		return 4
	default:
		return 64
	}
}

// Prefix levels.
const (
	levelSource = iota
	levelNet
	levelSite
	numLevels
)

// prefixesOf returns the prefixes an address counts against, one per
// level (an IPv4 address has no Site: its /24 is what a provider hands
// out; a loopback address none).
func prefixesOf(a netip.Addr) (p [numLevels]netip.Prefix, n int) {
	a = a.Unmap()
	if a.IsLoopback() {
		return p, 0
	}
	if a.Is4() {
		p[levelSource], _ = a.Prefix(32)
		p[levelNet], _ = a.Prefix(24)
		return p, 2
	}
	p[levelSource], _ = a.Prefix(64)
	p[levelNet], _ = a.Prefix(56)
	p[levelSite], _ = a.Prefix(48)
	return p, 3
}

// prefixState is what the admission knows of one prefix.
type prefixState struct {
	sessions int // responder sessions open or keying
	pending  int // agreements queued or computing
	keying   tokenBucket
}

// usedCookie is a cookie that had its key agreement, forgotten once it
// expired.
type usedCookie struct {
	id    uint64
	until time.Time
}

// maxUsedCookies bounds the cookies remembered; beyond it the oldest is
// forgotten early (then one more agreement could be had for it).
const maxUsedCookies = 1 << 16

// admission is the engine's admission state, guarded by the engine mutex.
type admission struct {
	cfg      Admission
	prefixes map[netip.Prefix]*prefixState
	sessions int
	used     map[uint64][16]byte // cookie ID → digest of the SKIC it was used with
	usedQ    []usedCookie        // in the order used, so expiry is from the front
	pruned   time.Time
}

func newAdmission(cfg Admission) *admission {
	return &admission{cfg: cfg.withDefaults(), prefixes: make(map[netip.Prefix]*prefixState), used: make(map[uint64][16]byte)}
}

func (a *admission) limits(level int) PrefixLimits {
	switch level {
	case levelSource:
		return a.cfg.Source
	case levelNet:
		return a.cfg.Net
	}
	return a.cfg.Site
}

// cookieUsed reports whether cookie id already had a key agreement for
// another SKIC than the one whose digest is skic.
func (a *admission) cookieUsed(now time.Time, id uint64, skic [16]byte) bool {
	a.expireCookies(now)
	d, ok := a.used[id]
	return ok && d != skic
}

func (a *admission) useCookie(now time.Time, id uint64, skic [16]byte) {
	if _, ok := a.used[id]; ok {
		return
	}
	if len(a.usedQ) >= maxUsedCookies {
		delete(a.used, a.usedQ[0].id)
		a.usedQ = a.usedQ[1:]
	}
	a.used[id] = skic
	a.usedQ = append(a.usedQ, usedCookie{id: id, until: now.Add(flashcrypto.CookieLifetime + time.Second)})
}

func (a *admission) expireCookies(now time.Time) {
	n := 0
	for n < len(a.usedQ) && !now.Before(a.usedQ[n].until) {
		delete(a.used, a.usedQ[n].id)
		n++
	}
	if n > 0 {
		a.usedQ = append(a.usedQ[:0], a.usedQ[n:]...)
	}
}

// admitKeying decides whether an initiator at from may have a key
// agreement of the given cost and, if so, counts it as a session keying.
// It returns the drop reason when not.
func (a *admission) admitKeying(now time.Time, from netip.Addr, cost float64) (DropReason, bool) {
	a.prune(now)
	if a.cfg.MaxSessions >= 0 && a.sessions >= a.cfg.MaxSessions {
		return DropSessionLimit, false
	}
	ps, n := prefixesOf(from)
	var st [numLevels]*prefixState
	for i := range n {
		st[i] = a.prefixes[ps[i]]
		if st[i] == nil {
			continue
		}
		l := a.limits(i)
		if l.Sessions >= 0 && st[i].sessions >= l.Sessions {
			return DropSessionLimit, false
		}
		if l.Pending >= 0 && st[i].pending >= l.Pending {
			return DropQueueFull, false
		}
	}
	// The buckets: checked at every level before any is charged.
	for i := range n {
		l := a.limits(i)
		if l.KeyingRate < 0 {
			continue
		}
		if st[i] == nil {
			if cost > l.KeyingBurst {
				return DropKeyingBudget, false
			}
			continue
		}
		if !st[i].keying.has(now, cost) {
			return DropKeyingBudget, false
		}
	}
	for i := range n {
		l := a.limits(i)
		if st[i] == nil {
			st[i] = &prefixState{keying: tokenBucket{rate: l.KeyingRate, burst: l.KeyingBurst}}
			a.prefixes[ps[i]] = st[i]
		}
		if l.KeyingRate >= 0 {
			st[i].keying.take(now, cost)
		}
		st[i].sessions++
		st[i].pending++
	}
	a.sessions++
	return 0, true
}

// keyingDone ends the wait of an agreement admitted for from: opened says
// whether it opened a session, which stays counted until sessionEnded.
func (a *admission) keyingDone(from netip.Addr, opened bool) {
	ps, n := prefixesOf(from)
	for i := range n {
		if st := a.prefixes[ps[i]]; st != nil {
			st.pending--
			if !opened {
				st.sessions--
			}
		}
	}
	if !opened {
		a.sessions--
	}
}

// sessionEnded forgets a session admitted for from.
func (a *admission) sessionEnded(from netip.Addr) {
	ps, n := prefixesOf(from)
	for i := range n {
		if st := a.prefixes[ps[i]]; st != nil {
			st.sessions--
		}
	}
	a.sessions--
}

// pruneEvery is how often prefixes with nothing to remember are forgotten.
const pruneEvery = 10 * time.Second

// prune forgets the prefixes with no session, nothing waiting and a full
// bucket: every entry stands for an address that proved it receives our
// packets (a valid cookie) and then cost us something recently.
func (a *admission) prune(now time.Time) {
	if now.Sub(a.pruned) < pruneEvery {
		return
	}
	a.pruned = now
	for p, st := range a.prefixes {
		if st.sessions == 0 && st.pending == 0 && st.keying.full(now) {
			delete(a.prefixes, p)
		}
	}
}
