package cc

import (
	"math/rand/v2"
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

// feed drives c for span in 10 ms steps: it sends at the pacing rate,
// or sent bytes per second when that is less (an application sending
// less), the path delivers at most deliver bytes per second, and RTT
// samples are rtt(now).
func feed(c *Controller, now time.Time, span time.Duration, sent, deliver float64, rtt func(now time.Time) time.Duration) time.Time {
	step := 10 * time.Millisecond
	for i := 0; i < int(span/step); i++ {
		now = now.Add(step)
		r, _ := c.PacingRate()
		s := min(r, sent)
		c.OnPacketSent(now, ByteCount(s*step.Seconds()), true)
		c.OnRTTSample(now, rtt(now))
		c.OnAck(now, AckInfo{PreAckOutstanding: 4 * MSS, Outstanding: 4 * MSS, Acked: ByteCount(min(s, deliver) * step.Seconds())})
	}
	return now
}

// wanderRTT is an RTT of 60 ms plus four delays (the four links of a
// round trip) that each drift linearly between targets in [0, 20 ms)
// drawn every 40 ms from a seeded generator, with no queue of ours: the
// RTT wanders over 80 ms, and most bucket minima stand well above the
// least of them.
var wanderRTT = func() func(now time.Time) time.Duration {
	r := rand.New(rand.NewPCG(1, 2))
	const seg = 40 * time.Millisecond
	var v [4][1000]time.Duration
	for l := range v {
		for k := range v[l] {
			v[l][k] = time.Duration(r.Int64N(int64(20 * time.Millisecond)))
		}
	}
	return func(now time.Time) time.Duration {
		d := 60 * time.Millisecond
		k, f := int(now.Sub(t0)/seg), float64(now.Sub(t0)%seg)/float64(seg)
		for l := range v {
			a, b := v[l][k%1000], v[l][(k+1)%1000]
			d += a + time.Duration(f*float64(b-a))
		}
		return d
	}
}()

// TestRealtimeJitterNotQueue: on a path of 100 kB/s whose RTT wanders by
// up to 80 ms, the bucket minima's median raises the threshold above the
// wander and cuts become rare; a standing queue above RealtimeQueueMax is
// still cut.
func TestRealtimeJitterNotQueue(t *testing.T) {
	c, now := realtimeController(t, 50_000)
	var cuts []uint64
	for range 10 {
		now = feed(c, now, time.Second, 1e9, 100_000, wanderRTT)
		cuts = append(cuts, c.DelayCuts())
	}
	high := c.rt.queueHigh()
	rate, _ := c.PacingRate()
	t.Logf("after 10 s of wander: rate %.0f B/s, threshold %v, delay cuts by each second %v", rate, high, cuts)
	if high <= RealtimeQueueHigh+TimestampTick {
		t.Errorf("threshold %v: the wander was not learned", high)
	}
	if late := cuts[len(cuts)-1] - cuts[4]; late > 2 {
		t.Errorf("%d delay cuts in the last 5 s: the wander reads as a queue", late)
	}
	before := c.DelayCuts()
	standing := func(time.Time) time.Duration { return 60*time.Millisecond + RealtimeQueueMax + 20*time.Millisecond }
	feed(c, now, time.Second, 1e9, 100_000, standing)
	if after, _ := c.PacingRate(); c.DelayCuts() == before || after >= rate {
		t.Errorf("a standing queue of %v: delay cuts %d → %d, rate %.0f → %.0f", RealtimeQueueMax+20*time.Millisecond, before, c.DelayCuts(), rate, after)
	}
}

// TestRealtimeLossSlowSession: one full-size packet lost among the few a
// 10 kB/s session sends in 250 ms is not a policer's loss.
func TestRealtimeLossSlowSession(t *testing.T) {
	c, now := realtimeController(t, 10_000)
	step := 10 * time.Millisecond
	for i := 0; i < 300; i++ {
		now = now.Add(step)
		c.OnPacketSent(now, 100, true)
		c.OnRTTSample(now, 20*time.Millisecond)
		var lost ByteCount
		if i%100 == 50 { // one packet a second: 1161 of 10 kB
			lost = MSS
		}
		c.OnAck(now, AckInfo{PreAckOutstanding: 4 * MSS, Outstanding: 4 * MSS, Acked: 100, Lost: lost, AnyLoss: lost > 0, AnyNAKs: lost > 0})
	}
	if c.Losses() != 0 {
		t.Errorf("%d loss cuts for 1 packet lost a second at 10 kB/s", c.Losses())
	}
}

// TestRealtimeAppLimitedCut: when a queue appears, a session whose
// application sends half its pacing rate has the pacing rate cut by
// RealtimeCut, not brought below what the application sends; a session
// that sends what the pacing lets go is cut below the delivery rate
// within a second.
func TestRealtimeAppLimitedCut(t *testing.T) {
	queue := func(time.Time) time.Duration { return 60 * time.Millisecond }
	flat := func(time.Time) time.Duration { return 20 * time.Millisecond }
	c, now := realtimeController(t, 100_000)
	now = feed(c, now, 300*time.Millisecond, 50_000, 1e9, flat)
	before, _ := c.PacingRate()
	for c.DelayCuts() == 0 {
		now = feed(c, now, 10*time.Millisecond, 50_000, 1e9, queue)
	}
	if after, _ := c.PacingRate(); after < RealtimeCut*before-1 || after < 50_000 {
		t.Errorf("application-limited at 50 kB/s: rate %.0f → %.0f, want a cut of the pacing rate by %.0f %%", before, after, 100*(1-RealtimeCut))
	}
	c2, now2 := realtimeController(t, 100_000)
	now2 = feed(c2, now2, 300*time.Millisecond, 1e9, 1e9, flat)
	feed(c2, now2, time.Second, 1e9, 60_000, queue)
	if r, _ := c2.PacingRate(); r > 60_000 {
		t.Errorf("saturated, the path delivering 60 kB/s with a queue for 1 s: rate %.0f, want below the delivery rate", r)
	}
}

// TestRealtimeEarlyDelay: before the path's usual delay is known (16
// bucket minima), delay above the floor does not cut an application that
// sends less than its rate when the path delivers what it sends (the delay
// may be the path's own); a sender that outruns the path is cut.
func TestRealtimeEarlyDelay(t *testing.T) {
	high := func(time.Time) time.Duration { return 20*time.Millisecond + 40*time.Millisecond }
	c, now := realtimeController(t, 100_000)
	feed(c, now, 500*time.Millisecond, 50_000, 1e9, high)
	if r, _ := c.PacingRate(); c.DelayCuts() != 0 || r < 100_000 {
		t.Errorf("application sending 50 kB/s, all delivered: %d delay cuts, rate %.0f", c.DelayCuts(), r)
	}
	c2, now2 := realtimeController(t, 100_000)
	feed(c2, now2, 500*time.Millisecond, 1e9, 60_000, high)
	if c2.DelayCuts() == 0 {
		t.Error("a sender outrunning the path was not cut")
	}
}
