package rendezvous

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
)

// TestEPDSelection: a client reaches the server by rtmfp: URI (ancillary
// data), by the host name in its certificate, or by its fingerprint; an
// EPD naming another host selects nothing and is counted, not answered
// (RFC 7425 §4.4).
func TestEPDSelection(t *testing.T) {
	key := filepath.Join(t.TempDir(), "server.key")
	id, err := LoadOrCreateIdentity(key, []flashcrypto.Group{flashcrypto.Group2},
		flashcrypto.CertOptions{AcceptsAncillary: true, Hostname: "rdv.example"}, newRand(9))
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateIdentity(key, nil, flashcrypto.CertOptions{}, newRand(10))
	if err != nil || again.PeerID() != id.PeerID() || !bytes.Equal(again.Cert().Hostname, []byte("rdv.example")) {
		t.Fatalf("reloaded key: %v", err)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi, err)
	}
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{Identity: id})
		for i, epd := range [][]byte{
			serverEPD,
			flashcrypto.EPD{HasHostname: true, Hostname: []byte("rdv.example")}.Append(nil),
			flashcrypto.CanonicalEPD(srv.PeerID()),
		} {
			ep := newClient(t, listenHost(t, n, "c"+string(rune('a'+i)), []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"}[i]), i, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			s, err := ep.Connect(ctx, epd, addr)
			cancel()
			if err != nil || s.FarPeerID() != srv.PeerID() {
				t.Fatalf("EPD %d: %v", i, err)
			}
		}
		x := listenHost(t, n, "x", "198.51.100.9")
		other := flashcrypto.EPD{HasHostname: true, Hostname: []byte("elsewhere.example")}.Append(nil)
		_, _ = x.WriteToUDPAddrPort(rawIHello(other, make([]byte, 16), 200), addr)
		if got, _ := readAll(x, time.Second); got != 0 || srv.Stats().Dropped[DropNoFingerprint] != 1 {
			t.Fatalf("other host: %d answers, drops %v", got, srv.Stats().Dropped)
		}
	})
}
