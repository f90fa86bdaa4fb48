package rendezvous

import (
	"net/netip"
	"testing"
	"time"
)

func TestTokenBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var b tokenBucket
	got := 0
	for range 10 {
		if b.allow(t0, 2, 5) {
			got++
		}
	}
	if got != 5 {
		t.Fatalf("burst: %d allowed, want 5", got)
	}
	// 1.5 s at 2/s: three tokens.
	got = 0
	for range 10 {
		if b.allow(t0.Add(1500*time.Millisecond), 2, 5) {
			got++
		}
	}
	if got != 3 {
		t.Fatalf("refill: %d allowed, want 3", got)
	}
	// Never more than the burst, however long the pause.
	got = 0
	for range 10 {
		if b.allow(t0.Add(time.Hour), 2, 5) {
			got++
		}
	}
	if got != 5 || !b.full(t0.Add(time.Hour+3*time.Second), 2, 5) || b.full(t0.Add(time.Hour), 2, 5) {
		t.Fatalf("after a pause: %d allowed", got)
	}
	// A clock that steps back does not mint tokens.
	if b.allow(t0, 2, 5) {
		t.Fatal("token from a clock step back")
	}
	var off tokenBucket
	for range 100 {
		if !off.allow(t0, -1, 0) {
			t.Fatal("negative rate must disable the limit")
		}
	}
}

func newTestLimiter(lim Limits) (*limiter, *counters) {
	ctr := &counters{}
	return newLimiter(lim.withDefaults(), time.Now, ctr), ctr
}

// TestAmplificationAccount: within a window an unverified address gets at
// most three times what it sent, Redirects and RHellos alike; a new window
// starts from zero; a verified address has no bound.
func TestAmplificationAccount(t *testing.T) {
	l, ctr := newTestLimiter(Limits{AmplificationWindow: 2 * time.Second})
	t0 := time.Unix(1000, 0)
	x := netip.MustParseAddrPort("198.51.100.7:5000")
	if l.allowSend(t0, x, 1, false) {
		t.Fatal("answer to an address that sent nothing")
	}
	if !l.admit(t0, x, 100, kindIHello, 0) {
		t.Fatal("first IHello refused")
	}
	if !l.allowSend(t0, x, 200, false) || !l.allowSend(t0, x, 100, false) || l.allowSend(t0, x, 1, false) {
		t.Fatal("budget of 300 bytes not exactly enforced")
	}
	// Session packets (non-zero session ID) earn budget too.
	l.admit(t0.Add(time.Second), x, 10, kindSession, 0)
	if !l.allowSend(t0.Add(time.Second), x, 30, false) || l.allowSend(t0.Add(time.Second), x, 1, false) {
		t.Fatal("session packet bytes not credited")
	}
	// The window expires: what was received before no longer counts.
	if l.allowSend(t0.Add(2*time.Second), x, 1, false) {
		t.Fatal("budget survived the window")
	}
	if got := ctr.dropped[DropAmplification].Load(); got != 4 {
		t.Fatalf("amplification drops %d, want 4", got)
	}
	l.addSession(x)
	if !l.allowSend(t0, x, 1<<20, false) {
		t.Fatal("verified address bounded")
	}
	l.removeSession(x)
	// Its Close Requests still go out for closeLinger, then the bound is
	// back.
	now := l.now()
	if !l.allowSend(now.Add(closeLinger-time.Second), x, 1000, false) {
		t.Fatal("close linger not honoured")
	}
	if l.allowSend(now.Add(closeLinger), x, 1, false) {
		t.Fatal("address still verified after the linger")
	}
}

// TestSessionLimits: startup packets from a source at its session limit,
// or from anyone while the server is full, are dropped; an address with a
// session is not subject to them (its IHellos ask for introductions).
func TestSessionLimits(t *testing.T) {
	l, ctr := newTestLimiter(Limits{MaxSessions: 3, MaxSessionsPerIP: 2})
	t0 := time.Unix(1000, 0)
	a1 := netip.MustParseAddrPort("198.51.100.7:1")
	a2 := netip.MustParseAddrPort("198.51.100.7:2")
	a3 := netip.MustParseAddrPort("198.51.100.7:3")
	b1 := netip.MustParseAddrPort("198.51.100.8:1")
	c1 := netip.MustParseAddrPort("[2001:db8::1]:1")
	l.addSession(a1)
	l.addSession(a2)
	if l.admit(t0, a3, 100, kindIHello, 0) || ctr.dropped[DropSessionsSource].Load() != 1 {
		t.Fatal("third session from one IP admitted")
	}
	if !l.admit(t0, a3, 100, kindSession, 0) {
		t.Fatal("session packets are not the limiter's business")
	}
	if !l.admit(t0, a1, 100, kindIHello, 0) {
		t.Fatal("IHello from a connected address refused")
	}
	l.addSession(b1)
	if l.admit(t0, c1, 100, kindIHello, 0) || ctr.dropped[DropSessionsGlobal].Load() != 1 {
		t.Fatal("admitted beyond MaxSessions")
	}
	l.removeSession(b1)
	if !l.admit(t0, c1, 100, kindIHello, 0) {
		t.Fatal("refused after a session ended")
	}
	// An IPv6 /64 is one source.
	l6, ctr6 := newTestLimiter(Limits{MaxSessionsPerIP: 1})
	l6.addSession(netip.MustParseAddrPort("[2001:db8:1:2::1]:1"))
	if l6.admit(t0, netip.MustParseAddrPort("[2001:db8:1:2:ffff::9]:7"), 100, kindIHello, 0) || ctr6.dropped[DropSessionsSource].Load() != 1 {
		t.Fatal("another address of the same /64 admitted")
	}
	if !l6.admit(t0, netip.MustParseAddrPort("[2001:db8:1:3::1]:1"), 100, kindIHello, 0) {
		t.Fatal("another /64 refused")
	}
	// Mobility moves the count with the session.
	l.moveSession(a2, netip.MustParseAddrPort("192.0.2.1:9"))
	if !l.admit(t0, a3, 100, kindIHello, 0) || l.sessions != 2 {
		t.Fatalf("after a move: sessions %d", l.sessions)
	}
}

// TestSourceTable: the per-source tables are bounded and pruned.
func TestSourceTable(t *testing.T) {
	l, ctr := newTestLimiter(Limits{MaxSources: 4, AmplificationWindow: time.Second, HandshakeRatePerIP: 10, HandshakeBurstPerIP: 1})
	t0 := time.Unix(1000, 0)
	for i := range 6 {
		l.admit(t0, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 1), 50, kindIHello, 0)
	}
	if got := ctr.dropped[DropSourcesFull].Load(); got != 2 {
		t.Fatalf("sources-full drops %d, want 2", got)
	}
	if n := l.prune(t0.Add(50 * time.Millisecond)); n != 8 {
		t.Fatalf("pruned too early: %d entries", n)
	}
	if n := l.prune(t0.Add(time.Second)); n != 0 {
		t.Fatalf("%d entries after expiry", n)
	}
}

// TestGarbageCannotFillSourceTable: datagrams with a non-zero session ID
// from as many spoofed sources as the source table holds (never decrypted)
// create no source-table entries, so a genuine client's IHello right after
// is admitted; they are accounted in the bounded seen table, which keeps
// the most recent maxSeenAddrs addresses and never refuses anyone.
func TestGarbageCannotFillSourceTable(t *testing.T) {
	l, ctr := newTestLimiter(Limits{})
	t0 := time.Unix(1000, 0)
	spoofed := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{100, byte(i >> 16), byte(i >> 8), byte(i)}), 9)
	}
	for i := range DefaultLimits.MaxSources {
		if !l.admit(t0, spoofed(i), 20, kindSession, 0) {
			t.Fatal("session packet refused")
		}
	}
	if len(l.addrs) != 0 || len(l.ips) != 0 || l.seen.len() != maxSeenAddrs {
		t.Fatalf("after %d garbage datagrams: addrs %d ips %d seen %d, want 0 0 %d",
			DefaultLimits.MaxSources, len(l.addrs), len(l.ips), l.seen.len(), maxSeenAddrs)
	}
	genuine := netip.MustParseAddrPort("198.51.100.7:5000")
	if !l.admit(t0.Add(time.Second), genuine, 80, kindIHello, 0) {
		t.Fatal("genuine IHello refused after a garbage flood")
	}
	if got := ctr.dropped[DropSourcesFull].Load(); got != 0 {
		t.Fatalf("sources-full drops %d, want 0", got)
	}
	if len(l.addrs) != 1 || len(l.ips) != 1 {
		t.Fatalf("source table %d addrs %d ips, want 1 1", len(l.addrs), len(l.ips))
	}
	// The newest garbage source has a budget of 3×20 bytes; the oldest
	// was evicted and gets nothing.
	newest, oldest := spoofed(DefaultLimits.MaxSources-1), spoofed(0)
	if !l.allowSend(t0, newest, 60, false) || l.allowSend(t0, newest, 1, false) || l.allowSend(t0, oldest, 1, false) {
		t.Fatal("seen-table budget not exactly 3× what was received")
	}
	if got := ctr.dropped[DropAmplification].Load(); got != 2 {
		t.Fatalf("amplification drops %d, want 2", got)
	}
	// The window ends: the janitor empties the seen table.
	if n := l.prune(t0.Add(3 * time.Second)); n != 0 || l.seen.len() != 0 {
		t.Fatalf("after prune: %d source entries, %d seen", n, l.seen.len())
	}
}

// TestMovedPeerBudget: a peer that moved is heard from only in session
// packets at its new address; that address gets a budget for the mobility
// check from the seen table, and leaves it once the session moves there.
func TestMovedPeerBudget(t *testing.T) {
	l, _ := newTestLimiter(Limits{})
	t0 := time.Unix(1000, 0)
	old := netip.MustParseAddrPort("198.51.100.7:5000")
	moved := netip.MustParseAddrPort("198.51.100.7:6000")
	l.addSession(old)
	l.admit(t0, moved, 100, kindSession, 0)
	if l.seen.len() != 1 || len(l.addrs) != 1 {
		t.Fatalf("seen %d addrs %d", l.seen.len(), len(l.addrs))
	}
	if !l.allowSend(t0, moved, 300, false) || l.allowSend(t0, moved, 1, false) {
		t.Fatal("mobility check budget not 300 bytes")
	}
	l.moveSession(old, moved)
	if l.seen.len() != 0 || !l.allowSend(t0, moved, 1<<20, false) {
		t.Fatalf("after the move: seen %d", l.seen.len())
	}
}

func BenchmarkAdmit(b *testing.B) {
	l, _ := newTestLimiter(Limits{HandshakeRate: -1, HandshakeRatePerIP: -1})
	t0 := time.Unix(1000, 0)
	from := netip.MustParseAddrPort("198.51.100.7:5000")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.admit(t0, from, 100, []startupKind{kindSession, kindIHello}[i%2], 0)
		l.allowSend(t0, from, 100, false)
	}
}

// BenchmarkAdmitGarbage is the cost of a session packet from a new
// address each time, as in a flood of spoofed garbage: every call creates
// a seen-table entry and, once the table is full, evicts the oldest.
func BenchmarkAdmitGarbage(b *testing.B) {
	l, _ := newTestLimiter(Limits{})
	t0 := time.Unix(1000, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.admit(t0, netip.AddrPortFrom(netip.AddrFrom4([4]byte{100, byte(i >> 16), byte(i >> 8), byte(i)}), 9), 20, kindSession, 0)
	}
}

// TestRIKeyingPaidByIIKeying: an IIKeying with a valid cookie earns its
// address the budget for the RIKeying, which leaves before the session is
// recorded here, even when the IHello that earned the cookie is in an
// older window.
func TestRIKeyingPaidByIIKeying(t *testing.T) {
	l, _ := newTestLimiter(Limits{AmplificationWindow: 2 * time.Second})
	t0 := time.Unix(1000, 0)
	x := netip.MustParseAddrPort("198.51.100.7:5000")
	if !l.admit(t0, x, 420, kindIHello, 180) || !l.allowSend(t0, x, 180, true) {
		t.Fatal("IHello not answered")
	}
	t1 := t0.Add(3 * time.Second) // a slow initiator: the window is over
	if !l.admit(t1, x, 300, kindKeying, 0) {
		t.Fatal("IIKeying refused")
	}
	if !l.allowSend(t1, x, 250, false) {
		t.Fatal("RIKeying held back")
	}
}
