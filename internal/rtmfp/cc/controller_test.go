package cc

import (
	"errors"
	"testing"
	"time"
)

func newTestController(t *testing.T, cfg Config, cwnd, ssthresh ByteCount) *Controller {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.cwnd, c.ssthresh = cwnd, ssthresh
	return c
}

func TestNewController(t *testing.T) {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.CWND() != 3483 || c.SSThresh() != Unlimited || c.CongestionDelay() != DefaultCongestionDelay || !c.DelayDetection() {
		t.Errorf("initial cwnd %d ssthresh %d delay %v", c.CWND(), c.SSThresh(), c.CongestionDelay())
	}
	if c.ERTO() != 3*time.Second || c.MRTO() != 250*time.Millisecond {
		t.Errorf("initial ERTO %v MRTO %v", c.ERTO(), c.MRTO())
	}
	if _, ok := c.BaseRTT(); ok {
		t.Error("base RTT known before any sample")
	}
	off, _ := New(Config{CongestionDelay: DelayDetectionOff})
	if off.DelayDetection() {
		t.Error("DelayDetectionOff left detection on")
	}
	if _, err := New(Config{CongestionDelay: -time.Millisecond}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("negative delay: %v", err)
	}
}

func TestLossCut(t *testing.T) {
	tests := []struct {
		name      string
		cwnd, pre ByteCount
		lost      ByteCount
		tcSentAgo time.Duration // < 0: never
		otherTC   bool
		tcr       bool
		want      ByteCount
	}{
		// pre = min(cwnd, outstanding) = 30000; not TC, ≤ 67200: cut 1/2.
		{"half", 40000, 30000, 0, -1, false, false, 15000},
		// pre = cwnd = 20000 when more is outstanding.
		{"pre is cwnd", 20000, 30000, 0, -1, false, false, 10000},
		// More than 67200 outstanding with fastgrow: cut 1/8.
		{"large fastgrow", 100000, 90000, 0, -1, false, false, 78750},
		// … but not when another session sent TC (no fastgrow): 1/2.
		{"large, other session TC", 100000, 90000, 0, -1, true, false, 45000},
		// … nor after TCR from this peer.
		{"large, TCR", 100000, 90000, 0, -1, false, true, 45000},
		// This session sent TC within 800 ms: 1/8 at any size.
		{"tc sent", 40000, 30000, 0, 800 * time.Millisecond, false, false, 26250},
		// TC older than 800 ms no longer counts.
		{"tc expired", 40000, 30000, 0, 801 * time.Millisecond, false, false, 15000},
		// Cut at least 1.5 × lost: 5000 lost → 7500 > 30000/8.
		{"loss cost", 40000, 30000, 5000, 0, false, false, 22500},
		// TC: ⌈1.5 × 1401⌉ = 2102 > 16000/8.
		{"loss cost rounding", 16000, 16000, 1401, 0, false, false, 13898},
		// Never below 3·MSS.
		{"floor", 8000, 6000, 0, -1, false, false, InitialWindow},
		// The cut is at most pre.
		{"cut capped", 40000, 30000, 100000, -1, false, false, InitialWindow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The window rules with TC are those of loss-only control:
			// with delay detection on, TC selects real-time mode.
			c := newTestController(t, Config{CongestionDelay: DelayDetectionOff}, tt.cwnd, Unlimited)
			now := t0.Add(10 * time.Second)
			if tt.tcSentAgo >= 0 {
				c.OnPacketSent(now.Add(-tt.tcSentAgo), 0, true)
			}
			if tt.tcr {
				c.OnTCR(now.Add(-100 * time.Millisecond))
			}
			c.OnAck(now, AckInfo{PreAckOutstanding: tt.pre, Outstanding: max(tt.pre-MSS-tt.lost, 1), Acked: MSS,
				Lost: tt.lost, AnyNAKs: true, AnyLoss: true, OtherSessionTC: tt.otherTC})
			if c.CWND() != tt.want || c.SSThresh() != tt.want {
				t.Errorf("cwnd %d ssthresh %d, want both %d", c.CWND(), c.SSThresh(), tt.want)
			}
			if c.Losses() != 1 || !c.Stats().InRecovery {
				t.Errorf("losses %d, in recovery %v", c.Losses(), c.Stats().InRecovery)
			}
		})
	}
}

func TestLossRecovery(t *testing.T) {
	c := newTestController(t, Config{}, 40000, Unlimited)
	now := t0
	// Cut to 20000 with 36000 still outstanding: recovery lasts 36000 bytes.
	c.OnAck(now, AckInfo{PreAckOutstanding: 40000, Outstanding: 36000, Acked: 2839, Lost: 1161, AnyNAKs: true, AnyLoss: true})
	if c.CWND() != 20000 {
		t.Fatalf("cwnd %d", c.CWND())
	}
	// The cut paid for 20000 bytes of loss cost; 2 × 1161 lost (cost 3483) is covered.
	c.OnAck(now, AckInfo{PreAckOutstanding: 36000, Outstanding: 32000, Acked: 1678, Lost: 2322, AnyNAKs: true, AnyLoss: true})
	if c.CWND() != 20000 || c.Losses() != 1 {
		t.Fatalf("loss within allowance cut again: cwnd %d losses %d", c.CWND(), c.Losses())
	}
	// Growth does not happen in recovery either.
	c.OnAck(now, AckInfo{PreAckOutstanding: 32000, Outstanding: 30839, Acked: 1161})
	if c.CWND() != 20000 {
		t.Fatalf("grew in recovery: %d", c.CWND())
	}
	// 12000 lost (cost 18000) exceeds the 16517 left: cut again by 1483.
	c.OnAck(now, AckInfo{PreAckOutstanding: 30839, Outstanding: 18839, Lost: 12000, AnyNAKs: true, AnyLoss: true})
	if c.CWND() != 18517 || c.SSThresh() != 18517 || c.Losses() != 2 {
		t.Fatalf("after excess loss: cwnd %d ssthresh %d losses %d; want 18517", c.CWND(), c.SSThresh(), c.Losses())
	}
	// Recovery remaining: 36000 − 4000 − 1161 − 12000, extended by 1483.
	if c.recoveryRemaining != 20322 {
		t.Fatalf("recovery remaining %d, want 20322", c.recoveryRemaining)
	}
	c.OnAck(now, AckInfo{PreAckOutstanding: 18839, Outstanding: 0, Acked: 18839, AnyNAKs: true})
	if !c.Stats().InRecovery {
		t.Fatal("recovery ended before the extension drained")
	}
	// Once it drains, loss cuts again normally.
	c.OnAck(now, AckInfo{PreAckOutstanding: 1483, Outstanding: 0, Acked: 1483, AnyNAKs: true})
	if c.Stats().InRecovery || c.CWND() != 18517 {
		t.Fatalf("still in recovery, or cwnd %d changed", c.CWND())
	}
	c.OnAck(now, AckInfo{PreAckOutstanding: 18517, Outstanding: 17356, Lost: 1161, AnyNAKs: true, AnyLoss: true})
	if c.CWND() != 9259 || c.Losses() != 3 {
		t.Fatalf("after recovery: cwnd %d losses %d, want 9259", c.CWND(), c.Losses())
	}
}

func TestGrowth(t *testing.T) {
	tests := []struct {
		name           string
		cwnd, ssthresh ByteCount
		pre            ByteCount // 0: cwnd (window full)
		acked          []ByteCount
		tcSent         bool
		tcr, otherTC   bool
		naks           bool
		want           ByteCount
	}{
		{"slow start fastgrow", 10000, Unlimited, 0, []ByteCount{1161}, false, false, false, false, 11161},
		{"slow start capped per ack", 10000, Unlimited, 0, []ByteCount{2000}, false, false, false, false, 11161},
		{"slow start capped, two acks", 10000, Unlimited, 12000, []ByteCount{2000, 2000}, false, false, false, false, 12322},
		// TC sent: no fastgrow, slow start gains ⌈acked/4⌉.
		{"slow start tc", 10000, Unlimited, 0, []ByteCount{1001}, true, false, false, false, 10251},
		// No fastgrow (TCR) and no TC: the congestion-avoidance rule, +24 per
		// min(max(16000/16, 64), 4800) = 1000 bytes.
		{"slow start no fastgrow", 16000, Unlimited, 0, []ByteCount{2500}, false, true, false, false, 16048},
		// Congestion avoidance with fastgrow: +96 per 1000; the remainder carries.
		{"avoidance fastgrow", 16000, 8000, 0, []ByteCount{2500, 524}, false, false, false, false, 16288},
		// Threshold ceiling 9600 at large windows.
		{"avoidance fastgrow ceiling", 320000, 8000, 0, []ByteCount{9599, 1}, false, false, false, false, 320096},
		{"avoidance no fastgrow ceiling", 160000, 8000, 0, []ByteCount{4800}, false, false, true, false, 160024},
		{"avoidance tc", 16000, 8000, 0, []ByteCount{3000}, true, false, false, false, 16144},
		// Threshold floor: max(3483/16, 64) = 217.
		{"avoidance small window", InitialWindow, 1000, 0, []ByteCount{434}, false, false, false, false, InitialWindow + 192},
		{"avoidance capped per ack", 16000, 8000, 0, []ByteCount{20000}, false, false, false, false, 16000 + MSS},
		// Window not full: outstanding must exceed 63/64 of cwnd.
		{"not full", 16000, Unlimited, 15750, []ByteCount{1161}, false, false, false, false, 16000},
		{"just full", 16000, Unlimited, 15751, []ByteCount{1161}, false, false, false, false, 17161},
		{"naks", 16000, Unlimited, 0, []ByteCount{1161}, false, false, false, true, 16000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestController(t, Config{CongestionDelay: DelayDetectionOff}, tt.cwnd, tt.ssthresh)
			now := t0.Add(time.Minute)
			if tt.tcSent {
				c.OnPacketSent(now.Add(-time.Millisecond), 0, true)
			}
			if tt.tcr {
				c.OnTCR(now.Add(-time.Millisecond))
			}
			pre := tt.pre
			if pre == 0 {
				pre = tt.cwnd
			}
			for _, a := range tt.acked {
				c.OnAck(now, AckInfo{PreAckOutstanding: pre, Outstanding: pre - a, Acked: a, AnyNAKs: tt.naks, OtherSessionTC: tt.otherTC})
			}
			if c.CWND() != tt.want {
				t.Errorf("cwnd %d, want %d", c.CWND(), tt.want)
			}
		})
	}
}

func TestDecay(t *testing.T) {
	tests := []struct {
		pre  ByteCount
		naks bool
		want ByteCount
	}{
		{20000 - DecayMargin - 1, false, 19999}, // more than 6·MSS unused: −1 byte
		{20000 - DecayMargin, false, 20000},     // exactly 6·MSS unused: kept
		{20000 - DecayMargin - 1, true, 20000},  // NAKs: no decay
	}
	for _, tt := range tests {
		c := newTestController(t, Config{}, 20000, Unlimited)
		c.OnAck(t0, AckInfo{PreAckOutstanding: tt.pre, Outstanding: tt.pre - 1000, Acked: 1000, AnyNAKs: tt.naks})
		if c.CWND() != tt.want {
			t.Errorf("pre %d naks %v: cwnd %d, want %d", tt.pre, tt.naks, c.CWND(), tt.want)
		}
	}
}

func TestTimeout(t *testing.T) {
	tests := []struct {
		name                   string
		cwnd, ssthresh         ByteCount
		outstanding            bool
		wantCwnd, wantSSThresh ByteCount
		wantERTO               time.Duration
	}{
		{"unlimited ssthresh", 20000, Unlimited, true, TimedOutWindow, Unlimited, 707107000},
		{"ssthresh raised to 3/4 cwnd", 20000, 8000, true, TimedOutWindow, 15000, 707107000},
		{"ssthresh kept", 20000, 18000, true, TimedOutWindow, 18000, 707107000},
		{"nothing outstanding", 20000, 8000, false, InitialWindow, 15000, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestController(t, Config{}, tt.cwnd, tt.ssthresh)
			c.OnRTTSample(t0, 100*time.Millisecond) // ERTO 500 ms
			c.OnTimeout(t0.Add(time.Second), tt.outstanding)
			if c.CWND() != tt.wantCwnd || c.SSThresh() != tt.wantSSThresh || c.ERTO() != tt.wantERTO {
				t.Errorf("cwnd %d ssthresh %d ERTO %v; want %d %d %v",
					c.CWND(), c.SSThresh(), c.ERTO(), tt.wantCwnd, tt.wantSSThresh, tt.wantERTO)
			}
			if _, ok := c.BaseRTT(); ok {
				t.Error("base RTT survived the timeout")
			}
		})
	}
}

func TestTimeCriticalState(t *testing.T) {
	c := newTestController(t, Config{}, InitialWindow, Unlimited)
	if !c.FastGrowAllowed(t0, false) || c.TimeCritical(t0) {
		t.Fatal("fresh controller")
	}
	if c.FastGrowAllowed(t0, true) {
		t.Error("fastgrow despite another session's TC")
	}
	c.OnTCR(t0)
	if c.FastGrowAllowed(t0.Add(800*time.Millisecond), false) || !c.FastGrowAllowed(t0.Add(801*time.Millisecond), false) {
		t.Error("TCR does not hold for exactly 800 ms")
	}
	c.OnPacketSent(t0.Add(time.Second), MSS, true)
	if !c.TimeCritical(t0.Add(1800*time.Millisecond)) || c.TimeCritical(t0.Add(1801*time.Millisecond)) {
		t.Error("TC does not hold for exactly 800 ms")
	}
	if c.FastGrowAllowed(t0.Add(1800*time.Millisecond), false) {
		t.Error("fastgrow while sending TC")
	}
}

// delayTestController has a 40 ms base RTT and a window in congestion
// avoidance.
func delayTestController(t *testing.T, cfg Config) (*Controller, time.Time) {
	c := newTestController(t, cfg, 20000, 10000)
	now := t0
	c.OnRTTSample(now, 40*time.Millisecond)
	return c, now
}

func TestDelayBasedCut(t *testing.T) {
	c, now := delayTestController(t, Config{})
	ack := AckInfo{PreAckOutstanding: 20000, Outstanding: 0, Acked: 1161}
	// srtt rises to 40 + 7/8·… : samples of 160 ms until srtt > 90 ms.
	for c.SRTT() <= 90*time.Millisecond {
		now = now.Add(10 * time.Millisecond)
		c.OnRTTSample(now, 160*time.Millisecond)
		if c.SRTT() <= 90*time.Millisecond {
			c.OnAck(now, ack)
			if c.DelayCuts() != 0 {
				t.Fatalf("cut at srtt %v ≤ base + 50ms", c.SRTT())
			}
		}
	}
	// pre = min(cwnd, 20000 outstanding); halved like a loss.
	c.OnAck(now, ack)
	if c.DelayCuts() != 1 || c.CWND() != 10000 || c.Losses() != 0 {
		t.Fatalf("delay cut: cuts %d cwnd %d losses %d; want 1, 10000, 0", c.DelayCuts(), c.CWND(), c.Losses())
	}
	// Still congested, new samples, but within one srtt: no second cut.
	first := now
	for now.Sub(first) < c.SRTT() {
		c.OnRTTSample(now, 160*time.Millisecond)
		c.OnAck(now, ack)
		if c.DelayCuts() != 1 {
			t.Fatalf("second cut %v after the first (srtt %v)", now.Sub(first), c.SRTT())
		}
		now = now.Add(10 * time.Millisecond)
	}
	// One srtt later it cuts again.
	c.OnAck(now, ack)
	if c.DelayCuts() != 2 {
		t.Fatalf("no cut one srtt later: %d", c.DelayCuts())
	}
	// Later still, but without a fresh RTT sample since that cut: nothing.
	now = now.Add(time.Second)
	c.OnAck(now, ack)
	if c.DelayCuts() != 2 {
		t.Fatal("cut without a new RTT sample since the last action")
	}
	c.OnRTTSample(now, 160*time.Millisecond)
	c.OnAck(now, ack)
	if c.DelayCuts() != 3 {
		t.Fatalf("no cut after a fresh sample: %d", c.DelayCuts())
	}
}

func TestDelayBasedOffAndShortRTT(t *testing.T) {
	ack := AckInfo{PreAckOutstanding: 20000, Outstanding: 0, Acked: 1161}
	// Off: no reaction to any delay.
	c, now := delayTestController(t, Config{CongestionDelay: DelayDetectionOff})
	for i := 0; i < 100; i++ {
		now = now.Add(10 * time.Millisecond)
		c.OnRTTSample(now, time.Second)
		c.OnAck(now, ack)
	}
	if c.DelayCuts() != 0 || c.Stats().Probes != 0 {
		t.Errorf("detection off: %d cuts %d probes", c.DelayCuts(), c.Stats().Probes)
	}
	// srtt below 32 ms: no reaction even far above a 1 ms threshold.
	c = newTestController(t, Config{CongestionDelay: time.Millisecond}, 20000, 10000)
	now = t0
	c.OnRTTSample(now, 4*time.Millisecond)
	for i := 0; i < 100; i++ {
		now = now.Add(10 * time.Millisecond)
		c.OnRTTSample(now, 28*time.Millisecond)
		c.OnAck(now, ack)
	}
	if c.DelayCuts() != 0 {
		t.Errorf("short RTT: %d cuts at srtt %v", c.DelayCuts(), c.SRTT())
	}
}

func TestDelayBasedProbe(t *testing.T) {
	c, now := delayTestController(t, Config{})
	// srtt 60 ms: below the threshold; the window is past slow start and
	// full. The probe comes 60 srtt = 3.6 s after the base RTT was set.
	// Growth raises cwnd by at most one MSS per ack on the way.
	var cwndBefore ByteCount
	probedAt := time.Duration(-1)
	for i := 0; i < 500 && probedAt < 0; i++ {
		now = now.Add(10 * time.Millisecond)
		c.OnRTTSample(now, 60*time.Millisecond)
		cwndBefore = c.CWND()
		c.OnAck(now, AckInfo{PreAckOutstanding: c.CWND(), Outstanding: c.CWND() - 1161, Acked: 1161})
		if c.Stats().Probes == 1 {
			probedAt = now.Sub(t0)
		}
	}
	srtt := c.SRTT()
	if probedAt < 0 {
		t.Fatal("no probe")
	}
	// lastProbe was set by the first sample at t0; the probe is due at
	// 60·srtt (srtt converges towards 60 ms from 40 ms).
	if probedAt < 60*srtt-10*time.Millisecond || probedAt > 60*srtt+10*time.Millisecond {
		t.Errorf("probe at %v, want about 60·srtt = %v", probedAt, 60*srtt)
	}
	if c.SSThresh() != cwndBefore || c.CWND() != cwndBefore*21/32 {
		t.Errorf("probe: cwnd %d ssthresh %d; want %d and %d", c.CWND(), c.SSThresh(), cwndBefore*21/32, cwndBefore)
	}
	if c.DelayCuts() != 0 || c.Losses() != 0 {
		t.Errorf("probe counted as a cut")
	}
}

func TestBaseRTTResetAtMinimumWindow(t *testing.T) {
	c := newTestController(t, Config{}, InitialWindow, Unlimited)
	c.OnRTTSample(t0, 40*time.Millisecond)
	// Not full, no growth: cwnd stays at 3·MSS, so the base history restarts.
	c.OnAck(t0, AckInfo{PreAckOutstanding: 1000, Outstanding: 0, Acked: 1000})
	if _, ok := c.BaseRTT(); ok {
		t.Error("base RTT kept at the minimum window")
	}
	c.OnRTTSample(t0.Add(time.Second), 70*time.Millisecond)
	if b, _ := c.BaseRTT(); b != 70*time.Millisecond {
		t.Errorf("base %v after reset, want 70ms", b)
	}
	c.ResetBaseRTT()
	if _, ok := c.BaseRTT(); ok {
		t.Error("ResetBaseRTT kept the base")
	}
}

func TestControllerPacingAndWindow(t *testing.T) {
	c := newTestController(t, Config{}, 10*MSS, Unlimited)
	now := t0
	if !c.CanSend(10*MSS-1) || c.CanSend(10*MSS) {
		t.Error("CanSend does not compare with cwnd")
	}
	// No RTT yet: no pacing.
	for i := 0; i < 8; i++ {
		c.OnPacketSent(now, MSS, false)
	}
	if !c.NextSendTime(now).Equal(now) {
		t.Error("paced before any RTT sample")
	}
	c.OnRTTSample(now, 100*time.Millisecond)
	c.OnAck(now, AckInfo{PreAckOutstanding: 8 * MSS, Outstanding: 7 * MSS, Acked: MSS})
	// cwnd grew by 0 (window not full: 8 MSS < 63/64 of 10 MSS).
	for i := 0; i < MaxBurstPackets; i++ {
		if !c.NextSendTime(now).Equal(now) {
			t.Fatalf("burst packet %d paced", i+1)
		}
		c.OnPacketSent(now, MSS, false)
	}
	if got := c.NextSendTime(now).Sub(now); got != 10*time.Millisecond {
		t.Errorf("pacing interval %v, want srtt·MSS/cwnd = 10ms", got)
	}
	c.OnTimeout(now, true)
	if !c.NextSendTime(now).Equal(now) {
		t.Error("timeout did not reopen the burst")
	}
}

func TestDelayCutFloor(t *testing.T) {
	// A 200 ms path with srtt just past base + 50 ms: halving would leave
	// far less than the path holds; the cut stops at pre·base/srtt.
	c := newTestController(t, Config{}, 20000, 10000)
	now := t0
	c.OnRTTSample(now, 200*time.Millisecond)
	for c.SRTT() <= 250*time.Millisecond {
		now = now.Add(10 * time.Millisecond)
		c.OnRTTSample(now, 300*time.Millisecond)
	}
	srtt := c.SRTT()
	c.OnAck(now, AckInfo{PreAckOutstanding: 20000, Outstanding: 0, Acked: MSS})
	want := ByteCount(20000 * float64(200*time.Millisecond) / float64(srtt))
	if c.DelayCuts() != 1 || c.CWND() != want || want <= 15000 {
		t.Errorf("cuts %d cwnd %d, want 1 and %d (20000·200ms/%v)", c.DelayCuts(), c.CWND(), want, srtt)
	}
	// A loss at the same point still halves.
	c = newTestController(t, Config{}, 20000, 10000)
	c.OnRTTSample(t0, 200*time.Millisecond)
	c.OnRTTSample(t0.Add(time.Millisecond), 300*time.Millisecond)
	c.OnAck(t0.Add(time.Millisecond), AckInfo{PreAckOutstanding: 20000, Outstanding: 1, Acked: MSS, AnyNAKs: true, AnyLoss: true})
	if c.CWND() != 10000 {
		t.Errorf("loss cut to %d, want 10000", c.CWND())
	}
}

func TestSetCongestionDelay(t *testing.T) {
	c := newTestController(t, Config{CongestionDelay: DelayDetectionOff}, InitialWindow, Unlimited)
	c.SetCongestionDelay(80 * time.Millisecond)
	if c.CongestionDelay() != 80*time.Millisecond || !c.DelayDetection() {
		t.Error("set 80ms")
	}
	c.SetCongestionDelay(0)
	if c.CongestionDelay() != DefaultCongestionDelay {
		t.Error("0 does not select the default")
	}
	c.SetCongestionDelay(MaxSegmentLifetime)
	if c.DelayDetection() {
		t.Error("a delay of MaxSegmentLifetime leaves detection on")
	}
}
