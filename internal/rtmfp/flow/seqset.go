package flow

import (
	"math"
	"sort"

	"camchat/internal/rtmfp/wire"
)

// seqSet is the set of sequence numbers a receive flow has seen (received,
// abandoned or below the FSN), as ascending disjoint ranges that do not touch.
// The first range always starts at 0, so its end is the cumulative ack (RFC
// 7016 §3.6.3.1). The slice is reused; add refuses to grow past a cap, so a
// hostile sender cannot make it grow without bound.
type seqSet struct {
	r []wire.SeqRange
}

func (s *seqSet) reset() { s.r = append(s.r[:0], wire.SeqRange{}) }

// cum returns the cumulative ack: every number up to it is in the set.
func (s *seqSet) cum() wire.SeqNum { return s.r[0].To }

// top returns the highest number in the set.
func (s *seqSet) top() wire.SeqNum { return s.r[len(s.r)-1].To }

func (s *seqSet) count() int { return len(s.r) }

// find returns the index of the first range whose end is at or above x.
func (s *seqSet) find(x wire.SeqNum) int {
	return sort.Search(len(s.r), func(i int) bool { return s.r[i].To >= x })
}

func (s *seqSet) contains(x wire.SeqNum) bool {
	i := s.find(x)
	return i < len(s.r) && s.r[i].From <= x
}

// add inserts [a, b] (a <= b). It reports false, changing nothing, when that
// would need more than maxRanges ranges.
func (s *seqSet) add(a, b wire.SeqNum, maxRanges int) bool {
	// i: the first range that touches or follows [a, b].
	i := 0
	if a > 0 {
		i = s.find(a - 1)
	}
	// j: one past the last range that touches or precedes [a, b].
	j := i
	for j < len(s.r) && (b == math.MaxUint64 || s.r[j].From <= b+1) {
		j++
	}
	if i == j {
		if len(s.r) >= maxRanges {
			return false
		}
		s.r = append(s.r, wire.SeqRange{})
		copy(s.r[i+1:], s.r[i:])
		s.r[i] = wire.SeqRange{From: a, To: b}
		return true
	}
	merged := wire.SeqRange{From: min(a, s.r[i].From), To: max(b, s.r[j-1].To)}
	s.r[i] = merged
	s.r = append(s.r[:i+1], s.r[j:]...)
	return true
}
