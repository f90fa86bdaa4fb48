package cc

import "time"

// Pacer applies the burst limit of RFC 7016 §3.5.2.3: after an
// acknowledgement a session may send at most MaxBurstPackets data packets
// back to back; beyond that it paces one packet per
//
//	srtt · (MSS + excess) / cwnd
//
// where excess is how far the last packet overran the allowance, so the
// average rate is one congestion window per round trip. Pacing is skipped
// while the smoothed RTT is below PacingMinRTT (or unknown): on such paths
// the acknowledgements clock the sender more finely than any timer could.
//
// The pacer is lazy: instead of a timer callback it keeps the release time,
// NextSendTime reports it, and the first OnSent at or after it grants the
// next allowance: one MSS, plus credit for the time the caller overslept
// the release (a coarse timer must not lower the rate), at most MaxBurst.
// The cap is needed because a lazy release also sees time spent with
// nothing to send, which must not turn into a burst.
type Pacer struct {
	// Owned by the session loop.
	allowance ByteCount // bytes that may still leave back to back
	release   time.Time // when a paced sender may send again
	waiting   bool      // allowance exhausted and release armed
}

// NewPacer returns a pacer with the full post-acknowledgement allowance.
func NewPacer() Pacer { return Pacer{allowance: MaxBurst} }

// OnAck restores the allowance to at least MaxBurst: an acknowledgement
// opens a new burst.
func (p *Pacer) OnAck() {
	p.allowance = max(p.allowance, MaxBurst)
	p.waiting = false
}

// OnTimeout resets the allowance to MaxBurst.
func (p *Pacer) OnTimeout() {
	p.allowance = MaxBurst
	p.waiting = false
}

// NextSendTime is the earliest time a data packet may leave; a time at or
// before now means "now". srtt and cwnd are the controller's current values.
func (p *Pacer) NextSendTime(now time.Time, srtt time.Duration) time.Time {
	if srtt < PacingMinRTT || p.allowance > 0 || !p.waiting || !now.Before(p.release) {
		return now
	}
	return p.release
}

// OnSent accounts a data packet that added bytes to the outstanding data.
func (p *Pacer) OnSent(now time.Time, bytes ByteCount, srtt time.Duration, cwnd ByteCount) {
	if p.waiting && !now.Before(p.release) {
		p.allowance = MSS
		if srtt >= PacingMinRTT && cwnd > 0 {
			over := now.Sub(p.release)
			p.allowance += min(ByteCount(float64(over)/float64(srtt)*float64(cwnd)), MaxBurst-MSS)
		}
		p.waiting = false
	}
	p.allowance -= bytes
	if p.allowance <= 0 && srtt >= PacingMinRTT && !p.waiting {
		p.release = now.Add(PacingInterval(srtt, cwnd, -p.allowance))
		p.waiting = true
	}
}

// Allowance is the number of bytes that may still leave back to back.
func (p *Pacer) Allowance() ByteCount { return p.allowance }

// PacingInterval is the gap after a packet that overran the burst allowance
// by excess bytes: srtt·(MSS+excess)/cwnd (RFC 7016 §3.5.2.3).
func PacingInterval(srtt time.Duration, cwnd, excess ByteCount) time.Duration {
	if cwnd <= 0 {
		cwnd = MSS
	}
	return time.Duration(float64(srtt) * float64(MSS+excess) / float64(cwnd))
}
