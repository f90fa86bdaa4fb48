package cc

import "time"

// Timestamp is the 16-bit packet header timestamp of RFC 7016 §2.2.4: the
// sender's clock in 4 ms ticks, modulo 65536 (it wraps every 262.144 s).
// A session stamps its packets with TimestampAt(now − epoch) and echoes the
// far end's last timestamp advanced by the time it held it (Add), which
// cancels the hold time out of the far end's RTT measurement.
type Timestamp uint16

// timestampHalfRange is where the wrap-around arithmetic stops meaning
// "before": differences of 32768 ticks (131 s) or more are ignored.
const timestampHalfRange = 1 << 15

// TimestampAt converts the time since the session's clock epoch into ticks.
// Negative durations count backwards, so the wrap stays consistent.
func TimestampAt(sinceEpoch time.Duration) Timestamp {
	ticks := int64(sinceEpoch / TimestampTick)
	if sinceEpoch%TimestampTick < 0 {
		ticks-- // floor, not truncation toward zero
	}
	return Timestamp(uint16(ticks))
}

// Add returns the timestamp d later, truncated to whole ticks. A session
// uses it to build the timestamp echo: the last timestamp received plus the
// time elapsed since it arrived (RFC 7016 §3.5.2.2).
func (t Timestamp) Add(d time.Duration) Timestamp {
	return t + Timestamp(uint16(int64(d/TimestampTick)))
}

// EchoRTT turns a timestamp echo into a round-trip time: the ticks elapsed
// between the echoed timestamp and the current one. ok is false when the
// difference is 32768 ticks or more (an echo from the future or older than
// about 131 s), which RFC 7016 §3.5.2.2 says to ignore.
func EchoRTT(current, echo Timestamp) (rtt time.Duration, ok bool) {
	ticks := uint16(current - echo)
	if ticks >= timestampHalfRange {
		return 0, false
	}
	return time.Duration(ticks) * TimestampTick, true
}
