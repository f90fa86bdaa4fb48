package rendezvous

import (
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flow"
)

// TestClientMemoryBounded: a client that opens every flow it may and fills
// each with data the server never reads (flows it does not accept) makes
// the server hold no more than the flows' small windows allow, within
// Limits.SessionRecvMemory, and an honest client doing so is not closed
// for it. With the transport's 1 MiB default window, or the 64 KiB and
// eight queued flows used before, the same client held megabytes.
func TestClientMemoryBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		x := newClient(t, listenHost(t, n, "x", "198.51.100.7"), 0, nil)
		cx, r := dial(t, x, addr, "chat")
		mustConnect(t, r)
		var flows []*rtmfp.SendFlow
		for range 8 {
			f, err := cx.sess.OpenFlow([]byte("not taken"), flow.PriorityRoutine)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write(make([]byte, 200<<10), rtmfp.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			flows = append(flows, f)
		}
		time.Sleep(20 * time.Second)
		taken := 0
		for _, f := range flows {
			if _, rejected := f.Exception(); !rejected {
				taken++
			}
		}
		st := srv.TransportStats()
		lim := DefaultLimits.SessionRecvMemory
		if taken != 4 || st.RecvMemoryPeak > lim || st.RecvMemoryPeak < 4*recvWindow || st.RecvMemoryCloses != 0 {
			t.Fatalf("%d flows queued, server held up to %d bytes (budget %d), %d sessions closed", taken, st.RecvMemoryPeak, lim, st.RecvMemoryCloses)
		}
		if err := cx.sess.Err(); err != nil {
			t.Fatalf("client session: %v", err)
		}
		t.Logf("4 queued flows filled: the server holds up to %d bytes for the client", st.RecvMemoryPeak)
	})
}
