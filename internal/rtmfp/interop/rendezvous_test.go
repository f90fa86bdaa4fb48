//go:build interop

package interop

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/rendezvous/rendezvoustest"
	"camchat/internal/rtmfp/tc"
)

// startRendezvous runs camchat's rendezvous server (the code behind
// `camchat rendezvous`) on a loopback port.
func startRendezvous(t *testing.T) (*rendezvous.Server, int) {
	srv, addr := rendezvoustest.Loopback(t)
	return srv, addr.Port
}

// TestTCConnToRendezvous: the reference's tcconn connects to camchat's
// rendezvous (HMAC and sequence numbers required, tcconn's default) and
// gets NetConnection.Connect.Success.
func TestTCConnToRendezvous(t *testing.T) {
	srv, port := startRendezvous(t)
	cl := start(t, "tcconn", fmt.Sprintf("rtmfp://127.0.0.1:%d/live", port))
	m := cl.waitFor(t, `NetConnection\.Connect\.Success`, 10*time.Second)
	id := cl.waitFor(t, `"connectionID": "([0-9a-f]{64})"`, time.Second)
	t.Logf("tcconn: %s, connectionID %s…; server stats %+v", m[0], id[1][:16], srv.Stats())
}

// TestFCClientIntroducedByRendezvous: a camchat peer registers with the
// rendezvous (connect + setPeerInfo); the reference's fcclient asks the
// rendezvous for that peer ID (fcclient -f) and ends up in a direct session
// with the peer: the rendezvous redirects fcclient and forwards its IHello
// to the peer as an FIHello.
func TestFCClientIntroducedByRendezvous(t *testing.T) {
	_, port := startRendezvous(t)
	ep := endpoint(t, flashcrypto.CertOptions{}, flashcrypto.DefaultPolicy())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := tc.Dial(ctx, ep, tc.ConnConfig{
		URL:      fmt.Sprintf("rtmfp://127.0.0.1:%d/camchat", port),
		PeerInfo: []string{ep.LocalAddr().String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	cl := start(t, "fcclient", "-X", "-f", ep.PeerID().String(), "127.0.0.1", fmt.Sprint(port))
	sess, err := ep.Accept(ctx)
	if err != nil {
		t.Fatalf("%v; endpoint stats %v", err, ep.Stats())
	}
	if sess.FarAddr().Port() == uint16(port) || !strings.HasPrefix(sess.FarAddr().String(), "127.0.0.1:") {
		t.Fatalf("session from %v: not the fcclient itself", sess.FarAddr())
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 2 {
		rf, err := sess.AcceptFlow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, err := rf.Read(ctx); err != nil {
					return
				}
				mu.Lock()
				total++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if total != 120 {
		t.Fatalf("received %d messages, want 120", total)
	}
	m := cl.waitFor(t, `near nonce: ([0-9a-f]{64})\s+far nonce: ([0-9a-f]{64})`, 5*time.Second)
	if m[1] != hex32(sess.FarNonce()) || m[2] != hex32(sess.NearNonce()) {
		t.Fatal("nonces differ")
	}
	addr := cl.waitFor(t, `addr: (\S+)`, time.Second)
	if addr[1] != ep.LocalAddr().String() {
		t.Fatalf("fcclient's session goes to %s, the peer is %s", addr[1], ep.LocalAddr())
	}
	t.Logf("fcclient introduced by the rendezvous: direct session %s ↔ %s, 120 messages, nonces match", addr[1], sess.FarAddr())
}
