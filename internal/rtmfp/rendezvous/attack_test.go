package rendezvous

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/wire"
)

// Attacks on the server over the simulated network, each as a review
// reproduced it against an earlier version, at a smaller scale. On the
// simulated network a source address cannot be forged, but the server
// cannot tell a forged datagram from a real one: an IHello "from" a victim
// is sent from the victim's address (its own socket) and what the server
// and its clients send back to that address is counted.

// startupBytesTo counts the startup datagrams (session ID 0: RHellos and
// Redirects) that reach host h's address.
func startupBytesTo(h *rtmfptest.Host) *atomic.Int64 {
	var n atomic.Int64
	h.Downlink().Intercept(func(_ time.Time, d rtmfptest.Datagram) ([]byte, bool) {
		if sid, err := wire.UnscrambleSessionID(d.Payload); err == nil && sid == wire.StartupSessionID {
			n.Add(int64(len(d.Payload)))
		}
		return d.Payload, true
	})
	return &n
}

// tinyIHello is the smallest IHello that selects the server: 20 bytes.
func tinyIHello() []byte {
	return rawIHello(flashcrypto.EPD{HasAncillary: true, Ancillary: []byte("x")}.Append(nil), nil, 0)
}

// TestNoAmplificationTowardConnectedClients (review finding 5): every
// answer to an IHello is bounded by three times what its address sent,
// whatever the address: before, a 20-byte IHello "from" a connected client
// got a 164-byte RHello (8.2×), also for 90 s after it disconnected.
func TestNoAmplificationTowardConnectedClients(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		h, err := n.AddHost("v", netip.MustParseAddr("198.51.100.2"))
		if err != nil {
			t.Fatal(err)
		}
		conn, err := h.Listen(netip.MustParseAddrPort("198.51.100.2:1935"))
		if err != nil {
			t.Fatal(err)
		}
		v := newClient(t, conn, 1, nil)
		cv, r := dial(t, v, addr, "chat")
		mustConnect(t, r)
		time.Sleep(3 * time.Second) // a new amplification window
		got := startupBytesTo(h)
		flood := func() (sent int) {
			ih := tinyIHello()
			for range 50 {
				_, _ = conn.WriteToUDPAddrPort(ih, addr)
				sent += len(ih)
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(time.Second)
			return sent
		}
		sent := flood()
		if g := int(got.Load()); g > rtmfp.AmplificationFactor*sent {
			t.Fatalf("connected: %d bytes of IHellos got %d bytes back (%.1f×)", sent, g, float64(g)/float64(sent))
		}
		t.Logf("connected: %d bytes of IHellos, %d bytes back", sent, got.Load())
		// After the client left, within the close linger.
		cv.sess.Close()
		time.Sleep(2 * time.Second)
		got.Store(0)
		sent = flood()
		if g := int(got.Load()); g > rtmfp.AmplificationFactor*sent {
			t.Fatalf("after leaving: %d bytes of IHellos got %d bytes back", sent, g)
		}
		if srv.Stats().Dropped[DropUnanswerable] == 0 {
			t.Fatal("unanswerable IHellos not counted")
		}
	})
}

// TestIntroductionsBounded (review finding 5): IHellos "from" a victim
// naming registered clients make the server send Redirects and the
// clients RHellos to the victim; together they stay within three times
// the IHellos' bytes (before: 2.96× from the server plus 4.08× from the
// clients). A padded IHello (as camchat sends) is still introduced.
func TestIntroductionsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		var targets []flashcrypto.PeerID
		for i := range 6 {
			c := newClient(t, listenHost(t, n, "t"+string(rune('a'+i)), fmt.Sprintf("198.51.100.%d", i+1)), 0, func(c *rtmfp.Config) {
				c.Identity = rtmfptest.Identity(i)
				c.FIHelloMode = rtmfp.FIHelloSendRHello
			})
			cx, r := dial(t, c, addr, "chat")
			mustConnect(t, r)
			var reported []string
			for k := range 8 {
				reported = append(reported, fmt.Sprintf("203.0.113.%d:1935", 50+k))
			}
			cx.register(t, reported...)
			targets = append(targets, c.PeerID())
		}
		vh, err := n.AddHost("victim", netip.MustParseAddr("192.0.2.99"))
		if err != nil {
			t.Fatal(err)
		}
		vc, err := vh.Listen(netip.MustParseAddrPort("192.0.2.99:1935"))
		if err != nil {
			t.Fatal(err)
		}
		got := startupBytesTo(vh)
		sent := 0
		for k := range 60 {
			ih := rawIHello(flashcrypto.CanonicalEPD(targets[k%len(targets)]), make([]byte, 16), 0)
			_, _ = vc.WriteToUDPAddrPort(ih, addr)
			sent += len(ih)
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(time.Second)
		if g := int(got.Load()); g > rtmfp.AmplificationFactor*sent {
			t.Fatalf("%d bytes of IHellos got %d bytes back (%.1f×)", sent, g, float64(g)/float64(sent))
		}
		t.Logf("%d bytes of IHellos naming registered clients: %d bytes back (%.2f×), %d introductions refused for the bound",
			sent, got.Load(), float64(got.Load())/float64(sent), srv.Stats().Dropped[DropIntroAmplification])
		// A padded IHello is introduced: a Redirect (under 100 bytes) and
		// the target's RHello.
		time.Sleep(3 * time.Second) // a new amplification window
		got.Store(0)
		refused := srv.Stats().Dropped[DropIntroAmplification]
		big := rawIHello(flashcrypto.CanonicalEPD(targets[0]), make([]byte, 16), 400)
		_, _ = vc.WriteToUDPAddrPort(big, addr)
		time.Sleep(time.Second)
		if g := int(got.Load()); srv.Stats().Dropped[DropIntroAmplification] != refused || g > rtmfp.AmplificationFactor*len(big) || g < 200 {
			t.Fatalf("padded IHello (%d bytes): %d bytes back", len(big), g)
		}
	})
}

// TestForgedIHelloFloodSparesHandshakes (review finding 3): a flood of
// small IHellos from forged sources (here 20,000 a second from 4,000
// addresses) no longer drains the server's global handshake bucket nor
// fills its source table: ten clients connecting meanwhile all connect
// within 2 s. Before, 40,000 a second made clients wait up to 7.5 s.
func TestForgedIHelloFloodSparesHandshakes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		var addrs []netip.Addr
		for i := range 4000 {
			addrs = append(addrs, netip.AddrFrom4([4]byte{100, 64, byte(i >> 8), byte(i)}))
		}
		ah, err := n.AddHost("attacker", addrs...)
		if err != nil {
			t.Fatal(err)
		}
		var conns []*rtmfptest.Conn
		for _, a := range addrs {
			c, err := ah.Listen(netip.AddrPortFrom(a, 9))
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			ih := tinyIHello()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				for k := range 20 { // 20 every millisecond
					_, _ = conns[(i*20+k)%len(conns)].WriteToUDPAddrPort(ih, addr)
				}
				time.Sleep(time.Millisecond)
			}
		}()
		time.Sleep(500 * time.Millisecond)
		var slowest time.Duration
		var cwg sync.WaitGroup
		var mu sync.Mutex
		for i := range 10 {
			c := newClient(t, listenHost(t, n, "c"+string(rune('a'+i)), fmt.Sprintf("198.51.100.%d", i+1)), i%4, nil)
			cwg.Add(1)
			go func() {
				defer cwg.Done()
				start := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if _, err := c.Connect(ctx, serverEPD, addr); err != nil {
					t.Errorf("client %d: %v", i, err)
					return
				}
				mu.Lock()
				slowest = max(slowest, time.Since(start))
				mu.Unlock()
			}()
		}
		cwg.Wait()
		close(stop)
		wg.Wait()
		st := srv.Stats()
		if slowest > 2*time.Second {
			t.Errorf("slowest of ten clients connected after %v", slowest)
		}
		if st.Dropped[DropSourcesFull] != 0 || st.Dropped[DropUnanswerable] == 0 {
			t.Errorf("source table full %d times, %d unanswerable", st.Dropped[DropSourcesFull], st.Dropped[DropUnanswerable])
		}
		t.Logf("ten clients connected within %v; %d forged IHellos unanswerable, %d over the global rate",
			slowest, st.Dropped[DropUnanswerable], st.Dropped[DropRateGlobal])
	})
}

// TestSessionCapsNestedAndCounted (review findings 4 and 6): the server's
// session caps hold per /24 as well as per address, and count handshakes
// still in progress: forty clients of one address connecting at once,
// with MaxSessionsPerIP 4, open four sessions (before, six).
func TestSessionCapsNestedAndCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{Limits: Limits{MaxSessionsPerIP: 4, MaxSessionsPerNet: 6, HandshakeRatePerIP: -1}})
		h, err := n.AddHost("crowd", netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("198.51.100.8"))
		if err != nil {
			t.Fatal(err)
		}
		connectAll := func(ip string, k int) (ok int) {
			var wg sync.WaitGroup
			var mu sync.Mutex
			for i := range k {
				c, err := h.Listen(netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(2000+i)))
				if err != nil {
					t.Fatal(err)
				}
				ep := newClient(t, c, i%4, nil)
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
					defer cancel()
					if _, err := ep.Connect(ctx, serverEPD, addr); err == nil {
						mu.Lock()
						ok++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			return ok
		}
		if got := connectAll("198.51.100.7", 40); got != 4 {
			t.Fatalf("40 clients of one address: %d sessions, want 4", got)
		}
		if got := connectAll("198.51.100.8", 40); got != 2 {
			t.Fatalf("40 more of the same /24: %d sessions, want 2", got)
		}
		if got := srv.TransportStats().Dropped[rtmfp.DropSessionLimit]; got == 0 {
			t.Fatal("session limit drops not counted")
		}
		// Another /24 is not concerned.
		c := newClient(t, listenHost(t, n, "other", "203.0.113.9"), 0, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if _, err := c.Connect(ctx, serverEPD, addr); err != nil {
			t.Fatalf("client of another /24: %v", err)
		}
	})
}
