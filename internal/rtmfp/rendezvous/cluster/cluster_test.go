package cluster

import (
	"context"
	"net/netip"
	"testing"
	"time"
)

// world is three nodes sharing one NATS server, on loopback UDP.
type world struct {
	nats    *natsServer
	a, b, c *node
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{nats: startNATS(t)}
	w.a = startNode(t, listenUDP(t), w.nats.url(), 1, nil)
	w.b = startNode(t, listenUDP(t), w.nats.url(), 2, nil)
	w.c = startNode(t, listenUDP(t), w.nats.url(), 3, nil)
	for _, n := range w.nodes() {
		waitFor(t, 10*time.Second, "node connected", func() bool { st := n.cl.Stats(); return st.Connected && st.Loaded })
	}
	return w
}

func (w *world) nodes() []*node { return []*node{w.a, w.b, w.c} }

func (w *world) addrs() []netip.AddrPort { return []netip.AddrPort{w.a.addr, w.b.addr, w.c.addr} }

// TestCrossNodeIntroduction: P registers on node A; Q, connected to node
// C, calls P by peer ID with its IHellos sent to C only. C answers with a
// Redirect from its directory and A sends the FIHello through P's
// session: one introduction, and the session goes straight between the
// two peers' sockets.
func TestCrossNodeIntroduction(t *testing.T) {
	w := newWorld(t)
	p := newPeer(t, listenUDP(t), 0)
	p.register(t, []netip.AddrPort{p.addr}, w.a.addr)
	q := newPeer(t, listenUDP(t), 1)
	q.register(t, []netip.AddrPort{q.addr}, w.c.addr)
	id := p.ep.PeerID()
	d := waitFor(t, 5*time.Second, "P in C's directory", func() bool { return w.c.knows(id) && w.b.knows(id) })
	t.Logf("registration on A seen by B and C within %v", d)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	accepted := p.acceptFrom(ctx, q)
	t0 := time.Now()
	s, err := q.call(ctx, p, w.c.addr)
	if err != nil {
		t.Fatalf("Q calls P through C: %v", err)
	}
	elapsed := time.Since(t0)
	ps := <-accepted
	if ps == nil {
		t.Fatal("P accepted no session from Q")
	}
	if s.FarAddr() != p.addr || ps.FarAddr() != q.addr {
		t.Fatalf("session %v ↔ %v, want the peers' sockets %v ↔ %v", s.FarAddr(), ps.FarAddr(), q.addr, p.addr)
	}
	// C counts the introduction once the directory's forward to A has
	// returned, which can be after P's answer reached Q: wait for it.
	waitFor(t, 10*time.Second, "C counted the introduction", func() bool {
		return w.c.srv.Stats().Introductions > 0 && w.c.cl.Stats().IntrosOut > 0
	})
	a, c := w.a.srv.Stats(), w.c.srv.Stats()
	if c.Introductions != 1 || c.RemoteIntroductions != 1 || a.Introductions != 0 || w.b.srv.Stats().Introductions != 0 {
		t.Fatalf("introductions: A %d, B %d, C %d (remote %d); want one, by C", a.Introductions, w.b.srv.Stats().Introductions, c.Introductions, c.RemoteIntroductions)
	}
	waitFor(t, 10*time.Second, "A forwarded the FIHello", func() bool { return w.a.srv.Stats().Forwarded == 1 })
	if st := w.c.cl.Stats(); st.LookupHits != 1 || st.IntrosOut != 1 {
		t.Fatalf("C: %d lookups found, %d introductions sent", st.LookupHits, st.IntrosOut)
	}
	if st := w.a.cl.Stats(); st.IntrosIn != 1 || st.FIHellos != 1 {
		t.Fatalf("A: %d introductions received, %d FIHellos", st.IntrosIn, st.FIHellos)
	}
	t.Logf("cross-node introduction: session in %v", elapsed)
}
