package cc

import (
	"testing"
	"time"
)

// BenchmarkOnAck is the controller's per-acknowledgement work in congestion
// avoidance, with an RTT sample, as a session does for every ack packet.
func BenchmarkOnAck(b *testing.B) {
	c, _ := New(Config{})
	c.cwnd, c.ssthresh = 40*MSS, 20*MSS
	now := t0
	c.OnRTTSample(now, 50*time.Millisecond)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = now.Add(time.Millisecond)
		c.OnTimestampEcho(now, TimestampAt(now.Sub(t0)), TimestampAt(now.Sub(t0)-52*time.Millisecond))
		c.OnAck(now, AckInfo{PreAckOutstanding: c.CWND(), Outstanding: c.CWND() - MSS, Acked: MSS})
		if c.CWND() > 200*MSS {
			c.cwnd = 40 * MSS
		}
	}
}

// BenchmarkOnPacketSent is the per-data-packet accounting with pacing
// active, including the pacing query the send loop makes.
func BenchmarkOnPacketSent(b *testing.B) {
	c, _ := New(Config{})
	c.cwnd = 40 * MSS
	now := t0
	c.OnRTTSample(now, 50*time.Millisecond)
	b.ReportAllocs()
	b.SetBytes(int64(MSS))
	for b.Loop() {
		if next := c.NextSendTime(now); next.After(now) {
			now = next
		}
		c.OnPacketSent(now, MSS, true)
	}
}

// BenchmarkAckPath is the whole per-packet sender path: record a sent
// fragment, acknowledge an older one, run the NAK pass and update the
// window, with one fragment in 50 lost.
func BenchmarkAckPath(b *testing.B) {
	c, _ := New(Config{})
	var d LossDetector
	lost := make([]LostFragment, 0, 8)
	now := t0
	c.OnRTTSample(now, 50*time.Millisecond)
	const inflight = 32
	var slots [inflight]Slot
	var tsn TSN
	for i := range slots {
		tsn++
		slots[i] = d.Sent(tsn, FragmentRef(tsn), MSS, false)
	}
	b.ReportAllocs()
	b.SetBytes(int64(MSS))
	for i := 0; b.Loop(); i++ {
		now = now.Add(time.Millisecond)
		k := i % inflight
		pre := d.Outstanding()
		if i%50 != 0 {
			d.Acked(slots[k])
		}
		acked := pre - d.Outstanding()
		var rep NAKReport
		rep, lost = d.AfterAcks(lost[:0])
		c.OnAck(now, AckInfo{PreAckOutstanding: pre, Outstanding: d.Outstanding(), Acked: acked,
			Lost: rep.LostBytes, AnyNAKs: rep.AnyNAKs, AnyLoss: rep.AnyLoss})
		tsn++
		slots[k] = d.Sent(tsn, FragmentRef(tsn), MSS, false)
		c.OnPacketSent(now, MSS, false)
	}
}

// BenchmarkModel runs the one-minute bottleneck model (about 6000 packets).
func BenchmarkModel(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		simulate(b, camchatBottleneck, simOpts{dur: 60 * time.Second, warmup: 5 * time.Second})
	}
}
