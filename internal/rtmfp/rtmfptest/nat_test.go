package rtmfptest

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"
)

// natWorld is a home host behind a NAT and two public servers.
type natWorld struct {
	n          *Network
	nat        *NAT
	home       *Host
	hc         *Conn // home socket 10.0.0.2:5000
	s1a, s1b   *Conn // server 1 at 198.51.100.1, ports 1000 and 1001
	s2         *Conn // server 2 at 198.51.100.2:1000
	srv1, srv2 *Host
}

func newNATWorld(t *testing.T, cfg NATConfig) *natWorld {
	w := &natWorld{n: NewNetwork(Config{Seed: 5, DefaultLink: LinkConditions{Delay: 10 * time.Millisecond}})}
	t.Cleanup(func() { w.n.Close() })
	cfg.Name = "nat"
	cfg.Public = []netip.Addr{ip("203.0.113.1")}
	w.nat = must(w.n.AddNAT(cfg))
	w.home = must(w.nat.AddHost("home", ip("10.0.0.2")))
	w.hc = must(w.home.Listen(ap("10.0.0.2:5000")))
	w.srv1 = must(w.n.AddHost("srv1", ip("198.51.100.1")))
	w.srv2 = must(w.n.AddHost("srv2", ip("198.51.100.2")))
	w.s1a = must(w.srv1.Listen(ap("198.51.100.1:1000")))
	w.s1b = must(w.srv1.Listen(ap("198.51.100.1:1001")))
	w.s2 = must(w.srv2.Listen(ap("198.51.100.2:1000")))
	return w
}

// send writes msg from c to dst and waits for the network to settle.
func send(t *testing.T, c *Conn, dst netip.AddrPort, msg string) {
	t.Helper()
	must(c.WriteToUDPAddrPort([]byte(msg), dst))
	time.Sleep(100 * time.Millisecond)
}

// recv returns what is queued on c now, without blocking.
func recv(t *testing.T, c *Conn) (msgs []string, froms []netip.AddrPort) {
	t.Helper()
	for {
		select {
		case p := <-c.inbox:
			msgs = append(msgs, string(p.payload))
			froms = append(froms, p.src)
		default:
			return msgs, froms
		}
	}
}

func TestNATOutboundCreatesMapping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{})
		send(t, w.hc, ap("198.51.100.1:1000"), "hello")
		msgs, froms := recv(t, w.s1a)
		if len(msgs) != 1 || msgs[0] != "hello" || froms[0] != ap("203.0.113.1:20000") {
			t.Fatalf("server got %q from %v, want hello from 203.0.113.1:20000", msgs, froms)
		}
		ms := w.nat.Mappings()
		if len(ms) != 1 || ms[0].Inside != ap("10.0.0.2:5000") || ms[0].Public != ap("203.0.113.1:20000") {
			t.Fatalf("mappings %+v", ms)
		}
		send(t, w.s1a, froms[0], "reply")
		msgs, froms = recv(t, w.hc)
		if len(msgs) != 1 || msgs[0] != "reply" || froms[0] != ap("198.51.100.1:1000") {
			t.Fatalf("home got %q from %v", msgs, froms)
		}
		// Endpoint-independent mapping: the same public port towards another server.
		send(t, w.hc, ap("198.51.100.2:1000"), "hi 2")
		if _, froms := recv(t, w.s2); len(froms) != 1 || froms[0] != ap("203.0.113.1:20000") {
			t.Fatalf("server 2 saw %v, want the same mapping 203.0.113.1:20000", froms)
		}
		if s := w.nat.Stats(); s.Sent != 2 || s.Delivered != 1 || s.TotalDropped() != 0 {
			t.Errorf("NAT stats %v", s)
		}
	})
}

func TestNATAddressDependentFiltering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{}) // the default: EIM + address-dependent filtering
		pub := ap("203.0.113.1:20000")
		// Unsolicited: no mapping yet.
		send(t, w.s1a, pub, "knock")
		send(t, w.hc, ap("198.51.100.1:1000"), "out")
		send(t, w.s2, pub, "stranger")    // never contacted: filtered
		send(t, w.s1b, pub, "other port") // contacted IP, other port: admitted
		send(t, w.s1a, pub, "contacted")  // admitted
		msgs, _ := recv(t, w.hc)
		if len(msgs) != 2 || msgs[0] != "other port" || msgs[1] != "contacted" {
			t.Fatalf("home got %q, want [other port contacted]", msgs)
		}
		if s := w.nat.Stats(); s.Dropped[DropFiltered] != 2 || s.Delivered != 2 {
			t.Errorf("NAT stats %v, want 2 filtered", s)
		}
		if s := w.n.Stats(); s.Dropped[DropFiltered] != 2 {
			t.Errorf("network stats %v", s)
		}
	})
}

func TestNATAddressAndPortDependentFiltering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{Filtering: FilteringAddressAndPortDependent})
		pub := ap("203.0.113.1:20000")
		send(t, w.hc, ap("198.51.100.1:1000"), "out")
		send(t, w.s1b, pub, "other port")
		send(t, w.s1a, pub, "contacted")
		if msgs, _ := recv(t, w.hc); len(msgs) != 1 || msgs[0] != "contacted" {
			t.Fatalf("home got %q, want [contacted]", msgs)
		}
		if s := w.nat.Stats(); s.Dropped[DropFiltered] != 1 {
			t.Errorf("NAT stats %v", s)
		}
	})
}

func TestNATEndpointIndependentFiltering(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{Filtering: FilteringEndpointIndependent})
		send(t, w.hc, ap("198.51.100.1:1000"), "out")
		send(t, w.s2, ap("203.0.113.1:20000"), "anyone")
		if msgs, _ := recv(t, w.hc); len(msgs) != 1 || msgs[0] != "anyone" {
			t.Fatalf("home got %q", msgs)
		}
	})
}

func TestNATSymmetricMapping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{Mapping: MappingAddressAndPortDependent, Filtering: FilteringAddressAndPortDependent})
		send(t, w.hc, ap("198.51.100.1:1000"), "a")
		send(t, w.hc, ap("198.51.100.1:1001"), "b")
		send(t, w.hc, ap("198.51.100.2:1000"), "c")
		send(t, w.hc, ap("198.51.100.1:1000"), "a again")
		_, fa := recv(t, w.s1a)
		_, fb := recv(t, w.s1b)
		_, fc := recv(t, w.s2)
		if len(fa) != 2 || len(fb) != 1 || len(fc) != 1 {
			t.Fatalf("servers got %v %v %v", fa, fb, fc)
		}
		if fa[0] != fa[1] {
			t.Errorf("same destination mapped to %v then %v", fa[0], fa[1])
		}
		if fa[0] == fb[0] || fa[0] == fc[0] || fb[0] == fc[0] {
			t.Errorf("symmetric NAT reused ports: %v %v %v", fa[0], fb[0], fc[0])
		}
		if n := len(w.nat.Mappings()); n != 3 {
			t.Errorf("%d mappings, want 3", n)
		}
		// The port learned by server 1 does not admit server 2.
		send(t, w.s2, fa[0], "via someone else's port")
		if msgs, _ := recv(t, w.hc); len(msgs) != 0 {
			t.Errorf("home got %q", msgs)
		}
	})
}

func TestNATAddressDependentMapping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{Mapping: MappingAddressDependent})
		send(t, w.hc, ap("198.51.100.1:1000"), "a")
		send(t, w.hc, ap("198.51.100.1:1001"), "b")
		send(t, w.hc, ap("198.51.100.2:1000"), "c")
		_, fa := recv(t, w.s1a)
		_, fb := recv(t, w.s1b)
		_, fc := recv(t, w.s2)
		if fa[0] != fb[0] || fa[0] == fc[0] {
			t.Errorf("address-dependent mapping: %v %v %v", fa[0], fb[0], fc[0])
		}
	})
}

func TestNATMappingTimeoutAndFlush(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{MappingTimeout: 30 * time.Second})
		send(t, w.hc, ap("198.51.100.1:1000"), "out")
		_, f := recv(t, w.s1a)
		// Inbound traffic does not keep the mapping alive.
		for range 5 {
			time.Sleep(5 * time.Second)
			send(t, w.s1a, f[0], "in")
		}
		if msgs, _ := recv(t, w.hc); len(msgs) != 5 {
			t.Fatalf("home got %d of 5 while the mapping was live", len(msgs))
		}
		time.Sleep(5 * time.Second) // 30.6 s since the last outbound datagram
		send(t, w.s1a, f[0], "late")
		if msgs, _ := recv(t, w.hc); len(msgs) != 0 {
			t.Fatalf("expired mapping admitted %q", msgs)
		}
		if len(w.nat.Mappings()) != 0 {
			t.Error("expired mapping still listed")
		}
		send(t, w.hc, ap("198.51.100.1:1000"), "again")
		_, f2 := recv(t, w.s1a)
		if f2[0] == f[0] {
			t.Errorf("new mapping reused port %v", f2[0])
		}
		w.nat.FlushMappings()
		send(t, w.hc, ap("198.51.100.1:1000"), "after flush")
		_, f3 := recv(t, w.s1a)
		if f3[0] == f2[0] || f3[0].Addr() != ip("203.0.113.1") {
			t.Errorf("after flush the server saw %v, want a new port (was %v)", f3[0], f2[0])
		}
		send(t, w.s1a, f2[0], "to the old port")
		if msgs, _ := recv(t, w.hc); len(msgs) != 0 {
			t.Errorf("flushed mapping admitted %q", msgs)
		}
	})
}

// Two peers behind address-dependent-filtering NATs reach each other once
// both have sent (hole punching), and not before.
func TestNATHolePunching(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNetwork(Config{DefaultLink: LinkConditions{Delay: 20 * time.Millisecond}})
		defer n.Close()
		nat1 := must(n.AddNAT(NATConfig{Name: "nat1", Public: []netip.Addr{ip("203.0.113.1")}}))
		nat2 := must(n.AddNAT(NATConfig{Name: "nat2", Public: []netip.Addr{ip("203.0.113.2")}, FirstPort: 30000}))
		// Both sides use the same private address: separate realms.
		h1 := must(nat1.AddHost("h1", ip("192.168.1.10")))
		h2 := must(nat2.AddHost("h2", ip("192.168.1.10")))
		c1 := must(h1.Listen(ap("192.168.1.10:1935")))
		c2 := must(h2.Listen(ap("192.168.1.10:1935")))
		p1, p2 := ap("203.0.113.1:20000"), ap("203.0.113.2:30000")
		// The first datagram of h1 reaches nat2 before h2 has sent and is
		// filtered; h2's reaches nat1 after h1 has sent and is admitted.
		must(c1.WriteToUDPAddrPort([]byte("1"), p2)) // reaches nat2 at 20 ms
		time.Sleep(30 * time.Millisecond)
		must(c2.WriteToUDPAddrPort([]byte("2"), p1))
		time.Sleep(100 * time.Millisecond)
		m2, _ := recv(t, c2)
		m1, f1 := recv(t, c1)
		if len(m2) != 0 || len(m1) != 1 || f1[0] != p2 {
			t.Fatalf("h1 got %q from %v, h2 got %q; want only h2's datagram at h1", m1, f1, m2)
		}
		must(c1.WriteToUDPAddrPort([]byte("3"), p2))
		time.Sleep(100 * time.Millisecond)
		if m2, f2 := recv(t, c2); len(m2) != 1 || f2[0] != p1 {
			t.Fatalf("h2 got %q from %v after the hole was punched", m2, f2)
		}
		if s := nat2.Stats(); s.Dropped[DropFiltered] != 1 {
			t.Errorf("nat2 stats %v", s)
		}
	})
}

func TestNATHairpin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{Filtering: FilteringEndpointIndependent})
		other := must(w.nat.AddHost("other", ip("10.0.0.3")))
		oc := must(other.Listen(ap("10.0.0.3:6000")))
		send(t, w.hc, ap("198.51.100.1:1000"), "open") // home's mapping: 20000
		send(t, oc, ap("203.0.113.1:20000"), "hairpin")
		msgs, froms := recv(t, w.hc)
		if len(msgs) != 1 || froms[0] != ap("203.0.113.1:20001") {
			t.Fatalf("home got %q from %v, want the other host's mapping", msgs, froms)
		}
		// Same realm: direct, no translation.
		send(t, oc, ap("10.0.0.2:5000"), "lan")
		if _, froms := recv(t, w.hc); len(froms) != 1 || froms[0] != ap("10.0.0.3:6000") {
			t.Fatalf("LAN datagram from %v", froms)
		}
	})
}

func TestNATPublicRebind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{})
		send(t, w.hc, ap("198.51.100.1:1000"), "before")
		if err := w.nat.Rebind(ip("203.0.113.1"), ip("203.0.113.77")); err != nil {
			t.Fatal(err)
		}
		send(t, w.hc, ap("198.51.100.1:1000"), "after")
		_, f := recv(t, w.s1a)
		if len(f) != 2 || f[0].Addr() != ip("203.0.113.1") || f[1].Addr() != ip("203.0.113.77") || f[0].Port() == f[1].Port() {
			t.Fatalf("server saw %v", f)
		}
		send(t, w.s1a, f[0], "to the old address")
		if s := w.n.Stats(); s.Dropped[DropNoRoute] != 1 {
			t.Errorf("network stats %v, want 1 no-route", s)
		}
	})
}

func TestLinkAcrossRealmsPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{})
		defer func() {
			if recover() == nil {
				t.Error("Link between realms did not panic")
			}
		}()
		w.n.Link(w.home, w.srv1)
	})
}

// A home NAT behind a carrier-grade NAT: two translations each way, and the
// delays of every hop add up.
func TestNestedNAT(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNetwork(Config{DefaultLink: LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		cgn := must(n.AddNAT(NATConfig{Name: "cgn", Public: []netip.Addr{ip("203.0.113.1")}, FirstPort: 40000}))
		home := must(cgn.AddNAT(NATConfig{Name: "home", Public: []netip.Addr{ip("100.64.0.7")}}))
		home.Uplink().SetConditions(LinkConditions{Delay: 3 * time.Millisecond})
		cgn.Uplink().SetConditions(LinkConditions{Delay: 2 * time.Millisecond})
		h := must(home.AddHost("h", ip("192.168.0.2")))
		s := must(n.AddHost("s", ip("198.51.100.1")))
		hc := must(h.Listen(ap("192.168.0.2:5000")))
		sc := must(s.Listen(ap("198.51.100.1:1000")))
		start := time.Now()
		must(hc.WriteToUDPAddrPort([]byte("up"), sc.LocalAddrPort()))
		buf := make([]byte, 10)
		_, from := must2(sc.ReadFromUDPAddrPort(buf))
		// home uplink 3 ms, cgn uplink 2 ms, cgn->s 10 ms.
		if from != ap("203.0.113.1:40000") || time.Since(start) != 15*time.Millisecond {
			t.Fatalf("server saw %v after %v", from, time.Since(start))
		}
		start = time.Now()
		must(sc.WriteToUDPAddrPort([]byte("down"), from))
		k, from2 := must2(hc.ReadFromUDPAddrPort(buf))
		if string(buf[:k]) != "down" || from2 != sc.LocalAddrPort() || time.Since(start) != 10*time.Millisecond {
			t.Fatalf("home got %q from %v after %v", buf[:k], from2, time.Since(start))
		}
		if m := home.Mappings(); len(m) != 1 || m[0].Public != ap("100.64.0.7:20000") {
			t.Errorf("home NAT mappings %+v", m)
		}
	})
}

func TestNATIPv6(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewNetwork(Config{})
		defer n.Close()
		nat := must(n.AddNAT(NATConfig{Name: "nat", Public: []netip.Addr{ip("2001:db8:1::1")}}))
		h := must(nat.AddHost("h", ip("fd00::2"), ip("10.0.0.2")))
		s := must(n.AddHost("s", ip("2001:db8:2::1"), ip("198.51.100.1")))
		h6 := must(h.Listen(ap("[fd00::2]:5000")))
		h4 := must(h.Listen(ap("10.0.0.2:5000")))
		s6 := must(s.Listen(ap("[2001:db8:2::1]:1000")))
		s4 := must(s.Listen(ap("198.51.100.1:1000")))
		must(h6.WriteToUDPAddrPort([]byte("v6"), s6.LocalAddrPort()))
		must(h4.WriteToUDPAddrPort([]byte("v4"), s4.LocalAddrPort()))
		time.Sleep(time.Millisecond)
		if _, f := recv(t, s6); len(f) != 1 || f[0] != ap("[2001:db8:1::1]:20000") {
			t.Errorf("v6 server saw %v", f)
		}
		// The NAT has no IPv4 address: the v4 datagram has no route out.
		if _, f := recv(t, s4); len(f) != 0 {
			t.Errorf("v4 server saw %v", f)
		}
		if st := nat.Stats(); st.Sent != 1 || st.Dropped[DropNoRoute] != 1 {
			t.Errorf("NAT stats %v", st)
		}
	})
}
