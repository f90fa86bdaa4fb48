package room

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/rendezvous/rendezvoustest"
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
