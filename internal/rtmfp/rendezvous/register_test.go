package rendezvous

import (
	"context"
	"crypto/rand"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

// TestSetPeerInfoFilter: of thirteen reported addresses, the ten that name
// no single remote host (unspecified, multicast, broadcast, link-local,
// loopback, IPv4-mapped loopback) are dropped and counted; the three
// global and private ones are kept in order. With the server on loopback,
// the three loopback ones are kept too.
func TestSetPeerInfoFilter(t *testing.T) {
	srv, err := New(Config{Identity: serverIdentity(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	reported := []string{
		"0.0.0.0:1935", "192.0.2.1:1935", "[::]:1935", "224.0.0.1:1935", "[ff02::1]:1935",
		"255.255.255.255:1935", "127.0.0.1:22", "[2001:db8::1]:1935", "[::1]:22",
		"169.254.1.1:1935", "[fe80::1%eth0]:1935", "[::ffff:127.0.0.2]:22", "10.0.0.5:1935",
	}
	check := func(loopback bool, want []string, drops uint64) {
		t.Helper()
		p := &peer{done: make(chan struct{}), static: true, loopback: loopback}
		before := srv.Stats().Dropped[DropPeerAddr]
		srv.setPeerInfo(p, tc.SetPeerInfo(reported...))
		var got []string
		for _, a := range p.reported {
			got = append(got, a.String())
		}
		if len(got) != len(want) || !p.peerInfo {
			t.Fatalf("loopback %v: kept %v, want %v", loopback, got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("loopback %v: kept %v, want %v", loopback, got, want)
			}
		}
		if d := srv.Stats().Dropped[DropPeerAddr] - before; d != drops {
			t.Fatalf("loopback %v: %d addresses dropped, want %d", loopback, d, drops)
		}
	}
	check(false, []string{"192.0.2.1:1935", "[2001:db8::1]:1935", "10.0.0.5:1935"}, 10)
	check(true, []string{"192.0.2.1:1935", "127.0.0.1:22", "[2001:db8::1]:1935", "[::1]:22", "127.0.0.2:22", "10.0.0.5:1935"}, 7)
}

// TestEphemeralClientNotIntroduced: a client whose certificate is
// ephemeral (its peer ID is bound to no key, so anyone can present the
// same certificate) may connect and create streams, but its setPeerInfo
// is refused and counted, so it is never reachable: an IHello naming it
// is dropped as for a client not ready. A static-key client beside it
// registers as before.
func TestEphemeralClientNotIntroduced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		eid, err := flashcrypto.NewEphemeralIdentity(rand.Reader, []flashcrypto.Group{flashcrypto.Group2}, flashcrypto.CertOptions{})
		if err != nil {
			t.Fatal(err)
		}
		e := newClient(t, listenHost(t, n, "e", "198.51.100.3"), 0, func(c *rtmfp.Config) { c.Identity = eid })
		ce, r := dial(t, e, addr, "chat")
		mustConnect(t, r)
		ce.register(t, "198.51.100.3:1935")
		s := newClient(t, listenHost(t, n, "s", "198.51.100.4"), 1, nil)
		cs, r := dial(t, s, addr, "chat")
		mustConnect(t, r)
		cs.register(t, "198.51.100.4:1935")
		st := srv.Stats()
		if st.Peers != 2 || st.Reachable != 1 || st.PeerInfos != 1 || st.Dropped[DropEphemeralPeer] != 1 {
			t.Fatalf("peers %d reachable %d peerInfos %d ephemeral drops %d, want 2 1 1 1",
				st.Peers, st.Reachable, st.PeerInfos, st.Dropped[DropEphemeralPeer])
		}
		x := listenHost(t, n, "x", "198.51.100.7")
		for _, id := range []flashcrypto.PeerID{e.PeerID(), s.PeerID()} {
			if _, err := x.WriteToUDPAddrPort(rawIHello(flashcrypto.CanonicalEPD(id), make([]byte, 16), 160), addr); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := readAll(x, time.Second)
		st = srv.Stats()
		if got != 1 || st.Introductions != 1 || st.Dropped[DropTargetNotReady] != 1 {
			t.Fatalf("%d answers, %d introductions, %d not-ready drops, want 1 1 1", got, st.Introductions, st.Dropped[DropTargetNotReady])
		}
	})
}

// TestIntroductionRatePerTarget: 100 IHellos naming one client, as from
// an attacker forging the initiator's address, get exactly the burst of
// 20 introductions (each a Redirect to the sender and an FIHello that
// makes the target send an RHello to the claimed address); the other 80
// are dropped and counted. A second later the bucket has refilled by
// exactly the rate, 10.
func TestIntroductionRatePerTarget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{Limits: Limits{HandshakeRate: -1, HandshakeRatePerIP: -1}})
		bc := listenHost(t, n, "b", "198.51.100.2")
		// The target answers FIHellos from the server with an RHello to
		// the initiator, as a tc client does.
		b := newClient(t, bc, 1, func(c *rtmfp.Config) { c.FIHelloMode = rtmfp.FIHelloSendRHello })
		cb, r := dial(t, b, addr, "chat")
		mustConnect(t, r)
		cb.register(t)
		x := listenHost(t, n, "x", "198.51.100.7")
		burst := func(k int) (fromServer, fromTarget int) {
			for i := range k {
				tag := make([]byte, 16)
				tag[0], tag[1] = byte(i), byte(i>>8)
				if _, err := x.WriteToUDPAddrPort(rawIHello(flashcrypto.CanonicalEPD(b.PeerID()), tag, 160), addr); err != nil {
					t.Fatal(err)
				}
			}
			buf := make([]byte, 9000)
			_ = x.SetReadDeadline(time.Now().Add(time.Second))
			for {
				_, from, err := x.ReadFromUDPAddrPort(buf)
				if err != nil {
					return
				}
				switch from {
				case addr:
					fromServer++
				case bc.LocalAddrPort():
					fromTarget++
				}
			}
		}
		redirects, rhellos := burst(100)
		st := srv.Stats()
		if st.Introductions != 20 || st.Dropped[DropIntroRate] != 80 || redirects != 20 || rhellos > 20 {
			t.Fatalf("burst: %d introductions, %d rate drops, %d Redirects, %d RHellos from the target; want 20 80 20 ≤20",
				st.Introductions, st.Dropped[DropIntroRate], redirects, rhellos)
		}
		redirects2, rhellos2 := burst(100)
		st = srv.Stats()
		if st.Introductions != 30 || st.Dropped[DropIntroRate] != 170 || redirects2 != 10 || rhellos2 > 10 {
			t.Fatalf("after 1 s: %d introductions, %d rate drops, %d Redirects; want 30 170 10",
				st.Introductions, st.Dropped[DropIntroRate], redirects2)
		}
		t.Logf("200 IHellos for one target in 1 s: %d introductions, %d dropped; the target sent %d RHellos to the claimed address",
			st.Introductions, st.Dropped[DropIntroRate], rhellos+rhellos2)
	})
}
