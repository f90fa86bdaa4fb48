package nattest

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// probe sends one datagram from c to dst.
func probe(t *testing.T, c *net.UDPConn, dst netip.AddrPort) {
	t.Helper()
	if _, err := c.WriteToUDPAddrPort([]byte("probe"), dst); err != nil {
		t.Fatal(err)
	}
}

// recvFrom waits up to d for a datagram on c and returns its source.
func recvFrom(c *net.UDPConn, d time.Duration) (netip.AddrPort, bool) {
	c.SetReadDeadline(time.Now().Add(d))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, 2048)
	_, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return from, true
}

func listen(t *testing.T, h *Host, port int) *net.UDPConn {
	t.Helper()
	c, err := h.ListenUDP(port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestNATKinds checks each kind's mapping and filtering on real kernel
// NATs: a host sends from one port to three servers' sockets, which
// report the source they saw (the mapping), and then strangers try to
// send back in (the filtering).
func TestNATKinds(t *testing.T) {
	n := New(t)
	s1 := n.AddServer("s1")
	s2 := n.AddServer("s2")
	a1, a2, a3 := listen(t, s1, 4001), listen(t, s1, 4002), listen(t, s1, 4003)
	b1 := listen(t, s2, 4001)
	for _, kind := range []Kind{PortRestricted, FullCone, AddressRestricted, Symmetric} {
		t.Run(kind.String(), func(t *testing.T) {
			h := n.AddBehindNAT("h-"+kind.String()[:4], kind)
			c := listen(t, h, 5000)
			var seen []netip.AddrPort
			for _, s := range []*net.UDPConn{a1, a2, b1} {
				probe(t, c, netip.MustParseAddrPort(s.LocalAddr().String()))
				from, ok := recvFrom(s, time.Second)
				if !ok {
					t.Fatalf("server %v heard nothing", s.LocalAddr())
				}
				if from.Addr() != h.NAT.Public {
					t.Errorf("source %v, want the NAT's address %v", from, h.NAT.Public)
				}
				seen = append(seen, from)
			}
			t.Logf("mappings: %v", seen)
			switch kind {
			case Symmetric:
				if seen[0].Port() == seen[1].Port() || seen[0].Port() == seen[2].Port() || seen[1].Port() == seen[2].Port() {
					t.Errorf("symmetric NAT reused a port: %v", seen)
				}
			default:
				// Endpoint-independent mapping, and masquerade kept the
				// host's port.
				for _, m := range seen {
					if m.Port() != 5000 {
						t.Errorf("mapping %v: masquerade did not keep port 5000 for every destination", m)
					}
				}
			}
			// Replies from the servers contacted come in.
			probe(t, a1, seen[0])
			if _, ok := recvFrom(c, time.Second); !ok {
				t.Error("the reply from a contacted server was filtered")
			}
			// Another port of a contacted address.
			probe(t, a3, seen[0])
			_, got := recvFrom(c, 300*time.Millisecond)
			if want := kind == FullCone || kind == AddressRestricted; got != want {
				t.Errorf("datagram from another port of a contacted address: let in %v, want %v", got, want)
			}
			// A stranger (s3, never contacted).
			s3 := n.AddServer("s3-" + kind.String()[:4])
			x := listen(t, s3, 4001)
			probe(t, x, seen[0])
			_, got = recvFrom(c, 300*time.Millisecond)
			if want := kind == FullCone; got != want {
				t.Errorf("datagram from a stranger: let in %v, want %v", got, want)
			}
		})
	}
}

// TestRebind: after Rebind the same socket's datagrams leave from another
// public port, and the old mapping no longer lets anything in.
func TestRebind(t *testing.T) {
	n := New(t)
	s := listen(t, n.AddServer("s"), 4001)
	h := n.AddBehindNAT("h", PortRestricted)
	c := listen(t, h, 5000)
	srv := netip.MustParseAddrPort(s.LocalAddr().String())
	probe(t, c, srv)
	before, ok := recvFrom(s, time.Second)
	if !ok {
		t.Fatal("nothing arrived")
	}
	if err := h.NAT.Rebind(); err != nil {
		t.Fatal(err)
	}
	probe(t, s, before)
	if _, ok := recvFrom(c, 300*time.Millisecond); ok {
		t.Error("the old mapping still lets datagrams in after Rebind")
	}
	probe(t, c, srv)
	after, ok := recvFrom(s, time.Second)
	if !ok {
		t.Fatal("nothing arrived after Rebind")
	}
	if after.Port() == before.Port() || after.Addr() != before.Addr() {
		t.Errorf("mapping %v before, %v after Rebind", before, after)
	}
	t.Logf("mapping moved from %v to %v", before, after)
}

// TestLossAndRate: nft's random loss drops about the fraction asked for,
// and tbf holds a flow to its rate.
func TestLossAndRate(t *testing.T) {
	n := New(t)
	s := listen(t, n.AddServer("s"), 4001)
	h := n.AddBehindNAT("h", PortRestricted)
	c := listen(t, h, 5000)
	srv := netip.MustParseAddrPort(s.LocalAddr().String())

	if err := h.NAT.SetLoss(0.3, 0); err != nil {
		t.Fatal(err)
	}
	const sent = 1000
	counted := make(chan int)
	go func() {
		got := 0
		for {
			if _, ok := recvFrom(s, 300*time.Millisecond); !ok {
				counted <- got
				return
			}
			got++
		}
	}()
	for i := range sent {
		probe(t, c, srv)
		if i%20 == 19 {
			time.Sleep(time.Millisecond) // stay within the receive buffer
		}
	}
	got := <-counted
	// 30 % of 1000: 700 expected, binomial sd ≈ 14.5.
	if got < 640 || got > 760 {
		t.Errorf("%d of %d datagrams arrived with 30 %% loss", got, sent)
	}
	if err := h.NAT.SetLoss(0, 0); err != nil {
		t.Fatal(err)
	}

	const rate = 2_000_000
	if err := h.NAT.SetRate(rate, 0, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 1000)
	const n1 = 250 // 250 kB: 1 s at 2 Mbit/s
	for range n1 {
		if _, err := c.WriteToUDPAddrPort(payload, srv); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatal(err)
		}
	}
	var first, last time.Time
	bytes := 0
	buf := make([]byte, 2048)
	for {
		s.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		k, _, err := s.ReadFromUDPAddrPort(buf)
		if err != nil {
			break
		}
		now := time.Now()
		if first.IsZero() {
			first = now
		} else {
			bytes += k + 28
		}
		last = now
	}
	bps := float64(bytes*8) / last.Sub(first).Seconds()
	t.Logf("tbf at %d bit/s carried %.0f bit/s (%d bytes in %v)", rate, bps, bytes, last.Sub(first))
	if bps < 0.8*rate || bps > 1.15*rate {
		t.Errorf("rate %.0f bit/s through a %d bit/s tbf", bps, rate)
	}
}

// TestNoInputFirewall: a router without an input firewall keeps a
// conntrack entry for a datagram that came in first, and the host's
// answer to that sender leaves from another port; with the firewall the
// answer keeps the host's port.
func TestNoInputFirewall(t *testing.T) {
	n := New(t)
	s := listen(t, n.AddServer("s"), 4001)
	for _, open := range []bool{false, true} {
		name := "firewalled"
		if open {
			name = "open"
		}
		t.Run(name, func(t *testing.T) {
			h := n.AddBehindNAT("h-"+name, PortRestricted)
			if err := h.NAT.SetInputFirewall(!open); err != nil {
				t.Fatal(err)
			}
			c := listen(t, h, 5000)
			probe(t, s, netip.AddrPortFrom(h.NAT.Public, 5000)) // comes first, is not let in
			if _, ok := recvFrom(c, 200*time.Millisecond); ok {
				t.Fatal("an unsolicited datagram was let in")
			}
			probe(t, c, netip.MustParseAddrPort(s.LocalAddr().String()))
			from, ok := recvFrom(s, time.Second)
			if !ok {
				t.Fatal("the answer did not arrive")
			}
			if kept := from.Port() == 5000; kept == open {
				t.Errorf("answer from %v: port kept %v with the input firewall %v", from, kept, !open)
			}
			t.Logf("answer from %v", from)
		})
	}
}
