package rendezvous

import "time"

// tokenBucket is a rate limiter advanced by the caller's clock: it holds up
// to burst tokens and gains rate tokens per second. The zero value is an
// empty bucket that starts full at its first use.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

// allow takes one token at now if there is one. A negative rate disables
// the limit.
func (b *tokenBucket) allow(now time.Time, rate, burst float64) bool {
	if rate < 0 {
		return true
	}
	if b.last.IsZero() {
		b.tokens = burst
	} else if dt := now.Sub(b.last); dt > 0 {
		b.tokens += dt.Seconds() * rate
		if b.tokens > burst {
			b.tokens = burst
		}
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether the bucket would be full at now (so that forgetting
// it changes nothing).
func (b *tokenBucket) full(now time.Time, rate, burst float64) bool {
	if b.last.IsZero() || rate < 0 {
		return true
	}
	return b.tokens+now.Sub(b.last).Seconds()*rate >= burst
}
