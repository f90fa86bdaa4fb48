package cc

import (
	"testing"
	"time"
)

// realtimeController returns a controller in real-time mode at about rate
// bytes per second, with 20 ms RTT samples over a second behind it.
func realtimeController(t *testing.T, rate float64) (*Controller, time.Time) {
	t.Helper()
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	for i := 0; i < 50; i++ {
		c.OnRTTSample(now, 20*time.Millisecond)
		now = now.Add(20 * time.Millisecond)
	}
	c.OnPacketSent(now, 0, true)
	if r, on := c.PacingRate(); !on || r <= 0 {
		t.Fatalf("real-time mode off after TC data (rate %v)", r)
	}
	c.rt.rate, c.rt.startup = rate, false
	return c, now
}

// TestRealtimePacing: data leaves at the rate, one MSS at a time; an
// urgent packet borrows one MSS and the next packet waits for the debt.
func TestRealtimePacing(t *testing.T) {
	c, now := realtimeController(t, 100_000) // 11.61 ms per MSS
	if !c.NextSendTime(now).Equal(now) {
		t.Fatal("a full bucket must let a packet go")
	}
	c.OnPacketSent(now, MSS, true)
	next := c.NextSendTime(now)
	if got := next.Sub(now); got < 11*time.Millisecond || got > 12*time.Millisecond {
		t.Errorf("next packet after %v, want 11.61 ms", got)
	}
	if !c.NextSendTimeAt(now, true).Equal(now) {
		t.Error("an urgent packet waited for pacing")
	}
	c.OnPacketSent(now, 300, true)
	if c.NextSendTimeAt(now, true).Equal(now) {
		t.Error("a second urgent packet borrowed beyond one MSS")
	}
	if got := c.NextSendTime(now).Sub(now); got < 14*time.Millisecond || got > 15*time.Millisecond {
		t.Errorf("after the borrow the next packet waits %v, want 14.61 ms", got)
	}
	// An idle sender earns at most one MSS: no burst after a pause.
	later := now.Add(time.Second)
	c.OnPacketSent(later, MSS, true)
	if c.NextSendTime(later).Equal(later) {
		t.Error("a pause turned into a burst")
	}
	// Without time-critical data the window pacer of RFC 7016 §3.5.2.3
	// applies again.
	quiet := later.Add(TimeCriticalTimeout + time.Millisecond)
	c.OnAck(quiet, AckInfo{PreAckOutstanding: MSS, Acked: MSS})
	if _, on := c.PacingRate(); on {
		t.Error("real-time mode on without time-critical data")
	}
}

// ackFor feeds the controller a second of acknowledgements at rate with
// RTT samples of rtt, every 10 ms.
func ackFor(c *Controller, now time.Time, rate float64, rtt time.Duration, lost ByteCount) time.Time {
	step := 10 * time.Millisecond
	for i := 0; i < 100; i++ {
		now = now.Add(step)
		c.OnPacketSent(now, 0, true)
		c.OnRTTSample(now, rtt)
		acked := ByteCount(rate * step.Seconds())
		c.OnAck(now, AckInfo{PreAckOutstanding: 4 * MSS, Outstanding: 4 * MSS, Acked: acked, Lost: lost, AnyLoss: lost > 0, AnyNAKs: lost > 0})
	}
	return now
}

// TestRealtimeRateRules: the rate grows while the queue is empty, is cut
// below the delivery rate when a queue stands, and random loss under
// RealtimeLossLimit does not cut it.
func TestRealtimeRateRules(t *testing.T) {
	c, now := realtimeController(t, 50_000)
	now = ackFor(c, now, 50_000, 20*time.Millisecond, 0)
	grown, _ := c.PacingRate()
	if grown < 60_000 || c.DelayCuts() != 0 {
		t.Errorf("with no queue the rate went from 50000 to %.0f (delay cuts %d), want growth", grown, c.DelayCuts())
	}
	// The path delivers 40 kB/s and a 30 ms queue stands.
	ackFor(c, now, 40_000, 50*time.Millisecond, 0)
	cut, _ := c.PacingRate()
	if c.DelayCuts() == 0 || cut > 40_000 {
		t.Errorf("with a standing queue: rate %.0f, delay cuts %d; want below the 40000 delivered", cut, c.DelayCuts())
	}
	if c.CWND() < 4*MSS || float64(c.CWND()) > cut*(0.05+RealtimeWindowSlack.Seconds())+float64(4*MSS) {
		t.Errorf("window %d for rate %.0f", c.CWND(), cut)
	}
	// 3 % random loss with no queue: no loss cut, the rate grows.
	c2, now2 := realtimeController(t, 50_000)
	perAck := ByteCount(50_000 * 0.01)
	ackFor(c2, now2, 50_000, 20*time.Millisecond, perAck*3/100)
	r2, _ := c2.PacingRate()
	if c2.Losses() != 0 || r2 < 50_000 {
		t.Errorf("3 %% random loss: loss cuts %d, rate %.0f", c2.Losses(), r2)
	}
	// 30 % loss (a policer): cut.
	c3, now3 := realtimeController(t, 50_000)
	ackFor(c3, now3, 50_000, 20*time.Millisecond, perAck*3/7)
	r3, _ := c3.PacingRate()
	if c3.Losses() == 0 || r3 >= 50_000 {
		t.Errorf("30 %% loss: loss cuts %d, rate %.0f", c3.Losses(), r3)
	}
}
