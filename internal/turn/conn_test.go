package turn

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

var loopback = netip.MustParseAddr("127.0.0.1")

func listenLoop(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func startServer(t *testing.T, secret string) netip.AddrPort {
	t.Helper()
	c := listenLoop(t)
	s, err := NewServer(ServerConfig{Conn: c, RelayIP: netip.MustParseAddr("127.0.0.1"), Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

func read(t *testing.T, c *net.UDPConn) ([]byte, netip.AddrPort) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	b := make([]byte, 2048)
	n, from, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		t.Fatalf("nothing arrived: %v", err)
	}
	return b[:n], from
}

// TestRelayPaths: a Conn with an allocation sends to an address it never
// heard from both ways (directly and from its relayed address); once the
// far end answers through the relay only, it sends through the relay only,
// and once it answers directly, directly only.
func TestRelayPaths(t *testing.T) {
	srv := startServer(t, "s3cret")
	c := NewConn(listenLoop(t), nil, nil)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	relayed, err := c.Allocate(ctx, srv, RESTCredentials("s3cret", "alice", time.Now(), time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if relayed.Addr() != srv.Addr() || relayed.Port() == srv.Port() || c.Relayed() != relayed {
		t.Fatalf("relayed address %v (server %v)", relayed, srv)
	}
	peer := listenLoop(t)
	defer peer.Close()
	pa := peer.LocalAddr().(*net.UDPAddr).AddrPort()
	direct := c.LocalAddr().(*net.UDPAddr).AddrPort()

	if _, err := c.WriteToUDPAddrPort([]byte("hello"), pa); err != nil {
		t.Fatal(err)
	}
	froms := map[netip.AddrPort]bool{}
	for range 2 {
		b, from := read(t, peer)
		if string(b) != "hello" {
			t.Fatalf("got %q", b)
		}
		froms[from] = true
	}
	if !froms[direct] || !froms[relayed] {
		t.Fatalf("the first datagram came from %v; want both %v and %v", froms, direct, relayed)
	}

	// The far end answers the relayed address: the relay is the path.
	peer.WriteToUDPAddrPort([]byte("via relay"), relayed)
	buf := make([]byte, 100)
	n, from, err := c.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "via relay" || from != pa {
		t.Fatalf("read %q from %v, %v", buf[:n], from, err)
	}
	if !c.ViaRelay(pa) {
		t.Error("ViaRelay false after hearing the peer through the relay only")
	}
	c.WriteToUDPAddrPort([]byte("second"), pa)
	if b, from := read(t, peer); !bytes.Equal(b, []byte("second")) || from != relayed {
		t.Errorf("second datagram %q from %v, want from the relayed address %v", b, from, relayed)
	}

	// It answers directly: direct from now on.
	peer.WriteToUDPAddrPort([]byte("direct"), direct)
	n, from, err = c.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "direct" || from != pa {
		t.Fatalf("read %q from %v, %v", buf[:n], from, err)
	}
	c.WriteToUDPAddrPort([]byte("third"), pa)
	if b, from := read(t, peer); !bytes.Equal(b, []byte("third")) || from != direct {
		t.Errorf("third datagram %q from %v, want from the direct address %v", b, from, direct)
	}
	st := c.Stats()
	if st.RelayIn != 1 || st.DirectIn != 1 || st.RelayOut != 2 || st.DirectOut != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestRelayWrongCredentials: a password not made from the server's secret,
// or expired credentials, get no allocation.
func TestRelayWrongCredentials(t *testing.T) {
	srv := startServer(t, "s3cret")
	for _, creds := range []Credentials{
		RESTCredentials("other", "alice", time.Now(), time.Hour),
		RESTCredentials("s3cret", "alice", time.Now().Add(-2*time.Hour), time.Hour),
	} {
		c := NewConn(listenLoop(t), nil, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := c.Allocate(ctx, srv, creds)
		cancel()
		c.Close()
		if !errors.Is(err, ErrNoRelay) {
			t.Errorf("credentials %q: %v, want ErrNoRelay", creds.Username, err)
		}
	}
}
