package audio

import "sync/atomic"

// FrameQueue is a bounded Source: a producer pushes decoded frames, the
// playback device pulls them. Push and ReadFrame never block and never
// allocate after NewFrameQueue.
type FrameQueue struct {
	pool  framePool   // constant
	ready chan *Frame // constant
	full  atomic.Uint64
}

// NewFrameQueue returns a queue holding up to depth frames.
func NewFrameQueue(depth int) *FrameQueue {
	if depth < 1 {
		depth = 1
	}
	return &FrameQueue{pool: newFramePool(depth), ready: make(chan *Frame, depth)}
}

// Push copies up to FrameSamples samples as the next frame (a shorter slice
// is padded with silence). It reports false, and counts an overflow, when
// the queue is full.
func (q *FrameQueue) Push(samples []int16) bool {
	f := q.pool.get()
	if f == nil {
		q.full.Add(1)
		return false
	}
	n := copy(f.Samples[:], samples)
	clear(f.Samples[n:])
	q.ready <- f // cannot block: ready has room for every pooled frame
	return true
}

// ReadFrame implements Source.
func (q *FrameQueue) ReadFrame(dst *[FrameSamples]int16) bool {
	select {
	case f := <-q.ready:
		*dst = f.Samples
		q.pool.put(f)
		return true
	default:
		return false
	}
}

// Len returns the number of frames waiting.
func (q *FrameQueue) Len() int { return len(q.ready) }

// Overflows returns how many pushes found the queue full.
func (q *FrameQueue) Overflows() uint64 { return q.full.Load() }
