package rtmfp

import "time"

// StatsWindow is the span over which SessionStats measures rates and loss:
// the last StatsWindow/StatsInterval complete intervals of StatsInterval,
// fewer just after the session opened. The interval in progress is left
// out, so the figures lag by at most one interval.
const (
	StatsInterval = 250 * time.Millisecond
	StatsWindow   = 2 * time.Second

	meterBins = int64(StatsWindow / StatsInterval)
)

// meterBin holds what happened in one interval (32 bits hold 137 Gbit/s).
type meterBin struct {
	sent, recv  uint32 // datagram bytes (UDP payload)
	frags, lost uint32 // data chunks sent; data chunks declared lost
}

// meterSum is the sum of a window's bins.
type meterSum struct {
	sent, recv, frags, lost uint64
}

// meter keeps a session's recent traffic in fixed intervals counted from
// the engine's epoch (a ring of the window's bins and the current one), so
// that recording is a few additions and reading a sum, neither allocating.
// Guarded by the engine mutex, like the rest of the session.
type meter struct {
	bins  [meterBins + 1]meterBin
	cur   int64 // interval number of the current bin
	first int64 // interval the session opened in
}

// start begins measuring in interval i (the session opened).
func (m *meter) start(i int64) {
	*m = meter{cur: i, first: i}
}

// at returns the bin of interval i, clearing the bins of the intervals
// passed since the last call. Intervals before the current are not kept
// apart: an earlier i counts in the current bin.
func (m *meter) at(i int64) *meterBin {
	if i > m.cur {
		n := min(i-m.cur, meterBins+1)
		for k := int64(1); k <= n; k++ {
			m.bins[(m.cur+k)%(meterBins+1)] = meterBin{}
		}
		m.cur = i
	}
	return &m.bins[m.cur%(meterBins+1)]
}

// read sums the complete intervals of the window before interval i and
// returns the sums and the time they span (0 when none is complete).
func (m *meter) read(i int64) (sum meterSum, span time.Duration) {
	m.at(i)
	n := min(m.cur-m.first, meterBins)
	for k := int64(1); k <= n; k++ {
		b := &m.bins[(m.cur-k)%(meterBins+1)]
		sum.sent += uint64(b.sent)
		sum.recv += uint64(b.recv)
		sum.frags += uint64(b.frags)
		sum.lost += uint64(b.lost)
	}
	return sum, time.Duration(n) * StatsInterval
}

// interval is the meter interval number of now.
func (e *engine) interval(now time.Time) int64 {
	return int64(now.Sub(e.epoch) / StatsInterval)
}
