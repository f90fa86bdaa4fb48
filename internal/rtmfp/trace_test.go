package rtmfp

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
)

// TestTracer: on a lossy path the tracer sees the session open, every data
// packet with its retransmissions, the losses the acknowledgements
// declared, RTT samples, and the window; its counts equal the session's.
func TestTracer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var sent, rtx, lostCount, rtts, opened, acked int
		var lastCWND int64
		tracer := func(ev TraceEvent) {
			mu.Lock()
			defer mu.Unlock()
			switch ev.Kind {
			case TracePacketSent:
				sent++
				rtx += ev.Count
			case TraceAcked:
				acked++
				lostCount += ev.Count
				lastCWND = int64(ev.CWND)
			case TraceTimeout:
				lostCount += ev.Count
			case TraceRTT:
				rtts++
			case TraceState:
				if ev.State == "open" {
					opened++
				}
			}
		}
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 5, DefaultLink: rtmfptest.LinkConditions{Delay: 20 * time.Millisecond, Loss: 0.05}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, func(c *Config) { c.Tracer = tracer })
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		f, err := sa.OpenFlow([]byte("bulk"), flow.PriorityBulk)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			rf, err := sb.AcceptFlow(context.Background())
			if err != nil {
				return
			}
			for {
				if _, err := rf.Read(context.Background()); err != nil {
					return
				}
			}
		}()
		var last *Receipt
		for range 200 {
			if last, err = f.Write(make([]byte, 3000), WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		<-last.Done()
		time.Sleep(time.Second)
		st, fs := sa.Stats(), f.Stats()
		mu.Lock()
		defer mu.Unlock()
		t.Logf("traced: %d data packets (%d retransmissions), %d acknowledging packets, %d transmissions lost, %d RTT samples, cwnd %d; session: %d packets, %d retransmits, flow lost %d",
			sent, rtx, acked, lostCount, rtts, lastCWND, st.PacketsSent, st.Retransmits, fs.Lost)
		if opened != 1 || rtts == 0 || acked == 0 || lastCWND <= 0 {
			t.Errorf("opened %d, RTT samples %d, acks %d, cwnd %d", opened, rtts, acked, lastCWND)
		}
		if rtx != int(st.Retransmits) || rtx == 0 {
			t.Errorf("traced %d retransmissions, the session counted %d", rtx, st.Retransmits)
		}
		if lostCount != int(fs.Lost) || lostCount == 0 {
			t.Errorf("traced %d lost transmissions, the flow counted %d", lostCount, fs.Lost)
		}
		if sent == 0 || sent > int(st.PacketsSent) {
			t.Errorf("traced %d data packets of %d", sent, st.PacketsSent)
		}
	})
}
