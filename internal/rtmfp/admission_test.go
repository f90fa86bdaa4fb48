package rtmfp

import (
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/wire"
)

// newAdmissionPair is a memPair whose responder b has the admission
// limits adm.
func newAdmissionPair(t *testing.T, adm Admission) *memPair {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	clock := func() time.Time { return p.now }
	var err error
	p.b, err = newEngine(Config{Identity: rtmfptest.Identity(1), Rand: rtmfptest.Rand(2), Now: clock, Admission: adm, AcceptQueue: 1024})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// iikeying sends b an IIKeying from from with a fresh cookie and returns
// it.
func (p *memPair) iikeying(from netip.AddrPort, isid wire.SessionID) wire.IIKeying {
	c := validIIKeying(p.b, from, p.now, isid, flashcrypto.Group2)
	p.b.receive(p.now, from, p.b.sealStartup(p.now, 0, c.Append(nil), 0))
	return c
}

func (p *memPair) workAll() {
	for p.b.work(p.now) {
	}
}

var generous = PrefixLimits{Sessions: 1000, Pending: 1000, KeyingRate: 1000, KeyingBurst: 1000}

// A cookie buys agreements for one keying component: an IIKeying repeated
// while its agreement waits costs nothing; another IIKeying with the same
// cookie (another session ID and keying component, as an attacker replays
// it) is dropped and counted, before and after the first agreement
// (review finding 2: one cookie allowed unlimited IIKeyings, each a fresh
// agreement); the same IIKeying after its session ended is answered.
func TestOneAgreementPerCookie(t *testing.T) {
	p := newAdmissionPair(t, Admission{Source: generous, Net: generous, Site: generous})
	from := netip.MustParseAddrPort("192.0.2.7:5000")
	c := p.iikeying(from, 1)
	send := func(c wire.IIKeying) {
		p.b.receive(p.now, from, p.b.sealStartup(p.now, 0, c.Append(nil), 0))
	}
	send(c) // a retransmission: already queued
	replay := c
	replay.InitiatorSessionID = 2
	replay.SKIC = append(append([]byte(nil), c.SKIC...), 0x01, 0x77) // one more option
	send(replay)
	if got, used := p.b.pendingResponders(), p.b.stats.Dropped[DropCookieUsed]; got != 1 || used != 1 {
		t.Fatalf("%d agreements queued, %d used cookies dropped; want 1 and 1", got, used)
	}
	p.workAll()
	if p.b.stats.HandshakesAccepted != 1 {
		t.Fatal("no session")
	}
	replay.InitiatorSessionID = 3
	send(replay)
	send(c) // the same IIKeying: its RIKeying again, no agreement
	if got, used := p.b.pendingResponders(), p.b.stats.Dropped[DropCookieUsed]; got != 0 || used != 2 || p.b.stats.RIKeyingRetransmits != 1 {
		t.Fatalf("%d agreements queued, %d used cookies dropped, %d RIKeyings resent", got, used, p.b.stats.RIKeyingRetransmits)
	}
	// The session ends before the initiator had our RIKeying (it was
	// lost, and the responder's keepalives went unanswered): the same
	// IIKeying, retransmitted, opens a session again.
	p.b.accepted[0].abort(p.now, ErrRetransmitLimit, false)
	send(c)
	if got := p.b.pendingResponders(); got != 1 {
		t.Fatalf("retransmitted IIKeying after the session ended: %d queued", got)
	}
	p.workAll()
	// A fresh cookie is a fresh agreement.
	p.iikeying(netip.MustParseAddrPort("192.0.2.7:5001"), 4)
	if got := p.b.pendingResponders(); got != 1 {
		t.Fatalf("fresh cookie: %d queued", got)
	}
}

// Key agreements are budgeted per prefix (here 2 at once and one a second
// from one address), so one source cannot buy agreements without end
// while others still can.
func TestKeyingBudgetPerPrefix(t *testing.T) {
	lim := generous
	lim.KeyingRate, lim.KeyingBurst = 1, 2
	p := newAdmissionPair(t, Admission{Source: lim, Net: generous, Site: generous})
	a := netip.MustParseAddr("198.51.100.9")
	for i := range 5 {
		p.iikeying(netip.AddrPortFrom(a, uint16(4000+i)), wire.SessionID(i+1))
	}
	if got, refused := p.b.pendingResponders(), p.b.stats.Dropped[DropKeyingBudget]; got != 2 || refused != 3 {
		t.Fatalf("%d queued, %d refused; want 2 and 3", got, refused)
	}
	p.iikeying(netip.MustParseAddrPort("198.51.100.10:4000"), 10) // another address
	p.now = p.now.Add(time.Second)
	p.iikeying(netip.AddrPortFrom(a, 4100), 11) // one more after a second
	p.iikeying(netip.AddrPortFrom(a, 4101), 12)
	if got, refused := p.b.pendingResponders(), p.b.stats.Dropped[DropKeyingBudget]; got != 4 || refused != 4 {
		t.Fatalf("%d queued, %d refused; want 4 and 4", got, refused)
	}
	// The group decides the cost.
	if keyingCost(flashcrypto.Group2) != 1 || keyingCost(flashcrypto.Group14) != 4 || keyingCost(flashcrypto.Group16) != 64 {
		t.Fatal("keying costs")
	}
}

// Sessions still keying count against the caps (review finding 6: with a
// cap of 4 per address, 40 simultaneous IIKeyings opened 6 sessions).
func TestSessionCapCountsHandshakesInProgress(t *testing.T) {
	src := generous
	src.Sessions = 4
	p := newAdmissionPair(t, Admission{Source: src, Net: generous, Site: generous})
	a := netip.MustParseAddr("203.0.113.5")
	for i := range 40 {
		p.iikeying(netip.AddrPortFrom(a, uint16(3000+i)), wire.SessionID(i+1))
	}
	p.workAll()
	for i := range 40 { // and again, once they are open
		p.iikeying(netip.AddrPortFrom(a, uint16(6000+i)), wire.SessionID(i+100))
	}
	p.workAll()
	if got, capped := p.b.stats.HandshakesAccepted, p.b.stats.Dropped[DropSessionLimit]; got != 4 || capped != 76 {
		t.Fatalf("%d sessions opened, %d refused; want 4 and 76", got, capped)
	}
	// A session that ends frees its place.
	p.b.accepted[0].abort(p.now, ErrSessionAborted, false)
	p.iikeying(netip.AddrPortFrom(a, 9000), 999)
	p.workAll()
	if got := p.b.stats.HandshakesAccepted; got != 5 {
		t.Fatalf("%d sessions after one ended", got)
	}
}

// Session caps are nested: an IPv6 /64 at most 16, its /56 20, its /48
// 30, an IPv4 /24 20, all 40. An attacker with many /64s of one /56 (or
// one /48, or one /24) cannot hold every session (review finding 4: four
// /64s held all 1,000 of a scaled-down server's sessions).
func TestNestedSessionCaps(t *testing.T) {
	p := newAdmissionPair(t, Admission{MaxSessions: 40,
		Source: PrefixLimits{Sessions: 16, Pending: 1000, KeyingRate: 1000, KeyingBurst: 1000},
		Net:    PrefixLimits{Sessions: 20, Pending: 1000, KeyingRate: 1000, KeyingBurst: 1000},
		Site:   PrefixLimits{Sessions: 30, Pending: 1000, KeyingRate: 1000, KeyingBurst: 1000}})
	isid := wire.SessionID(1)
	flood := func(prefix string, subnets, per int) {
		base := netip.MustParsePrefix(prefix).Addr().As16()
		for s := range subnets {
			for i := range per {
				b := base
				b[7] = byte(s) // the /64 within the /56 or /48
				b[15] = byte(i + 1)
				p.iikeying(netip.AddrPortFrom(netip.AddrFrom16(b), 1935), isid)
				isid++
			}
		}
	}
	flood("2001:db8:0:100::/56", 4, 16) // four /64s of one /56
	if got := p.b.pendingResponders(); got != 20 {
		t.Fatalf("one /56 holds %d sessions, want 20", got)
	}
	flood("2001:db8:0:200::/56", 4, 16) // another /56 of the same /48
	if got := p.b.pendingResponders(); got != 30 {
		t.Fatalf("one /48 holds %d sessions, want 30", got)
	}
	for i := range 30 { // an IPv4 /24
		p.iikeying(netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, 7, byte(i + 1)}), 1935), isid)
		isid++
	}
	if got := p.b.pendingResponders(); got != 40 {
		t.Fatalf("%d sessions, want the global 40", got)
	}
	p.workAll()
	if st := p.b.stats; st.HandshakesAccepted != 40 || st.Dropped[DropSessionLimit] != 128+30-40 {
		t.Fatalf("%d sessions, %d refused", st.HandshakesAccepted, st.Dropped[DropSessionLimit])
	}
	// With room again, an honest client elsewhere gets in; the attackers'
	// prefixes do not.
	p.b.accepted[39].abort(p.now, ErrSessionAborted, false) // one of the /24's
	flood("2001:db8:0:100::/56", 1, 1)
	flood("2001:db8:0:300::/56", 1, 1)
	p.iikeying(netip.MustParseAddrPort("[2001:db8:ffff::1]:1935"), isid)
	p.workAll()
	if got := p.b.stats.HandshakesAccepted; got != 41 {
		t.Fatalf("%d sessions, want the honest one more", got)
	}
}
