package rtmfp

import (
	"context"
	"math"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
)

// wireLog records the datagrams that enter a link: when and how large.
type wireLog struct {
	mu sync.Mutex
	at []time.Time
	n  []int
}

func (w *wireLog) attach(l *rtmfptest.Link) {
	l.Intercept(func(now time.Time, d rtmfptest.Datagram) ([]byte, bool) {
		w.mu.Lock()
		w.at = append(w.at, now)
		w.n = append(w.n, len(d.Payload))
		w.mu.Unlock()
		return d.Payload, true
	})
}

// rate is the bytes per second logged in the stats window that an engine
// with epoch reports at now: the complete StatsIntervals before now's.
func (w *wireLog) rate(epoch, now time.Time) float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur := now.Sub(epoch) / StatsInterval
	from, to := epoch.Add((cur-StatsWindow/StatsInterval)*StatsInterval), epoch.Add(cur*StatsInterval)
	sum := 0
	for i, t := range w.at {
		if !t.Before(from) && t.Before(to) {
			sum += w.n[i]
		}
	}
	return float64(sum) / StatsWindow.Seconds()
}

// TestSessionStatsRatesAndLoss: a sends 50 messages of 1000 bytes a second
// over a 1 Mbit/s uplink, 25 ms each way, with 5% seeded loss from a to b.
// Every 2 s the stats of both ends are checked against the network: send
// and receive rates against the bytes the links carried in the same window
// (within 10%), loss against the link's drop rate (the mean of the windows
// within one percentage point), the RTTs against the path, and the window,
// flight and queue figures against each other. Then b stalls and a queues
// more than the windows let out: SendQueue is what was not sent.
func TestSessionStatsRatesAndLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			delay   = 25 * time.Millisecond
			lossP   = 0.05
			msgSize = 1000
		)
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 7, DefaultLink: rtmfptest.LinkConditions{Delay: delay}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		a.host.Uplink().SetConditions(rtmfptest.LinkConditions{Rate: rtmfptest.Mbps, QueueDelay: 200 * time.Millisecond, HeaderBytes: 28})
		path := n.Link(a.host, b.host)
		path.SetConditions(rtmfptest.LinkConditions{Delay: delay, Loss: lossP})
		sa, sb := connectPair(t, a, b)
		var aOut, aIn, bOut, bIn wireLog
		aOut.attach(a.host.Uplink())
		aIn.attach(a.host.Downlink())
		bOut.attach(b.host.Uplink())
		bIn.attach(b.host.Downlink())
		pathSent0, pathLost0 := path.Stats().Sent, path.Stats().Dropped[rtmfptest.DropLoss]

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		f, err := sa.OpenFlow([]byte("media"), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		sending := make(chan struct{})
		go func() {
			defer close(sending)
			msg := make([]byte, msgSize)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if _, err := f.Write(msg, WriteOptions{}); err != nil {
					return
				}
			}
		}()
		rf, err := sb.AcceptFlow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				if _, err := rf.Read(ctx); err != nil {
					return
				}
			}
		}()

		var worst float64
		within := func(what string, got, want float64) {
			t.Helper()
			worst = max(worst, math.Abs(got-want)/want)
			if math.Abs(got-want) > 0.1*want {
				t.Errorf("%s: %.0f B/s, the links carried %.0f B/s", what, got, want)
			}
		}
		time.Sleep(5*time.Second + 10*time.Millisecond) // off the writer's ticks
		var lossSum float64
		var samples int
		for range 16 {
			time.Sleep(2 * time.Second)
			now := time.Now()
			st, bt := sa.Stats(), sb.Stats()
			within("a's send rate", st.SendRate, aOut.rate(a.ep.e.epoch, now))
			within("a's receive rate", st.RecvRate, aIn.rate(a.ep.e.epoch, now))
			within("b's send rate", bt.SendRate, bOut.rate(b.ep.e.epoch, now))
			within("b's receive rate", bt.RecvRate, bIn.rate(b.ep.e.epoch, now))
			// 50 messages a second, 5% more for retransmissions, plus
			// headers: about 54 kB/s, give or take what the congestion
			// window holds back for a while and then lets out.
			if st.SendRate < 40*msgSize || st.SendRate > 70*msgSize {
				t.Errorf("a sends %.0f B/s for 50 kB/s of messages", st.SendRate)
			}
			if st.Loss < 0 || st.Loss > 0.2 {
				t.Errorf("loss %.3f in one window", st.Loss)
			}
			lossSum += st.Loss
			samples++
			// 50 ms of propagation, 8.6 ms to serialize 1072 bytes at
			// 1 Mbit/s, 4 ms timestamps.
			// (A timeout forgets the base RTT until the next sample.)
			for what, rtt := range map[string]time.Duration{"latest": st.LatestRTT, "smoothed": st.SRTT, "base": st.BaseRTT} {
				if (rtt < 50*time.Millisecond || rtt > 75*time.Millisecond) && !(what == "base" && rtt == 0) {
					t.Errorf("%s RTT %v on a 59 ms path", what, rtt)
				}
			}
			if st.RTTVar > 15*time.Millisecond {
				t.Errorf("RTT variation %v on a path without jitter", st.RTTVar)
			}
			if st.CWND <= 0 || st.Outstanding > st.CWND+MaxPacket || st.SendQueue > 50*msgSize {
				t.Errorf("cwnd %d, in flight %d, queued %d", st.CWND, st.Outstanding, st.SendQueue)
			}
			if bt.Loss != 0 || bt.SendQueue != 0 {
				t.Errorf("b sends no data, yet loss %.3f and queue %d", bt.Loss, bt.SendQueue)
			}
		}
		ps := path.Stats()
		truth := float64(ps.Dropped[rtmfptest.DropLoss]-pathLost0) / float64(ps.Sent-pathSent0)
		mean := lossSum / float64(samples)
		if math.Abs(truth-lossP) > 0.015 || math.Abs(mean-truth) > 0.01 {
			t.Errorf("mean loss over the windows %.4f; the link dropped %.4f of the datagrams (%.2f asked)", mean, truth, lossP)
		}
		t.Logf("rates within %.2f%% of the links; loss: windows %.4f, link %.4f; last stats %+v", 100*worst, mean, truth, sa.Stats())
		close(stop)
		<-sending

		// b stalls: a queues more than the windows let out, and what
		// is not sent is SendQueue.
		time.Sleep(time.Second)
		if st := sa.Stats(); st.Outstanding != 0 || st.SendQueue != 0 {
			t.Fatalf("not settled: %+v", st)
		}
		gone := rtmfptest.LinkConditions{Loss: 1}
		b.host.Uplink().SetConditions(gone)
		b.host.Downlink().SetConditions(gone)
		const bulk = 300_000
		if _, err := f.Write(make([]byte, bulk), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // less than a retransmission timeout
		st := sa.Stats()
		// What left is in flight, as chunk bytes: a few percent more
		// than its data.
		if sent := bulk - st.SendQueue; st.Outstanding == 0 || sent > int(st.Outstanding) || float64(sent) < 0.97*float64(st.Outstanding) {
			t.Fatalf("SendQueue %d: %d bytes sent, %d in flight", st.SendQueue, sent, st.Outstanding)
		}
		t.Logf("stalled: %d of %d bytes queued, %d in flight", st.SendQueue, bulk, st.Outstanding)
		b.host.Uplink().SetConditions(rtmfptest.LinkConditions{})
		b.host.Downlink().SetConditions(rtmfptest.LinkConditions{})
		time.Sleep(10 * time.Second)
		if st := sa.Stats(); st.SendQueue != 0 || f.Buffered() != 0 {
			t.Fatalf("after the stall: queued %d, buffered %d", st.SendQueue, f.Buffered())
		}
		if allocs := testing.AllocsPerRun(100, func() { _ = sa.Stats() }); allocs != 0 {
			t.Fatalf("Stats allocates %.0f times", allocs)
		}
	})
}
