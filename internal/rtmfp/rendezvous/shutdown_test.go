package rendezvous

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
)

// TestShutdown: Shutdown closes every client's session in order (the
// clients see ErrSessionClosed, not an abort), waits for the
// acknowledgements and returns without error, parked peers included.
func TestShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		var cs []*client
		for i, ip := range []string{"198.51.100.7", "198.51.100.8", "198.51.100.9"} {
			if i == 2 { // two parked peers and an active one
				time.Sleep(parkAfter + time.Second)
			}
			c, r := dial(t, newClient(t, listenHost(t, n, "c"+ip, ip), i, nil), addr, "chat")
			mustConnect(t, r)
			cs = append(cs, c)
		}
		if got := srv.parkedCount(); got != 2 {
			t.Fatalf("%d parked", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		t0 := time.Now()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatalf("shutdown: %v", err)
		}
		took := time.Since(t0)
		for i, c := range cs {
			select {
			case <-c.sess.Done():
			default:
				t.Fatalf("client %d still open", i)
			}
			if !errors.Is(c.sess.Err(), rtmfp.ErrSessionClosed) {
				t.Fatalf("client %d: %v, want an orderly close", i, c.sess.Err())
			}
		}
		if st := srv.Stats(); st.Sessions != 0 || st.Peers != 0 || st.Removed != 3 {
			t.Fatalf("after shutdown: %+v", st)
		}
		if err := srv.Serve(nil); err == nil {
			t.Fatal("serve after shutdown")
		}
		if !errors.Is(srv.Shutdown(ctx), ErrClosed) {
			t.Fatal("second shutdown")
		}
		t.Logf("3 sessions closed in order in %v", took)
	})
}
