package cc

import "time"

// baseRTTSlots bounds the bucket ring: buckets start more than BaseRTTBucket
// apart and expire after BaseRTTWindow, so at most seven are alive at once.
const baseRTTSlots = int(BaseRTTWindow/BaseRTTBucket) + 1

type rttBucket struct {
	min    time.Duration
	origin time.Time
}

// BaseRTT tracks the base (minimum) round-trip time of the path over about
// three minutes, the reference point of delay-based congestion detection.
// Samples go into 30-second buckets; the base is the minimum over the buckets
// younger than BaseRTTWindow, so a path whose propagation delay grows is
// re-learned within three minutes, while the queueing delay the session
// itself causes does not creep into the base as long as the queue drains at
// least once in that window (the periodic probe of Controller sees to that).
//
// Expiry is checked when a new bucket opens, every 30 s of samples, as in
// rtmfp-cpp. The zero value is empty and ready; it never allocates.
type BaseRTT struct {
	// Owned by the session loop. buckets is a ring; newest at index head.
	buckets [baseRTTSlots]rttBucket
	head, n int
	base    time.Duration
	valid   bool
}

// Sample adds an RTT measured at now. It reports whether the base RTT went
// down, which tells the controller the path has just shown it can be faster
// (and so there is no need to probe for a while).
func (b *BaseRTT) Sample(now time.Time, rtt time.Duration) (lowered bool) {
	prev, hadBase := b.base, b.valid
	if b.n == 0 || now.Sub(b.buckets[b.head].origin) > BaseRTTBucket {
		b.head = (b.head + 1) % baseRTTSlots
		b.buckets[b.head] = rttBucket{min: rtt, origin: now}
		if b.n < baseRTTSlots {
			b.n++
		}
		// Drop the oldest buckets that fell out of the window.
		for b.n > 1 {
			oldest := (b.head - b.n + 1 + baseRTTSlots) % baseRTTSlots
			if now.Sub(b.buckets[oldest].origin) <= BaseRTTWindow {
				break
			}
			b.n--
		}
		b.base = rtt
		for i := 0; i < b.n; i++ {
			b.base = min(b.base, b.buckets[(b.head-i+baseRTTSlots)%baseRTTSlots].min)
		}
	} else {
		b.buckets[b.head].min = min(b.buckets[b.head].min, rtt)
		b.base = min(b.base, rtt)
	}
	b.valid = true
	return !hadBase || b.base < prev
}

// Value is the base RTT; ok is false when no sample has arrived since the
// tracker was created or reset.
func (b *BaseRTT) Value() (rtt time.Duration, ok bool) { return b.base, b.valid }

// Reset forgets the history. A session calls it when the path may have
// changed: the far address moved (RFC 7016 §3.5.4.2), a retransmission
// timeout, or a window collapsed to its minimum.
func (b *BaseRTT) Reset() { *b = BaseRTT{} }
