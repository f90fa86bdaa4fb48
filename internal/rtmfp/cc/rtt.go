package cc

import "time"

// RTTEstimator keeps the smoothed round-trip time and the retransmission
// timeouts of RFC 7016 §3.5.2.2. The zero value is ready to use and reports
// the defaults that hold before the first sample (MRTO 250 ms, ERTO 3 s).
type RTTEstimator struct {
	// All fields are owned by the session loop.
	srtt, rttvar, latest time.Duration
	mrto, erto           time.Duration // 0 means "initial value"
	sampled              bool
	lastSample           time.Time

	lastEcho Timestamp // the last timestamp echo taken, to skip repeats
	echoSeen bool
}

// OnSample feeds one RTT measurement taken at now. The first sample sets
// srtt = rtt and rttvar = rtt/2; later ones update rttvar first, then srtt,
// with the classic gains 1/4 and 1/8:
//
//	rttvar = (3·rttvar + |srtt − rtt|) / 4
//	srtt   = (7·srtt + rtt) / 8
//	MRTO   = srtt + 4·rttvar + 200 ms   (the far end's delayed-ack allowance)
//	ERTO   = max(MRTO, 250 ms)
//
// A negative rtt is ignored.
func (r *RTTEstimator) OnSample(now time.Time, rtt time.Duration) {
	if rtt < 0 {
		return
	}
	if r.sampled {
		delta := r.srtt - rtt
		if delta < 0 {
			delta = -delta
		}
		r.rttvar = (3*r.rttvar + delta) / 4
		r.srtt = (7*r.srtt + rtt) / 8
	} else {
		r.srtt = rtt
		r.rttvar = rtt / 2
		r.sampled = true
	}
	r.latest = rtt
	r.lastSample = now
	r.mrto = r.srtt + 4*r.rttvar + DelayedAckAllowance
	r.erto = max(r.mrto, MinimumERTO)
}

// OnTimestampEcho takes the timestamp echo of a received packet, given the
// session's current timestamp. An echo equal to the previous one carries no
// new information and is skipped, as is one that EchoRTT rejects. It reports
// the RTT sample and whether one was taken.
func (r *RTTEstimator) OnTimestampEcho(now time.Time, current, echo Timestamp) (time.Duration, bool) {
	if r.echoSeen && echo == r.lastEcho {
		return 0, false
	}
	r.lastEcho, r.echoSeen = echo, true
	rtt, ok := EchoRTT(current, echo)
	if !ok {
		return 0, false
	}
	r.OnSample(now, rtt)
	return rtt, true
}

// OnTimeout backs the effective timeout off after a retransmission timeout:
// ERTO = max(min(ERTO·√2, 10 s), MRTO).
func (r *RTTEstimator) OnTimeout() {
	next := min(time.Duration(float64(r.ERTO())*ERTOBackoff), MaximumERTO)
	r.erto = max(next, r.MRTO())
}

// HasSample reports whether any RTT sample has been taken.
func (r *RTTEstimator) HasSample() bool { return r.sampled }

// SRTT is the smoothed RTT, 0 before the first sample.
func (r *RTTEstimator) SRTT() time.Duration { return r.srtt }

// RTTVar is the RTT variation, 0 before the first sample.
func (r *RTTEstimator) RTTVar() time.Duration { return r.rttvar }

// Latest is the most recent RTT sample, 0 before the first.
func (r *RTTEstimator) Latest() time.Duration { return r.latest }

// LastSampleTime is when the most recent sample was taken (zero if none).
func (r *RTTEstimator) LastSampleTime() time.Time { return r.lastSample }

// MRTO is the measured retransmission timeout.
func (r *RTTEstimator) MRTO() time.Duration {
	if r.mrto == 0 {
		return InitialMRTO
	}
	return r.mrto
}

// ERTO is the effective retransmission timeout, the one a session arms.
func (r *RTTEstimator) ERTO() time.Duration {
	if r.erto == 0 {
		return InitialERTO
	}
	return r.erto
}
