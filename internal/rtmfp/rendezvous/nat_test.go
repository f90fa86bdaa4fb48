package rendezvous

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
)

// natSite is a client behind its own home NAT: endpoint-independent
// mapping, address-dependent filtering (RFC 4787), the common case.
type natSite struct {
	nat  *rtmfptest.NAT
	conn *rtmfptest.Conn
	ep   *rtmfp.Endpoint
}

func newNATSite(t *testing.T, n *rtmfptest.Network, name, public, private string, idx int, mod func(*rtmfp.Config)) *natSite {
	t.Helper()
	nat, err := n.AddNAT(rtmfptest.NATConfig{Name: name + "-nat", Public: []netip.Addr{netip.MustParseAddr(public)},
		Mapping: rtmfptest.MappingEndpointIndependent, Filtering: rtmfptest.FilteringAddressDependent})
	if err != nil {
		t.Fatal(err)
	}
	h, err := nat.AddHost(name, netip.MustParseAddr(private))
	if err != nil {
		t.Fatal(err)
	}
	c, err := h.Listen(netip.AddrPortFrom(netip.MustParseAddr(private), 1935))
	if err != nil {
		t.Fatal(err)
	}
	return &natSite{nat: nat, conn: c, ep: newClient(t, c, idx, mod)}
}

// natWorld is a public server and clients A and B behind home NATs.
type natWorld struct {
	n       *rtmfptest.Network
	srv     *Server
	srvAddr netip.AddrPort
	a, b    *natSite
	ca, cb  *client
}

func newNATWorld(t *testing.T, cfg Config) *natWorld {
	w := &natWorld{n: rtmfptest.NewNetwork(rtmfptest.Config{Seed: 3, DefaultLink: rtmfptest.LinkConditions{Delay: 15 * time.Millisecond}})}
	t.Cleanup(func() { w.n.Close() })
	sh, err := w.n.AddHost("server", netip.MustParseAddr("203.0.113.10"))
	if err != nil {
		t.Fatal(err)
	}
	w.srvAddr = netip.MustParseAddrPort("203.0.113.10:1935")
	sc, err := sh.Listen(w.srvAddr)
	if err != nil {
		t.Fatal(err)
	}
	w.srv = startServer(t, sc, cfg)
	w.a = newNATSite(t, w.n, "a", "198.51.100.1", "192.168.1.2", 0, nil)
	w.b = newNATSite(t, w.n, "b", "198.51.100.2", "192.168.7.9", 1, func(c *rtmfp.Config) { c.FIHelloMode = rtmfp.FIHelloSendRHello })
	ca, ra := dial(t, w.a.ep, w.srvAddr, "chat")
	mustConnect(t, ra)
	cb, rb := dial(t, w.b.ep, w.srvAddr, "chat")
	mustConnect(t, rb)
	ca.register(t, "192.168.1.2:1935")
	cb.register(t, "192.168.7.9:1935")
	w.ca, w.cb = ca, cb
	return w
}

// TestIntroductionThroughNATs: A reaches B, both behind address-dependent
// filtering NATs, by sending its IHello to the server: the Redirect sends
// A's IHellos to B's public mapping while the FIHello makes B answer A's
// public mapping, which opens B's NAT for A (RFC 7016 §3.5.1.5).
func TestIntroductionThroughNATs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, Config{})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		accepted := make(chan *rtmfp.Session, 1)
		go func() {
			for {
				s, err := w.b.ep.Accept(ctx)
				if err != nil {
					close(accepted)
					return
				}
				if s.FarPeerID() == w.a.ep.PeerID() {
					accepted <- s
					return
				}
			}
		}()
		t0 := time.Now()
		sa, err := w.a.ep.Connect(ctx, flashcrypto.CanonicalEPD(w.b.ep.PeerID()), w.srvAddr)
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(t0)
		sb := <-accepted
		if sb == nil {
			t.Fatal("B accepted nothing")
		}
		if got := sa.FarAddr(); got.Addr() != netip.MustParseAddr("198.51.100.2") {
			t.Fatalf("A's session goes to %v, want B's NAT 198.51.100.2", got)
		}
		if got := sb.FarAddr(); got.Addr() != netip.MustParseAddr("198.51.100.1") {
			t.Fatalf("B's session comes from %v, want A's NAT", got)
		}
		if st := w.srv.Stats(); st.Introductions < 1 {
			t.Fatalf("introductions %d", st.Introductions)
		}
		// One round trip to the server, then the crossing hellos and the
		// keying: well under the first IHello retransmission (1 s).
		if elapsed > time.Second {
			t.Fatalf("introduction took %v", elapsed)
		}
		t.Logf("A–B session through two NATs in %v; B's NAT filtered %d datagrams",
			elapsed, w.b.nat.Stats().Dropped[rtmfptest.DropFiltered])
	})
}

// TestIntroductionNeedsFIHello: the same world with the FIHello suppressed.
// A learns B's public address from the Redirect, but B never sends to A, so
// B's NAT filters every IHello of A and no session opens.
func TestIntroductionNeedsFIHello(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, Config{NoForward: true})
		filtered0 := w.b.nat.Stats().Dropped[rtmfptest.DropFiltered]
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, err := w.a.ep.Connect(ctx, flashcrypto.CanonicalEPD(w.b.ep.PeerID()), w.srvAddr)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("connect: %v, want the deadline", err)
		}
		filtered := w.b.nat.Stats().Dropped[rtmfptest.DropFiltered] - filtered0
		st := w.srv.Stats()
		if st.Introductions < 1 || w.a.ep.Stats().Redirects < 1 {
			t.Fatalf("introductions %d, redirects %d", st.Introductions, w.a.ep.Stats().Redirects)
		}
		// IHellos at 0, 1, 3.5, 7.5, 13 s reach B's NAT and die there.
		if filtered < 4 {
			t.Fatalf("B's NAT filtered %d datagrams, want A's IHellos", filtered)
		}
		t.Logf("without FIHello: %d IHellos of A filtered by B's NAT in 20 s", filtered)
	})
}
