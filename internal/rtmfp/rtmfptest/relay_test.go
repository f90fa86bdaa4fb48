package rtmfptest

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"
)

// echoServer answers every datagram to its sender and records the
// senders it saw.
func echoServer(t testing.TB) (addr netip.AddrPort, senders func() map[netip.AddrPort]int) {
	c := listenLoopback(t)
	var mu sync.Mutex
	seen := make(map[netip.AddrPort]int)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			mu.Lock()
			seen[from]++
			mu.Unlock()
			_, _ = c.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return addrOf(c), func() map[netip.AddrPort]int {
		mu.Lock()
		defer mu.Unlock()
		m := make(map[netip.AddrPort]int)
		for k, v := range seen {
			m[k] = v
		}
		return m
	}
}

func TestRelayDelayAndMapping(t *testing.T) {
	up, senders := echoServer(t)
	r, err := NewRelay(listenLoopback(t), up, RelayConfig{
		ToUpstream: Impairment{Delay: 15 * time.Millisecond},
		ToClient:   Impairment{Delay: 10 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 20
	clients := []*net.UDPConn{listenLoopback(t), listenLoopback(t)}
	var wg sync.WaitGroup
	rtts := make([][]time.Duration, len(clients))
	for k, c := range clients {
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64)
			for i := range n {
				msg := seqPayload(k*1000+i, 32)
				sent := time.Now()
				if _, err := c.WriteToUDPAddrPort(msg, r.Addr()); err != nil {
					t.Error(err)
					return
				}
				_ = c.SetReadDeadline(time.Now().Add(time.Second))
				m, from, err := c.ReadFromUDPAddrPort(buf)
				if err != nil {
					t.Errorf("client %d, ping %d: %v", k, i, err)
					return
				}
				if from != r.Addr() || binary.BigEndian.Uint32(buf[:m]) != uint32(k*1000+i) {
					t.Errorf("client %d got datagram %d from %v", k, binary.BigEndian.Uint32(buf[:m]), from)
				}
				rtts[k] = append(rtts[k], time.Since(sent))
			}
		}()
	}
	wg.Wait()
	for k, ds := range rtts {
		t.Logf("client %d: rtt min %v p50 %v max %v", k, Percentile(ds, 0), Percentile(ds, 50), Percentile(ds, 100))
		if len(ds) != n || Percentile(ds, 0) < 25*time.Millisecond || Percentile(ds, 50) > 33*time.Millisecond {
			t.Errorf("client %d: %d echoes, rtt min %v p50 %v; want %d, within 25..33ms", k, len(ds), Percentile(ds, 0), Percentile(ds, 50), n)
		}
	}
	// Upstream saw one address per client: each client's upstream socket.
	seen := senders()
	if len(seen) != 2 {
		t.Fatalf("upstream saw senders %v, want 2", seen)
	}
	for _, c := range clients {
		// The upstream socket is bound to the unspecified address; upstream
		// sees it from loopback.
		ua, ok := r.UpstreamAddr(addrOf(c))
		if seen[netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ua.Port())] != n {
			t.Errorf("client %v: upstream address %v (%v) did not send the %d pings: %v", addrOf(c), ua, ok, n, seen)
		}
		toUp, toClient, ok := r.ClientStats(addrOf(c))
		if !ok || toUp.Out != n || toClient.Out != n {
			t.Errorf("client %v: to upstream %v, to client %v", addrOf(c), toUp, toClient)
		}
	}
	if s := r.Stats(); s.Clients != 2 || s.Mapped != 2 || s.Refused != 0 {
		t.Errorf("relay stats %+v", s)
	}
}

func TestRelayLimitsAndExpiry(t *testing.T) {
	up, _ := echoServer(t)
	r, err := NewRelay(listenLoopback(t), up, RelayConfig{MaxClients: 1, IdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a, b, stranger := listenLoopback(t), listenLoopback(t), listenLoopback(t)
	defer a.Close()
	defer b.Close()
	defer stranger.Close()
	buf := make([]byte, 64)
	ping := func(c *net.UDPConn) error {
		if _, err := c.WriteToUDPAddrPort([]byte("ping"), r.Addr()); err != nil {
			return err
		}
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, _, err := c.ReadFromUDPAddrPort(buf)
		return err
	}
	if err := ping(a); err != nil {
		t.Fatalf("first client: %v", err)
	}
	// The relay is full: b gets nothing.
	var ne net.Error
	if err := ping(b); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("second client beyond MaxClients: %v, want a timeout", err)
	}
	// Only upstream may send through a client's upstream socket. (Ping
	// again first: a must not fall idle before the end of this check.)
	if err := ping(a); err != nil {
		t.Fatalf("first client again: %v", err)
	}
	ua, _ := r.UpstreamAddr(addrOf(a))
	_, _ = stranger.WriteToUDPAddrPort([]byte("spoof"), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), ua.Port()))
	_ = a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, _, err := a.ReadFromUDPAddrPort(buf); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("a datagram from elsewhere reached the client: %v", err)
	}
	s := r.Stats()
	if s.Refused != 1 || s.Foreign != 1 || s.Mapped != 1 {
		t.Errorf("stats %+v, want 1 refused, 1 foreign, 1 mapped", s)
	}
	// a falls idle and is forgotten; then b is relayed.
	deadline := time.Now().Add(time.Second)
	for r.Stats().Clients != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := ping(b); err != nil {
		t.Errorf("second client after the first expired: %v", err)
	}
	if s := r.Stats(); s.Expired != 1 || s.Mapped != 2 || s.Clients != 1 {
		t.Errorf("stats %+v, want 1 expired, 2 mapped, 1 client", s)
	}
}

func TestRelayClose(t *testing.T) {
	before := runtime.NumGoroutine()
	up, _ := echoServer(t)
	r, err := NewRelay(listenLoopback(t), up, RelayConfig{ToUpstream: Impairment{Delay: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	c := listenLoopback(t)
	defer c.Close()
	for range 3 {
		_, _ = c.WriteToUDPAddrPort([]byte("x"), r.Addr())
	}
	time.Sleep(5 * time.Millisecond)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if _, err := NewRelay(listenLoopback(t), netip.AddrPort{}, RelayConfig{}); !errors.Is(err, ErrBadAddress) {
		t.Errorf("relay to no address: %v", err)
	}
	if _, err := NewRelay(listenLoopback(t), up, RelayConfig{ToClient: Impairment{Loss: 2}}); !errors.Is(err, ErrBadImpairment) {
		t.Errorf("relay with a bad impairment: %v", err)
	}
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before+1 && time.Now().Before(deadline) { // +1: the echo server
		time.Sleep(5 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before+1 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", g, before, buf[:runtime.Stack(buf, true)])
	}
}
