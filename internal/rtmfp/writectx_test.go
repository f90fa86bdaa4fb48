package rtmfp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
)

// TestWriteContextStalledPeer: one endpoint sends to two peers. One peer
// stalls (everything to and from it is lost), the send buffer of its flow
// fills, and WriteContext returns at its deadline with nothing queued, while
// the other session keeps delivering on time. When the stalled peer comes
// back, a waiting WriteContext gets its room.
func TestWriteContextStalledPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const delay = 20 * time.Millisecond
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 3, DefaultLink: rtmfptest.LinkConditions{Delay: delay}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		c := newPeer(t, n, "c", "10.0.0.3", 2, nil)
		sab, sba := connectPair(t, a, b)
		sac, sca := connectPair(t, a, c)
		ctx := context.Background()
		open := func(s, far *Session) (*SendFlow, *RecvFlow) {
			f, err := s.OpenFlow([]byte("media"), flow.PriorityImmediate)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("hello"), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			rf, err := far.AcceptFlow(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m, err := rf.Read(ctx); err != nil || string(m) != "hello" {
				t.Fatalf("first message %q, %v", m, err)
			}
			return f, rf
		}
		fb, rb := open(sab, sba)
		fc, rc := open(sac, sca)
		time.Sleep(time.Second) // acknowledged
		if got := fb.Buffered(); got != 0 {
			t.Fatalf("buffered %d after the ack", got)
		}

		// b stalls.
		stall := rtmfptest.LinkConditions{Loss: 1}
		b.host.Uplink().SetConditions(stall)
		b.host.Downlink().SetConditions(stall)
		msg := make([]byte, 64<<10)
		for fb.Buffered() < SendBufferLimit {
			if _, err := fb.Write(msg, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		queued, written := fb.Buffered(), fb.Stats().Messages

		// c keeps receiving while a's writer waits for b.
		const cMsgs = 20
		cDone := make(chan error, 1)
		go func() {
			for i := range cMsgs {
				if _, err := fc.Write(fmt.Appendf(nil, "c%d", i), WriteOptions{}); err != nil {
					cDone <- err
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			cDone <- nil
		}()
		var cArrivals []time.Time
		cRead := make(chan error, 1)
		go func() {
			for i := range cMsgs {
				m, at, err := rc.ReadMessage(ctx)
				if err != nil || string(m) != fmt.Sprint("c", i) {
					cRead <- fmt.Errorf("message %d: %q, %w", i, m, err)
					return
				}
				cArrivals = append(cArrivals, at)
			}
			cRead <- nil
		}()

		const wait = 300 * time.Millisecond
		start := time.Now()
		wctx, cancel := context.WithTimeout(ctx, wait)
		r, err := fb.WriteContext(wctx, msg, WriteOptions{})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || r != nil {
			t.Fatalf("WriteContext to a stalled peer: %v, %v", r, err)
		}
		if el := time.Since(start); el != wait {
			t.Fatalf("WriteContext returned after %v, want %v", el, wait)
		}
		if fb.Buffered() != queued || fb.Stats().Messages != written {
			t.Fatalf("a failed WriteContext queued data: buffered %d → %d, messages %d → %d", queued, fb.Buffered(), written, fb.Stats().Messages)
		}
		if err := <-cDone; err != nil {
			t.Fatal(err)
		}
		if err := <-cRead; err != nil {
			t.Fatal(err)
		}
		for i, at := range cArrivals {
			// Written at start + 10 ms·i, one path delay later.
			if want := start.Add(time.Duration(i)*10*time.Millisecond + delay); !at.Equal(want) {
				t.Fatalf("c's message %d arrived at +%v, want +%v", i, at.Sub(start), want.Sub(start))
			}
		}

		// An ended context queues nothing even where there is room.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := fc.WriteContext(cctx, msg, WriteOptions{}); !errors.Is(err, context.Canceled) {
			t.Fatalf("WriteContext with an ended context: %v", err)
		}
		if got := fc.Buffered(); got != 0 {
			t.Fatalf("c's flow holds %d bytes", got)
		}

		// b comes back: acknowledgements make room and a waiting
		// WriteContext goes through.
		b.host.Uplink().SetConditions(rtmfptest.LinkConditions{})
		b.host.Downlink().SetConditions(rtmfptest.LinkConditions{})
		go func() {
			for {
				if _, err := rb.Read(ctx); err != nil {
					return
				}
			}
		}()
		wctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := fb.WriteContext(wctx, msg, WriteOptions{}); err != nil {
			t.Fatalf("WriteContext after the peer came back: %v", err)
		}
		if sab.Err() != nil || sac.Err() != nil {
			t.Fatalf("sessions ended: %v, %v", sab.Err(), sac.Err())
		}
		t.Logf("room again after %v; sessions %+v", time.Since(start), sab.Stats())
	})
}

// gatedConn blocks every socket write while gated, as a kernel send buffer
// that stays full would.
type gatedConn struct {
	*rtmfptest.Conn
	gated   atomic.Bool
	entered chan struct{} // a write is blocked (buffered, 1)
	release chan struct{} // closed to let writes through
}

func (g *gatedConn) wait() {
	if g.gated.Load() {
		select {
		case g.entered <- struct{}{}:
		default:
		}
		<-g.release
	}
}

func (g *gatedConn) WriteToUDPAddrPort(b []byte, to netip.AddrPort) (int, error) {
	g.wait()
	return g.Conn.WriteToUDPAddrPort(b, to)
}

func (g *gatedConn) WriteTo(b []byte, to net.Addr) (int, error) {
	g.wait()
	return g.Conn.WriteTo(b, to)
}

// TestSocketWriteHoldsNoLock: while the loop waits in a socket write, the
// engine is unlocked, so application calls (Buffered, Stats, WriteContext
// with room) return at once.
func TestSocketWriteHoldsNoLock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 4, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		addr := netip.MustParseAddr("10.0.0.1")
		h, err := n.AddHost("a", addr)
		if err != nil {
			t.Fatal(err)
		}
		c, err := h.Listen(netip.AddrPortFrom(addr, 1935))
		if err != nil {
			t.Fatal(err)
		}
		g := &gatedConn{Conn: c, entered: make(chan struct{}, 1), release: make(chan struct{})}
		ep, err := NewEndpoint(g, Config{Identity: rtmfptest.Identity(0), Rand: rtmfptest.Rand(0)})
		if err != nil {
			t.Fatal(err)
		}
		a := &peer{host: h, conn: c, ep: ep, addr: c.LocalAddrPort()}
		defer ep.Close()
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		f, err := sa.OpenFlow([]byte("m"), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		g.gated.Store(true)
		if _, err := f.Write([]byte("one"), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		<-g.entered // the loop waits in a write
		if !ep.e.mu.TryLock() {
			g.gated.Store(false)
			close(g.release)
			t.Fatal("the engine is locked during a socket write")
		}
		ep.e.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		if _, err := f.WriteContext(ctx, []byte("two"), WriteOptions{}); err != nil {
			t.Fatalf("WriteContext during a blocked socket write: %v", err)
		}
		if got := f.Buffered(); got != len("one")+len("two") {
			t.Fatalf("buffered %d", got)
		}
		_ = sa.Stats()
		g.gated.Store(false)
		close(g.release)
		rf, err := sb.AcceptFlow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"one", "two"} {
			if m, err := rf.Read(context.Background()); err != nil || string(m) != want {
				t.Fatalf("read %q, %v; want %q", m, err, want)
			}
		}
	})
}
