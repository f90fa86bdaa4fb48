package rendezvous

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
)

// TestIntroductionAcrossSockets: the server listens on IPv4 and IPv6
// loopback. B registers over IPv6 from a dual-stack socket and reports its
// IPv4 address; A, on IPv4 only, asks the server's IPv4 socket for B. The
// Redirect goes out of the socket A wrote to and lists B's reported IPv4
// address; the FIHello goes over B's session on the other socket; A ends up
// in a direct session with B.
func TestIntroductionAcrossSockets(t *testing.T) {
	c6, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	bconn, err := net.ListenUDP("udp", &net.UDPAddr{}) // dual stack
	if err != nil {
		c6.Close()
		t.Skip("no dual-stack socket:", err)
	}
	c4 := listenUDP(t)
	srv, err := New(Config{Identity: serverIdentity(t), Rand: newRand(8)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- srv.Serve(c4) }()
	go func() { done <- srv.Serve(c6) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
		<-done
	}()
	addr4 := c4.LocalAddr().(*net.UDPAddr).AddrPort()
	addr6 := c6.LocalAddr().(*net.UDPAddr).AddrPort()

	bPort := bconn.LocalAddr().(*net.UDPAddr).AddrPort().Port()
	b := newClient(t, bconn, 1, func(c *rtmfp.Config) { c.FIHelloMode = rtmfp.FIHelloSendRHello })
	cb, r := dial(t, b, addr6, "chat")
	mustConnect(t, r)
	if got := cb.sess.FarAddr(); got != addr6 {
		t.Fatalf("B's server session at %v, want %v", got, addr6)
	}
	b4 := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), bPort)
	cb.register(t, b4.String())

	aconn := listenUDP(t)
	a := newClient(t, aconn, 0, nil)
	ca, r := dial(t, a, addr4, "chat")
	mustConnect(t, r)
	ca.register(t)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		for {
			if _, err := b.Accept(ctx); err != nil {
				return
			}
		}
	}()
	sa, err := a.Connect(ctx, flashcrypto.CanonicalEPD(b.PeerID()), addr4)
	if err != nil {
		t.Fatal(err)
	}
	if sa.FarAddr() != b4 || sa.FarPeerID() != b.PeerID() {
		t.Fatalf("A's session at %v, want B at %v", sa.FarAddr(), b4)
	}
	if st := srv.Stats(); st.Introductions < 1 || st.Peers != 2 {
		t.Fatalf("stats %+v", st)
	}
	if got := len(srv.Addrs()); got != 2 {
		t.Fatalf("%d server addresses", got)
	}
}
