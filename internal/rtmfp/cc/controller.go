package cc

import (
	"fmt"
	"time"
)

// Config configures a Controller. The zero value is camchat's default.
type Config struct {
	// CongestionDelay is the threshold of delay-based congestion
	// detection: when the smoothed RTT exceeds the base RTT by more than
	// this, the controller reacts as to a loss. 0 selects
	// DefaultCongestionDelay; DelayDetectionOff (or any value of at least
	// MaxSegmentLifetime) leaves the loss-only controller. Negative values
	// are invalid.
	CongestionDelay time.Duration
}

// AckInfo describes what one received packet's acknowledgements did, as the
// session's loss bookkeeping (LossDetector) computed it. The controller
// reacts once per packet, after all of its chunks, as RFC 7016 §3.6.2.4 and
// rtmfp-cpp (onPacketAfterChunks) do.
type AckInfo struct {
	// PreAckOutstanding is the outstanding data before this packet's
	// acknowledgements were applied.
	PreAckOutstanding ByteCount
	// Outstanding is what remains outstanding after the acknowledgements
	// and the NAK pass.
	Outstanding ByteCount
	// Acked is the data newly acknowledged by this packet.
	Acked ByteCount
	// Lost is the data the NAK pass declared lost (NAKReport.LostBytes).
	Lost ByteCount
	// AnyNAKs: some outstanding data got a NAK (NAKReport.AnyNAKs).
	AnyNAKs bool
	// AnyLoss: a congestion signal, either NAKReport.AnyLoss or a new ECN
	// congestion-experienced report.
	AnyLoss bool
	// OtherSessionTC: another session of this endpoint sent time-critical
	// data within TimeCriticalTimeout. It forbids fastgrow here, so bulk
	// sessions yield to the endpoint's real-time traffic. An endpoint may
	// simply report whether any of its sessions, this one included, sent
	// TC within TimeCriticalTimeout: this session's own TC forbids
	// fastgrow anyway.
	OtherSessionTC bool
}

// Controller is the congestion controller of one RTMFP session: the
// congestion window of RFC 7016 §3.5.2 and Appendix A as rtmfp-cpp
// implements it (Session::updateCWND), the RTT estimator, the base RTT, the
// pacer and delay-based congestion detection.
//
// # Window rules
//
// cwnd starts at 3·MSS, ssthresh unlimited. Per acknowledging packet:
//
//   - Loss (3 NAKs, ECN, or delay-based congestion): with
//     pre = min(cwnd, outstanding before the ack), the cut is pre/8 when this
//     session sent TC within 800 ms, or when more than 67200 bytes were
//     outstanding and fastgrow is allowed; otherwise pre/2. The cut is at
//     least 1.5× the bytes lost (and at most pre). cwnd = ssthresh =
//     max(pre − cut, 3·MSS). Recovery then lasts until the data outstanding
//     at the cut has drained; further loss in it only cuts again by what
//     exceeds the cut already made.
//   - Growth, only without NAKs and with the window full (outstanding before
//     the ack above 63/64 of cwnd): in slow start (cwnd < ssthresh) +acked
//     when fastgrow is allowed, +acked/4 when not but TC was sent; in
//     congestion avoidance, and in slow start without fastgrow or TC, +96
//     bytes (fastgrow), +48 (TC sent) or +24 per min(max(cwnd/16, 64), cap)
//     acked bytes, cap 9600 with fastgrow and 4800 without. At most +1 MSS
//     per acknowledging packet.
//   - Decay: without NAKs, cwnd more than 6·MSS above the outstanding data
//     shrinks by 1 byte per acknowledging packet.
//   - Timeout: ssthresh = max(ssthresh, ¾·cwnd), cwnd = 2·MSS with data
//     outstanding (and ERTO backs off), 3·MSS with nothing outstanding.
//
// fastgrow is allowed when no TCR arrived from this peer, and no session of
// the endpoint sent TC, within 800 ms: a session yields to real-time traffic
// it competes with.
//
// # Real-time mode
//
// While the session sends time-critical data and delay-based detection is
// on, these window rules give way to a paced rate that keeps the
// bottleneck queue near empty (realtime.go): the window floor of 3·MSS is
// itself a 100 ms queue at 300 kbit/s, and random loss is not congestion.
// The rules below apply to sessions without time-critical data, and to
// all sessions with detection off.
//
// # Delay-based congestion detection and its tuning
//
// RFC 7016 lets a sender treat a rising RTT as loss. rtmfp-cpp has it off
// by default; camchat turns it on with a 50 ms threshold, because a call
// that fills a bottleneck buffer (home routers commonly buffer a second or
// more at 1 Mbit/s) makes its own audio arrive a second late, and loss-based
// control only backs off once that buffer overflows. The rule:
//
//   - Act only when srtt ≥ 32 ms (below that queueing delay is harmless and
//     a 4 ms-tick RTT sample is too coarse), at most once per new RTT sample,
//     and never during loss recovery.
//   - Congested when srtt > base RTT + CongestionDelay. Then react as to a
//     loss (cut by 1/2, or 1/8 for TC or large fastgrow windows), except
//     that a delay cut never goes below pre·base/srtt, the window that would
//     fill the path with an empty queue (the sending rate pre/srtt times the
//     base RTT). Halving is right for a queue as deep as the path's own
//     delay; on a 200 ms path with a 50 ms queue it would leave the link
//     idle for a round trip after every cut (72% goodput in the model at
//     100 ms one-way, 92% with the floor).
//   - At most one delay-triggered cut per smoothed RTT. srtt lags the queue
//     by a few samples; right after a cut it still reads high while the
//     queue drains, and a second cut in the same round trip would halve an
//     already-sufficient window and idle the link. One cut per RTT lets a
//     sender with 1/8 cuts (TC) walk the queue down step by step instead.
//   - Probe: if no delay action happened for 60 srtt, the base RTT is above
//     32 ms, the window is past slow start, bigger than 4·MSS and at least
//     half used, cut cwnd to 21/32 of the outstanding data (ssthresh keeps
//     the old cwnd, so slow start restores it in about two round trips). The
//     dip drains the queue this session may be keeping, so the base RTT
//     tracker sees the true path delay again; without it a standing queue
//     would become the new "base" once the 3-minute history rolls over.
//
// Why 50 ms: halving a window whose queue is q ms deep leaves a queue of
// about (q − base)/2 ms, and keeps the link busy as long as the halved window
// still covers the bandwidth-delay product. On the 1 Mbit/s, 40 ms path of
// the model test (sim_test.go) the queue then saws between about 10 and
// 75 ms: the threshold plus the few samples srtt lags behind. Measured there
// for thresholds of 20, 30, 50, 60, 80 and 100 ms: p95 queueing delay 37,
// 46, 66, 75, 94 and 114 ms, goodput 89, 92, 93, 94, 96 and 97% of the link.
// 50 ms keeps the 95th percentile under 100 ms with a margin of a third for
// jitter and ack compression, at a cost of a few percent of throughput; the
// lower thresholds buy little latency for more throughput lost and come
// close to the 4 ms timestamp resolution and ordinary jitter.
type Controller struct {
	// All fields are owned by the session loop.
	rtt   RTTEstimator
	base  BaseRTT
	pacer Pacer

	cwnd, ssthresh    ByteCount
	ackedAccumulator  ByteCount // acked bytes not yet turned into growth
	recoveryRemaining ByteCount // data to drain before recovery ends
	recoveryAllowance ByteCount // loss cost already paid by the last cut

	congestionDelay time.Duration

	tcSentAt  time.Time // this session last sent a TC packet
	tcSent    bool
	tcrRecvAt time.Time // this peer last sent us TCR
	tcrRecv   bool

	lastDelayAction time.Time // last delay cut or probe
	delayActed      bool
	lastProbe       time.Time // last probe, or last time the base RTT fell
	probeArmed      bool

	rt realtime // real-time mode (realtime.go)

	stats counters
}

type counters struct {
	lossCuts, delayCuts, probes, timeouts uint64
	lostBytes                             ByteCount
}

// New returns a controller in the initial state of a new session.
func New(cfg Config) (*Controller, error) {
	c := &Controller{}
	if err := c.Init(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// Init puts c in the initial state of a new session, for callers that embed
// a Controller by value.
func (c *Controller) Init(cfg Config) error {
	if cfg.CongestionDelay < 0 {
		return fmt.Errorf("%w: congestion delay %v is negative", ErrInvalidConfig, cfg.CongestionDelay)
	}
	d := cfg.CongestionDelay
	if d == 0 {
		d = DefaultCongestionDelay
	}
	*c = Controller{
		pacer:           NewPacer(),
		cwnd:            InitialWindow,
		ssthresh:        Unlimited,
		congestionDelay: d,
	}
	return nil
}

// SetCongestionDelay changes the delay-based detection threshold at any
// time, with the meaning of Config.CongestionDelay: 0 (or less) selects
// DefaultCongestionDelay, DelayDetectionOff turns detection off.
func (c *Controller) SetCongestionDelay(d time.Duration) {
	if d <= 0 {
		d = DefaultCongestionDelay
	}
	c.congestionDelay = d
}

// CongestionDelay is the current delay-based detection threshold.
func (c *Controller) CongestionDelay() time.Duration { return c.congestionDelay }

// DelayDetection reports whether delay-based detection is on.
func (c *Controller) DelayDetection() bool { return c.congestionDelay < MaxSegmentLifetime }

// OnRTTSample feeds an RTT measurement to the estimator and the base RTT.
func (c *Controller) OnRTTSample(now time.Time, rtt time.Duration) {
	if rtt < 0 {
		return
	}
	c.rtt.OnSample(now, rtt)
	c.rt.onRTT(now, rtt, c.rtt.SRTT())
	if c.base.Sample(now, rtt) {
		// The path just proved faster than anything in the history:
		// nothing to probe for a while.
		c.lastProbe, c.probeArmed = now, true
	}
}

// OnTimestampEcho takes a received packet's timestamp echo (RFC 7016
// §3.5.2.2) given the session's current timestamp, and reports the RTT
// sample if one was taken (a repeated echo or one 32768 ticks off is not).
func (c *Controller) OnTimestampEcho(now time.Time, current, echo Timestamp) (time.Duration, bool) {
	rtt, ok := c.rtt.OnTimestampEcho(now, current, echo)
	if ok {
		c.rt.onRTT(now, rtt, c.rtt.SRTT())
	}
	if ok && c.base.Sample(now, rtt) {
		c.lastProbe, c.probeArmed = now, true
	}
	return rtt, ok
}

// ResetBaseRTT forgets the base RTT history, for when the far address
// changed (address mobility, RFC 7016 §3.5.4.2).
func (c *Controller) ResetBaseRTT() {
	c.base.Reset()
	c.rt.floor.Reset()
	c.rt.resetMinima()
}

// OnTCR records that a packet from this peer carried the TCR flag: the
// peer receives time-critical data from someone, so this session must not
// fastgrow for TimeCriticalTimeout.
func (c *Controller) OnTCR(now time.Time) { c.tcrRecvAt, c.tcrRecv = now, true }

// OnPacketSent accounts one sent packet. bytes is the user data it added to
// the outstanding data (0 for a packet without data, which the pacer does
// not count); timeCritical is whether it carried the TC flag.
func (c *Controller) OnPacketSent(now time.Time, bytes ByteCount, timeCritical bool) {
	if timeCritical {
		c.tcSentAt, c.tcSent = now, true
	}
	c.enterRealtime(now)
	if bytes > 0 {
		if c.rt.on {
			c.rt.refill(now)
			c.rt.tokens -= float64(bytes)
			c.rt.sentRate = c.rt.sent.add(now, bytes, c.rtt.SRTT())
			return
		}
		c.pacer.OnSent(now, bytes, c.rtt.SRTT(), c.cwnd)
	}
}

// CanSend reports whether the congestion window has room for another data
// packet given the data outstanding.
func (c *Controller) CanSend(outstanding ByteCount) bool { return outstanding < c.cwnd }

// NextSendTime is the earliest time the burst limit and pacing allow the
// next data packet; a time not after now means "now". The send loop sends
// while CanSend and NextSendTime(now) is not after now, and otherwise arms
// a timer for NextSendTime (an acknowledgement may come first and reopen
// the burst).
func (c *Controller) NextSendTime(now time.Time) time.Time {
	return c.NextSendTimeAt(now, false)
}

// NextSendTimeAt is NextSendTime for a packet of the highest priority
// sending (urgent) or of a lower one. In real-time mode an urgent packet
// may borrow one MSS from the pacer, so it never waits behind the pacing
// of lower priorities; otherwise urgency makes no difference.
func (c *Controller) NextSendTimeAt(now time.Time, urgent bool) time.Time {
	if c.rt.on && c.realtimeActive(now) {
		return c.rt.nextSend(now, urgent)
	}
	return c.pacer.NextSendTime(now, c.rtt.SRTT())
}

// TimeCritical reports whether this session sent TC data within
// TimeCriticalTimeout (tc_sent).
func (c *Controller) TimeCritical(now time.Time) bool {
	return c.tcSent && now.Sub(c.tcSentAt) <= TimeCriticalTimeout
}

// FastGrowAllowed reports whether fastgrow is allowed: no TCR from this
// peer, and no TC sent by this session or (otherSessionTC) another one of
// the endpoint, within TimeCriticalTimeout.
func (c *Controller) FastGrowAllowed(now time.Time, otherSessionTC bool) bool {
	tcr := c.tcrRecv && now.Sub(c.tcrRecvAt) <= TimeCriticalTimeout
	return !tcr && !otherSessionTC && !c.TimeCritical(now)
}

// OnAck updates the window after the acknowledgements of one received
// packet.
func (c *Controller) OnAck(now time.Time, a AckInfo) {
	c.pacer.OnAck()
	c.enterRealtime(now)
	if c.rt.on {
		c.onAckRealtime(now, a)
		return
	}
	fastgrow := c.FastGrowAllowed(now, a.OtherSessionTC)
	tcSent := c.TimeCritical(now)
	var lossCost ByteCount // ⌈1.5 × lost⌉
	if a.Lost > 0 {
		lossCost = a.Lost + (a.Lost+1)/2
		c.stats.lostBytes += a.Lost
	}

	if drained := a.Acked + a.Lost; c.recoveryRemaining > drained {
		c.recoveryRemaining -= drained
		c.recover(lossCost)
		return
	}
	c.recoveryRemaining = 0

	anyLoss := a.AnyLoss
	delayCut := false
	if c.DelayDetection() && c.rtt.SRTT() >= DelayDetectionMinRTT &&
		(!c.delayActed || c.lastDelayAction.Before(c.rtt.LastSampleTime())) {
		srtt := c.rtt.SRTT()
		base, known := c.base.Value()
		switch {
		case !known:
		case srtt > base+c.congestionDelay:
			if !c.delayActed || now.Sub(c.lastDelayAction) >= srtt {
				c.lastDelayAction, c.delayActed = now, true
				anyLoss, delayCut = true, true
			}
		case !anyLoss && !a.AnyNAKs && base > DelayDetectionMinRTT &&
			c.cwnd > 4*MSS && c.cwnd > c.ssthresh && a.PreAckOutstanding > c.cwnd/2 &&
			c.probeArmed && now.Sub(c.lastProbe) >= ProbeRTTs*srtt:
			c.lastDelayAction, c.delayActed = now, true
			c.lastProbe = now
			c.ssthresh = c.cwnd
			c.cwnd = max(a.PreAckOutstanding*21/32, InitialWindow)
			c.stats.probes++
			return
		}
	}

	switch {
	case anyLoss:
		pre := min(c.cwnd, a.PreAckOutstanding)
		cut := pre / 2
		if tcSent || (a.PreAckOutstanding > FastGrowOutstanding && fastgrow) {
			cut = pre / 8
		}
		if delayCut {
			// Never cut below the window the path needs without any
			// queue: pre·base/srtt estimates it (rate pre/srtt times
			// base RTT). On long paths half a window idles the link.
			base, _ := c.base.Value()
			bdp := ByteCount(float64(pre) * float64(base) / float64(c.rtt.SRTT()))
			cut = min(cut, max(pre-bdp, 0))
		}
		cut = min(pre, max(cut, lossCost))
		c.recoveryAllowance = cut
		c.ssthresh = max(pre-cut, InitialWindow)
		c.cwnd = c.ssthresh
		c.ackedAccumulator = 0
		c.recoveryRemaining = a.Outstanding
		if delayCut {
			c.stats.delayCuts++
		} else {
			c.stats.lossCuts++
		}
	case !a.AnyNAKs && a.PreAckOutstanding > c.cwnd*63/64:
		c.cwnd = max(c.cwnd+min(c.growth(a.Acked, fastgrow, tcSent), MSS), InitialWindow)
	case !a.AnyNAKs && c.cwnd > a.PreAckOutstanding+DecayMargin:
		c.cwnd -= DecayStep
	}

	if c.cwnd <= InitialWindow {
		// A minimal window is taken not to fill a queue, so whatever RTT
		// it sees is the path's: start the base history afresh. That
		// holds only on fast paths (3·MSS is 100 ms of queue at 300
		// kbit/s); a time-critical session is in real-time mode, which
		// keeps its base.
		c.base.Reset()
	}
}

// recover handles loss during a recovery period: the last cut already paid
// for recoveryAllowance bytes of loss cost; only loss beyond that, as from
// a sudden drop in path capacity, cuts again, and recovery is extended so
// that this extra cut drains before the next multiplicative decrease.
func (c *Controller) recover(lossCost ByteCount) {
	if lossCost == 0 {
		return
	}
	if lossCost <= c.recoveryAllowance {
		c.recoveryAllowance -= lossCost
		return
	}
	extra := min(lossCost-c.recoveryAllowance, c.ssthresh)
	c.recoveryAllowance = 0
	c.ssthresh = max(c.ssthresh-extra, InitialWindow)
	c.cwnd = c.ssthresh
	c.recoveryRemaining += extra
	c.stats.lossCuts++
}

// growth is the window increase earned by acked bytes, before the per-ack
// cap (RFC 7016 Appendix A as modified by rtmfp-cpp).
func (c *Controller) growth(acked ByteCount, fastgrow, tcSent bool) ByteCount {
	if fastgrow && c.cwnd < c.ssthresh {
		c.ackedAccumulator = 0
		return acked
	}
	if !fastgrow && tcSent && c.cwnd < c.ssthresh {
		c.ackedAccumulator = 0
		return (acked + 3) / 4
	}
	ceiling, step := ByteCount(4800), ByteCount(24)
	switch {
	case fastgrow:
		ceiling, step = 9600, 96
	case tcSent:
		step = 48
	}
	threshold := min(max(c.cwnd/16, 64), ceiling)
	c.ackedAccumulator += acked
	n := c.ackedAccumulator / threshold
	c.ackedAccumulator -= n * threshold
	return n * step
}

// OnTimeout applies a retransmission timeout (RFC 7016 Appendix A.2).
// outstanding says whether data was in flight; the caller then declares all
// of it lost (LossDetector.Timeout).
func (c *Controller) OnTimeout(now time.Time, outstanding bool) {
	c.pacer.OnTimeout()
	c.ssthresh = max(c.ssthresh, c.cwnd*3/4)
	c.ackedAccumulator = 0
	c.recoveryRemaining = 0
	c.base.Reset()
	c.rt.floor.Reset()
	c.rt.resetMinima()
	if c.rt.on {
		c.rt.rate = max(c.rt.rate/2, RealtimeMinRate)
		// Half the rate, growing again at the steady pace: doubling
		// every RTT from there (slow start) outruns the measurements
		// on a path of a few ms, and overshot a 300 kbit/s link to
		// 1 Mbit/s in the real-link scene.
		c.rt.tokens, c.rt.tokAt = 0, now
		c.rt.startup = false
	}
	if !outstanding {
		c.cwnd = InitialWindow
		return
	}
	c.cwnd = TimedOutWindow
	c.rtt.OnTimeout()
	c.stats.timeouts++
}
