package wire

import "time"

// TimestampTick is the unit of the packet header timestamps: 4 ms, a 250 Hz
// clock (RFC 7016 §2.2.4; rtmfp-cpp HEADER_TIMESTAMP_SCALE).
const TimestampTick = 4 * time.Millisecond

// Timestamp is a packet header timestamp or timestamp echo: a clock in
// 4 ms ticks, modulo 65536 (it wraps every 262.144 s).
type Timestamp uint16

// TimestampAt returns the timestamp of a clock that has run for elapsed
// since its (arbitrary) epoch. The caller supplies elapsed from its injected
// clock; the package reads no clock.
func TimestampAt(elapsed time.Duration) Timestamp {
	return Timestamp(uint64(elapsed / TimestampTick))
}

// Add returns t advanced by d, truncated to whole ticks. A timestamp echo is
// the last timestamp received plus the time it was held before echoing
// (RFC 7016 §3.5.2.2), so that the peer measures the round trip without our
// hold time: echo = received.Add(now - receivedAt).
func (t Timestamp) Add(d time.Duration) Timestamp {
	return t + TimestampAt(d)
}

// Sub returns the time from u forward to t, modulo the 65536-tick period:
// always in [0, 262.144 s). For an echo e of our timestamp sent at s, the
// round trip is now.Sub(e) where now is our current timestamp.
func (t Timestamp) Sub(u Timestamp) time.Duration {
	return time.Duration(uint16(t-u)) * TimestampTick
}
