package rtmfp

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/rtmfptest"
)

// TestIHelloToSeveralCandidates: Connect sends its IHello to every candidate
// address at once (RFC 7016 §3.5.1.1.1), so a peer known by a few addresses
// (LAN, public, an old one) is reached in one round trip, not after the
// unreachable ones time out; the session goes to the address that answered.
func TestIHelloToSeveralCandidates(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &rtmfptest.Recorder{}
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 3, Trace: rec.Record,
			DefaultLink: rtmfptest.LinkConditions{Delay: 20 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		dead := []netip.AddrPort{
			netip.MustParseAddrPort("10.0.0.2:7"),    // b's host, a closed port
			netip.MustParseAddrPort("10.9.9.9:1935"), // nobody
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		go b.ep.Accept(ctx)
		start := time.Now()
		s, err := a.ep.Connect(ctx, b.epd(), dead[0], dead[1], b.addr)
		if err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el > 100*time.Millisecond {
			t.Fatalf("opened after %v: the reachable candidate was not tried at once", el)
		}
		if s.FarAddr() != b.addr {
			t.Fatalf("session to %v, want %v", s.FarAddr(), b.addr)
		}
		// The first IHello went to all three candidates at the same instant.
		sentAt := map[netip.AddrPort]time.Time{}
		for _, ev := range rec.Events() {
			if ev.Kind == rtmfptest.TraceSend && ev.Src == a.addr {
				if _, ok := sentAt[ev.Dst]; !ok {
					sentAt[ev.Dst] = ev.Time
				}
			}
		}
		for _, to := range append(dead, b.addr) {
			if at, ok := sentAt[to]; !ok || !at.Equal(start) {
				t.Fatalf("first datagram to %v at %v (sent: %v), want at %v", to, at, ok, start)
			}
		}
	})
}
