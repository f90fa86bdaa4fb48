package rtmfptest

import (
	"fmt"
	"math/bits"
	"time"
)

// DelayStats summarize a distribution of delays.
type DelayStats struct {
	N                  uint64 // samples
	P50, P95, P99, Max time.Duration
}

func (d DelayStats) String() string {
	return fmt.Sprintf("n=%d p50=%v p95=%v p99=%v max=%v", d.N, d.P50, d.P95, d.P99, d.Max)
}

// Histogram layout: microseconds, exact below 64 µs, then 32 buckets per
// power of two (at most 3 % wide) up to 2^36 µs (19 hours; longer delays
// share the last bucket). Recording never allocates, so a run of any
// length costs the same 8 KiB.
const (
	histExact   = 64
	histSub     = 32
	histBuckets = histExact + 30*histSub
)

// delayHistogram records delays for percentiles. The zero value is empty.
// Not safe for concurrent use (the owner's mutex guards it).
type delayHistogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    time.Duration
}

func histIndex(us uint64) int {
	if us < histExact {
		return int(us)
	}
	e := bits.Len64(us) - 6 // us>>e is in [32, 64)
	i := histExact + (e-1)*histSub + int(us>>e) - histSub
	return min(i, histBuckets-1)
}

// histUpper is the largest value, in µs, of bucket i.
func histUpper(i int) uint64 {
	if i < histExact {
		return uint64(i)
	}
	e := (i-histExact)/histSub + 1
	sub := uint64((i-histExact)%histSub + histSub)
	return (sub+1)<<e - 1
}

func (h *delayHistogram) record(d time.Duration) {
	d = max(d, 0)
	h.counts[histIndex(uint64(d/time.Microsecond))]++
	h.n++
	h.max = max(h.max, d)
}

// percentile returns the p-th percentile (nearest rank), as the upper end
// of its bucket (never above the largest recorded value).
func (h *delayHistogram) percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(p / 100 * float64(h.n))
	if float64(rank) < p/100*float64(h.n) {
		rank++
	}
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		if seen += c; seen >= rank {
			return min(time.Duration(histUpper(i))*time.Microsecond+time.Microsecond-1, h.max)
		}
	}
	return h.max
}

func (h *delayHistogram) stats() DelayStats {
	return DelayStats{
		N:   h.n,
		P50: h.percentile(50), P95: h.percentile(95), P99: h.percentile(99),
		Max: h.max,
	}
}
