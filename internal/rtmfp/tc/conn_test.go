package tc

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/rtmfptest"
)

// serverScene is a client node and an in-test server on a simulated network.
type serverScene struct {
	net    *rtmfptest.Network
	client *node
	srv    *testServer
	ctx    context.Context
}

func newServerScene(t *testing.T, mod func(*testServer)) *serverScene {
	n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 3, DefaultLink: rtmfptest.LinkConditions{Delay: 20 * time.Millisecond}})
	t.Cleanup(func() { n.Close() })
	client := newNode(t, n, "client", "10.0.0.1", 0)
	var srv *testServer
	srvNode := newNodeWith(t, n, "server", "10.0.0.9", 1, func(c *rtmfp.Config) {
		c.OnUnmatchedIHello = func(u rtmfp.UnmatchedIHello) { srv.introduce(u) }
	})
	srv = newTestServer(t, srvNode)
	if mod != nil {
		mod(srv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go srv.run(ctx, &wg)
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return &serverScene{net: n, client: client, srv: srv, ctx: testCtx(t)}
}

func (sc *serverScene) config() ConnConfig {
	return ConnConfig{
		URL:      "rtmfp://10.0.0.9:1935/camchat?room=1",
		EPD:      sc.srv.nd.epd(),
		PeerInfo: []string{"10.0.0.1:1935", "[fd00::1]:1935"},
	}
}

// dial connects the scene's client to its server.
func (sc *serverScene) dial(t *testing.T) *NetConnection {
	t.Helper()
	nc, err := Dial(sc.ctx, sc.client.ep, sc.config())
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

// nextEvent returns the next connection event.
func nextEvent(t *testing.T, nc *NetConnection) ConnEvent {
	t.Helper()
	select {
	case ev, ok := <-nc.Events():
		if !ok {
			t.Fatal("events closed")
		}
		return ev
	case <-time.After(time.Minute):
		t.Fatal("no event within a minute")
	}
	return ConnEvent{}
}

func TestNetConnectionConnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, nil)
		start := time.Now()
		nc := sc.dial(t)
		defer nc.Close()
		// Handshake (IHello/RHello/IIKeying/RIKeying, 2 RTT) and connect
		// with its answer (1 RTT) over 20 ms links.
		if el := time.Since(start); el > 200*time.Millisecond {
			t.Errorf("connect took %v", el)
		}
		t.Logf("connected after %v: %+v", time.Since(start), nc.Info())
		if info := nc.Info(); info.Code != CodeConnectSuccess {
			t.Fatalf("info %+v", info)
		} else if id, _ := info.Extra.String("connectionID"); id != "c0ffee" {
			t.Fatalf("connectionID %q", id)
		}
		if ev := nextEvent(t, nc); ev.Kind != ConnStatus || ev.Status.Code != CodeConnectSuccess {
			t.Fatalf("first event %+v", ev)
		}
		synctest.Wait()
		time.Sleep(100 * time.Millisecond) // setPeerInfo reaches the server
		sc.srv.mu.Lock()
		defer sc.srv.mu.Unlock()
		if len(sc.srv.connects) != 1 {
			t.Fatalf("%d connects", len(sc.srv.connects))
		}
		c := sc.srv.connects[0]
		if c.App != "camchat?room=1" || c.TCURL != "rtmfp://10.0.0.9:1935/camchat?room=1" || c.ObjectEncoding != 0 ||
			c.FlashVer != DefaultFlashVer || !reflect.DeepEqual(c.FourCCList, []string{"Opus", "vp08"}) {
			t.Fatalf("connect %+v", c)
		}
		if want := [][]string{{"10.0.0.1:1935", "[fd00::1]:1935"}}; !reflect.DeepEqual(sc.srv.peerInfo, want) {
			t.Fatalf("setPeerInfo %q, want %q", sc.srv.peerInfo, want)
		}
	})
}

func TestNetConnectionRejected(t *testing.T) {
	for _, by := range []string{CommandError, CommandOnStatus} {
		t.Run(by, func(t *testing.T) { testRejected(t, by) })
	}
}

func testRejected(t *testing.T, by string) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, func(s *testServer) { s.reject, s.rejectBy = true, by })
		nc, err := Dial(sc.ctx, sc.client.ep, sc.config())
		if nc != nil || !errors.Is(err, ErrConnectRejected) {
			t.Fatalf("Dial = %v, %v; want ErrConnectRejected", nc, err)
		}
		var se *StatusError
		if !errors.As(err, &se) || se.Info.Code != CodeConnectRejected || se.Info.Level != LevelError || se.Info.Description != "app not allowed" {
			t.Fatalf("status error %+v", se)
		}
		// The failed connect closed its session.
		synctest.Wait()
		if n := sc.client.ep.Stats().Sessions; n > 1 {
			t.Fatalf("%d sessions left", n)
		}
	})
}

func TestNetConnectionKeepalive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, func(s *testServer) {
			s.keepalive = []SetKeepalive{
				{Server: 3 * time.Second, Peer: 12 * time.Second}, // server below the floor
				{Server: 20 * time.Second, Peer: time.Second},     // peer below the floor
			}
		})
		var mu sync.Mutex
		var applied []SetKeepalive
		cfg := sc.config()
		cfg.OnKeepalive = func(server, peer time.Duration) {
			mu.Lock()
			applied = append(applied, SetKeepalive{server, peer})
			mu.Unlock()
		}
		nc, err := Dial(sc.ctx, sc.client.ep, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		var got []SetKeepalive
		for len(got) < 2 {
			if ev := nextEvent(t, nc); ev.Kind == ConnKeepalive {
				got = append(got, ev.Keepalive)
			}
		}
		// Each period is clamped on its own (the reference clamps the peer
		// period from the server's, which would give 5 s then 20 s).
		want := []SetKeepalive{{5 * time.Second, 12 * time.Second}, {20 * time.Second, 5 * time.Second}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("keepalive events %v, want %v", got, want)
		}
		mu.Lock()
		if !reflect.DeepEqual(applied, want) {
			t.Fatalf("applied %v, want %v", applied, want)
		}
		mu.Unlock()
		if k := nc.Keepalive(); k != want[1] {
			t.Fatalf("Keepalive() = %v", k)
		}
		if got := nc.Session().KeepalivePeriod(); got != want[1].Server {
			t.Fatalf("server session keepalive %v, want %v", got, want[1].Server)
		}
	})
}

func TestNetConnectionCloseNotifiesClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, nil)
		nc := sc.dial(t)
		s := nc.Session()
		nc.Close()
		var codes []string
		for ev := range nc.Events() {
			codes = append(codes, ev.Status.Code)
		}
		if want := []string{CodeConnectSuccess, CodeConnectClosed}; !reflect.DeepEqual(codes, want) {
			t.Fatalf("events %q, want %q", codes, want)
		}
		if !errors.Is(nc.Err(), ErrConnClosed) {
			t.Fatalf("Err %v", nc.Err())
		}
		<-s.Done()
		if _, err := nc.Call(sc.ctx, "echo"); !errors.Is(err, ErrConnClosed) {
			t.Fatalf("call after close: %v", err)
		}
		// The server sees the session end.
		synctest.Wait()
		sc.srv.mu.Lock()
		ss := sc.srv.sessions[0]
		sc.srv.mu.Unlock()
		select {
		case <-ss.Done():
		case <-time.After(time.Second):
			t.Fatal("server session still open")
		}
	})
}

func TestNetConnectionServerCloses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, nil)
		nc := sc.dial(t)
		defer nc.Close()
		if err := nc.Command("bye"); err != nil {
			t.Fatal(err)
		}
		var last ConnEvent
		for ev := range nc.Events() {
			last = ev
		}
		if last.Status.Code != CodeConnectClosed {
			t.Fatalf("last event %+v", last)
		}
		<-nc.Done()
		if !errors.Is(nc.Err(), rtmfp.ErrSessionClosed) {
			t.Fatalf("Err %v", nc.Err())
		}
	})
}

func TestNetConnectionCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, nil)
		nc := sc.dial(t)
		defer nc.Close()
		// Transactions answered out of order still find their callers.
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ans, err := nc.Call(sc.ctx, "echo", float64(i))
				if err != nil || ans.Name != CommandResult || ans.Arg(0) != float64(i) {
					t.Errorf("echo %d: %+v, %v", i, ans, err)
				}
			}()
		}
		wg.Wait()
		ans, err := nc.Call(sc.ctx, "fail")
		var se *StatusError
		if !errors.Is(err, ErrCallFailed) || !errors.As(err, &se) || se.Info.Code != CodeCallFailed || ans.Name != CommandError {
			t.Fatalf("fail: %+v, %v", ans, err)
		}
	})
}

func TestNetConnectionAppShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, nil)
		nc := sc.dial(t)
		defer nc.Close()
		nc.Command("shutdown")
		var codes []string
		for ev := range nc.Events() {
			codes = append(codes, ev.Status.Code)
		}
		if want := []string{CodeConnectSuccess, CodeConnectAppShutdown, CodeConnectClosed}; !reflect.DeepEqual(codes, want) {
			t.Fatalf("events %q, want %q", codes, want)
		}
		<-nc.Session().Done()
	})
}
