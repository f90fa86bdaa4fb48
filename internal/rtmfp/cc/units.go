package cc

import "math"

// ByteCount is an amount of data in bytes: windows, outstanding data, bytes
// acknowledged or lost. It is signed so that the burst allowance can go
// negative (RFC 7016 §3.5.2.3 lets the packet that crosses the limit finish).
type ByteCount int64

// Unlimited is the "no limit" ByteCount: the initial slow-start threshold
// (RFC 7016 Appendix A: ssthresh starts infinite).
const Unlimited ByteCount = math.MaxInt64

// TSN is a session transmission sequence number: every packet that carries
// user data gets the next one, starting at 1 (0 means "none"). It is local to
// the sender and never appears on the wire; the loss rule compares it with
// the TSN of the newest acknowledged fragment (RFC 7016 §3.6.2.5).
type TSN uint64
