package pipeline

import (
	"container/heap"
	"math/rand/v2"
	"time"
)

// t0 is the start of every test's explicit clock.
var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// link is a one-way network path with seeded delay, jitter and loss.
// Reordering follows from the jitter: a packet sent 20 ms after another with
// 40 ms less delay overtakes it.
type link struct {
	rng         *rand.Rand
	base, jit   time.Duration // delay base±jit, uniform
	loss        float64       // drop probability
	noLossAfter time.Time     // packets sent after this are never dropped
	q           deliveries
	n           uint64
}

type delivery struct {
	at    time.Time
	order uint64 // send order, for a stable pop among equal times
	audio *AudioPacket
	video *VideoPacket
}

type deliveries []delivery

func (d deliveries) Len() int { return len(d) }
func (d deliveries) Less(i, j int) bool {
	if !d[i].at.Equal(d[j].at) {
		return d[i].at.Before(d[j].at)
	}
	return d[i].order < d[j].order
}
func (d deliveries) Swap(i, j int) { d[i], d[j] = d[j], d[i] }
func (d *deliveries) Push(x any)   { *d = append(*d, x.(delivery)) }
func (d *deliveries) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}

func newLink(seed uint64, base, jit time.Duration, loss float64) *link {
	return &link{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), base: base, jit: jit, loss: loss}
}

// send schedules a copy of the packet; it reports false when the packet
// is lost.
func (l *link) send(now time.Time, a *AudioPacket, v *VideoPacket) bool {
	drop := l.rng.Float64() < l.loss
	d := l.base
	if l.jit > 0 {
		d += time.Duration(l.rng.Int64N(int64(2*l.jit)+1)) - l.jit
	}
	if drop && (l.noLossAfter.IsZero() || !now.After(l.noLossAfter)) {
		return false
	}
	if a != nil {
		c := *a
		c.Payload = append([]byte(nil), a.Payload...)
		a = &c
	}
	if v != nil {
		c := *v
		c.Payload = append([]byte(nil), v.Payload...)
		v = &c
	}
	l.n++
	heap.Push(&l.q, delivery{at: now.Add(d), order: l.n, audio: a, video: v})
	return true
}

// next returns the time of the next delivery, if any.
func (l *link) next() (time.Time, bool) {
	if len(l.q) == 0 {
		return time.Time{}, false
	}
	return l.q[0].at, true
}

func (l *link) pop() delivery { return heap.Pop(&l.q).(delivery) }

// ticker is a periodic event on the explicit clock: the n-th tick is at
// start + n*period exactly (no accumulated rounding).
type ticker struct {
	start  time.Time
	num    int64 // period = num/den seconds
	den    int64
	n      int64
	offset time.Duration
}

func (k *ticker) at() time.Time {
	return k.start.Add(k.offset + time.Duration(k.n*k.num*int64(time.Second)/k.den))
}
