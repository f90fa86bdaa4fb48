package cc

import "time"

// Transmission constants, named as in RFC 7016 and valued as in the reference
// implementation (rtmfp-cpp include/rtmfp/params.hpp).
const (
	// MSS is the sender's maximum segment size: the largest user data
	// fragment that fits a 1200-byte session packet
	// (1200 − 5 header − 3 chunk header − 1 flags − 3·10 VLUs).
	MSS ByteCount = 1161

	// InitialWindow is the congestion window of a new session and of a
	// session that timed out with nothing outstanding (RFC 7016 Appendix A).
	InitialWindow = 3 * MSS
	// TimedOutWindow is the congestion window after a retransmission
	// timeout with data outstanding (RFC 7016 Appendix A.2).
	TimedOutWindow = 2 * MSS
	// DecayMargin is how far cwnd may exceed the outstanding data before it
	// decays by DecayStep per acknowledgement, so an application-limited
	// sender does not keep an unused window it never validated.
	DecayMargin = 6 * MSS
	// DecayStep is the decay per acknowledgement.
	DecayStep ByteCount = 1
	// FastGrowOutstanding is the outstanding data above which a
	// fastgrow-allowed sender cuts its window by 1/8 instead of 1/2
	// (rtmfp-cpp: 67200 bytes), keeping large windows on fast paths.
	FastGrowOutstanding ByteCount = 67200

	// MaxBurstPackets is how many data packets may leave back to back after
	// an acknowledgement (RFC 7016 §3.5.2.3).
	MaxBurstPackets = 6
	// MaxBurst is MaxBurstPackets full-size packets in bytes.
	MaxBurst = MaxBurstPackets * MSS
	// PacingMinRTT is the smoothed RTT below which pacing is skipped: on
	// such short paths a timer cannot be finer than the ack clock.
	PacingMinRTT = 4500 * time.Microsecond

	// NAKsForLoss is the number of negative acknowledgements after which an
	// outstanding fragment is declared lost (RFC 7016 §3.6.2.5).
	NAKsForLoss = 3

	// TimeCriticalTimeout is how long sending TC, or receiving TCR, keeps a
	// session in the time-critical state (RFC 7016 §3.5.2.1: 800 ms).
	TimeCriticalTimeout = 800 * time.Millisecond
)

// Timer constants of RFC 7016 §3.5.2.2.
const (
	// TimestampTick is the unit of the header timestamp: 4 ms (250 Hz).
	TimestampTick = 4 * time.Millisecond
	// InitialMRTO is the measured retransmission timeout before any sample.
	InitialMRTO = 250 * time.Millisecond
	// InitialERTO is the effective retransmission timeout before any sample.
	InitialERTO = 3 * time.Second
	// MinimumERTO is the floor of the effective retransmission timeout.
	MinimumERTO = 250 * time.Millisecond
	// DelayedAckAllowance is added to the measured timeout because the far
	// end may hold an acknowledgement this long (its delayed-ack timer).
	DelayedAckAllowance = 200 * time.Millisecond
	// MaximumERTO is the ceiling of the timeout backoff.
	MaximumERTO = 10 * time.Second
	// ERTOBackoff is the timeout backoff factor, about √2.
	ERTOBackoff = 1.414214
)

// Base RTT and delay-based detection constants.
const (
	// BaseRTTBucket is the span of one minimum-RTT bucket.
	BaseRTTBucket = 30 * time.Second
	// BaseRTTWindow is how long a minimum RTT is remembered: six buckets.
	BaseRTTWindow = 6 * BaseRTTBucket
	// DelayDetectionMinRTT is the smoothed RTT below which delay-based
	// detection never acts: on such paths queueing delay is not what hurts.
	DelayDetectionMinRTT = 32 * time.Millisecond
	// ProbeRTTs is the number of smoothed RTTs between base RTT probes.
	ProbeRTTs = 60
	// MaxSegmentLifetime bounds the congestion delay: a delay at or above
	// it turns delay-based detection off (rtmfp-cpp uses the same bound).
	MaxSegmentLifetime = 120 * time.Second

	// DefaultCongestionDelay is the default threshold of delay-based
	// detection: srtt more than this above the base RTT counts as loss.
	// See Controller for the tuning.
	DefaultCongestionDelay = 50 * time.Millisecond
	// DelayDetectionOff as a congestion delay turns delay-based detection
	// off, leaving the loss-only controller of RFC 7016 Appendix A.
	DelayDetectionOff time.Duration = 1<<63 - 1
)
