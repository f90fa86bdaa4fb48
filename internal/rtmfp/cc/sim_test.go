package cc

import (
	"slices"
	"testing"
	"time"
)

// The model: one saturating sender driven by a Controller and a
// LossDetector, a drop-tail bottleneck (rate, buffer), fixed propagation
// delays, and a receiver that acknowledges every packet at once, echoing its
// timestamp. It is a discrete-event simulation in explicit virtual time: the
// loop advances to the next event (a packet leaving the bottleneck, an
// acknowledgement arriving, the pacing release, the retransmission timeout).
// Packets are 1200 bytes on the wire carrying MSS bytes of user data.

const simOverhead = 1200 - MSS // header, chunk and padding bytes per packet

type simLink struct {
	rate   float64       // bottleneck rate, bytes per second
	buffer int           // bottleneck buffer, bytes
	prop   time.Duration // one-way propagation delay, each direction
}

type simResult struct {
	qdelay        []time.Duration // queueing delay of each packet served after warm-up
	goodput       float64         // user data delivered after warm-up / link capacity
	utilization   float64         // wire bytes delivered after warm-up / link capacity
	drops         int
	stats         Stats
	p50, p95, max time.Duration
}

type simQueued struct {
	slot Slot
	ts   Timestamp
	enq  time.Time
}

type simAck struct {
	slot Slot
	echo Timestamp
	at   time.Time
}

func simulate(t testing.TB, link simLink, cfg Config, timeCritical bool, dur, warmup time.Duration) simResult {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var d LossDetector
	var lost []LostFragment
	start := time.Unix(1_000_000, 0)
	end := start.Add(dur)
	measureFrom := start.Add(warmup)
	now := start
	wire := int(MSS + simOverhead)
	serviceTime := time.Duration(float64(wire) / link.rate * float64(time.Second))

	var (
		queue         []simQueued // waiting at the bottleneck, not in service
		queuedBytes   int         // bytes waiting or in service
		inService     bool
		serviceItem   simQueued
		serviceDone   time.Time
		acks          []simAck
		nextTSN       TSN = 1
		timeoutAt     time.Time
		res           simResult
		deliveredWire int
	)
	ts := func() Timestamp { return TimestampAt(now.Sub(start)) }
	armTimeout := func() {
		if d.Outstanding() > 0 {
			timeoutAt = now.Add(c.ERTO())
		} else {
			timeoutAt = time.Time{}
		}
	}
	startService := func() {
		if inService || len(queue) == 0 {
			return
		}
		serviceItem = queue[0]
		queue = queue[1:]
		inService = true
		serviceDone = now.Add(serviceTime)
		if !now.Before(measureFrom) {
			res.qdelay = append(res.qdelay, now.Sub(serviceItem.enq))
		}
	}

	for now.Before(end) {
		// 1. The bottleneck finishes a packet: it reaches the receiver
		// after prop, whose acknowledgement is back after another prop.
		if inService && !serviceDone.After(now) {
			inService = false
			queuedBytes -= wire
			if !now.Before(measureFrom) {
				deliveredWire += wire
			}
			acks = append(acks, simAck{slot: serviceItem.slot, echo: serviceItem.ts, at: now.Add(2 * link.prop)})
		}
		startService()

		// 2. Acknowledgements arriving now, one packet each.
		for len(acks) > 0 && !acks[0].at.After(now) {
			a := acks[0]
			acks = acks[1:]
			c.OnTimestampEcho(now, ts(), a.echo)
			pre := d.Outstanding()
			d.Acked(a.slot)
			acked := pre - d.Outstanding()
			var rep NAKReport
			rep, lost = d.AfterAcks(lost[:0])
			c.OnAck(now, AckInfo{
				PreAckOutstanding: pre,
				Outstanding:       d.Outstanding(),
				Acked:             acked,
				Lost:              rep.LostBytes,
				AnyNAKs:           rep.AnyNAKs,
				AnyLoss:           rep.AnyLoss,
			})
			armTimeout()
		}

		// 3. Retransmission timeout.
		if !timeoutAt.IsZero() && !timeoutAt.After(now) {
			lost = d.Timeout(lost[:0])
			c.OnTimeout(now, len(lost) > 0)
			armTimeout()
		}

		// 4. The sender always has data: send while window and pacing allow.
		for c.CanSend(d.Outstanding()) && !c.NextSendTime(now).After(now) {
			slot := d.Sent(nextTSN, FragmentRef(nextTSN), MSS, false)
			nextTSN++
			c.OnPacketSent(now, MSS, timeCritical)
			if queuedBytes+wire > link.buffer {
				res.drops++
			} else {
				queue = append(queue, simQueued{slot: slot, ts: ts(), enq: now})
				queuedBytes += wire
			}
			armTimeout()
		}
		startService()

		// 5. Advance to the next event.
		next := end
		if inService && serviceDone.Before(next) {
			next = serviceDone
		}
		if len(acks) > 0 && acks[0].at.Before(next) {
			next = acks[0].at
		}
		if !timeoutAt.IsZero() && timeoutAt.Before(next) {
			next = timeoutAt
		}
		if c.CanSend(d.Outstanding()) {
			if p := c.NextSendTime(now); p.After(now) && p.Before(next) {
				next = p
			}
		}
		if !next.After(now) {
			t.Fatalf("simulation stuck at %v", now.Sub(start))
		}
		now = next
	}

	capacity := link.rate * (dur - warmup).Seconds()
	res.utilization = float64(deliveredWire) / capacity
	res.goodput = res.utilization * float64(MSS) / float64(wire)
	res.stats = c.Stats()
	s := slices.Clone(res.qdelay)
	slices.Sort(s)
	if len(s) > 0 {
		res.p50 = s[len(s)/2]
		res.p95 = s[len(s)*95/100]
		res.max = s[len(s)-1]
	}
	return res
}

// The bottleneck of the task: 1 Mbit/s, a 1 s buffer, 40 ms base RTT.
var camchatBottleneck = simLink{rate: 1e6 / 8, buffer: 125000, prop: 20 * time.Millisecond}

func logSim(t *testing.T, name string, r simResult) {
	t.Logf("%s: queueing delay p50 %v p95 %v max %v; goodput %.1f%% (link busy %.1f%%); drops %d; "+
		"srtt %v base %v cwnd %d; loss cuts %d, delay cuts %d, probes %d, timeouts %d",
		name, r.p50.Round(time.Millisecond), r.p95.Round(time.Millisecond), r.max.Round(time.Millisecond),
		100*r.goodput, 100*r.utilization, r.drops, r.stats.SRTT.Round(time.Millisecond),
		r.stats.BaseRTT, r.stats.CWND, r.stats.LossCuts, r.stats.DelayCuts, r.stats.Probes, r.stats.Timeouts)
}

func TestModelDelayBasedKeepsQueueShort(t *testing.T) {
	const dur, warmup = 60 * time.Second, 5 * time.Second
	delay := simulate(t, camchatBottleneck, Config{}, false, dur, warmup)
	logSim(t, "delay-based (default)", delay)
	lossOnly := simulate(t, camchatBottleneck, Config{CongestionDelay: DelayDetectionOff}, false, dur, warmup)
	logSim(t, "loss-only", lossOnly)
	tc := simulate(t, camchatBottleneck, Config{}, true, dur, warmup)
	logSim(t, "delay-based, time-critical", tc)

	if delay.p95 > 100*time.Millisecond {
		t.Errorf("delay-based: p95 queueing delay %v, want ≤ 100ms", delay.p95)
	}
	if delay.goodput < 0.80 {
		t.Errorf("delay-based: goodput %.1f%% of the link, want ≥ 80%%", 100*delay.goodput)
	}
	if delay.stats.DelayCuts == 0 {
		t.Errorf("delay-based: no delay cuts")
	}
	if tc.p95 > 100*time.Millisecond || tc.goodput < 0.80 {
		t.Errorf("delay-based TC: p95 %v goodput %.1f%%, want ≤ 100ms and ≥ 80%%", tc.p95, 100*tc.goodput)
	}
	// A long path (100 ms each way): the delay cut's floor keeps the link
	// busy although the queue threshold is only a quarter of the RTT.
	long := simulate(t, simLink{rate: 1e6 / 8, buffer: 125000, prop: 100 * time.Millisecond}, Config{}, false, dur, warmup)
	logSim(t, "delay-based, 200 ms path", long)
	if long.p95 > 100*time.Millisecond || long.goodput < 0.80 {
		t.Errorf("200 ms path: p95 %v goodput %.1f%%, want ≤ 100ms and ≥ 80%%", long.p95, 100*long.goodput)
	}
	// Loss-only control keeps the buffer nearly full: the standing queue
	// is most of the second of buffering.
	if lossOnly.p95 < 700*time.Millisecond {
		t.Errorf("loss-only: p95 queueing delay %v, want the buffer filled (≥ 700ms)", lossOnly.p95)
	}
	if lossOnly.stats.DelayCuts != 0 || lossOnly.drops == 0 {
		t.Errorf("loss-only: %d delay cuts, %d drops; want 0 and > 0", lossOnly.stats.DelayCuts, lossOnly.drops)
	}
}
