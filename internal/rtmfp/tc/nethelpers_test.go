package tc

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
)

// node is an endpoint on a simulated host.
type node struct {
	host *rtmfptest.Host
	ep   *rtmfp.Endpoint
	addr netip.AddrPort
}

func newNode(t testing.TB, n *rtmfptest.Network, name, addr string, idx int) *node {
	t.Helper()
	return newNodeWith(t, n, name, addr, idx, nil)
}

func newNodeWith(t testing.TB, n *rtmfptest.Network, name, addr string, idx int, mod func(*rtmfp.Config)) *node {
	t.Helper()
	a := netip.MustParseAddr(addr)
	h, err := n.AddHost(name, a)
	if err != nil {
		t.Fatal(err)
	}
	return newNodeOn(t, h, a, idx, mod)
}

// newNodeOn starts an endpoint on host h (public or behind a NAT).
func newNodeOn(t testing.TB, h *rtmfptest.Host, a netip.Addr, idx int, mod func(*rtmfp.Config)) *node {
	t.Helper()
	c, err := h.Listen(netip.AddrPortFrom(a, 1935))
	if err != nil {
		t.Fatal(err)
	}
	cfg := rtmfp.Config{Identity: rtmfptest.Identity(idx), Rand: rtmfptest.Rand(byte(idx))}
	if mod != nil {
		mod(&cfg)
	}
	ep, err := rtmfp.NewEndpoint(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return &node{host: h, ep: ep, addr: c.LocalAddrPort()}
}

func (nd *node) epd() []byte { return flashcrypto.CanonicalEPD(nd.ep.PeerID()) }

// testCtx is a context for waits inside a synctest bubble: virtual time
// makes the timeout a bound on protocol time, not on the machine.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// writeCmd writes c as a TC message on f.
func writeCmd(t testing.TB, f *rtmfp.SendFlow, c Command) {
	t.Helper()
	b, err := c.AppendMessage(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b, rtmfp.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// readCmd reads one TC command from rf.
func readCmd(t testing.TB, ctx context.Context, rf *rtmfp.RecvFlow) (Command, error) {
	t.Helper()
	b, err := rf.Read(ctx)
	if err != nil {
		return Command{}, err
	}
	m, err := ParseMessage(b)
	if err != nil {
		return Command{}, err
	}
	return ParseCommandMessage(m, Limits{})
}
