package rtmfptest

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestRebindChangesSourceAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, a, b, ca, cb := pair(t, Config{DefaultLink: LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		_ = b
		send(t, ca, cb.LocalAddrPort(), "from old")
		if err := a.Rebind(ip("192.0.2.1"), ip("192.0.2.99")); err != nil {
			t.Fatal(err)
		}
		if got := ca.LocalAddrPort(); got != ap("192.0.2.99:1000") {
			t.Fatalf("LocalAddrPort after rebind = %v", got)
		}
		send(t, ca, cb.LocalAddrPort(), "from new")
		msgs, froms := recv(t, cb)
		if len(msgs) != 2 || froms[0] != ap("192.0.2.1:1000") || froms[1] != ap("192.0.2.99:1000") {
			t.Fatalf("peer saw %q from %v", msgs, froms)
		}
		send(t, cb, froms[1], "to new")
		send(t, cb, froms[0], "to old")
		if msgs, _ := recv(t, ca); len(msgs) != 1 || msgs[0] != "to new" {
			t.Fatalf("rebound socket got %q", msgs)
		}
		if s := n.Stats(); s.Dropped[DropNoRoute] != 1 {
			t.Errorf("stats %v, want 1 no-route", s)
		}
		if err := a.Rebind(ip("192.0.2.99"), ip("192.0.2.2")); !errors.Is(err, ErrAddrInUse) {
			t.Errorf("rebind onto b's address: %v", err)
		}
	})
}

// A host moving from one NAT to the public realm is modelled by a second
// host; here a host behind a NAT changes its private address, and the NAT
// gives it a new mapping, so the peer sees a new public endpoint.
func TestRebindBehindNAT(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{})
		send(t, w.hc, ap("198.51.100.1:1000"), "1")
		if err := w.home.Rebind(ip("10.0.0.2"), ip("10.0.0.50")); err != nil {
			t.Fatal(err)
		}
		send(t, w.hc, ap("198.51.100.1:1000"), "2")
		_, f := recv(t, w.s1a)
		if len(f) != 2 || f[0] != ap("203.0.113.1:20000") || f[1] != ap("203.0.113.1:20001") {
			t.Fatalf("server saw %v", f)
		}
		send(t, w.s1a, f[1], "back")
		if msgs, _ := recv(t, w.hc); len(msgs) != 1 {
			t.Fatalf("home got %q", msgs)
		}
	})
}

func TestReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, _, _, _, cb := pair(t, Config{})
		defer n.Close()
		start := time.Now()
		cb.SetReadDeadline(start.Add(50 * time.Millisecond))
		_, _, err := cb.ReadFrom(make([]byte, 10))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("err %v is not a net.Error timeout", err)
		}
		if d := time.Since(start); d != 50*time.Millisecond {
			t.Errorf("woke after %v, want 50ms", d)
		}
		// Past deadline: fails at once; cleared: reads block again.
		if _, _, err := cb.ReadFrom(nil); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("second read: %v", err)
		}

		// Extending the deadline of a blocked reader moves its wake-up.
		cb.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		woke := make(chan time.Duration)
		go func() {
			s := time.Now()
			cb.ReadFrom(make([]byte, 10))
			woke <- time.Since(s)
		}()
		time.Sleep(10 * time.Millisecond)
		cb.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		if d := <-woke; d != 110*time.Millisecond {
			t.Errorf("extended deadline woke the reader after %v, want 110ms", d)
		}
		// Moving a blocked reader's deadline into the past wakes it now.
		cb.SetReadDeadline(time.Time{})
		go func() {
			s := time.Now()
			cb.ReadFrom(make([]byte, 10))
			woke <- time.Since(s)
		}()
		time.Sleep(30 * time.Millisecond)
		cb.SetDeadline(time.Now().Add(-time.Second))
		if d := <-woke; d != 30*time.Millisecond {
			t.Errorf("past deadline woke the reader after %v, want 30ms", d)
		}
		if _, err := cb.WriteTo([]byte("x"), cb.LocalAddr()); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("write past the write deadline: %v", err)
		}
		cb.SetDeadline(time.Time{})
		if _, err := cb.WriteTo([]byte("x"), cb.LocalAddr()); err != nil {
			t.Errorf("write after clearing the deadline: %v", err)
		}
		if k, from, err := cb.ReadFrom(make([]byte, 10)); err != nil || k != 1 || from.String() != "192.0.2.2:2000" {
			t.Errorf("loopback read: %d %v %v", k, from, err)
		}
	})
}

func TestCloseWakesReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, _, b, ca, cb := pair(t, Config{})
		defer n.Close()
		errc := make(chan error)
		go func() {
			_, _, err := cb.ReadFrom(make([]byte, 10))
			errc <- err
		}()
		start := time.Now()
		time.Sleep(10 * time.Millisecond)
		cb.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) || time.Since(start) != 10*time.Millisecond {
			t.Fatalf("reader returned %v after %v", err, time.Since(start))
		}
		if err := cb.Close(); !errors.Is(err, net.ErrClosed) {
			t.Errorf("second Close: %v", err)
		}
		if _, err := cb.WriteTo([]byte("x"), ca.LocalAddr()); !errors.Is(err, net.ErrClosed) {
			t.Errorf("write after Close: %v", err)
		}
		// The port is free again, and datagrams to a closed port count as
		// no-listener until it is rebound.
		send(t, ca, ap("192.0.2.2:2000"), "nobody")
		if s := b.Stats(); s.Dropped[DropNoListener] != 1 {
			t.Errorf("host stats %v", s)
		}
		c2 := must(b.Listen(ap("192.0.2.2:2000")))
		send(t, ca, ap("192.0.2.2:2000"), "somebody")
		if msgs, _ := recv(t, c2); len(msgs) != 1 {
			t.Errorf("reopened port got %q", msgs)
		}
		// Network.Close wakes readers too.
		go func() {
			_, _, err := ca.ReadFrom(make([]byte, 10))
			errc <- err
		}()
		time.Sleep(time.Millisecond)
		n.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Errorf("reader after Network.Close: %v", err)
		}
	})
}

func TestReceiveQueueBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, _, b, ca, cb := pair(t, Config{RecvQueue: 4})
		defer n.Close()
		for i := range 10 {
			must(ca.WriteTo(seqPacket(i, 8), cb.LocalAddr()))
		}
		time.Sleep(time.Millisecond)
		msgs, _ := recv(t, cb)
		if len(msgs) != 4 || seqOf([]byte(msgs[3])) != 3 {
			t.Fatalf("read %d datagrams, want the first 4", len(msgs))
		}
		if s := cb.Stats(); s.Delivered != 4 || s.Dropped[DropRecvQueueFull] != 6 {
			t.Errorf("socket stats %v", s)
		}
		if s := b.Stats(); s.Dropped[DropRecvQueueFull] != 6 {
			t.Errorf("host stats %v", s)
		}
	})
}

func TestIPv6AndListen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, a, b, ca, _ := pair(t, Config{DefaultLink: LinkConditions{Delay: 5 * time.Millisecond}})
		defer n.Close()
		a6 := must(a.ListenPacket("udp6", "[::]:0")).(*Conn)
		b6 := must(b.ListenPacket("udp", "[2001:db8::2]:7000")).(*Conn)
		if got := a6.LocalAddrPort(); got != ap("[2001:db8::1]:49152") {
			t.Errorf("ephemeral v6 socket at %v", got)
		}
		start := time.Now()
		must(a6.WriteTo([]byte("v6"), &net.UDPAddr{IP: net.ParseIP("2001:db8::2"), Port: 7000}))
		buf := make([]byte, 10)
		k, from, err := b6.ReadFrom(buf)
		if err != nil || string(buf[:k]) != "v6" || from.String() != "[2001:db8::1]:49152" || time.Since(start) != 5*time.Millisecond {
			t.Fatalf("read %q from %v err %v after %v", buf[:k], from, err, time.Since(start))
		}
		if _, err := ca.WriteTo([]byte("x"), b6.LocalAddr()); !errors.Is(err, ErrFamilyMismatch) {
			t.Errorf("v4 socket to v6 address: %v", err)
		}
		// IPv4-mapped destinations are unmapped.
		mapped := netip.AddrPortFrom(netip.AddrFrom16(ip("192.0.2.2").As16()), 2000)
		if _, err := ca.WriteToUDPAddrPort([]byte("m"), mapped); err != nil {
			t.Errorf("v4-mapped destination: %v", err)
		}
		if _, err := a.Listen(ap("192.0.2.1:1000")); !errors.Is(err, ErrAddrInUse) {
			t.Errorf("double bind: %v", err)
		}
		if _, err := a.Listen(ap("192.0.2.2:1")); !errors.Is(err, ErrBadAddress) {
			t.Errorf("bind to a foreign address: %v", err)
		}
		if _, err := n.AddHost("a", ip("192.0.2.50")); !errors.Is(err, ErrNameInUse) {
			t.Errorf("duplicate name: %v", err)
		}
		if _, err := n.AddHost("c", ip("192.0.2.1")); !errors.Is(err, ErrAddrInUse) {
			t.Errorf("duplicate address: %v", err)
		}
		if _, err := ca.WriteTo(make([]byte, 70000), b6.LocalAddr()); !errors.Is(err, ErrTooLarge) {
			t.Errorf("oversized write: %v", err)
		}
	})
}

// Outside synctest the network runs on the real clock.
func TestRealClock(t *testing.T) {
	n, a, b, ca, cb := pair(t, Config{})
	defer n.Close()
	n.Link(a, b).SetConditions(LinkConditions{Delay: 2 * time.Millisecond})
	start := time.Now()
	for i := range 3 {
		must(ca.WriteTo(seqPacket(i, 4), cb.LocalAddr()))
	}
	cb.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4)
	for i := range 3 {
		if _, _, err := cb.ReadFrom(buf); err != nil || seqOf(buf) != i {
			t.Fatalf("read %d: %v seq %d", i, err, seqOf(buf))
		}
	}
	if d := time.Since(start); d < 2*time.Millisecond {
		t.Errorf("delivered after %v, before the 2ms delay", d)
	}
}

// A peer moves from behind a home NAT to a public address (or another NAT)
// and keeps using the same socket: the other side sees the new endpoint.
func TestMoveBetweenRealms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newNATWorld(t, NATConfig{})
		send(t, w.hc, w.s1a.LocalAddrPort(), "from home")
		if err := w.home.MoveTo(nil, ip("192.0.2.200")); err != nil {
			t.Fatal(err)
		}
		if got := w.hc.LocalAddrPort(); got != ap("192.0.2.200:5000") {
			t.Fatalf("socket now at %v", got)
		}
		send(t, w.hc, w.s1a.LocalAddrPort(), "from the road")
		cell := must(w.n.AddNAT(NATConfig{Name: "cell", Public: []netip.Addr{ip("203.0.113.200")}, FirstPort: 60000}))
		if err := w.home.MoveTo(cell, ip("10.99.0.2")); err != nil {
			t.Fatal(err)
		}
		send(t, w.hc, w.s1a.LocalAddrPort(), "from the phone network")
		_, f := recv(t, w.s1a)
		want := []netip.AddrPort{ap("203.0.113.1:20000"), ap("192.0.2.200:5000"), ap("203.0.113.200:60000")}
		if !slices.Equal(f, want) {
			t.Fatalf("server saw %v, want %v", f, want)
		}
		send(t, w.s1a, f[2], "reply")
		if msgs, _ := recv(t, w.hc); len(msgs) != 1 || msgs[0] != "reply" {
			t.Fatalf("moved socket got %q", msgs)
		}
		if err := w.home.MoveTo(nil, ip("2001:db8::77")); !errors.Is(err, ErrBadAddress) {
			t.Errorf("move of an IPv4 socket to an IPv6-only address: %v", err)
		}
		if err := w.home.MoveTo(nil, ip("198.51.100.2")); !errors.Is(err, ErrAddrInUse) {
			t.Errorf("move onto srv2's address: %v", err)
		}
	})
}
