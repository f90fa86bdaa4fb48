package rtmfptest

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"
)

// maxInFlight bounds the datagrams one direction holds (in its queue and
// on its way); beyond it datagrams are dropped (ImpairStats.Overflow), so a
// sender blasting into a long delay cannot take all memory.
const maxInFlight = 8192

// minSlotBuf is the smallest buffer a delay-line slot gets, so that most
// datagrams fit any recycled buffer.
const minSlotBuf = 2048

// ImpairStats are one direction's counters and queue figures.
type ImpairStats struct {
	In, Out           uint64 // datagrams that entered, that left (each duplicate counts)
	BytesIn, BytesOut uint64 // their UDP payload bytes

	Lost       uint64 // dropped by Loss
	QueueFull  uint64 // dropped by the drop-tail queue
	Overflow   uint64 // dropped: too many in flight, or (downlink) the read queue was full
	Discarded  uint64 // still in flight at Close, dropped
	SendErrors uint64 // uplink: datagrams the socket refused
	Duplicated uint64 // extra copies sent
	Reordered  uint64 // datagrams that left after the one that entered after them

	InFlight    int           // datagrams held now (queued or on their way)
	QueuedBytes int           // bytes in the rate queue now, not yet serialized
	QueueWait   time.Duration // the wait a datagram entering now would have before its serialization
	// QueueDelay is every queued datagram's wait before its serialization
	// began, over the run: the standing queue of the bottleneck.
	QueueDelay DelayStats
	// Late is how much later than due datagrams actually left: the
	// precision of the scheduler on this machine.
	Late DelayStats
}

func (s ImpairStats) String() string {
	return fmt.Sprintf("in=%d out=%d lost=%d queue-full=%d overflow=%d dup=%d reordered=%d queue-delay{%v} late{%v}",
		s.In, s.Out, s.Lost, s.QueueFull, s.Overflow, s.Duplicated, s.Reordered, s.QueueDelay, s.Late)
}

// slot is a datagram in a direction's delay line.
type slot struct {
	due  time.Time // when it leaves
	buf  *[]byte   // its payload, (*buf)[:n]; from the model's free list
	n    int
	addr netip.AddrPort // destination (uplink) or source (downlink)
	held bool           // chosen for reordering, waiting for the next datagram
}

// impairModel is one direction of an Impairment, without I/O or clock: it
// is told the time a datagram enters and keeps it in a delay line until
// its due time. Departure times along the line never decrease (a reordered
// datagram swaps places with the next one and takes its time), so the line
// is a FIFO and the earliest datagram is always at its head.
//
// Not safe for concurrent use: the owner's mutex guards it.
type impairModel struct {
	imp Impairment

	// One generator per decision, so that the losses of a seed do not
	// depend on how many jitter targets were drawn meanwhile.
	lossRng, reorderRng, dupRng, jitterRng *rand.Rand
	walk                                   jitterWalk

	busyUntil time.Time // the rate queue's transmitter is busy until then
	lastDue   time.Time // departure of the latest datagram not held back: the FIFO floor

	line slotRing
	free []*[]byte // recycled payload buffers

	st         ImpairStats // counters; the figures are filled in by stats
	queueDelay delayHistogram
	late       delayHistogram
}

// Generator streams, distinct per decision; the direction is mixed into
// the seed.
const (
	streamLoss uint64 = 0x6c6f7373 + iota
	streamReorder
	streamDup
	streamJitter
)

func newImpairModel(imp Impairment, seed uint64) *impairModel {
	return &impairModel{
		imp:        imp,
		lossRng:    rand.New(rand.NewPCG(seed, streamLoss)),
		reorderRng: rand.New(rand.NewPCG(seed, streamReorder)),
		dupRng:     rand.New(rand.NewPCG(seed, streamDup)),
		jitterRng:  rand.New(rand.NewPCG(seed, streamJitter)),
	}
}

// headerBytes is what IP and UDP add to a payload on the wire.
func headerBytes(a netip.AddrPort) int {
	if a.Addr().Unmap().Is4() {
		return 28
	}
	return 48
}

func (m *impairModel) getBuf(b []byte) *[]byte {
	var bp *[]byte
	if k := len(m.free); k > 0 {
		bp, m.free = m.free[k-1], m.free[:k-1]
	} else {
		bp = new([]byte)
	}
	if cap(*bp) < len(b) {
		*bp = make([]byte, max(len(b), minSlotBuf))
	}
	*bp = (*bp)[:len(b)]
	copy(*bp, b)
	return bp
}

func (m *impairModel) putBuf(bp *[]byte) { m.free = append(m.free, bp) }

// enter takes a datagram that enters the direction at now (b is copied).
// It returns true when the head of the line changed, so that the
// scheduler must recompute its wait.
func (m *impairModel) enter(now time.Time, b []byte, addr netip.AddrPort) (headChanged bool) {
	m.st.In++
	m.st.BytesIn += uint64(len(b))
	imp := &m.imp
	lossDraw, reorderDraw, dupDraw := m.lossRng.Float64(), m.reorderRng.Float64(), m.dupRng.Float64()
	if lossDraw < imp.Loss {
		m.st.Lost++
		return false
	}
	if m.line.len()+2 > maxInFlight {
		m.st.Overflow++
		return false
	}
	depart := now
	if imp.Rate > 0 {
		size := len(b) + headerBytes(addr)
		wait := max(m.busyUntil.Sub(now), 0)
		if lim := imp.queueDelayLimit(); (lim > 0 && wait > lim) ||
			(imp.QueueBytes > 0 && queuedBytes(wait, imp.Rate)+size > imp.QueueBytes) {
			m.st.QueueFull++
			return false
		}
		m.queueDelay.record(wait)
		depart = now.Add(wait + serialization(size, imp.Rate))
		m.busyUntil = depart
	}
	due := depart.Add(max(imp.Delay+m.walk.offset(depart, imp.Jitter, m.jitterRng), 0))
	if due.Before(m.lastDue) {
		due = m.lastDue // never before the datagram ahead
	}
	m.lastDue = due

	oldHead, wasEmpty := m.line.headDue()
	var held slot
	overtakes := m.line.len() > 0 && m.line.tail().held
	if overtakes {
		held = m.line.popTail()
	}
	if !overtakes && reorderDraw < imp.Reorder {
		m.line.push(slot{due: due.Add(reorderWait), buf: m.getBuf(b), n: len(b), addr: addr, held: true})
	} else {
		m.line.push(slot{due: due, buf: m.getBuf(b), n: len(b), addr: addr})
		if dupDraw < imp.Duplicate {
			m.line.push(slot{due: due, buf: m.getBuf(b), n: len(b), addr: addr})
			m.st.Duplicated++
		}
	}
	if overtakes {
		held.due, held.held = due, false
		m.line.push(held)
		m.st.Reordered++
	}
	newHead, _ := m.line.headDue()
	return wasEmpty || !newHead.Equal(oldHead)
}

// queuedBytes is how many bytes a queue of the given rate serializes in d.
func queuedBytes(d time.Duration, r BitRate) int {
	return int(float64(d) * float64(r) / 8e9)
}

// next returns the due time of the head of the line; ok is false when the
// line is empty.
func (m *impairModel) next() (due time.Time, ok bool) {
	due, empty := m.line.headDue()
	return due, !empty
}

// pop removes the head of the line if it is due at now. The caller sends
// (*s.buf)[:s.n] and gives the buffer back with putBuf.
func (m *impairModel) pop(now time.Time) (s slot, ok bool) {
	if due, empty := m.line.headDue(); empty || due.After(now) {
		return slot{}, false
	}
	s = m.line.popHead()
	m.st.Out++
	m.st.BytesOut += uint64(s.n)
	m.late.record(now.Sub(s.due))
	return s, true
}

// discardAfter drops the datagrams due after t (at Close: those still far
// from their destination), newest first.
func (m *impairModel) discardAfter(t time.Time) {
	for m.line.len() > 0 && m.line.tail().due.After(t) {
		s := m.line.popTail()
		m.putBuf(s.buf)
		m.st.Discarded++
	}
}

// setImpairment changes the impairment from now on; datagrams in flight
// keep their schedule.
func (m *impairModel) setImpairment(imp Impairment) { m.imp = imp }

// stats returns the counters with the queue figures at now.
func (m *impairModel) stats(now time.Time) ImpairStats {
	s := m.st
	s.InFlight = m.line.len()
	if m.imp.Rate > 0 {
		s.QueueWait = max(m.busyUntil.Sub(now), 0)
		s.QueuedBytes = queuedBytes(s.QueueWait, m.imp.Rate)
	}
	s.QueueDelay = m.queueDelay.stats()
	s.Late = m.late.stats()
	return s
}

// jitterWalk is the wandering jitter offset of an Impairment: piecewise
// linear between targets drawn uniformly in [−amp, +amp], one every 4·amp,
// so its slope is at most 2·amp / 4·amp = 1/2 and t + offset(t) increases
// with t: a later departure never gets an earlier arrival.
type jitterWalk struct {
	amp    time.Duration // the amplitude the current segment was drawn for
	t0, t1 time.Time     // the current segment
	j0, j1 time.Duration // the offset at t0 and t1
}

// offset returns the offset at t; calls must come with t not decreasing.
func (w *jitterWalk) offset(t time.Time, amp time.Duration, r *rand.Rand) time.Duration {
	if amp <= 0 {
		*w = jitterWalk{}
		return 0
	}
	draw := func() time.Duration { return time.Duration(r.Int64N(2*int64(amp)+1)) - amp }
	seg := 4 * amp
	switch {
	case w.amp != amp:
		// First use, or a new amplitude: start a segment from where the
		// offset is now (or a random point), within the new range.
		j := draw()
		if w.amp != 0 {
			j = min(max(w.at(t), -amp), amp)
		}
		w.amp, w.t0, w.j0 = amp, t, j
		w.t1, w.j1 = t.Add(seg), draw()
	case t.Sub(w.t1) > seg:
		// Idle for more than a segment: go on from the target reached
		// instead of replaying the segments missed.
		w.t0, w.j0 = t, w.j1
		w.t1, w.j1 = t.Add(seg), draw()
	}
	for !t.Before(w.t1) {
		w.t0, w.j0 = w.t1, w.j1
		w.t1, w.j1 = w.t0.Add(seg), draw()
	}
	return w.at(t)
}

// at interpolates the current segment at t.
func (w *jitterWalk) at(t time.Time) time.Duration {
	if !t.After(w.t0) {
		return w.j0
	}
	if !t.Before(w.t1) {
		return w.j1
	}
	f := float64(t.Sub(w.t0)) / float64(w.t1.Sub(w.t0))
	return w.j0 + time.Duration(f*float64(w.j1-w.j0))
}

// slotRing is a FIFO of slots that grows by doubling and is reused, so
// that a steady flow allocates nothing.
type slotRing struct {
	s    []slot
	head int
	n    int
}

func (r *slotRing) len() int { return r.n }

func (r *slotRing) push(s slot) {
	if r.n == len(r.s) {
		g := make([]slot, max(16, 2*len(r.s)))
		for i := range r.n {
			g[i] = r.s[(r.head+i)%len(r.s)]
		}
		r.s, r.head = g, 0
	}
	r.s[(r.head+r.n)%len(r.s)] = s
	r.n++
}

func (r *slotRing) headDue() (due time.Time, empty bool) {
	if r.n == 0 {
		return time.Time{}, true
	}
	return r.s[r.head].due, false
}

func (r *slotRing) tail() *slot { return &r.s[(r.head+r.n-1)%len(r.s)] }

func (r *slotRing) popHead() slot {
	s := r.s[r.head]
	r.s[r.head] = slot{}
	r.head = (r.head + 1) % len(r.s)
	r.n--
	return s
}

func (r *slotRing) popTail() slot {
	i := (r.head + r.n - 1) % len(r.s)
	s := r.s[i]
	r.s[i] = slot{}
	r.n--
	return s
}
