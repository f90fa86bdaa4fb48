package cc

import (
	"slices"
	"testing"
	"time"
)

// The model: one saturating sender driven by a Controller and a
// LossDetector, a drop-tail bottleneck (rate, buffer), fixed propagation
// delays, and a receiver that acknowledges every ackEvery-th packet, or after
// a 200 ms delayed-ack timer (RFC 7016 §3.6.3.4), echoing the latest
// timestamp advanced by the time it held it. It is a discrete-event
// simulation in explicit virtual time: the loop advances to the next event
// (a packet leaving the bottleneck, a packet or an acknowledgement arriving,
// the delayed-ack timer, the pacing release, the retransmission timeout).
// Packets are 1200 bytes on the wire carrying MSS bytes of user data.

const simOverhead = 1200 - MSS // header, chunk and padding bytes per packet

type simLink struct {
	rate   float64       // bottleneck rate, bytes per second
	buffer int           // bottleneck buffer, bytes
	prop   time.Duration // one-way propagation delay, each direction
}

type simOpts struct {
	cfg          Config
	timeCritical bool // every packet carries TC
	ackEvery     int  // packets per acknowledgement (default 1)
	dur, warmup  time.Duration
}

type simResult struct {
	qdelay        []time.Duration // queueing delay of each packet served after warm-up
	goodput       float64         // user data delivered after warm-up / link capacity
	utilization   float64         // wire bytes delivered after warm-up / link capacity
	drops         int
	stats         Stats
	p50, p95, max time.Duration
}

type simPacket struct {
	slot Slot
	ts   Timestamp
	at   time.Time // enqueued at the bottleneck, or arrival at the receiver
}

type simAck struct {
	slots []Slot
	echo  Timestamp
	at    time.Time
}

const simDelayedAck = 200 * time.Millisecond

func simulate(t testing.TB, link simLink, o simOpts) simResult {
	t.Helper()
	c, err := New(o.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ackEvery := max(o.ackEvery, 1)
	var d LossDetector
	var lost []LostFragment
	start := time.Unix(1_000_000, 0)
	end := start.Add(o.dur)
	measureFrom := start.Add(o.warmup)
	now := start
	wire := int(MSS + simOverhead)
	serviceTime := time.Duration(float64(wire) / link.rate * float64(time.Second))

	var (
		queue         []simPacket // waiting at the bottleneck, not in service
		queuedBytes   int         // bytes waiting or in service
		inService     bool
		serviceItem   simPacket
		serviceDone   time.Time
		arrivals      []simPacket // on the way to the receiver
		pending       []Slot      // received, not yet acknowledged
		latestTS      Timestamp
		latestAt      time.Time
		delackAt      time.Time
		acks          []simAck // on the way back to the sender
		nextTSN       TSN      = 1
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
			res.qdelay = append(res.qdelay, now.Sub(serviceItem.at))
		}
	}
	sendAck := func() {
		echo := latestTS.Add(now.Sub(latestAt)) // cancel the hold time
		acks = append(acks, simAck{slots: slices.Clone(pending), echo: echo, at: now.Add(link.prop)})
		pending = pending[:0]
		delackAt = time.Time{}
	}

	for now.Before(end) {
		// 1. The bottleneck finishes a packet; it reaches the receiver
		// after prop.
		if inService && !serviceDone.After(now) {
			inService = false
			queuedBytes -= wire
			if !now.Before(measureFrom) {
				deliveredWire += wire
			}
			arrivals = append(arrivals, simPacket{slot: serviceItem.slot, ts: serviceItem.ts, at: now.Add(link.prop)})
		}
		startService()

		// 2. The receiver.
		for len(arrivals) > 0 && !arrivals[0].at.After(now) {
			p := arrivals[0]
			arrivals = arrivals[1:]
			pending = append(pending, p.slot)
			latestTS, latestAt = p.ts, now
			if len(pending) >= ackEvery {
				sendAck()
			} else if delackAt.IsZero() {
				delackAt = now.Add(simDelayedAck)
			}
		}
		if !delackAt.IsZero() && !delackAt.After(now) {
			sendAck()
		}

		// 3. Acknowledgements arriving at the sender.
		for len(acks) > 0 && !acks[0].at.After(now) {
			a := acks[0]
			acks = acks[1:]
			c.OnTimestampEcho(now, ts(), a.echo)
			pre := d.Outstanding()
			for _, s := range a.slots {
				d.Acked(s)
			}
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

		// 4. Retransmission timeout.
		if !timeoutAt.IsZero() && !timeoutAt.After(now) {
			lost = d.Timeout(lost[:0])
			c.OnTimeout(now, len(lost) > 0)
			armTimeout()
		}

		// 5. The sender always has data: send while window and pacing allow.
		for c.CanSend(d.Outstanding()) && !c.NextSendTime(now).After(now) {
			slot := d.Sent(nextTSN, FragmentRef(nextTSN), MSS, false)
			nextTSN++
			c.OnPacketSent(now, MSS, o.timeCritical)
			if queuedBytes+wire > link.buffer {
				res.drops++
			} else {
				queue = append(queue, simPacket{slot: slot, ts: ts(), at: now})
				queuedBytes += wire
			}
			armTimeout()
		}
		startService()

		// 6. Advance to the next event.
		next := end
		earliest := func(at time.Time) {
			if !at.IsZero() && at.Before(next) {
				next = at
			}
		}
		if inService {
			earliest(serviceDone)
		}
		if len(arrivals) > 0 {
			earliest(arrivals[0].at)
		}
		if len(acks) > 0 {
			earliest(acks[0].at)
		}
		earliest(delackAt)
		earliest(timeoutAt)
		if p := c.NextSendTime(now); c.CanSend(d.Outstanding()) && p.After(now) {
			earliest(p)
		}
		if !next.After(now) {
			t.Fatalf("simulation stuck at %v", now.Sub(start))
		}
		now = next
	}

	capacity := link.rate * (o.dur - o.warmup).Seconds()
	res.utilization = float64(deliveredWire) / capacity
	res.goodput = res.utilization * float64(MSS) / float64(wire)
	res.stats = c.Stats()
	sorted := slices.Clone(res.qdelay)
	slices.Sort(sorted)
	if len(sorted) > 0 {
		res.p50 = sorted[len(sorted)/2]
		res.p95 = sorted[len(sorted)*95/100]
		res.max = sorted[len(sorted)-1]
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
	delay := simulate(t, camchatBottleneck, simOpts{dur: dur, warmup: warmup})
	logSim(t, "delay-based (default)", delay)
	lossOnly := simulate(t, camchatBottleneck, simOpts{cfg: Config{CongestionDelay: DelayDetectionOff}, dur: dur, warmup: warmup})
	logSim(t, "loss-only", lossOnly)
	tc := simulate(t, camchatBottleneck, simOpts{timeCritical: true, dur: dur, warmup: warmup})
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
	long := simulate(t, simLink{rate: 1e6 / 8, buffer: 125000, prop: 100 * time.Millisecond}, simOpts{dur: dur, warmup: warmup})
	logSim(t, "delay-based, 200 ms path", long)
	if long.p95 > 100*time.Millisecond || long.goodput < 0.80 {
		t.Errorf("200 ms path: p95 %v goodput %.1f%%, want ≤ 100ms and ≥ 80%%", long.p95, 100*long.goodput)
	}
	// RTMFP receivers acknowledge every second packet (RFC 7016 §3.6.3.4):
	// fewer, burstier acknowledgements and echoes with a hold time.
	ack2 := simulate(t, camchatBottleneck, simOpts{ackEvery: 2, dur: dur, warmup: warmup})
	logSim(t, "delay-based, ack every 2nd packet", ack2)
	if ack2.p95 > 100*time.Millisecond || ack2.goodput < 0.80 {
		t.Errorf("ack every 2nd: p95 %v goodput %.1f%%, want ≤ 100ms and ≥ 80%%", ack2.p95, 100*ack2.goodput)
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
