package rendezvous

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/tc"
	"camchat/internal/rtmfp/wire"
)

// publicWorld is a server and clients on one public network.
func publicWorld(t *testing.T, cfg Config) (*rtmfptest.Network, *Server, netip.AddrPort) {
	n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 5, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}, RecvQueue: 4096})
	t.Cleanup(func() { n.Close() })
	h, err := n.AddHost("server", netip.MustParseAddr("203.0.113.10"))
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort("203.0.113.10:1935")
	c, err := h.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	return n, startServer(t, c, cfg), addr
}

func listenHost(t *testing.T, n *rtmfptest.Network, name, ip string) *rtmfptest.Conn {
	t.Helper()
	h, err := n.AddHost(name, netip.MustParseAddr(ip))
	if err != nil {
		t.Fatal(err)
	}
	c, err := h.Listen(netip.AddrPortFrom(netip.MustParseAddr(ip), 1935))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// rawIHello is a startup packet carrying one IHello (RFC 7016 §2.3.2),
// sealed with the default key (RFC 7425 §4.1) and padded to pad bytes of
// cleartext.
func rawIHello(epd, tag []byte, pad int) []byte {
	h := wire.PacketHeader{Mode: wire.ModeStartup, HasTimestamp: true, Timestamp: 1}
	plain := h.Append(nil)
	plain = wire.IHello{EPD: epd, Tag: tag}.Append(plain)
	if len(plain) < pad {
		plain = wire.AppendPadding(plain, pad-len(plain))
	}
	c := flashcrypto.NewDefaultCipher()
	out := make([]byte, wire.SessionIDLength, wire.SessionIDLength+c.SealedLen(len(plain)))
	out = c.Seal(out, plain)
	_ = wire.PutScrambledSessionID(out, wire.StartupSessionID)
	return out
}

// readAll reads every datagram that arrives within d (virtual time).
func readAll(c *rtmfptest.Conn, d time.Duration) (n, bytes int) {
	buf := make([]byte, 9000)
	_ = c.SetReadDeadline(time.Now().Add(d))
	for {
		k, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return n, bytes
		}
		n++
		bytes += k
	}
}

// TestHandshakeRateLimit: a burst of IHellos from one address gets exactly
// the per-IP burst of RHellos; a second source then meets the global
// bucket. Counted by reason.
func TestHandshakeRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{Limits: Limits{
			HandshakeRatePerIP: 1, HandshakeBurstPerIP: 20,
			HandshakeRate: 1, HandshakeBurst: 30,
		}})
		x := listenHost(t, n, "x", "198.51.100.7")
		y := listenHost(t, n, "y", "198.51.100.8")
		tag := make([]byte, 16)
		for i := range 100 {
			tag[0] = byte(i)
			// Padded as camchat's own IHellos are, so that the RHello is
			// within 3× (the transport's per-datagram bound).
			if _, err := x.WriteToUDPAddrPort(rawIHello(serverEPD, tag, 200), addr); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := readAll(x, time.Second)
		st := srv.Stats()
		if got != 20 || st.Dropped[DropRateSource] != 80 {
			t.Fatalf("x: %d RHellos, %d rate drops; want 20 and 80", got, st.Dropped[DropRateSource])
		}
		for i := range 50 {
			tag[0] = byte(i)
			_, _ = y.WriteToUDPAddrPort(rawIHello(serverEPD, tag, 200), addr)
		}
		got, _ = readAll(y, time.Second)
		st = srv.Stats()
		// The global bucket had 30 - 20 = 10 tokens left, plus 1/s over the
		// 1 s of reading and the flight times.
		if got < 10 || got > 12 || st.Dropped[DropRateSource] != 80+50-20 || st.Dropped[DropRateGlobal] != uint64(20-got) {
			t.Fatalf("y: %d RHellos; drops %v", got, st.Dropped)
		}
		// Every RHello carried a cookie instead of creating state: no
		// session exists until a valid IIKeying (RFC 7016 §3.5.1.2).
		if tr := srv.TransportStats(); tr.Sessions != 0 || st.Sessions != 0 {
			t.Fatalf("state after IHellos: %d transport sessions", tr.Sessions)
		}
	})
}

// TestAmplificationBound: an unverified source's IHello for a client that
// reported sixteen IPv6 addresses would be answered with a Redirect larger
// than three times the IHello; the guard holds it back. The same IHello
// from a connected client's address is answered.
func TestAmplificationBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		bc := listenHost(t, n, "b", "198.51.100.2")
		b := newClient(t, bc, 1, nil)
		cb, r := dial(t, b, addr, "chat")
		mustConnect(t, r)
		var reported []string
		for i := range 16 {
			reported = append(reported, netip.AddrPortFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)}), 1935).String())
		}
		cb.register(t, reported...)

		x := listenHost(t, n, "x", "198.51.100.7")
		ihello := rawIHello(flashcrypto.CanonicalEPD(b.PeerID()), make([]byte, 16), 0)
		if _, err := x.WriteToUDPAddrPort(ihello, addr); err != nil {
			t.Fatal(err)
		}
		got, _ := readAll(x, time.Second)
		st := srv.Stats()
		if got != 0 || st.Dropped[DropAmplification] != 1 || st.Introductions != 1 {
			t.Fatalf("%d-byte IHello: %d answers, %d amplification drops, %d introductions",
				len(ihello), got, st.Dropped[DropAmplification], st.Introductions)
		}
		// Padded to a third of the Redirect, the same request is answered:
		// one Redirect of at most 3× the bytes received.
		big := rawIHello(flashcrypto.CanonicalEPD(b.PeerID()), make([]byte, 16), 160)
		_, _ = x.WriteToUDPAddrPort(big, addr)
		got, nb := readAll(x, time.Second)
		if got != 1 || nb > 3*len(big) || srv.Stats().Dropped[DropAmplification] != 1 {
			t.Fatalf("%d-byte IHello: %d answers of %d bytes", len(big), got, nb)
		}
		t.Logf("IHello %d B → Redirect held back; IHello %d B → Redirect %d B", len(ihello), len(big), nb)
	})
}

// TestAllowList: connect to an app not on the list is rejected with
// NetConnection.Connect.Rejected and the session is closed; an allowed app
// (with a query) connects.
func TestAllowList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{Apps: []string{"chat"}})
		x := newClient(t, listenHost(t, n, "x", "198.51.100.7"), 0, nil)
		cx, r := dial(t, x, addr, "other")
		info, err := r.Status()
		if err != nil || r.Name != "_error" || info.Code != tc.CodeConnectRejected {
			t.Fatalf("answer %s %+v %v", r.Name, info, err)
		}
		select {
		case <-cx.sess.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("rejected session not closed")
		}
		y := newClient(t, listenHost(t, n, "y", "198.51.100.8"), 1, nil)
		_, r = dial(t, y, addr, "chat?key=1")
		mustConnect(t, r)
		st := srv.Stats()
		if st.Rejects != 1 || st.Connects != 1 || st.Peers != 1 {
			t.Fatalf("stats %+v", st)
		}
	})
}

// settle lets virtual time pass until cond holds (at most d).
func settle(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("after %v: %s", d, what)
		}
	}
}

// TestPeerRemoved: a peer is removed when its session closes, when it
// vanishes (keepalives unanswered for the retransmit limit), and a session
// that never connects is closed after ConnectTimeout; an introduction to a
// removed peer is counted as unknown.
func TestPeerRemoved(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{KeepalivePeriod: 2 * time.Second, RetransmitLimit: 5 * time.Second, ConnectTimeout: 10 * time.Second})
		xc := listenHost(t, n, "x", "198.51.100.7")
		x := newClient(t, xc, 0, nil)
		cx, r := dial(t, x, addr, "chat")
		mustConnect(t, r)
		cx.register(t)
		if st := srv.Stats(); st.Peers != 1 || st.Reachable != 1 {
			t.Fatalf("stats %+v", st)
		}
		cx.sess.Close()
		settle(t, 5*time.Second, "peer not removed after close", func() bool { return srv.Stats().Peers == 0 })
		if st := srv.Stats(); st.Removed != 1 || st.Sessions != 0 {
			t.Fatalf("after close: %+v", st)
		}

		// Vanish: the host's uplink drops everything from now on.
		yc := listenHost(t, n, "y", "198.51.100.8")
		y := newClient(t, yc, 1, nil)
		_, r = dial(t, y, addr, "chat")
		mustConnect(t, r)
		yc.Host().Uplink().Intercept(func(time.Time, rtmfptest.Datagram) ([]byte, bool) { return nil, false })
		t0 := time.Now()
		settle(t, 60*time.Second, "vanished peer not removed", func() bool { return srv.Stats().Peers == 0 })
		t.Logf("vanished peer removed after %v", time.Since(t0))
		if st := srv.Stats(); st.Removed != 2 {
			t.Fatalf("after timeout: %+v", st)
		}

		// A session without a NetConnection.
		z := newClient(t, listenHost(t, n, "z", "198.51.100.9"), 2, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		zs, err := z.Connect(ctx, serverEPD, addr)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-zs.Done():
		case <-time.After(15 * time.Second):
			t.Fatalf("idle session not closed: %+v; transport %v", srv.Stats(), srv.TransportStats())
		}
		if st := srv.Stats(); st.Dropped[DropConnectTimeout] != 1 || st.Sessions != 0 {
			t.Fatalf("connect timeout: %+v", st)
		}

		// Nobody is there any more: the IHello for x is counted.
		w := listenHost(t, n, "w", "198.51.100.6")
		_, _ = w.WriteToUDPAddrPort(rawIHello(flashcrypto.CanonicalEPD(x.PeerID()), make([]byte, 16), 200), addr)
		readAll(w, time.Second)
		if st := srv.Stats(); st.Dropped[DropUnknownTarget] != 1 {
			t.Fatalf("unknown target: %+v", st.Dropped)
		}
	})
}
