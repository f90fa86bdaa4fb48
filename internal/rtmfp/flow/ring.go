package flow

// ring is a growable FIFO of T with indexed access, used for the send queue,
// the fragments in sequence-number order, the flight list and the
// retransmission queue. It doubles when full and is otherwise reused, so a
// flow in steady state does not allocate.
type ring[T any] struct {
	buf  []T
	head int
	n    int
}

func (r *ring[T]) len() int { return r.n }

// at returns a pointer to the i-th element from the front. The pointer is
// valid until the next push.
func (r *ring[T]) at(i int) *T { return &r.buf[(r.head+i)&(len(r.buf)-1)] }

func (r *ring[T]) front() *T { return r.at(0) }

func (r *ring[T]) back() *T { return r.at(r.n - 1) }

func (r *ring[T]) push(v T) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = v
	r.n++
}

func (r *ring[T]) popFront() {
	var zero T
	r.buf[r.head] = zero // drop references for the garbage collector
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
}

func (r *ring[T]) clear() {
	for r.n > 0 {
		r.popFront()
	}
	r.head = 0
}

func (r *ring[T]) grow() {
	size := 2 * len(r.buf)
	if size == 0 {
		size = 16
	}
	buf := make([]T, size)
	for i := 0; i < r.n; i++ {
		buf[i] = *r.at(i)
	}
	r.buf, r.head = buf, 0
}

// trim releases the storage of an empty ring; push allocates it again.
func (r *ring[T]) trim() {
	if r.n == 0 {
		r.buf, r.head = nil, 0
	}
}
