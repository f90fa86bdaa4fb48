package rtmfp

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
)

// peer is an endpoint on a simulated host.
type peer struct {
	host *rtmfptest.Host
	conn *rtmfptest.Conn
	ep   *Endpoint
	addr netip.AddrPort
}

func newPeer(t testing.TB, n *rtmfptest.Network, name, addr string, idx int, mod func(*Config)) *peer {
	t.Helper()
	a := netip.MustParseAddr(addr)
	h, err := n.AddHost(name, a)
	if err != nil {
		t.Fatal(err)
	}
	return listenPeer(t, h, a, idx, mod)
}

func listenPeer(t testing.TB, h *rtmfptest.Host, a netip.Addr, idx int, mod func(*Config)) *peer {
	t.Helper()
	c, err := h.Listen(netip.AddrPortFrom(a, 1935))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Identity: rtmfptest.Identity(idx), Rand: rtmfptest.Rand(byte(idx))}
	if mod != nil {
		mod(&cfg)
	}
	ep, err := NewEndpoint(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return &peer{host: h, conn: c, ep: ep, addr: c.LocalAddrPort()}
}

func (p *peer) epd() []byte { return flashcrypto.CanonicalEPD(p.ep.PeerID()) }

// connectPair opens a session from a to b and returns both ends.
func connectPair(t testing.TB, a, b *peer) (*Session, *Session) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var sb *Session
	var errB error
	done := make(chan struct{})
	go func() {
		defer close(done)
		sb, errB = b.ep.Accept(ctx)
	}()
	sa, err := a.ep.Connect(ctx, b.epd(), b.addr)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	<-done
	if errB != nil {
		t.Fatalf("accept: %v", errB)
	}
	return sa, sb
}
