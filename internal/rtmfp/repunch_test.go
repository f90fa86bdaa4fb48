package rtmfp

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/wire"
)

// introducer is a public endpoint that introduces peers it has sessions
// with, as a rendezvous server or a room member does (RFC 7016 §3.5.1.4).
func introducer(t *testing.T, n *rtmfptest.Network) *peer {
	t.Helper()
	var p *peer
	p = newPeer(t, n, "intro", "198.51.100.1", 2, func(c *Config) {
		c.OnUnmatchedIHello = func(u UnmatchedIHello) {
			epd, err := flashcrypto.ParseEPD(u.EPD)
			if err != nil || !epd.HasFingerprint || u.Via != nil {
				return
			}
			p.ep.e.mu.Lock()
			target := p.ep.e.findOpen(epd)
			p.ep.e.mu.Unlock()
			if target == nil {
				return
			}
			if p.ep.Redirect(u.From, u.Tag, wire.Address{AddrPort: target.FarAddr(), Origin: wire.OriginObserved}) == nil {
				target.ForwardIHello(u.EPD, u.From, u.Tag)
			}
		}
	})
	return p
}

// TestRepunchAfterNATRebind: two peers behind port-restricted NATs talk
// through an introduction. A's NAT forgets its mappings: A's packets now
// leave from a new port that B's NAT filters, and B's go to the old one,
// so nothing gets through either way. A's Repunch through the introducer
// makes B answer A's new address, the open session takes the answer
// (no second session), and data flows both ways again at once, with B's
// session moved to A's new address.
func TestRepunchAfterNATRebind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 7, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		nat := func(name, pub string) *rtmfptest.NAT {
			x, err := n.AddNAT(rtmfptest.NATConfig{Name: name, Public: []netip.Addr{netip.MustParseAddr(pub)},
				Filtering: rtmfptest.FilteringAddressAndPortDependent})
			if err != nil {
				t.Fatal(err)
			}
			return x
		}
		natA, natB := nat("natA", "203.0.113.1"), nat("natB", "203.0.113.2")
		behind := func(x *rtmfptest.NAT, name, addr string, idx int) *peer {
			h, err := x.AddHost(name, netip.MustParseAddr(addr))
			if err != nil {
				t.Fatal(err)
			}
			return listenPeer(t, h, netip.MustParseAddr(addr), idx, func(c *Config) { c.FIHelloMode = FIHelloSendRHello })
		}
		a, b := behind(natA, "a", "10.0.0.1", 0), behind(natB, "b", "10.0.1.1", 1)
		in := introducer(t, n)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		go func() {
			for {
				if _, err := in.ep.Accept(ctx); err != nil {
					return
				}
			}
		}()
		for _, p := range []*peer{a, b} {
			if _, err := p.ep.Connect(ctx, in.epd(), in.addr); err != nil {
				t.Fatal(err)
			}
		}
		acc := make(chan *Session, 1)
		go func() {
			s, _ := b.ep.Accept(ctx)
			acc <- s
		}()
		sa, err := a.ep.Connect(ctx, b.epd(), in.addr)
		if err != nil {
			t.Fatal(err)
		}
		sb := <-acc
		oldA := sb.FarAddr()
		fa, err := sa.OpenFlow([]byte("ab"), flow.PriorityRoutine)
		if err != nil {
			t.Fatal(err)
		}
		fb, err := sb.OpenFlow([]byte("ba"), flow.PriorityRoutine)
		if err != nil {
			t.Fatal(err)
		}
		// Messages each way every 20 ms, as a call's audio; count arrivals.
		var nAB, nBA atomic.Int64
		recv := func(rf *RecvFlow, n *atomic.Int64) {
			for {
				if _, err := rf.Read(ctx); err != nil {
					return
				}
				n.Add(1)
			}
		}
		fa.Write([]byte("first"), WriteOptions{})
		fb.Write([]byte("first"), WriteOptions{})
		go recv(acceptFlowOK(t, ctx, sb), &nAB)
		go recv(acceptFlowOK(t, ctx, sa), &nBA)
		got := func() (int64, int64) { return nAB.Load(), nBA.Load() }
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				fa.Write([]byte("audio"), WriteOptions{FinishBy: 300 * time.Millisecond})
				fb.Write([]byte("audio"), WriteOptions{FinishBy: 300 * time.Millisecond})
			}
		}()
		defer close(stop)
		time.Sleep(time.Second)
		natA.FlushMappings()
		time.Sleep(time.Second)
		ab, ba := got()
		time.Sleep(time.Second)
		if ab2, ba2 := got(); ab2 != ab || ba2 != ba {
			t.Fatalf("data got through after the rebind without a re-punch (%d→%d, %d→%d): the test's NAT does not filter", ab, ab2, ba, ba2)
		}
		start := time.Now()
		s, err := a.ep.Repunch(ctx, b.epd(), in.addr)
		if err != nil {
			t.Fatal(err)
		}
		if s != sa {
			t.Fatal("Repunch returned another session than the open one")
		}
		took := time.Since(start)
		ab, ba = got()
		time.Sleep(500 * time.Millisecond)
		ab2, ba2 := got()
		t.Logf("re-punched in %v; in the next 500 ms %d messages A→B, %d B→A", took, ab2-ab, ba2-ba)
		if ab2-ab < 15 || ba2-ba < 15 {
			t.Errorf("in 500 ms after the re-punch %d messages A→B and %d B→A, want about 25 each", ab2-ab, ba2-ba)
		}
		if sb.FarAddr() == oldA || sb.FarAddr().Addr() != oldA.Addr() {
			t.Errorf("B's session still at %v (was %v)", sb.FarAddr(), oldA)
		}
		if a.ep.Stats().Sessions != 2 || b.ep.Stats().Sessions != 2 {
			t.Errorf("sessions: A %d, B %d; want 2 each (the introducer and the peer)", a.ep.Stats().Sessions, b.ep.Stats().Sessions)
		}
	})
}

func acceptFlowOK(t *testing.T, ctx context.Context, s *Session) *RecvFlow {
	t.Helper()
	rf, err := s.AcceptFlow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rf
}

// TestRedirectedHelloWaits: after an introduction, the target's RHello
// leaves before the initiator's first IHello to the address the Redirect
// named (RedirectHelloDelay), so a router without an input firewall in
// front of the target never sees the initiator's packet first.
func TestRedirectedHelloWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &rtmfptest.Recorder{}
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 9, Trace: rec.Record, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		in := introducer(t, n)
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, func(c *Config) { c.FIHelloMode = FIHelloSendRHello })
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		go func() {
			for {
				if _, err := in.ep.Accept(ctx); err != nil {
					return
				}
			}
		}()
		if _, err := b.ep.Connect(ctx, in.epd(), in.addr); err != nil {
			t.Fatal(err)
		}
		go b.ep.Accept(ctx)
		start := time.Now()
		if _, err := a.ep.Connect(ctx, b.epd(), in.addr); err != nil {
			t.Fatal(err)
		}
		var aToB, bToA time.Time
		for _, ev := range rec.Events() {
			if ev.Kind != rtmfptest.TraceSend || ev.Time.Before(start) {
				continue
			}
			if ev.Src == a.addr && ev.Dst == b.addr && aToB.IsZero() {
				aToB = ev.Time
			}
			if ev.Src == b.addr && ev.Dst == a.addr && bToA.IsZero() {
				bToA = ev.Time
			}
		}
		t.Logf("B's RHello at +%v, A's first packet to B at +%v", bToA.Sub(start), aToB.Sub(start))
		if bToA.IsZero() || aToB.IsZero() || !aToB.After(bToA) {
			t.Errorf("B first sent to A at %v, A to B at %v: want B first", bToA.Sub(start), aToB.Sub(start))
		}
	})
}

// TestBothEndsMove: both ends of a session change address at once (a call
// leaving a relay for a direct path looks like this to each end). One
// end's mobility check to the other's new address comes from an address
// the far session does not know; it is answered at that address, not
// along the old path (where it would be lost), so both sessions move and
// data flows again.
func TestBothEndsMove(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 5, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		a2, b2 := netip.MustParseAddr("10.0.1.1"), netip.MustParseAddr("10.0.1.2")
		if err := a.host.Rebind(a.addr.Addr(), a2); err != nil {
			t.Fatal(err)
		}
		if err := b.host.Rebind(b.addr.Addr(), b2); err != nil {
			t.Fatal(err)
		}
		newB := netip.AddrPortFrom(b2, b.addr.Port())
		newA := netip.AddrPortFrom(a2, a.addr.Port())
		if !sa.CheckAddress(newB) {
			t.Fatal("no check sent")
		}
		time.Sleep(500 * time.Millisecond)
		if sa.FarAddr() != newB || sb.FarAddr() != newA {
			t.Fatalf("after 500 ms A reaches B at %v (want %v), B reaches A at %v (want %v)", sa.FarAddr(), newB, sb.FarAddr(), newA)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		f, err := sa.OpenFlow([]byte("x"), flow.PriorityRoutine)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("after the move"), WriteOptions{})
		rf := acceptFlowOK(t, ctx, sb)
		if m, err := rf.Read(ctx); err != nil || string(m) != "after the move" {
			t.Fatalf("read %q, %v", m, err)
		}
	})
}
