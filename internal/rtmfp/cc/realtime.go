package cc

import (
	"math"
	"slices"
	"time"
)

// Real-time mode: while a session sends time-critical data (audio) and
// delay-based detection is on, the Controller governs a sending rate
// instead of a window, and keeps the bottleneck queue almost empty.
//
// Why not a window. Audio shares the bottleneck's FIFO with the session's
// video, so everything queued ahead of an audio packet is delay the call
// hears. A window holds its data in flight for a round trip, and the
// smallest one RFC 7016 Appendix A allows (3·MSS) is by itself a 100 ms
// standing queue at 300 kbit/s on a path with no propagation delay; with
// loss-based control the queue is the whole buffer (rtmfp-cpp's default:
// 420–630 ms one way in the real-link scene at 300–600 kbit/s). Packets
// spaced by a rate below the bottleneck's leave nothing queued, whatever
// the buffer size; the window then only bounds the data in flight if the
// acknowledgements stop.
//
// The rules, per acknowledging packet (in the manner of WebRTC's
// delay-based and loss-based estimators, draft-ietf-rmcat-gcc-02 §5–§6,
// with the queue measured from RTT samples rather than one-way delay
// gradients, since RTMFP echoes timestamps):
//
//   - queue = (least RTT sample of the last two buckets of max(100 ms,
//     srtt)) − floor, the floor being the least of such bucket minima
//     over about three minutes (compared like with like). The samples
//     are small packets' (the session puts new timestamps only in
//     packets of at most 400 bytes while in this mode): a full-size
//     packet's round trip includes its own serialization.
//   - usual = median of the last 64 bucket minima − floor: the delay the
//     path shows above its least with no queue of ours. On a path whose
//     delay varies by itself (jitter, as on Wi-Fi) most bucket minima
//     sit above the floor, which is the rare moment all of the path's
//     variation was low; read as a queue, it cut a call on a 600 kbit/s
//     path with 10 ms of wander a link to a few frames a second.
//   - The threshold: the largest of RealtimeQueueHigh, a quarter of the
//     floor (long paths) and 1.5 × usual, the last at most
//     RealtimeQueueMax (the audio delay a noisy path may cost). The
//     median, not a higher quantile: our own queue is in the minima too,
//     and the 90th percentile let it raise the threshold on clean links
//     (audio p99 70–117 ms instead of 22–52 ms in the simulated
//     real-link scene); 1.5 × the median covers the wander above.
//   - Above the threshold: rate = delivery rate × max(RealtimeCut, 1 −
//     (queue − usual)/150 ms), bounded to [0.5, 0.9] × rate, at most once
//     per smoothed RTT and after a bucket of samples taken since the last
//     cut. After startup, while the application sends less than 80 % of
//     the rate, the bounds are [RealtimeCut, 0.9] × rate: its delivery
//     rate is its own (and noisy, video comes in frames), and a cut below
//     what it sends is a queue at the sender, delay the call hears; cuts
//     in a row bring the rate down to it. No cut at all while fewer than
//     16 bucket minima are known, the application sends less than 80 %
//     of the rate and the path delivers at least 80 % of what is sent:
//     the delay may be the path's own, and in a call's first second on a
//     wandering path such cuts went below what the application sent,
//     which the room read as a slow path. When four cuts in a row found
//     the queue no smaller and the rate fell under half the recent peak,
//     the present delay is taken as the floor (a slow link where every
//     packet is full-size, or a queue another sender keeps).
//   - Otherwise, while the sender uses at least half of its rate and loss
//     is under RealtimeLossLimit: the rate grows, for the time since the
//     last acknowledgement (at most a bucket), by the larger of
//     RealtimeGrowth per second and RealtimeAdditive (doubling every
//     smoothed RTT in startup, until the first cut); by only
//     RealtimeProbeGrowth per second from 0.9 to 1.5 times the delivery
//     rate of the last cut that found the path saturated (capRef) while
//     the sender uses 80 % of its rate: the queue appears there, grows
//     slowly and is caught small. Growing 50 %/s up to the path's rate
//     the queue stood at 24 % above it when the delay showed it; on a
//     real 300 kbit/s link (RTT under a timestamp tick) growth bounded
//     to one smoothed RTT a packet was a tenth as fast, and the rate
//     took 20 s to come back after a cut.
//   - Loss: random loss is not congestion (a 3 % lossy Wi-Fi link must
//     not hold a call at a few KB/s, as the loss-based window did), and
//     drop-tail congestion shows as queueing first. Only a loss fraction
//     above RealtimeLossLimit (over periods of at least 250 ms and 16
//     full-size packets) cuts the rate, by half the fraction, as for a
//     policer that drops without queueing.
//   - Pacing: each packet's bytes are a debt paid at the rate; a packet
//     leaves when the debt is paid (no credit accumulates, so a pause is
//     no burst), except that the highest priority sending (urgent, see
//     NextSendTimeAt) may leave with one MSS of debt:
//     audio never waits for pacing behind video, and the path sees at most
//     one small packet more than the rate.
//   - Window: rate × (srtt + RealtimeWindowSlack), at least 4·MSS.
//
// Leaving real-time mode (no time-critical data for 800 ms), the window
// rules of RFC 7016 Appendix A resume from the window last set here.
const (
	// RealtimeQueueHigh is the queueing delay above which the rate is cut.
	RealtimeQueueHigh = 12 * time.Millisecond
	// RealtimeGrowth is the rate's growth per second after startup.
	RealtimeGrowth = 0.5
	// RealtimeAdditive is the least growth, in user data bytes per
	// second per second.
	RealtimeAdditive = 8000
	// RealtimeCut is the fraction of the delivery rate kept by a cut.
	RealtimeCut = 0.85
	// RealtimeLossLimit is the loss fraction above which loss cuts the
	// rate.
	RealtimeLossLimit = 0.10
	// RealtimeMinRate is the least rate, in user data bytes per second:
	// enough for a voice call (64 kbit/s).
	RealtimeMinRate = 8000
	// RealtimeWindowSlack is the queueing delay the window allows for
	// beyond the smoothed RTT.
	RealtimeWindowSlack = 50 * time.Millisecond
	// realtimeMinBucket and realtimeRateSamples: the least RTT is taken
	// over two buckets of max(100 ms, srtt/2); the delivery rate over
	// the last max(2·srtt, 200 ms), from a ring of samples.
	realtimeMinBucket   = 100 * time.Millisecond
	realtimeRateSamples = 16
	realtimeLossPeriod  = 250 * time.Millisecond
	// realtimeDrainTime: a cut leaves the rate below the delivery rate
	// by enough to drain the queue in about this time.
	realtimeDrainTime = 150 * time.Millisecond
	// realtimeStuckCuts is how many delay cuts in a row that find the
	// queue no smaller make the controller take the present delay as
	// the path's own.
	realtimeStuckCuts = 4
	// RealtimeQueueMax bounds the threshold that a path's own delay
	// variation raises.
	RealtimeQueueMax = 60 * time.Millisecond
	// RealtimeProbeGrowth is the rate's growth per second near the rate
	// the path delivered when a delay cut last found it saturated.
	RealtimeProbeGrowth = 0.1
	// realtimeMinima is how many recent bucket minima the path's usual
	// delay (their median) is taken from: about 7 s of 110 ms buckets.
	realtimeMinima = 64
	// realtimeLossBytes: a loss period also spans at least this much
	// data (16 full-size packets), up to realtimeLossPeriodMax, so that
	// one packet lost of the few a slow session sends in 250 ms does
	// not read as a policer's loss.
	realtimeLossBytes     = 16 * MSS
	realtimeLossPeriodMax = 2 * time.Second
)

type rateSample struct {
	at    time.Time
	total ByteCount
}

// realtime is the state of real-time mode. Owned by the session loop.
type realtime struct {
	on      bool
	started bool // initialized once; startup lasts until the first cut
	startup bool
	rate    float64 // user data bytes per second
	tokens  float64 // bytes; may be negative after an urgent borrow
	tokAt   time.Time

	lastUpdate time.Time
	lastCut    time.Time
	cutSample  time.Time // RTT sample time at the last cut

	// Least RTT of the current and the previous bucket.
	minCur, minPrev time.Duration
	minAt           time.Time // start of the current bucket
	minSince        time.Time // first sample since the filter was restarted
	// floor is the least bucket minimum over about three minutes: the
	// reference the recent minimum is compared with. On a path with
	// jitter a bucket's minimum sits above the least single sample even
	// with no queue at all; compared with bucket minima, jitter cancels.
	floor BaseRTT
	// minima is a ring of recent bucket minima; usual is their median
	// less the floor: the delay the path shows with no queue of ours
	// above its least (jitter, as on Wi-Fi, lifts most bucket minima).
	minima       [realtimeMinima]time.Duration
	mHead, mN    int
	usual        time.Duration
	usualSorting [realtimeMinima]time.Duration
	// capRef is the delivery rate at the last delay cut that found the
	// path saturated: about the path's rate.
	capRef float64
	// cutQueue is the queue measured at the last delay cut; stuck
	// counts the cuts in a row that found it no smaller.
	cutQueue time.Duration
	stuck    int
	peak     float64 // the highest delivery rate, decaying by half in 10 s

	// Delivery rate (acknowledged bytes) and sending rate.
	acked, sent rateMeter
	sentRate    float64

	// Loss over realtimeLossPeriod periods, smoothed.
	lossBytes, ackBytes ByteCount
	lossAt              time.Time
	lossFrac            float64
	lossFresh           bool // lossFrac changed since the last loss cut
}

// realtimeActive reports whether real-time mode applies now.
func (c *Controller) realtimeActive(now time.Time) bool {
	return c.DelayDetection() && c.TimeCritical(now)
}

// enterRealtime switches real-time mode on or off as time-critical data
// starts and stops.
func (c *Controller) enterRealtime(now time.Time) {
	on := c.realtimeActive(now)
	r := &c.rt
	if on == r.on {
		return
	}
	r.on = on
	if !on {
		return
	}
	srtt := c.rtt.SRTT()
	if !c.rtt.HasSample() {
		srtt = InitialMRTO
	}
	rate := float64(c.cwnd) / max(srtt, TimestampTick).Seconds()
	if r.started {
		rate = min(rate, r.rate) // what the last real-time period found
	} else {
		r.startup = true
	}
	r.started = true
	r.rate = max(rate, RealtimeMinRate)
	r.tokens, r.tokAt = 0, now
	r.lastUpdate = now
}

// refill adds the credit earned since the last call. The bucket holds no
// credit beyond zero: a packet may leave when the debt of the packets
// before it is paid, so a pause never turns into a burst.
func (r *realtime) refill(now time.Time) {
	if d := now.Sub(r.tokAt); d > 0 {
		r.tokens = min(r.tokens+d.Seconds()*r.rate, 0)
	}
	r.tokAt = now
}

// nextSend is when a packet may leave: when the debt is paid, or for an
// urgent one, when it is at most one MSS.
func (r *realtime) nextSend(now time.Time, urgent bool) time.Time {
	r.refill(now)
	floor := 0.0
	if urgent {
		floor = -float64(MSS)
	}
	if r.tokens >= floor {
		return now
	}
	wait := (floor - r.tokens) / r.rate
	// A nanosecond past the point where the bucket crosses the floor.
	return now.Add(time.Duration(math.Ceil(wait*1e9)) + 1)
}

// onRTT takes an RTT sample into the windowed minimum.
func (r *realtime) onRTT(now time.Time, rtt, srtt time.Duration) {
	bucket := max(realtimeMinBucket, srtt)
	if !r.minAt.IsZero() && now.Sub(r.minAt) >= bucket {
		// A bucket closed: its minimum feeds the floor and the
		// path's usual delay.
		r.floor.Sample(now, r.minCur)
		r.addMinimum(r.minCur)
	}
	if r.minAt.IsZero() || now.Sub(r.minAt) >= 2*bucket {
		if r.minAt.IsZero() {
			r.minSince = now
		}
		r.minPrev, r.minCur, r.minAt = rtt, rtt, now
		return
	}
	if now.Sub(r.minAt) >= bucket {
		r.minPrev, r.minCur, r.minAt = r.minCur, rtt, now
		return
	}
	r.minCur = min(r.minCur, rtt)
}

// addMinimum records a closed bucket's minimum and updates usual.
func (r *realtime) addMinimum(m time.Duration) {
	r.minima[r.mHead] = m
	r.mHead = (r.mHead + 1) % realtimeMinima
	r.mN = min(r.mN+1, realtimeMinima)
	s := r.usualSorting[:r.mN]
	copy(s, r.minima[:r.mN])
	slices.Sort(s)
	base, _ := r.floor.Value()
	r.usual = max(s[r.mN/2]-base, 0)
}

// resetMinima forgets the path's usual delay with its floor.
func (r *realtime) resetMinima() {
	r.mHead, r.mN, r.usual, r.capRef = 0, 0, 0, 0
}

// recentMinRTT is the least RTT of the last one or two buckets.
func (r *realtime) recentMinRTT() (time.Duration, bool) {
	if r.minAt.IsZero() {
		return 0, false
	}
	return min(r.minCur, r.minPrev), true
}

// rateMeter measures a byte rate over a recent span from a ring of
// cumulative samples.
type rateMeter struct {
	total   ByteCount
	samples [realtimeRateSamples]rateSample
	head    int // next slot
	n       int
}

// add records bytes and returns the bytes per second over the last
// max(2·srtt, 200 ms) (0 until that span has samples).
func (m *rateMeter) add(now time.Time, bytes ByteCount, srtt time.Duration) float64 {
	m.total += bytes
	span := max(2*srtt, 200*time.Millisecond)
	// One sample per span/8 at most, so the ring covers the span.
	last := m.samples[(m.head+realtimeRateSamples-1)%realtimeRateSamples]
	if m.n == 0 || now.Sub(last.at) >= span/8 {
		m.samples[m.head] = rateSample{at: now, total: m.total}
		m.head = (m.head + 1) % realtimeRateSamples
		m.n = min(m.n+1, realtimeRateSamples)
	}
	// The oldest sample within the span, or the oldest there is.
	var from rateSample
	for i := m.n; i >= 1; i-- {
		s := m.samples[(m.head+realtimeRateSamples-i)%realtimeRateSamples]
		if now.Sub(s.at) <= span {
			from = s
			break
		}
	}
	if from.at.IsZero() || now.Sub(from.at) < span/4 {
		return 0
	}
	return float64(m.total-from.total) / now.Sub(from.at).Seconds()
}

// onLoss accumulates acknowledged and lost bytes and updates the smoothed
// loss fraction every realtimeLossPeriod.
func (r *realtime) onLoss(now time.Time, acked, lost ByteCount) {
	r.ackBytes += acked
	r.lossBytes += lost
	if r.lossAt.IsZero() {
		r.lossAt = now
		return
	}
	if d := now.Sub(r.lossAt); d < realtimeLossPeriod || (d < realtimeLossPeriodMax && r.ackBytes+r.lossBytes < realtimeLossBytes) {
		return
	}
	if tot := r.ackBytes + r.lossBytes; tot > 0 {
		r.lossFrac = 0.5*r.lossFrac + 0.5*float64(r.lossBytes)/float64(tot)
		r.lossFresh = true
	}
	r.ackBytes, r.lossBytes, r.lossAt = 0, 0, now
}

// onAckRealtime is OnAck in real-time mode.
func (c *Controller) onAckRealtime(now time.Time, a AckInfo) {
	r := &c.rt
	srtt := c.rtt.SRTT()
	if c.rtt.HasSample() {
		// RTTs below the 4 ms timestamp tick read as 0 (a LAN, or a
		// token bucket with tokens to spare): count them as one tick.
		srtt = max(srtt, TimestampTick)
	}
	// The time to grow for: since the last acknowledgement, at most a
	// bucket (a pause is no licence to jump). Not at most one srtt: on a
	// path under a timestamp tick (srtt counts as 4 ms) with
	// acknowledgements 20–60 ms apart that was a tenth of the growth.
	dt := min(now.Sub(r.lastUpdate), max(srtt, realtimeMinBucket))
	r.lastUpdate = now
	delivered := r.acked.add(now, a.Acked, srtt)
	r.peak = max(delivered, r.peak*math.Exp2(-dt.Seconds()/10))
	r.onLoss(now, a.Acked, a.Lost)
	if a.Lost > 0 {
		c.stats.lostBytes += a.Lost
	}
	var queue time.Duration
	base, known := r.floor.Value()
	if !known {
		// No bucket closed since the floor was reset (a timeout, a
		// move): the least single sample stands in, so the rate is
		// never left without a reference to grow from.
		base, known = c.base.Value()
	}
	if m, ok := r.recentMinRTT(); ok && known {
		queue = m - base
	}
	// After a cut the filter starts afresh, and the next cut waits for a
	// bucket of samples taken since: the queue the cut drains must not
	// cut again.
	bucket := max(realtimeMinBucket, srtt)
	mayCut := r.lastCut.IsZero() || (now.Sub(r.lastCut) >= srtt && c.rtt.LastSampleTime().After(r.cutSample) &&
		!r.minAt.IsZero() && now.Sub(r.minSince) >= bucket)
	if r.mN < realtimeMinima/4 && r.sentRate < 0.8*r.rate && r.sentRate < 1.25*delivered {
		// The path's usual delay is not known yet (16 bucket minima),
		// the application sends less than the pacing lets go, and
		// the path delivers about all of it: the delay may well be
		// the path's own, and a cut from this delivery rate went
		// below what the application sent (a call's first second on
		// a path that wanders; its video backed off for good).
		mayCut = false
	}
	switch {
	case r.lossFrac > RealtimeLossLimit && r.lossFresh:
		// Once per loss period (250 ms).
		r.rate *= 1 - r.lossFrac/2
		r.lossFresh, r.startup = false, false
		c.stats.lossCuts++
	case known && queue > r.queueHigh() && mayCut && r.stuck >= realtimeStuckCuts && r.rate < r.peak/2:
		// Cuts halved the rate and did not shrink this "queue": it is
		// not one of ours but
		// the delay our own packets take at a slow link (every packet
		// full-size, so none measures the path without serialization),
		// or a queue another sender keeps full. Take the present as
		// the floor rather than cut to nothing.
		r.floor.Reset()
		if m, ok := r.recentMinRTT(); ok {
			r.floor.Sample(now, m)
		}
		r.stuck = 0
	case known && queue > r.queueHigh() && mayCut:
		// What stands above the path's usual delay is ours to drain.
		next := delivered * max(RealtimeCut, 1-(queue-r.usual).Seconds()/realtimeDrainTime.Seconds())
		if delivered >= 0.8*r.rate {
			r.capRef = delivered
		}
		least := 0.5 * r.rate
		if !r.startup && r.sentRate < 0.8*r.rate {
			// The application sends less than the pacing lets go:
			// its delivery rate is its own, not the path's, and
			// noisy (video comes in frames). Cut the pacing, not
			// below what the application sends at once: a queue
			// at the sender is delay the call hears.
			least = RealtimeCut * r.rate
		}
		r.rate = min(max(next, least), 0.9*r.rate)
		if !r.lastCut.IsZero() && queue >= r.cutQueue-TimestampTick {
			r.stuck++
		} else {
			r.stuck = 0
		}
		r.cutQueue = queue
		r.lastCut, r.cutSample, r.startup = now, c.rtt.LastSampleTime(), false
		r.minAt = time.Time{}
		c.stats.delayCuts++
	case known && srtt > 0 && queue <= r.queueHigh() && r.lossFrac <= RealtimeLossLimit && delivered >= 0.5*r.rate:
		switch {
		case r.startup:
			r.rate *= math.Exp2(min(dt, srtt).Seconds() / srtt.Seconds())
		case r.rate >= 0.9*r.capRef && r.rate <= 1.5*r.capRef && r.sentRate >= 0.8*r.rate:
			// Near the path's rate, with the sender using the
			// rate: slowly, so the queue grows slowly too and is
			// caught small. An application that sends less is
			// not held back by its pacing.
			r.rate += RealtimeProbeGrowth * r.rate * dt.Seconds()
		default:
			// Multiplicative far from the path's rate, additive near
			// a small one: sessions sharing a bottleneck cut in
			// proportion to their rates and grow by the same amount,
			// so they converge to equal shares (AIMD's argument).
			r.rate += max(RealtimeGrowth*r.rate, RealtimeAdditive) * dt.Seconds()
		}
	}
	r.rate = max(r.rate, RealtimeMinRate)
	c.setRealtimeWindow()
}

// queueHigh is the queueing delay that cuts the rate: RealtimeQueueHigh,
// or a quarter of the path's least RTT on long paths, whose delay varies
// more with load (Wi-Fi, cellular and shared links add delay with the
// packet rate without a queue of ours) and where the same queue is a
// smaller part of what the call hears.
func (r *realtime) queueHigh() time.Duration {
	base, _ := r.floor.Value()
	return max(RealtimeQueueHigh, base/4, min(r.usual*3/2, RealtimeQueueMax))
}

// setRealtimeWindow sets the window that bounds the data in flight in
// real-time mode.
func (c *Controller) setRealtimeWindow() {
	srtt := c.rtt.SRTT()
	if !c.rtt.HasSample() {
		srtt = InitialMRTO
	}
	w := ByteCount(c.rt.rate * (srtt + RealtimeWindowSlack).Seconds())
	c.cwnd = max(w, 4*MSS)
	c.ssthresh = max(c.cwnd, InitialWindow)
	c.recoveryRemaining, c.recoveryAllowance, c.ackedAccumulator = 0, 0, 0
}

// PacingRate is the sending rate of real-time mode in user data bytes per
// second, and whether that mode is on.
func (c *Controller) PacingRate() (float64, bool) { return c.rt.rate, c.rt.on }
