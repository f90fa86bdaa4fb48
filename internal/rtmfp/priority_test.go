package rtmfp

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
)

const scenarioBaseDelay = 20 * time.Millisecond

// bottleneck builds a → b with a's uplink limited to rate with a drop-tail
// buffer of queue, and a base one-way delay of scenarioBaseDelay.
func bottleneck(t *testing.T, rate rtmfptest.BitRate, queue time.Duration, mod func(*Config)) (*rtmfptest.Network, *peer, *peer, *Session, *Session) {
	n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 21, DefaultLink: rtmfptest.LinkConditions{Delay: scenarioBaseDelay}})
	a := newPeer(t, n, "a", "10.0.0.1", 0, mod)
	b := newPeer(t, n, "b", "10.0.0.2", 1, mod)
	a.host.Uplink().SetConditions(rtmfptest.LinkConditions{Rate: rate, QueueDelay: queue, HeaderBytes: 28})
	sa, sb := connectPair(t, a, b)
	return n, a, b, sa, sb
}

// saturate writes bulk data on f until stop is closed.
func saturate(t *testing.T, f *SendFlow, stop chan struct{}) {
	msg := make([]byte, 4096)
	for {
		select {
		case <-stop:
			return
		default:
		}
		if _, err := f.Write(msg, WriteOptions{}); err != nil {
			return
		}
	}
}

// drain reads a flow until it fails, counting the bytes.
func drain(rf *RecvFlow, n *atomic.Int64) {
	for {
		m, err := rf.Read(context.Background())
		if err != nil {
			return
		}
		n.Add(int64(len(m)))
	}
}

type realtimeResult struct {
	sent, delivered int
	p50, p99, max   time.Duration
	bulkRate        float64 // bulk goodput in bit/s while the realtime flow ran
	q50, q99, srtt  time.Duration
}

// realtimeBesideBulk runs the priority scene: a realtime flow at realtimePri
// sending a 100-byte message every 20 ms (40 kbit/s) beside a bulk flow at
// bulkPri that saturates the 500 kbit/s link, for 30 s.
func realtimeBesideBulk(t *testing.T, realtimePri, bulkPri flow.Priority) realtimeResult {
	var res realtimeResult
	synctest.Test(t, func(t *testing.T) {
		n, pa, _, sa, sb := bottleneck(t, 500*rtmfptest.Kbps, 250*time.Millisecond, nil)
		defer n.Close()
		rt, err := sa.OpenFlow([]byte("audio"), realtimePri)
		if err != nil {
			t.Fatal(err)
		}
		bulk, err := sa.OpenFlow([]byte("bulk"), bulkPri)
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); saturate(t, bulk, stop) }()
		// Accept both flows; measure the realtime one.
		var delays []time.Duration
		var dmu sync.Mutex
		var bulkGot atomic.Int64
		var bulkStart int64
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			var rtRecv *RecvFlow
			for rtRecv == nil {
				rf, err := sb.AcceptFlow(context.Background())
				if err != nil {
					return
				}
				if string(rf.Metadata()) == "audio" {
					rtRecv = rf
				} else {
					go drain(rf, &bulkGot)
				}
			}
			for {
				m, err := rtRecv.Read(context.Background())
				if err != nil {
					return
				}
				sent := time.Unix(0, int64(binary.BigEndian.Uint64(m)))
				dmu.Lock()
				delays = append(delays, time.Since(sent))
				dmu.Unlock()
			}
		}()
		// Let the bulk flow fill the path first.
		time.Sleep(5 * time.Second)
		pa.host.Uplink().ResetStats()
		bulkStart = bulkGot.Load()
		const count = 1500 // 30 s
		for i := 0; i < count; i++ {
			m := make([]byte, 100)
			binary.BigEndian.PutUint64(m, uint64(time.Now().UnixNano()))
			if _, err := rt.Write(m, WriteOptions{FinishBy: 300 * time.Millisecond}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Second)
		close(stop)
		res.bulkRate = float64(bulkGot.Load()-bulkStart) * 8 / 31
		_ = bulk
		q := pa.host.Uplink().QueueDelays()
		res.q50, res.q99 = rtmfptest.Percentile(q, 50), rtmfptest.Percentile(q, 99)
		res.srtt = sa.Stats().SRTT
		sa.Abort()
		<-readDone
		wg.Wait()
		dmu.Lock()
		defer dmu.Unlock()
		res.sent = count
		res.delivered = len(delays)
		res.p50 = rtmfptest.Percentile(delays, 50)
		res.p99 = rtmfptest.Percentile(delays, 99)
		res.max = rtmfptest.Percentile(delays, 100)
	})
	return res
}

func TestPriorityRealtimeBesideBulk(t *testing.T) {
	r := realtimeBesideBulk(t, flow.PriorityImmediate, flow.PriorityPriority)
	t.Logf("priority 5 beside saturating priority 4 at 500 kbit/s, 250 ms buffer: delivered %d/%d (%.2f%%), one-way p50 %v p99 %v max %v (base %v), bulk goodput %.0f kbit/s, bottleneck queue p50 %v p99 %v, srtt %v",
		r.delivered, r.sent, 100*float64(r.delivered)/float64(r.sent), r.p50, r.p99, r.max, scenarioBaseDelay, r.bulkRate/1000, r.q50, r.q99, r.srtt)
	if float64(r.delivered) < 0.99*float64(r.sent) {
		t.Errorf("delivered %d of %d", r.delivered, r.sent)
	}
	if r.p99 > scenarioBaseDelay+60*time.Millisecond {
		t.Errorf("p99 one-way delay %v, want at most %v", r.p99, scenarioBaseDelay+60*time.Millisecond)
	}
	same := realtimeBesideBulk(t, flow.PriorityPriority, flow.PriorityPriority)
	t.Logf("same scene, both flows at priority 4: delivered %d/%d (%.2f%%), one-way p50 %v p99 %v max %v, bulk goodput %.0f kbit/s",
		same.delivered, same.sent, 100*float64(same.delivered)/float64(same.sent), same.p50, same.p99, same.max, same.bulkRate/1000)
}

// queueScene saturates a 1 Mbit/s link with a one-second buffer and returns
// the queueing delays at the bottleneck after a warm-up.
func queueScene(t *testing.T, delayBased bool) (p50, p95, p99, max time.Duration, goodput float64) {
	synctest.Test(t, func(t *testing.T) {
		n, a, _, sa, sb := bottleneck(t, 1*rtmfptest.Mbps, time.Second, func(c *Config) { c.DisableDelayDetection = !delayBased })
		defer n.Close()
		bulk, err := sa.OpenFlow([]byte("bulk"), flow.PriorityBulk)
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		go saturate(t, bulk, stop)
		rf, err := sb.AcceptFlow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got int64
		var mu sync.Mutex
		go func() {
			for {
				m, err := rf.Read(context.Background())
				if err != nil {
					return
				}
				mu.Lock()
				got += int64(len(m))
				mu.Unlock()
			}
		}()
		time.Sleep(10 * time.Second)
		a.host.Uplink().ResetStats()
		mu.Lock()
		start := got
		mu.Unlock()
		const span = 60 * time.Second
		time.Sleep(span)
		mu.Lock()
		goodput = float64(got-start) * 8 / span.Seconds()
		mu.Unlock()
		q := a.host.Uplink().QueueDelays()
		p50, p95, p99 = rtmfptest.Percentile(q, 50), rtmfptest.Percentile(q, 95), rtmfptest.Percentile(q, 99)
		max = rtmfptest.Percentile(q, 100)
		close(stop)
		sa.Abort()
	})
	return
}

func TestDelayBasedKeepsQueueShort(t *testing.T) {
	p50, p95, p99, mx, gp := queueScene(t, true)
	t.Logf("delay-based on: queue p50 %v p95 %v p99 %v max %v, goodput %.0f kbit/s", p50, p95, p99, mx, gp/1000)
	l50, l95, l99, lmx, lgp := queueScene(t, false)
	t.Logf("loss only:      queue p50 %v p95 %v p99 %v max %v, goodput %.0f kbit/s", l50, l95, l99, lmx, lgp/1000)
	if p95 > 100*time.Millisecond {
		t.Errorf("delay-based detection let the queue reach %v (p95)", p95)
	}
	if gp < 700e3 {
		t.Errorf("goodput %.0f kbit/s on a 1 Mbit/s link", gp/1000)
	}
}
