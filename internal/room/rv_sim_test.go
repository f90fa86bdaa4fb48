package room

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/rendezvous/rendezvoustest"
	"camchat/internal/rtmfp/rtmfptest"
)

// startSimRendezvous runs a rendezvous server on the scene's network.
func (sc *scene) startSimRendezvous() string {
	sc.t.Helper()
	a := netip.MustParseAddr("10.0.9.250")
	h, err := sc.net.AddHost("rendezvous", a)
	if err != nil {
		sc.t.Fatal(err)
	}
	conn, err := h.Listen(netip.AddrPortFrom(a, 1935))
	if err != nil {
		sc.t.Fatal(err)
	}
	rendezvoustest.Serve(sc.t, conn)
	return conn.LocalAddrPort().String()
}

// TestJoinsThroughRendezvous: four people join one member by peer ID alone,
// through a rendezvous server, one after the other 250 ms apart (as people
// and processes start); each pair is introduced twice at once (by the
// rendezvous and by the member they joined) and opens sessions from both
// sides; all five end in one full mesh.
func TestJoinsThroughRendezvous(t *testing.T) {
	for seed := uint64(20); seed < 23; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sc := newScene(t, seed)
				rv := sc.startSimRendezvous()
				mod := func(c *Config) { c.Rendezvous = rv }
				host := sc.add(0, "host", mod)
				time.Sleep(time.Second)
				ms := []*testMember{host}
				errs := make(chan error, MaxMembers)
				for i := 1; i < MaxMembers; i++ {
					m := sc.add(i, fmt.Sprintf("m%d", i), mod)
					ms = append(ms, m)
					go func() {
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						defer cancel()
						errs <- m.r.Join(ctx, host.id.String())
					}()
					time.Sleep(250 * time.Millisecond)
				}
				for range ms[1:] {
					if err := <-errs; err != nil {
						t.Fatal(err)
					}
				}
				took := sc.waitFor(5*time.Second, "a full mesh of five", func() bool { return sc.fullMesh(ms...) })
				t.Logf("full mesh %v after the joins returned", took)
			})
		})
	}
}

// TestRendezvousFailover: the room is given two rendezvous servers (the
// nodes of a cluster, say) and registers on one; that server dies without
// a word. The room notices within its session timers (keepalive and
// retransmit limit), registers on the other, and a newcomer who knows only that other server joins it by peer
// ID.
func TestRendezvousFailover(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 30)
		var conns []*rtmfptest.Conn
		var addrs []string
		for i, ip := range []string{"10.0.9.250", "10.0.9.251"} {
			a := netip.MustParseAddr(ip)
			h, err := sc.net.AddHost(fmt.Sprintf("rendezvous%d", i), a)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := h.Listen(netip.AddrPortFrom(a, 1935))
			if err != nil {
				t.Fatal(err)
			}
			rendezvoustest.Serve(t, conn)
			conns = append(conns, conn)
			addrs = append(addrs, conn.LocalAddrPort().String())
		}
		host := sc.add(0, "host", func(c *Config) { c.Rendezvous = addrs[0] + ", " + addrs[1] })
		sc.waitFor(5*time.Second, "registered", func() bool { return host.r.Snapshot().Rendezvous.Connected })
		host.r.mu.Lock()
		first := host.r.rvAddr
		host.r.mu.Unlock()
		dead := slices.Index(addrs, first.String())
		if dead < 0 {
			t.Fatalf("registered on %v, not one of %v", first, addrs)
		}
		if inv := host.r.Snapshot().Invite; !strings.Contains(inv, "r="+addrs[dead]) {
			t.Fatalf("invite %q does not name the server in use %s", inv, addrs[dead])
		}
		crashed := time.Now()
		conns[dead].Close()
		sc.waitFor(10*time.Second, "connection lost", func() bool { return !host.r.Snapshot().Rendezvous.Connected })
		took := sc.waitFor(10*time.Second, "registered again", func() bool { return host.r.Snapshot().Rendezvous.Connected })
		back := time.Since(crashed)
		// An idle session notices a silent server after its keepalive and
		// retransmit limit; then one handshake (and this test's 100 ms
		// polling).
		if limit := sessionKeepalive + sessionRetransmitLimit + time.Second; back > limit {
			t.Fatalf("registered again %v after the server died, want within %v", back, limit)
		}
		host.r.mu.Lock()
		now := host.r.rvAddr
		host.r.mu.Unlock()
		if now.String() != addrs[1-dead] {
			t.Fatalf("registered on %v, want %s", now, addrs[1-dead])
		}
		joiner := sc.add(1, "joiner", func(c *Config) { c.Rendezvous = addrs[1-dead] })
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := joiner.r.Join(ctx, host.id.String()); err != nil {
			t.Fatalf("join by peer ID through the other server: %v", err)
		}
		t.Logf("server died: registered on the other %v later (%v after the loss was noticed)", back, took)
	})
}
