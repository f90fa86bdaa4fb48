package cluster

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"camchat/internal/rtmfp/rendezvous"
)

// TestNodeFailure: node A crashes (its NATS connection and socket vanish,
// nothing is cleaned up). P, registered on A, notices within the session
// timers, reconnects to B or C (it dials all three, as the room does) and
// can be called again within keepalive + 5 s of the crash. R, also on A,
// went away with it: B and C forget R within the node TTL, and after
// that an IHello for R gets no Redirect at all.
func TestNodeFailure(t *testing.T) {
	w := newWorld(t)
	p := newPeer(t, listenUDP(t), 0)
	pnc := p.register(t, []netip.AddrPort{p.addr}, w.a.addr)
	rconn := listenUDP(t)
	r := newPeer(t, rconn, 2)
	r.register(t, []netip.AddrPort{r.addr}, w.a.addr)
	q := newPeer(t, listenUDP(t), 1)
	q.register(t, []netip.AddrPort{q.addr}, w.c.addr)
	pid, rid := p.ep.PeerID(), r.ep.PeerID()
	waitFor(t, 5*time.Second, "P and R in B's and C's directories", func() bool {
		return w.b.knows(pid) && w.c.knows(pid) && w.b.knows(rid) && w.c.knows(rid)
	})
	rconn.Close() // R's machine goes down with A: R sends nothing more

	crashed := time.Now()
	w.a.crash()
	// R's entry dies with A's heartbeat.
	waitFor(t, 2*testNodeTTL, "R forgotten", func() bool { return !w.b.knows(rid) && !w.c.knows(rid) })
	forgotten := time.Since(crashed)
	if forgotten > testNodeTTL+testNodeTTL/2 {
		t.Fatalf("R forgotten %v after the crash, node TTL %v", forgotten, testNodeTTL)
	}
	// P's session to A ends on its retransmit limit; it reconnects.
	select {
	case <-pnc.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("P did not notice that A is gone")
	}
	noticed := time.Since(crashed)
	p.register(t, []netip.AddrPort{p.addr}, w.addrs()...)
	at := p.nc.Session().FarAddr()
	if at != w.b.addr && at != w.c.addr {
		t.Fatalf("P reconnected to %v, want B %v or C %v", at, w.b.addr, w.c.addr)
	}
	// Registered again: on B, or on C itself, which then introduces it.
	waitFor(t, time.Second, "P's new registration", func() bool { return w.c.knows(pid) || w.c.srv.Stats().Reachable == 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	accepted := p.acceptFrom(ctx, q)
	if _, err := q.call(ctx, p, w.c.addr); err != nil {
		t.Fatalf("Q calls P again: %v", err)
	}
	if <-accepted == nil {
		t.Fatal("P accepted no session")
	}
	again := time.Since(crashed)
	if limit := 2*time.Second + 5*time.Second; again > limit {
		t.Fatalf("P callable again %v after the crash, want within keepalive + 5 s (%v)", again, limit)
	}

	waitFor(t, 5*time.Second, "A's keys purged", func() bool { return w.b.cl.Stats().Purges+w.c.cl.Stats().Purges >= 2 })
	// An IHello for R now gets nothing: no Redirect to R's dead address.
	redirects := q.ep.Stats().Redirects
	ctx2, cancel2 := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel2()
	if _, err := q.call(ctx2, r, w.c.addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("calling R: %v, want no answer", err)
	}
	if got := q.ep.Stats().Redirects - redirects; got != 0 {
		t.Fatalf("%d Redirects for R after its node died", got)
	}
	if st := w.c.srv.Stats(); st.Dropped[rendezvous.DropUnknownTarget] == 0 {
		t.Fatal("C did not count the IHello for R as unknown")
	}
	if n := w.c.cl.Stats().Nodes; n != 1 {
		t.Fatalf("C knows %d other nodes, want 1 (B)", n)
	}
	t.Logf("A crashed: R forgotten after %v; P noticed after %v, callable again after %v", forgotten, noticed, again)
}

// TestNATSOutage: with NATS stopped every node still introduces its own
// peers, and an IHello for another node's peer is counted as offline;
// when a NATS server is back (its memory empty), the nodes rebuild the
// directory and introduce across nodes again.
func TestNATSOutage(t *testing.T) {
	w := newWorld(t)
	p := newPeer(t, listenUDP(t), 0)
	p.register(t, []netip.AddrPort{p.addr}, w.a.addr)
	q := newPeer(t, listenUDP(t), 1)
	q.register(t, []netip.AddrPort{q.addr}, w.a.addr)
	s := newPeer(t, listenUDP(t), 3)
	s.register(t, []netip.AddrPort{s.addr}, w.c.addr)
	pid := p.ep.PeerID()
	waitFor(t, 5*time.Second, "P in C's directory", func() bool { return w.c.knows(pid) })

	w.nats.stop()
	for _, n := range w.nodes() {
		waitFor(t, 5*time.Second, "node offline", func() bool { return !n.cl.Stats().Connected })
	}
	// A introduces its own peers.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	accepted := p.acceptFrom(ctx, q)
	if _, err := q.call(ctx, p, w.a.addr); err != nil {
		t.Fatalf("Q calls P through A without NATS: %v", err)
	}
	<-accepted
	// C cannot tell where P is.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel2()
	if _, err := s.call(ctx2, p, w.c.addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("S calls P through C without NATS: %v, want no answer", err)
	}
	if st := w.c.cl.Stats(); st.LookupsOffline == 0 {
		t.Fatal("C did not count the lookup while offline")
	}

	t0 := time.Now()
	w.nats.start()
	d := waitFor(t, 10*time.Second, "directory rebuilt", func() bool { return w.c.knows(pid) })
	accepted = p.acceptFrom(ctx, s)
	if _, err := s.call(ctx, p, w.c.addr); err != nil {
		t.Fatalf("S calls P through C after NATS came back: %v", err)
	}
	if <-accepted == nil {
		t.Fatal("P accepted no session from S")
	}
	if st := w.c.cl.Stats(); st.Rebuilds < 2 || st.Disconnects < 1 {
		t.Fatalf("C: %d set-ups, %d disconnects", st.Rebuilds, st.Disconnects)
	}
	t.Logf("NATS back: P in C's directory after %v (%v since the restart)", d, time.Since(t0))
}

// TestOrderlyLeave: a node that shuts down in order removes its peers'
// entries and its heartbeat at once: the others forget them long before
// the node TTL.
func TestOrderlyLeave(t *testing.T) {
	w := newWorld(t)
	p := newPeer(t, listenUDP(t), 0)
	p.register(t, []netip.AddrPort{p.addr}, w.a.addr)
	pid := p.ep.PeerID()
	waitFor(t, 5*time.Second, "P in C's directory", func() bool { return w.c.knows(pid) })
	t0 := time.Now()
	w.a.shutdown()
	d := waitFor(t, testNodeTTL, "P forgotten", func() bool { return !w.c.knows(pid) && !w.b.knows(pid) })
	waitFor(t, testNodeTTL, "A gone", func() bool { return w.c.cl.Stats().Nodes == 1 })
	if d > testNodeTTL/2 {
		t.Fatalf("P forgotten %v after A's shutdown", d)
	}
	t.Logf("orderly shutdown: entries gone after %v (shutdown took %v)", d, time.Since(t0))
}

// TestLeftoversPurged: a node's heartbeat key goes (as at the end of a
// Close that had no time to purge every entry) while its entries are
// still in the bucket; the other nodes forget them at once and one of
// them purges them.
func TestLeftoversPurged(t *testing.T) {
	w := newWorld(t)
	p := newPeer(t, listenUDP(t), 0)
	p.register(t, []netip.AddrPort{p.addr}, w.a.addr)
	pid := p.ep.PeerID()
	waitFor(t, 5*time.Second, "P in C's directory", func() bool { return w.c.knows(pid) })
	w.a.cl.nc.Close() // A writes nothing more
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w.b.cl.mu.Lock()
	kv := w.b.cl.kv
	w.b.cl.mu.Unlock()
	if err := kv.Purge(ctx, nodeKey(w.a.cl.id)); err != nil {
		t.Fatal(err)
	}
	d := waitFor(t, testNodeTTL/2, "P forgotten", func() bool { return !w.b.knows(pid) && !w.c.knows(pid) })
	waitFor(t, 5*time.Second, "P's key purged", func() bool {
		_, err := kv.Get(ctx, peerKey(pid))
		return errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted)
	})
	t.Logf("A's heartbeat key purged: its peer forgotten after %v and purged from the bucket", d)
}
