package rtmfp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
)

// errInterfaceGone stands for a socket error that no retry cures.
var errInterfaceGone = errors.New("network interface removed")

// failingConn is a socket whose reads fail for good once broken, as when
// the interface under it disappears. Writes still work.
type failingConn struct {
	*rtmfptest.Conn
	broken chan struct{}
}

func (f *failingConn) brk() {
	close(f.broken)
	_ = f.Conn.SetReadDeadline(time.Now()) // wake a blocked read
}

func (f *failingConn) failed() error {
	select {
	case <-f.broken:
		return &net.OpError{Op: "read", Net: "udp", Err: errInterfaceGone}
	default:
		return nil
	}
}

func (f *failingConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	if err := f.failed(); err != nil {
		return 0, netip.AddrPort{}, err
	}
	n, from, err := f.Conn.ReadFromUDPAddrPort(b)
	if ferr := f.failed(); ferr != nil {
		return 0, netip.AddrPort{}, ferr
	}
	return n, from, err
}

func (f *failingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := f.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// within fails the test unless ch closes within d of virtual time.
func within(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("%s: not within %v", what, d)
	}
}

// TestEndpointSocketFailure: when the socket's reads fail for good, the
// endpoint stops: Done closes, Err wraps ErrSocket and the socket's error,
// every session and every blocked or later call ends with that error, and
// the far end hears of it (the Close Acknowledgements still go out).
func TestEndpointSocketFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 5, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
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
		fc := &failingConn{Conn: c, broken: make(chan struct{})}
		ep, err := NewEndpoint(fc, Config{Identity: rtmfptest.Identity(0), Rand: rtmfptest.Rand(0)})
		if err != nil {
			t.Fatal(err)
		}
		defer ep.Close()
		a := &peer{host: h, conn: c, ep: ep, addr: c.LocalAddrPort()}
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		ctx := context.Background()
		fb, err := sb.OpenFlow([]byte("to a"), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fb.Write([]byte("hi"), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		ra, err := sa.AcceptFlow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ra.Read(ctx); err != nil {
			t.Fatal(err)
		}
		fa, err := sa.OpenFlow([]byte("to b"), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-ep.Done():
			t.Fatal("Done closed while running")
		default:
		}
		if ep.Err() != nil {
			t.Fatalf("Err while running: %v", ep.Err())
		}
		// Calls blocked when the socket fails.
		readErr := make(chan error, 1)
		go func() { _, err := ra.Read(ctx); readErr <- err }()
		acceptErr := make(chan error, 1)
		go func() { _, err := ep.Accept(ctx); acceptErr <- err }()
		time.Sleep(time.Second)

		fc.brk()
		within(t, ep.Done(), time.Millisecond, "Done after the socket failed")
		isSocketErr := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, ErrSocket) || !errors.Is(err, errInterfaceGone) {
				t.Fatalf("%s: %v, want ErrSocket wrapping the socket's error", what, err)
			}
		}
		isSocketErr("Endpoint.Err", ep.Err())
		within(t, sa.Done(), time.Millisecond, "session Done")
		isSocketErr("Session.Err", sa.Err())
		isSocketErr("blocked Read", <-readErr)
		isSocketErr("blocked Accept", <-acceptErr)
		_, err = fa.Write([]byte("x"), WriteOptions{})
		isSocketErr("Write", err)
		_, err = ep.Connect(ctx, b.epd(), b.addr)
		isSocketErr("Connect", err)
		// The far end got the Close Acknowledgement.
		within(t, sb.Done(), 20*time.Millisecond, "far end's session")
		if !errors.Is(sb.Err(), ErrSessionAborted) {
			t.Fatalf("far end: %v", sb.Err())
		}
		if err := ep.Close(); err != nil {
			t.Fatal(err)
		}
		isSocketErr("Err after Close", ep.Err())
	})
}

// TestEndpointCloseDone: a clean Close closes Done with Err nil, and its
// sessions end with ErrEndpointClosed.
func TestEndpointCloseDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 5, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, _ := connectPair(t, a, b)
		if err := a.ep.Close(); err != nil {
			t.Fatal(err)
		}
		within(t, a.ep.Done(), time.Millisecond, "Done after Close")
		if err := a.ep.Err(); err != nil {
			t.Fatalf("Err after a clean Close: %v", err)
		}
		if !errors.Is(sa.Err(), ErrEndpointClosed) {
			t.Fatalf("session: %v", sa.Err())
		}
		if _, err := a.ep.Accept(context.Background()); !errors.Is(err, ErrEndpointClosed) {
			t.Fatalf("Accept after Close: %v", err)
		}
	})
}
