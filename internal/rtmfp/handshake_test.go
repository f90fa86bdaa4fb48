package rtmfp

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/wire"

	"camchat/internal/rtmfp/rtmfptest"
)

func TestHandshakeOpensSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 20 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		start := time.Now()
		sa, sb := connectPair(t, a, b)
		// IHello, RHello, IIKeying, RIKeying: two round trips of 40 ms.
		if el := time.Since(start); el != 80*time.Millisecond {
			t.Errorf("handshake took %v, want 80ms", el)
		}
		if sa.FarPeerID() != b.ep.PeerID() || sb.FarPeerID() != a.ep.PeerID() {
			t.Fatal("peer IDs do not match")
		}
		if sa.NearNonce() != sb.FarNonce() || sa.FarNonce() != sb.NearNonce() {
			t.Fatal("nonces do not cross-match")
		}
		if sa.NearNonce() == ([32]byte{}) {
			t.Fatal("zero nonce")
		}
		na, nb := sa.Negotiated(), sb.Negotiated()
		if !na.HMACSend || !na.HMACRecv || !na.SSEQSend || !na.SSEQRecv || !nb.HMACSend || !nb.SSEQRecv {
			t.Fatalf("HMAC and SSEQ must be on between camchat peers: %+v %+v", na, nb)
		}
		if sa.FarAddr() != b.addr || sb.FarAddr() != a.addr {
			t.Fatalf("far addresses %v %v", sa.FarAddr(), sb.FarAddr())
		}
		// A second Connect reuses the open session.
		again, err := a.ep.Connect(context.Background(), b.epd(), b.addr)
		if err != nil || again != sa {
			t.Fatalf("second connect: %v %v", again == sa, err)
		}
		st := a.ep.Stats()
		if st.HandshakesCompleted != 1 || b.ep.Stats().HandshakesAccepted != 1 {
			t.Fatalf("stats %+v / %+v", st, b.ep.Stats())
		}
	})
}

func TestHandshakeUnderLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 7, DefaultLink: rtmfptest.LinkConditions{Delay: 30 * time.Millisecond, Loss: 0.3}})
		defer n.Close()
		opened := 0
		for i := 0; i < 5; i++ {
			a := newPeer(t, n, "a"+string(rune('0'+i)), "10.0.1."+string(rune('1'+i)), 0, nil)
			b := newPeer(t, n, "b"+string(rune('0'+i)), "10.0.2."+string(rune('1'+i)), 1, nil)
			sa, sb := connectPair(t, a, b)
			if sa.NearNonce() != sb.FarNonce() {
				t.Fatal("nonces differ")
			}
			opened++
		}
		if opened != 5 {
			t.Fatal(opened)
		}
	})
}

func TestHandshakeTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		var sends []time.Duration
		start := time.Now()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		n2 := netip.MustParseAddrPort("10.0.0.9:1935")
		void, err := n.AddHost("void", n2.Addr())
		if err != nil {
			t.Fatal(err)
		}
		n.Link(a.host, void).Intercept(func(now time.Time, d rtmfptest.Datagram) ([]byte, bool) {
			sends = append(sends, now.Sub(start))
			return d.Payload, false
		})
		_, err = a.ep.Connect(context.Background(), a.epd(), n2)
		if err != ErrHandshakeTimeout {
			t.Fatalf("err %v", err)
		}
		if el := time.Since(start); el != UltimateSessionTimeout {
			t.Errorf("gave up after %v", el)
		}
		want := []time.Duration{0, 1000, 3500, 7500, 13000, 20000, 28500, 38500, 50000, 63000, 77500, 93500}
		if len(sends) != len(want) {
			t.Fatalf("IHellos at %v", sends)
		}
		for i := range want {
			if sends[i] != want[i]*time.Millisecond {
				t.Fatalf("IHellos at %v, want %v ms", sends, want)
			}
		}
	})
}

func TestHandshakeCookieChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 3, DefaultLink: rtmfptest.LinkConditions{Delay: 20 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		// The first IIKeying is lost; before it is retransmitted the
		// initiator's address changes, so the cookie no longer matches the
		// address and b answers with a Cookie Change (RFC 7016 §3.5.1.2).
		sent := 0
		a.host.Uplink().Intercept(func(now time.Time, d rtmfptest.Datagram) ([]byte, bool) {
			sent++
			return d.Payload, sent != 2
		})
		newAddr := netip.MustParseAddr("10.0.0.77")
		go func() {
			time.Sleep(500 * time.Millisecond)
			if err := a.host.Rebind(netip.MustParseAddr("10.0.0.1"), newAddr); err != nil {
				t.Error(err)
			}
		}()
		start := time.Now()
		sa, sb := connectPair(t, a, b)
		// IIKeying again at 1.04 s, Cookie Change back at 1.08, IIKeying,
		// RIKeying at 1.12 s.
		if el := time.Since(start); el != 1120*time.Millisecond {
			t.Errorf("opened after %v", el)
		}
		if got := b.ep.Stats().CookieChanges; got != 1 {
			t.Fatalf("cookie changes %d", got)
		}
		if sb.FarAddr() != netip.AddrPortFrom(newAddr, 1935) {
			t.Fatalf("responder sees %v, want the new address", sb.FarAddr())
		}
		if sa.NearNonce() != sb.FarNonce() {
			t.Fatal("nonces")
		}
	})
}

func TestHandshakeGlare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 5, DefaultLink: rtmfptest.LinkConditions{Delay: 25 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		ctx := context.Background()
		var sb *Session
		var errB error
		done := make(chan struct{})
		go func() {
			defer close(done)
			sb, errB = b.ep.Connect(ctx, a.epd(), a.addr)
		}()
		sa, err := a.ep.Connect(ctx, b.epd(), b.addr)
		<-done
		if err != nil || errB != nil {
			t.Fatalf("connect: %v / %v", err, errB)
		}
		// Both ends end up in the same single session.
		if sa.NearNonce() != sb.FarNonce() || sa.FarNonce() != sb.NearNonce() {
			t.Fatal("the two Connects returned different sessions")
		}
		if sa.IsInitiator() == sb.IsInitiator() {
			t.Fatal("both ends have the same role")
		}
		time.Sleep(time.Second)
		if got := a.ep.Stats().Sessions + b.ep.Stats().Sessions; got != 2 {
			t.Fatalf("%d sessions remain, want one at each end", got)
		}
	})
}

// TestHandshakeGlareLateIIKeying: in a glare, the loser's IIKeying, sent
// before it saw the winner's and took it, may arrive after the winner's own
// session is open (another path, a slow computation, reordering). The
// winner must drop it: taking it as a restart of the far end would replace
// the one session both ends share with one the loser never completes, and
// each end would be left with a dead half.
func TestHandshakeGlareLateIIKeying(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 6, DefaultLink: rtmfptest.LinkConditions{Delay: 25 * time.Millisecond}})
		defer n.Close()
		p0 := newPeer(t, n, "p0", "10.0.0.1", 0, nil)
		p1 := newPeer(t, n, "p1", "10.0.0.2", 1, nil)
		winner, loser := p0, p1
		if !flashcrypto.NearWinsGlare(p0.ep.e.id.Cert().Raw, p1.ep.e.id.Cert().Raw) {
			winner, loser = p1, p0
		}
		// Hold back the loser's first IIKeying; it is delivered once the
		// winner's session is open.
		var held []byte
		loser.host.Uplink().Intercept(func(now time.Time, d rtmfptest.Datagram) ([]byte, bool) {
			if held == nil && slices.Contains(chunkTypes(t, d.Payload), wire.ChunkIIKeying) {
				held = slices.Clone(d.Payload)
				return nil, false
			}
			return d.Payload, true
		})
		ctx := context.Background()
		var sl *Session
		var errL error
		done := make(chan struct{})
		go func() {
			defer close(done)
			sl, errL = loser.ep.Connect(ctx, winner.epd(), winner.addr)
		}()
		sw, err := winner.ep.Connect(ctx, loser.epd(), loser.addr)
		<-done
		if err != nil || errL != nil {
			t.Fatalf("connect: %v / %v", err, errL)
		}
		if held == nil {
			t.Fatal("the loser sent no IIKeying: no glare happened")
		}
		if _, err := loser.conn.WriteTo(held, net.UDPAddrFromAddrPort(winner.addr)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		if sw.Err() != nil || sl.Err() != nil {
			t.Fatalf("sessions ended: winner %v, loser %v", sw.Err(), sl.Err())
		}
		if sw.NearNonce() != sl.FarNonce() || sw.FarNonce() != sl.NearNonce() {
			t.Fatal("the two ends hold different sessions")
		}
		if got := winner.ep.Stats().Sessions + loser.ep.Stats().Sessions; got != 2 {
			t.Fatalf("%d sessions, want one at each end", got)
		}
		// And the shared session carries data.
		f, err := sw.OpenFlow([]byte("glare"), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("still one session"), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		rf, err := sl.AcceptFlow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := rf.Read(ctx); err != nil || string(b) != "still one session" {
			t.Fatalf("read %q, %v", b, err)
		}
	})
}
