package rtmfp

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
)

// TestIPv4SocketIPv6Candidate: an IPv4 socket given an IPv6 address to
// try (as an invite or a Redirect may list one) drops those datagrams and
// reaches the far end at its IPv4 address in the same attempt.
func TestIPv4SocketIPv6Candidate(t *testing.T) {
	a, b := loopbackEndpoint(t, 0), loopbackEndpoint(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() { _, _ = b.Accept(ctx) }()
	v6 := netip.MustParseAddrPort("[2001:db8::1]:1935")
	s, err := a.Connect(ctx, flashcrypto.CanonicalEPD(b.PeerID()), v6, b.LocalAddr(), netip.MustParseAddrPort("[::1]:1935"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.FarAddr() != b.LocalAddr() {
		t.Fatalf("session with %v, want %v", s.FarAddr(), b.LocalAddr())
	}
}

// loopbackEndpoint is an endpoint on an IPv4 loopback UDP socket with the
// idx-th test identity, closed when the test ends.
func loopbackEndpoint(t *testing.T, idx int) *Endpoint {
	t.Helper()
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
	if err != nil {
		t.Skipf("no loopback UDP: %v", err)
	}
	ep, err := NewEndpoint(c, Config{Identity: rtmfptest.Identity(idx)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep
}
