package playout

import "time"

// delayWindow keeps the transit offsets (arrival time minus capture
// timestamp) of the most recent packets and answers two questions about
// them: the smallest offset (the fastest path seen lately, the reference
// for "relative delay") and a high percentile of the relative delay.
//
// The offset mixes the two clocks' difference with the network delay, so
// only differences between offsets mean anything; that is why everything
// is relative to the window's minimum. A sliding window (rather than an
// all-time minimum) lets the reference follow clock drift and route
// changes.
//
// Storage is fixed at construction; queries copy into a scratch array and
// run a quickselect, O(window) per query and no allocation.
type delayWindow struct {
	ring    []int64 // offsets in ns, ring[pos] is the oldest once full
	scratch []int64
	pos     int
	n       int
	pct     float64

	dirty bool
	min   int64 // cached results, valid when !dirty
	rel   time.Duration
}

func newDelayWindow(size int, pct float64) delayWindow {
	return delayWindow{ring: make([]int64, size), scratch: make([]int64, size), pct: pct}
}

func (w *delayWindow) reset() {
	w.pos, w.n, w.dirty = 0, 0, false
	w.min, w.rel = 0, 0
}

func (w *delayWindow) add(offset time.Duration) {
	w.ring[w.pos] = int64(offset)
	w.pos++
	if w.pos == len(w.ring) {
		w.pos = 0
	}
	if w.n < len(w.ring) {
		w.n++
	}
	w.dirty = true
}

// refresh recomputes the minimum and the percentile of relative delay.
func (w *delayWindow) refresh() {
	if !w.dirty {
		return
	}
	w.dirty = false
	if w.n == 0 {
		w.min, w.rel = 0, 0
		return
	}
	s := w.scratch[:w.n]
	copy(s, w.ring[:w.n])
	mn := s[0]
	for _, v := range s[1:] {
		if v < mn {
			mn = v
		}
	}
	// Nearest-rank percentile: the smallest value with at least pct of the
	// samples at or below it.
	k := int(w.pct*float64(w.n)+0.999999) - 1
	if k < 0 {
		k = 0
	}
	if k >= w.n {
		k = w.n - 1
	}
	w.min = mn
	w.rel = time.Duration(quickselect(s, k) - mn)
}

// minOffset returns the smallest transit offset in the window.
func (w *delayWindow) minOffset() time.Duration {
	w.refresh()
	return time.Duration(w.min)
}

// percentile returns the configured percentile of delay relative to the
// window's minimum.
func (w *delayWindow) percentile() time.Duration {
	w.refresh()
	return w.rel
}

// quickselect returns the k-th smallest element of s (0-based), reordering
// s. Deterministic (median-of-three pivot), average O(len(s)).
func quickselect(s []int64, k int) int64 {
	lo, hi := 0, len(s)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// Median of three into s[mid].
		if s[mid] < s[lo] {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if s[hi] < s[lo] {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if s[hi] < s[mid] {
			s[hi], s[mid] = s[mid], s[hi]
		}
		pivot := s[mid]
		i, j := lo, hi
		for i <= j {
			for s[i] < pivot {
				i++
			}
			for s[j] > pivot {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}
