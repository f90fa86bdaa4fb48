package rtmfp

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
)

// TestReadMessageArrival: a message read long after it arrived still reports
// the virtual time the transport made it available. The path is a fixed
// 10 ms each way; message 1's first transmission is dropped, so three acks
// with gaps NAK it and its retransmission arrives 90 ms after it was first
// sent. In sequence order messages 2–4 wait for it; in network order each
// arrives 10 ms after it was written.
func TestReadMessageArrival(t *testing.T) {
	const delay = 10 * time.Millisecond
	for name, order := range map[string]Order{"sequence": flow.OrderSequence, "network": flow.OrderNetwork} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: delay}})
				defer n.Close()
				a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
				b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
				sa, sb := connectPair(t, a, b)
				var dropNext atomic.Bool
				a.host.Uplink().Intercept(func(_ time.Time, d rtmfptest.Datagram) ([]byte, bool) {
					return d.Payload, !dropNext.Swap(false)
				})
				ctx := context.Background()
				fa, err := sa.OpenFlow([]byte("media"), flow.PriorityImmediate)
				if err != nil {
					t.Fatal(err)
				}
				write := func(m string) time.Time {
					if _, err := fa.Write([]byte(m), WriteOptions{}); err != nil {
						t.Fatal(err)
					}
					return time.Now()
				}
				t0 := write("m0")
				rb, err := sb.AcceptFlow(ctx)
				if err != nil {
					t.Fatal(err)
				}
				rb.SetOrder(order)
				time.Sleep(100 * time.Millisecond)
				dropNext.Store(true)
				t1 := write("m1")
				var sent [5]time.Time
				sent[0], sent[1] = t0, t1
				for i := 2; i <= 4; i++ {
					time.Sleep(20 * time.Millisecond)
					sent[i] = write(fmt.Sprint("m", i))
				}
				if dropNext.Load() {
					t.Fatal("message 1 was not dropped")
				}
				rtx := t1.Add(9 * delay) // three acks, NAK, resend: see above
				want := map[string]time.Time{"m0": t0.Add(delay), "m1": rtx}
				for i := 2; i <= 4; i++ {
					want[fmt.Sprint("m", i)] = sent[i].Add(delay)
					if order == flow.OrderSequence {
						want[fmt.Sprint("m", i)] = rtx
					}
				}
				readOrder := []string{"m0", "m1", "m2", "m3", "m4"}
				if order == flow.OrderNetwork {
					readOrder = []string{"m0", "m2", "m3", "m4", "m1"}
				}
				// Read late: a second after the last one arrived.
				time.Sleep(time.Second)
				readAt := time.Now()
				for _, w := range readOrder {
					m, arrived, err := rb.ReadMessage(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if string(m) != w || !arrived.Equal(want[w]) {
						t.Fatalf("read %q arrived at +%v, want %q at +%v", m, arrived.Sub(t0), w, want[w].Sub(t0))
					}
					if readAt.Sub(arrived) < 900*time.Millisecond {
						t.Fatalf("%s: arrival %v is the read time", w, arrived.Sub(t0))
					}
				}
				if st := fa.Stats(); st.Retransmitted != 1 {
					t.Fatalf("%d retransmissions, want 1", st.Retransmitted)
				}
			})
		})
	}
}
