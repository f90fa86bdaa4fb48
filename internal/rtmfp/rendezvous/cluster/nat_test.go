package cluster

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/rtmfptest"
)

// TestCrossNodeIntroductionThroughNATs: the same call with both peers
// behind home NATs that filter by address (RFC 4787), on the simulated
// network running on the real clock (NATS is real). P's NAT lets in only
// what answers P's own packets, so Q's IHellos pass it only after P sent
// to Q: that takes the FIHello, which only node A, holding P's session,
// can get through P's NAT.
func TestCrossNodeIntroductionThroughNATs(t *testing.T) {
	elapsed, filtered, err := natCall(t, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("through two NATs and two nodes: session in %v; P's NAT filtered %d datagrams", elapsed, filtered)
}

// TestCrossNodeNATsNeedTheFIHello: the control. Node A is told not to
// send FIHellos; C's Redirect still reaches Q, but P's NAT filters every
// IHello of Q and no session opens.
func TestCrossNodeNATsNeedTheFIHello(t *testing.T) {
	_, filtered, err := natCall(t, true)
	if err == nil {
		t.Fatal("a session opened without the FIHello")
	}
	if filtered == 0 {
		t.Fatal("P's NAT filtered nothing")
	}
	t.Logf("without A's FIHello: %v; P's NAT filtered %d IHellos of Q", err, filtered)
}

// natCall runs the call of the NAT tests; noForward keeps A from sending
// FIHellos. It returns how long the session took to open and how many
// datagrams P's NAT filtered.
func natCall(t *testing.T, noForward bool) (time.Duration, uint64, error) {
	ns := startNATS(t)
	net := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 5, DefaultLink: rtmfptest.LinkConditions{Delay: 2 * time.Millisecond}})
	t.Cleanup(func() { net.Close() })
	server := func(ip string, seed byte) *node {
		h, err := net.AddHost("rv-"+ip, netip.MustParseAddr(ip))
		if err != nil {
			t.Fatal(err)
		}
		c, err := h.Listen(netip.AddrPortFrom(netip.MustParseAddr(ip), 1935))
		if err != nil {
			t.Fatal(err)
		}
		return startNode(t, c, ns.url(), seed, func(rc *rendezvous.Config, _ *Config) { rc.NoForward = noForward && seed == 1 })
	}
	a, b, c := server("203.0.113.1", 1), server("203.0.113.2", 2), server("203.0.113.3", 3)
	for _, n := range []*node{a, b, c} {
		waitFor(t, 10*time.Second, "node connected", func() bool { return n.cl.Stats().Loaded })
	}
	site := func(name, public, private string, idx int) (*peer, *rtmfptest.NAT) {
		nat, err := net.AddNAT(rtmfptest.NATConfig{Name: name + "-nat", Public: []netip.Addr{netip.MustParseAddr(public)},
			Mapping: rtmfptest.MappingEndpointIndependent, Filtering: rtmfptest.FilteringAddressDependent})
		if err != nil {
			t.Fatal(err)
		}
		h, err := nat.AddHost(name, netip.MustParseAddr(private))
		if err != nil {
			t.Fatal(err)
		}
		conn, err := h.Listen(netip.AddrPortFrom(netip.MustParseAddr(private), 1935))
		if err != nil {
			t.Fatal(err)
		}
		return newPeer(t, conn, idx), nat
	}
	p, pnat := site("p", "198.51.100.1", "192.168.1.2", 0)
	q, _ := site("q", "198.51.100.2", "192.168.7.9", 1)
	p.register(t, []netip.AddrPort{p.addr}, a.addr)
	q.register(t, []netip.AddrPort{q.addr}, c.addr)
	waitFor(t, 5*time.Second, "P in C's directory", func() bool { return c.knows(p.ep.PeerID()) })

	// Q's IHellos go at 0, 1 and 3.5 s: 2 s is one retransmission.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	accepted := p.acceptFrom(ctx, q)
	t0 := time.Now()
	s, err := q.call(ctx, p, c.addr)
	elapsed := time.Since(t0)
	filtered := pnat.Stats().Dropped[rtmfptest.DropFiltered]
	if got := c.srv.Stats().RemoteIntroductions; got < 1 {
		t.Fatalf("C began %d introductions", got)
	}
	if err != nil {
		return elapsed, filtered, fmt.Errorf("Q calls P through C: %w", err)
	}
	ps := <-accepted
	if ps == nil {
		t.Fatal("P accepted no session")
	}
	if s.FarAddr().Addr() != netip.MustParseAddr("198.51.100.1") || ps.FarAddr().Addr() != netip.MustParseAddr("198.51.100.2") {
		t.Fatalf("session %v ↔ %v, want the two NATs' public addresses", s.FarAddr(), ps.FarAddr())
	}
	if got := a.srv.Stats().Forwarded; got != 1 {
		t.Fatalf("A sent %d FIHellos, want 1", got)
	}
	if got := c.srv.Stats().RemoteIntroductions; got != 1 {
		t.Fatalf("C began %d introductions, want 1", got)
	}
	return elapsed, filtered, nil
}
