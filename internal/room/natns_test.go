package room

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"camchat/internal/nattest"
	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous"
	rtc "camchat/internal/rtmfp/tc"
	"camchat/internal/turn"
)

// Calls across real NATs: Linux network namespaces with nftables NATs
// (package nattest), a rendezvous server on the public segment, and Rooms
// whose sockets live behind the NATs, in real time. They need root and
// skip without it.

// nsWorld is a test network with a rendezvous server on it, and a TURN
// relay beside it when asked for.
type nsWorld struct {
	t     *testing.T
	n     *nattest.Network
	rv    string // the rendezvous server's address
	relay *turn.Server
	ms    []*testMember
}

const testRelaySecret = "relay secret"

func newNSWorld(t *testing.T, withRelay bool) *nsWorld {
	t.Helper()
	n := nattest.New(t)
	w := &nsWorld{t: t, n: n}
	h := n.AddServer("rv")
	conn, err := h.ListenUDP(1935)
	if err != nil {
		t.Fatal(err)
	}
	id, err := flashcrypto.NewEphemeralIdentity(rand.Reader, nil, flashcrypto.CertOptions{AcceptsAncillary: true})
	if err != nil {
		t.Fatal(err)
	}
	var calls map[string]rendezvous.CallHandler
	if withRelay {
		// As `camchat rendezvous -turn` does: a relay on the same host,
		// credentials for it from the rendezvous server.
		tc, err := h.ListenUDP(3478)
		if err != nil {
			t.Fatal(err)
		}
		w.relay, err = turn.NewServer(turn.ServerConfig{
			Conn: tc, RelayIP: h.Addr, Secret: testRelaySecret,
			ListenPacket: func(_, address string) (net.PacketConn, error) {
				a, err := netip.ParseAddrPort(address)
				if err != nil {
					return nil, err
				}
				return h.ListenUDP(int(a.Port()))
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.relay.Close() })
		relayAddr := netip.AddrPortFrom(h.Addr, 3478).String()
		calls = map[string]rendezvous.CallHandler{
			RelayCall: func(c rendezvous.Caller, _ rtc.Command) ([]rtc.Value, error) {
				cr := turn.RESTCredentials(testRelaySecret, c.PeerID.String(), time.Now(), time.Hour)
				return []rtc.Value{rtc.NewObject(
					rtc.Property{Key: "addr", Value: relayAddr},
					rtc.Property{Key: "username", Value: cr.Username},
					rtc.Property{Key: "password", Value: cr.Password},
					rtc.Property{Key: "ttl", Value: float64(3600)},
				)}, nil
			},
		}
	}
	rcfg := rendezvous.Config{Identity: id, Calls: calls}
	if os.Getenv("CAMCHAT_NATNS_LOG") != "" {
		rcfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("server", "rendezvous")
	}
	srv, err := rendezvous.New(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(conn)
	w.rv = conn.LocalAddr().String()
	t.Cleanup(func() {
		for _, m := range w.ms {
			m.close()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return w
}

// member starts a Room on host h, registered with the rendezvous server,
// sending a small picture (the tests are about paths, not pictures).
func (w *nsWorld) member(h *nattest.Host, name string, mod func(*Config)) *testMember {
	w.t.Helper()
	conn, err := h.ListenUDP(1935)
	if err != nil {
		w.t.Fatal(err)
	}
	id, err := identity.NewIdentity()
	if err != nil {
		w.t.Fatal(err)
	}
	cfg := Config{
		Identity: id, Name: name, Conn: conn, Rendezvous: w.rv,
		Video: VideoConfig{Width: 160, Height: 120, FPS: 10, MaxBitrate: 150_000},
	}
	if os.Getenv("CAMCHAT_NATNS_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("member", name)
	}
	if mod != nil {
		mod(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	m := &testMember{t: w.t, r: r, id: r.PeerID(), addr: conn.LocalAddr().(interface{ AddrPort() netip.AddrPort }).AddrPort(), name: name, done: make(chan struct{})}
	go m.collect()
	w.ms = append(w.ms, m)
	return m
}

// poll checks cond every 10 ms until it holds (true) or limit passes.
func poll(limit time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			return time.Since(start), false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start), true
}

func (w *nsWorld) registered(ms ...*testMember) {
	w.t.Helper()
	for _, m := range ms {
		if _, ok := poll(5*time.Second, func() bool { return m.r.Snapshot().Rendezvous.Connected }); !ok {
			w.t.Fatalf("%s did not connect to the rendezvous server: %+v", m.name, m.r.Snapshot().Rendezvous)
		}
		if w.relay != nil {
			if _, ok := poll(5*time.Second, func() bool { return m.r.relayed().IsValid() }); !ok {
				w.t.Fatalf("%s got no relayed address", m.name)
			}
		}
	}
}

// hearing reports whether a plays b's audio and shows its video.
func hearing(a, b *testMember) bool {
	x, ok := a.member(b)
	return ok && x.State == StateConnected && x.AudioPlayed > 0 && x.VideoShown > 0
}

// pairing is one NAT pairing's outcome.
type pairing struct {
	a, b        nattest.Kind
	err         error
	join, media time.Duration
	path        string
	rtt         time.Duration // smoothed, once both hear each other
}

// TestNATPairings calls between hosts behind every pair of NAT kinds, the
// first joining the second by peer ID through the rendezvous server, which
// also runs a TURN relay, and measures how long the join takes and when
// both hear each other. Peers behind endpoint-independent NATs
// (port-restricted, address-restricted, full cone) connect directly by
// hole punching in every pairing, and a full cone reaches a symmetric NAT;
// the pairings hole punching cannot serve go through the relay, joined
// within 6 s.
func TestNATPairings(t *testing.T) {
	w := newNSWorld(t, true)
	kinds := []nattest.Kind{nattest.PortRestricted, nattest.AddressRestricted, nattest.FullCone, nattest.Symmetric}
	var results []pairing
	k := 0
	for i, ka := range kinds {
		for _, kb := range kinds[i:] {
			k++
			mustDirect := ka != nattest.Symmetric && kb != nattest.Symmetric || ka == nattest.FullCone
			t.Run(ka.String()+"-"+kb.String(), func(t *testing.T) {
				ha := w.n.AddBehindNAT(fmt.Sprintf("a%d", k), ka)
				hb := w.n.AddBehindNAT(fmt.Sprintf("b%d", k), kb)
				a := w.member(ha, "A", nil)
				b := w.member(hb, "B", nil)
				defer a.close()
				defer b.close()
				w.registered(a, b)
				res := pairing{a: ka, b: kb}
				start := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
				res.err = a.r.Join(ctx, b.id.String())
				cancel()
				res.join = time.Since(start)
				if res.err == nil {
					if _, ok := poll(3*time.Second, func() bool { return hearing(a, b) && hearing(b, a) }); ok {
						res.media = time.Since(start)
					}
					x, _ := a.member(b)
					res.path, res.rtt = "direct", x.SmoothedRTT
					if x.Relayed {
						res.path = "relayed via " + x.Via
					}
					if x.Addr.Addr() != hb.NAT.Public && !x.Relayed {
						t.Errorf("A reaches B at %v, not at B's NAT %v", x.Addr, hb.NAT.Public)
					}
				}
				results = append(results, res)
				switch {
				case mustDirect && res.err != nil:
					t.Errorf("%v -> %v: %v", ka, kb, res.err)
					for _, m := range []*testMember{a, b} {
						t.Logf("%s: endpoint %+v", m.name, m.r.ep.Stats())
						if c := m.r.relay.conn; c != nil {
							t.Logf("%s: paths %+v", m.name, c.Stats())
						}
					}
				case mustDirect && res.path != "direct":
					t.Errorf("%v -> %v: %s, want direct", ka, kb, res.path)
				case res.err == nil && res.media == 0:
					t.Errorf("%v -> %v: joined, but no audio and video both ways within 3 s", ka, kb)
				case mustDirect && res.join > 3*time.Second:
					t.Errorf("%v -> %v: joined after %v, want within 3 s", ka, kb, res.join)
				case res.err != nil:
					t.Errorf("%v -> %v: %v (no relay either)", ka, kb, res.err)
				case res.path != "direct" && !strings.HasPrefix(res.path, "relayed"):
					t.Errorf("%v -> %v: path %q", ka, kb, res.path)
				}
				if x, _ := b.member(a); res.err == nil && x.Relayed != strings.HasPrefix(res.path, "relayed") {
					t.Errorf("%v -> %v: A says %s, B says relayed=%v (%s)", ka, kb, res.path, x.Relayed, x.Via)
				}
			})
		}
	}
	var b strings.Builder
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(&b, "\n  %-18v -> %-18v  failed after %v: %v", r.a, r.b, r.join.Round(time.Millisecond), r.err)
			continue
		}
		fmt.Fprintf(&b, "\n  %-18v -> %-18v  %s, joined in %v, both hear each other after %v, RTT %v", r.a, r.b, r.path, r.join.Round(time.Millisecond), r.media.Round(time.Millisecond), r.rtt.Round(10*time.Microsecond))
	}
	t.Log("NAT pairings:" + b.String())
}

// TestUDPBlocked: a member whose firewall drops all UDP is told so within
// 10 s, as an error event, in the rendezvous state and as the error of the
// Join it tried, instead of waiting out the timeouts.
func TestUDPBlocked(t *testing.T) {
	w := newNSWorld(t, true)
	h := w.n.AddBehindNAT("walled", nattest.PortRestricted)
	if err := h.BlockUDP(true); err != nil {
		t.Fatal(err)
	}
	other := w.member(w.n.AddBehindNAT("open", nattest.PortRestricted), "Open", nil)
	m := w.member(h, "Walled", nil)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := m.r.Join(ctx, other.id.String())
	took := time.Since(start)
	if !errors.Is(err, ErrUDPBlocked) || took > 10*time.Second {
		t.Fatalf("Join: %v after %v, want ErrUDPBlocked within 10 s", err, took)
	}
	if _, ok := poll(time.Second, func() bool {
		evs := m.eventsOf(EventError)
		return len(evs) > 0 && errors.Is(evs[0].Err, ErrUDPBlocked)
	}); !ok {
		t.Errorf("no UDP-blocked error event: %+v", m.eventsOf(EventError))
	}
	if s := m.r.Snapshot().Rendezvous; s.Connected || !strings.Contains(s.Err, "UDP appears blocked: configure a relay") {
		t.Errorf("rendezvous state %+v", s)
	}
	t.Logf("told after %v: %v", took.Round(time.Millisecond), err)
}

// resumed waits until x plays y's audio steadily again after it stopped
// (10 frames in the last 250 ms) and returns when, counted from since;
// zero when it never stopped.
func resumed(x, y *testMember, since time.Time, limit time.Duration) (time.Duration, bool) {
	type sample struct {
		at time.Time
		n  uint64
	}
	var hist []sample
	stopped := false
	for time.Since(since) < limit {
		m, _ := x.member(y)
		now := time.Now()
		hist = append(hist, sample{now, m.AudioPlayed})
		for len(hist) > 1 && now.Sub(hist[1].at) >= 250*time.Millisecond {
			hist = hist[1:]
		}
		if now.Sub(hist[0].at) >= 240*time.Millisecond {
			flowing := m.AudioPlayed-hist[0].n >= 10
			switch {
			case !flowing:
				stopped = true
			case stopped:
				return now.Sub(since), true
			case now.Sub(since) > 3*time.Second:
				return 0, true // never stopped
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return limit, false
}

// TestMobilityRepunch: mid-call, a member's NAT forgets its mappings and
// gives it a new public port, while the other member sits behind a
// port-restricted NAT that filters the new port. The call goes on within
// 2 s without rejoining: both ends re-punch through the rendezvous server
// and the sessions move to the new address. The audio gap is reported.
func TestMobilityRepunch(t *testing.T) {
	w := newNSWorld(t, false)
	ha := w.n.AddBehindNAT("mover", nattest.PortRestricted)
	hb := w.n.AddBehindNAT("stayer", nattest.PortRestricted)
	a := w.member(ha, "Mover", nil)
	b := w.member(hb, "Stayer", nil)
	w.registered(a, b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.r.Join(ctx, b.id.String()); err != nil {
		t.Fatal(err)
	}
	if _, ok := poll(3*time.Second, func() bool { return hearing(a, b) && hearing(b, a) }); !ok {
		t.Fatal("no media before the move")
	}
	time.Sleep(time.Second)
	before, _ := b.member(a)
	moved := time.Now()
	if err := ha.NAT.Rebind(); err != nil {
		t.Fatal(err)
	}
	// Each direction's audio: flowing while 10 frames (of 12.5) were
	// played in the last 250 ms; it is back when it flows again after it
	// stopped.
	var backBA time.Duration
	var okBA bool
	done := make(chan struct{})
	go func() { defer close(done); backBA, okBA = resumed(a, b, moved, 8*time.Second) }()
	backAB, okAB := resumed(b, a, moved, 8*time.Second)
	<-done
	back := max(backAB, backBA)
	after, _ := b.member(a)
	if !okAB || !okBA {
		t.Fatalf("the call did not go on within 8 s of the move (A to B %v, B to A %v): B reaches A at %v (was %v)", okAB, okBA, after.Addr, before.Addr)
	}
	gap := time.Duration(after.AudioConcealed-before.AudioConcealed+after.AudioLost-before.AudioLost) * 20 * time.Millisecond
	t.Logf("mapping %v -> %v; audio again %v (A to B) and %v (B to A) after the move; B lost or concealed %v of A's audio", before.Addr, after.Addr,
		backAB.Round(time.Millisecond), backBA.Round(time.Millisecond), gap)
	if after.Addr == before.Addr {
		t.Errorf("B still reaches A at %v", after.Addr)
	}
	if back > 2*time.Second+250*time.Millisecond {
		t.Errorf("audio both ways again only %v after the move, want within 2 s (plus the 250 ms measured)", back)
	}
	for _, m := range []*testMember{a, b} {
		for _, ev := range m.eventsOf(EventLeft) {
			t.Errorf("%s: %s", m.name, ev.Text)
		}
	}
}

// TestFiveBehindNATs: five people, two of them behind symmetric NATs, the
// others behind a port-restricted, an address-restricted and a full-cone
// NAT, join one call through the rendezvous server, with a TURN relay
// beside it and without. All ten pairs carry audio and video both ways,
// each direct or relayed as their NATs allow: through the TURN relay, or
// without one through a member that reaches both.
func TestFiveBehindNATs(t *testing.T) {
	for _, relay := range []bool{true, false} {
		name := "turn"
		if !relay {
			name = "members"
		}
		t.Run(name, func(t *testing.T) { fiveBehindNATs(t, relay) })
	}
}

func fiveBehindNATs(t *testing.T, withRelay bool) {
	w := newNSWorld(t, withRelay)
	// Everyone joins the member behind the full cone, whom all reach.
	kinds := []nattest.Kind{nattest.FullCone, nattest.Symmetric, nattest.PortRestricted, nattest.Symmetric, nattest.AddressRestricted}
	var ms []*testMember
	for i, k := range kinds {
		ms = append(ms, w.member(w.n.AddBehindNAT(fmt.Sprintf("m%d", i), k), fmt.Sprintf("%s-%d", k, i), nil))
	}
	w.registered(ms...)
	start := time.Now()
	for _, m := range ms[1:] {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := m.r.Join(ctx, ms[0].id.String())
		cancel()
		if err != nil {
			t.Fatalf("%s joins: %v", m.name, err)
		}
	}
	all := func() bool {
		for _, a := range ms {
			for _, b := range ms {
				if a != b && !hearing(a, b) {
					return false
				}
			}
		}
		return true
	}
	took, ok := poll(30*time.Second, all)
	total := time.Since(start)
	var b strings.Builder
	relayed := 0
	for i, x := range ms {
		for _, y := range ms[i+1:] {
			m, _ := x.member(y)
			path := "direct"
			if m.Relayed {
				path = "relayed (" + m.Via + ")"
				relayed++
			}
			fmt.Fprintf(&b, "\n  %-20s - %-20s %-8v %s, %d/%d audio frames, %d/%d video frames", x.name, y.name, m.State, path,
				m.AudioPlayed, func() uint64 { n, _ := y.member(x); return n.AudioPlayed }(), m.VideoShown, func() uint64 { n, _ := y.member(x); return n.VideoShown }())
		}
	}
	t.Logf("five behind NATs, all hear and see each other %v after the first join:%s", total.Round(time.Millisecond), b.String())
	if !ok {
		t.Fatalf("after %v not every pair hears and sees each other", took)
	}
	// The symmetric pair, and each symmetric member with the
	// port-restricted one, have no direct path.
	if relayed < 3 {
		t.Errorf("%d pairs relayed, want at least 3", relayed)
	}
}

// TestPunchOpenRouter: the callee's router has no input firewall, so a
// datagram from the caller that reaches it before the callee has sent
// anything leaves a conntrack entry behind, and the callee's answer then
// goes out from another port, which the caller's port-restricted NAT
// filters. Punching survives it: the caller's handshake packets to
// addresses it was told of wait until the introduction has made the
// callee send first. Every attempt connects directly.
func TestPunchOpenRouter(t *testing.T) {
	w := newNSWorld(t, false)
	const rounds = 4
	direct := 0
	var times []time.Duration
	for i := range rounds {
		ha := w.n.AddBehindNAT(fmt.Sprintf("caller%d", i), nattest.PortRestricted)
		hb := w.n.AddBehindNAT(fmt.Sprintf("callee%d", i), nattest.PortRestricted)
		if err := hb.NAT.SetInputFirewall(false); err != nil {
			t.Fatal(err)
		}
		a, b := w.member(ha, "Caller", nil), w.member(hb, "Callee", nil)
		w.registered(a, b)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := a.r.Join(ctx, b.id.String())
		cancel()
		took := time.Since(start)
		if err == nil {
			direct++
			times = append(times, took.Round(time.Millisecond))
		} else {
			t.Logf("round %d: %v after %v", i, err, took.Round(time.Millisecond))
		}
		a.close()
		b.close()
	}
	t.Logf("%d of %d calls to a callee behind a router without an input firewall connected directly, in %v", direct, rounds, times)
	if direct != rounds {
		t.Errorf("%d of %d connected", direct, rounds)
	}
}

// TestRelayedToDirect: a call between a port-restricted and a symmetric
// NAT starts through the relay; then the first router starts admitting
// any port of an address it has sent to (address-restricted), so a
// direct path exists. Both ends' direct-path checks find it and the call
// moves there, media going on.
func TestRelayedToDirect(t *testing.T) {
	w := newNSWorld(t, true)
	ha := w.n.AddBehindNAT("pr", nattest.PortRestricted)
	hb := w.n.AddBehindNAT("sym", nattest.Symmetric)
	a, b := w.member(ha, "PR", nil), w.member(hb, "Sym", nil)
	w.registered(a, b)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	if err := a.r.Join(ctx, b.id.String()); err != nil {
		t.Fatal(err)
	}
	if _, ok := poll(3*time.Second, func() bool { return hearing(a, b) && hearing(b, a) }); !ok {
		t.Fatal("no media")
	}
	if x, _ := a.member(b); !x.Relayed {
		t.Fatalf("the call started direct (%v): nothing to move", x.Addr)
	}
	if err := ha.NAT.SetKind(nattest.AddressRestricted); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	took, ok := poll(15*time.Second, func() bool {
		x, _ := a.member(b)
		y, _ := b.member(a)
		return !x.Relayed && !y.Relayed
	})
	x, _ := a.member(b)
	y, _ := b.member(a)
	if !ok {
		t.Fatalf("still relayed 15 s after a direct path appeared: A reaches B at %v (%s), B reaches A at %v (%s)", x.Addr, x.Via, y.Addr, y.Via)
	}
	t.Logf("moved to direct %v after the path appeared: A reaches B at %v, B reaches A at %v", took.Round(time.Millisecond), x.Addr, y.Addr)
	pa, pb := x.AudioPlayed, y.AudioPlayed
	time.Sleep(time.Second)
	x, _ = a.member(b)
	y, _ = b.member(a)
	if x.AudioPlayed-pa < 35 || y.AudioPlayed-pb < 35 || x.Relayed || y.Relayed {
		t.Errorf("in the second after the move: %d and %d audio frames, relayed %v %v", x.AudioPlayed-pa, y.AudioPlayed-pb, x.Relayed, y.Relayed)
	}
	_ = start
}

// TestForwarderBudget: a member forwards for two symmetric-NAT members
// with a budget under what their streams take (its own video is capped at
// 20 kbit/s, so it lets 100 kbit/s through each way, where the pair would
// send about 130). It never carries more than that, and what gives is
// video: the pair's audio plays on, their video is thinned.
func TestForwarderBudget(t *testing.T) {
	w := newNSWorld(t, false)
	hub := w.member(w.n.AddBehindNAT("fwd", nattest.FullCone), "Forwarder", func(c *Config) { c.Video.MaxBitrate = 20_000 })
	a := w.member(w.n.AddBehindNAT("s1", nattest.Symmetric), "S1", nil)
	b := w.member(w.n.AddBehindNAT("s2", nattest.Symmetric), "S2", nil)
	w.registered(hub, a, b)
	for _, m := range []*testMember{a, b} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := m.r.Join(ctx, hub.id.String())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := poll(20*time.Second, func() bool { return hearing(a, b) && hearing(b, a) }); !ok {
		t.Fatal("the pair does not hear each other through the forwarder")
	}
	if x, _ := a.member(b); !x.Relayed || x.Via != "Forwarder" {
		t.Fatalf("S1 reaches S2 relayed=%v via %q", x.Relayed, x.Via)
	}
	time.Sleep(2 * time.Second)
	x0, _ := a.member(b)
	fs0 := hub.r.relay.conn.Stats()
	const window = 6 * time.Second
	time.Sleep(window)
	x1, _ := a.member(b)
	fs1 := hub.r.relay.conn.Stats()
	audio := x1.AudioPlayed - x0.AudioPlayed
	video := x1.VideoShown - x0.VideoShown
	y, _ := b.member(a)
	t.Logf("through the forwarder in %v: %d audio frames (of %d), %d video frames, S2 sends S1 %d layers at %d kbit/s; forwarded %d datagrams, dropped %d",
		window, audio, window/(20*time.Millisecond), video, y.VideoLayersSent, y.SendBitrate/1000, fs1.Forwarded-fs0.Forwarded, fs1.ForwardDropped-fs0.ForwardDropped)
	if audio < uint64(window/(20*time.Millisecond))*90/100 {
		t.Errorf("audio through the forwarder: %d frames in %v, want 90 %%", audio, window)
	}
	if y.SendBitrate > 100_000*115/100 {
		t.Errorf("S2 sends S1 %d bit/s through a forwarder that lets 100 kbit/s through", y.SendBitrate)
	}
}
