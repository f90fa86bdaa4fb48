package rendezvous

import (
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

func (s *Server) parkedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.parked)
}

// TestParking: a quiet peer is parked (no goroutine), is still introduced,
// answers its next command without added delay (the readiness function
// un-parks it), and is removed when its session closes while parked.
func TestParking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		x := newClient(t, listenHost(t, n, "x", "198.51.100.7"), 0, nil)
		cx, r := dial(t, x, addr, "chat")
		mustConnect(t, r)
		cx.register(t, "192.0.2.1:1935")
		if got := srv.parkedCount(); got != 0 {
			t.Fatalf("%d parked right after commands", got)
		}
		time.Sleep(parkAfter + time.Second)
		if got := srv.parkedCount(); got != 1 {
			t.Fatalf("%d parked after %v of quiet", got, parkAfter)
		}
		// Introductions need no goroutine of the target.
		w := listenHost(t, n, "w", "198.51.100.6")
		_, _ = w.WriteToUDPAddrPort(rawIHello(flashcrypto.CanonicalEPD(x.PeerID()), make([]byte, 16), 200), addr)
		if got, _ := readAll(w, time.Second); got != 1 || srv.Stats().Introductions != 1 {
			t.Fatalf("parked target: %d Redirects, %d introductions", got, srv.Stats().Introductions)
		}
		// The next command wakes the peer.
		t0 := time.Now()
		cx.tid++
		cx.send(t, tc.CreateStream(cx.tid))
		res := cx.next(t)
		if id, err := tc.ParseCreateStreamResult(res); err != nil || id != 2 {
			t.Fatalf("createStream after parking: %v %v", id, err)
		}
		// One round trip is 20 ms; un-parking adds nothing to it.
		if took := time.Since(t0); took > 20*time.Millisecond {
			t.Fatalf("answer after %v", took)
		}
		if got := srv.parkedCount(); got != 0 {
			t.Fatalf("%d parked after a command", got)
		}
		// Parked again, then closed by the client.
		time.Sleep(parkAfter + time.Second)
		if got := srv.parkedCount(); got != 1 {
			t.Fatalf("%d parked", got)
		}
		cx.sess.Close()
		settle(t, time.Second, "parked peer not removed", func() bool { return srv.Stats().Peers == 0 })
		if st := srv.Stats(); st.Removed != 1 || srv.parkedCount() != 0 {
			t.Fatalf("after close: %+v, %d parked", st, srv.parkedCount())
		}
	})
}

// TestPeerMoves: when a parked client's address changes, the transport's
// mobility check reports it and the server follows: introductions then
// name the new address.
func TestPeerMoves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		xc := listenHost(t, n, "x", "198.51.100.7")
		x := newClient(t, xc, 0, nil)
		cx, r := dial(t, x, addr, "chat")
		mustConnect(t, r)
		cx.register(t)
		time.Sleep(parkAfter + time.Second)
		if got := srv.parkedCount(); got != 1 {
			t.Fatalf("%d parked", got)
		}
		peerAddr := func() netip.AddrPort {
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if p := srv.peers[x.PeerID()]; p != nil {
				return p.addr
			}
			return netip.AddrPort{}
		}
		if got := peerAddr(); got != netip.MustParseAddrPort("198.51.100.7:1935") {
			t.Fatalf("peer at %v", got)
		}
		if err := xc.Host().Rebind(netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("198.51.100.9")); err != nil {
			t.Fatal(err)
		}
		cx.tid++
		cx.send(t, tc.CreateStream(cx.tid))
		if id, err := tc.ParseCreateStreamResult(cx.next(t)); err != nil || id != 2 {
			t.Fatalf("createStream from the new address: %v %v", id, err)
		}
		moved := netip.MustParseAddrPort("198.51.100.9:1935")
		settle(t, 3*janitorPeriod, "server did not follow the move", func() bool { return peerAddr() == moved })
		// An introduction lists the new address first.
		w := listenHost(t, n, "w", "198.51.100.6")
		_, _ = w.WriteToUDPAddrPort(rawIHello(flashcrypto.CanonicalEPD(x.PeerID()), make([]byte, 16), 200), addr)
		if got, _ := readAll(w, time.Second); got != 1 || srv.Stats().Introductions != 1 {
			t.Fatalf("%d Redirects, %d introductions", got, srv.Stats().Introductions)
		}
	})
}
