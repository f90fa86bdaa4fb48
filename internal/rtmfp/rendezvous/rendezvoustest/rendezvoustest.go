// Package rendezvoustest runs camchat's rendezvous server (the code behind
// `camchat rendezvous`) for tests: on a loopback UDP port or on any
// net.PacketConn (a simulated network's), stopped when the test ends.
package rendezvoustest

import (
	"context"
	"crypto/rand"
	"net"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous"
)

// Serve runs a rendezvous server with a fresh ephemeral identity on conn
// until the test ends.
func Serve(t testing.TB, conn net.PacketConn) *rendezvous.Server {
	t.Helper()
	id, err := flashcrypto.NewEphemeralIdentity(rand.Reader, rendezvous.DefaultGroups, flashcrypto.CertOptions{AcceptsAncillary: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := rendezvous.New(rendezvous.Config{Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(conn)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

// Loopback runs a rendezvous server on a loopback UDP port until the test
// ends and returns it with its address.
func Loopback(t testing.TB) (*rendezvous.Server, *net.UDPAddr) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return Serve(t, conn), conn.LocalAddr().(*net.UDPAddr)
}
