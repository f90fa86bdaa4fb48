package cc

import "time"

// Stats is a snapshot of a Controller for the session's statistics.
type Stats struct {
	SRTT, RTTVar, LatestRTT time.Duration
	MRTO, ERTO              time.Duration
	BaseRTT                 time.Duration // 0 when unknown
	CWND, SSThresh          ByteCount     // SSThresh may be Unlimited
	InRecovery              bool
	LossCuts                uint64    // window cuts caused by loss or ECN
	DelayCuts               uint64    // window cuts caused by delay
	Probes                  uint64    // base RTT probes
	Timeouts                uint64    // retransmission timeouts with data outstanding
	LostBytes               ByteCount // declared lost by the NAK rule
}

// Stats returns the current figures.
func (c *Controller) Stats() Stats {
	base, _ := c.base.Value()
	return Stats{
		SRTT:       c.rtt.SRTT(),
		RTTVar:     c.rtt.RTTVar(),
		LatestRTT:  c.rtt.Latest(),
		MRTO:       c.rtt.MRTO(),
		ERTO:       c.rtt.ERTO(),
		BaseRTT:    base,
		CWND:       c.cwnd,
		SSThresh:   c.ssthresh,
		InRecovery: c.recoveryRemaining > 0,
		LossCuts:   c.stats.lossCuts,
		DelayCuts:  c.stats.delayCuts,
		Probes:     c.stats.probes,
		Timeouts:   c.stats.timeouts,
		LostBytes:  c.stats.lostBytes,
	}
}

// SRTT is the smoothed round-trip time (0 before the first sample).
func (c *Controller) SRTT() time.Duration { return c.rtt.SRTT() }

// RTTVar is the round-trip time variation.
func (c *Controller) RTTVar() time.Duration { return c.rtt.RTTVar() }

// MRTO is the measured retransmission timeout.
func (c *Controller) MRTO() time.Duration { return c.rtt.MRTO() }

// ERTO is the effective retransmission timeout to arm.
func (c *Controller) ERTO() time.Duration { return c.rtt.ERTO() }

// BaseRTT is the minimum RTT over about three minutes; ok is false when
// unknown (no sample since the start or the last reset).
func (c *Controller) BaseRTT() (rtt time.Duration, ok bool) { return c.base.Value() }

// CWND is the congestion window.
func (c *Controller) CWND() ByteCount { return c.cwnd }

// SSThresh is the slow-start threshold (Unlimited at first).
func (c *Controller) SSThresh() ByteCount { return c.ssthresh }

// Losses is the number of window cuts caused by loss or ECN.
func (c *Controller) Losses() uint64 { return c.stats.lossCuts }

// DelayCuts is the number of window cuts caused by delay-based detection.
func (c *Controller) DelayCuts() uint64 { return c.stats.delayCuts }
