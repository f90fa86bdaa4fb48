package flow

import (
	"time"

	"camchat/internal/rtmfp/wire"
)

// tryDelivery moves whole messages from the fragment buffer to the ready
// queue (rtmfp-cpp RecvFlow::tryDelivery). In network order the message
// around hint (the fragment just inserted) goes as soon as it is whole. Then,
// in any order but hold, the fragments at or below the cumulative ack are
// settled from the front: whole messages are delivered, and fragments of
// messages that can no longer complete (their beginning was abandoned, or the
// sequence number after their last fragment is known and is not theirs) are
// discarded.
func (r *Receiver) tryDelivery(hint int) {
	if r.state == RecvRejected || r.state == RecvClosed || r.order == OrderHold {
		return
	}
	if hint >= 0 && r.order == OrderNetwork {
		if b, e, ok := r.messageAround(hint); ok {
			r.deliver(b, e)
		}
	}
	csn := r.set.cum()
	for r.fh < len(r.frags) {
		f := &r.frags[r.fh]
		if f.seq > csn {
			break
		}
		switch f.fra {
		case wire.FragmentWhole:
			r.deliver(r.fh, r.fh)
			continue
		case wire.FragmentMiddle, wire.FragmentEnd:
			r.discardFront()
			continue
		}
		// Resume the walk where the last call left it, so a large
		// message arriving in order costs O(1) per fragment.
		start := r.fh
		if f.seq == r.runStart && r.runLast > f.seq {
			start += int(r.runLast - f.seq)
		}
		last, end := r.runFrom(start)
		r.runStart, r.runLast = f.seq, r.frags[last].seq
		if end {
			r.deliver(r.fh, last)
		} else if r.frags[last].seq < csn {
			r.discardFront()
		} else {
			return // in progress
		}
	}
}

// runFrom walks the contiguous fragments after the begin fragment at i and
// returns the index of the last one, and whether it is an end fragment.
func (r *Receiver) runFrom(i int) (last int, end bool) {
	for j := i + 1; j < len(r.frags); j++ {
		f := &r.frags[j]
		if f.seq != r.frags[j-1].seq+1 || f.fra == wire.FragmentBegin || f.fra == wire.FragmentWhole {
			break
		}
		if f.fra == wire.FragmentEnd {
			return j, true
		}
		i = j
	}
	return i, false
}

// messageAround returns the index range of the whole message containing the
// fragment at i, if every fragment of it is buffered.
func (r *Receiver) messageAround(i int) (b, e int, ok bool) {
	switch r.frags[i].fra {
	case wire.FragmentWhole:
		return i, i, true
	case wire.FragmentBegin:
		b = i
	default:
		b = i
		for {
			if b == r.fh || r.frags[b-1].seq+1 != r.frags[b].seq {
				return 0, 0, false
			}
			b--
			if fra := r.frags[b].fra; fra == wire.FragmentBegin {
				break
			} else if fra != wire.FragmentMiddle {
				return 0, 0, false
			}
		}
	}
	if r.frags[i].fra == wire.FragmentEnd {
		return b, i, true
	}
	e, end := r.runFrom(i)
	return b, e, end
}

// discardFront drops the first buffered fragment.
func (r *Receiver) discardFront() {
	f := &r.frags[r.fh]
	r.buffered -= len(f.data()) + FragmentOverhead
	r.addHeld(-(cap(*f.buf) + FragmentOverhead))
	putBuf(f.buf)
	*f = rfrag{}
	r.fh++
	r.stats.Discarded++
	r.compact()
}

// deliver assembles the fragments b..e into one message on the ready queue.
func (r *Receiver) deliver(b, e int) {
	n := 0
	for i := b; i <= e; i++ {
		n += len(r.frags[i].data())
	}
	var buf *[]byte
	if b == e {
		buf = r.frags[b].buf // a whole fragment is the message
		r.frags[b].buf = nil
	} else {
		buf = getBuf(n)
		at := 0
		for i := b; i <= e; i++ {
			at += copy((*buf)[at:], r.frags[i].data())
			r.addHeld(-(cap(*r.frags[i].buf) + FragmentOverhead))
			putBuf(r.frags[i].buf)
		}
		r.addHeld(cap(*buf) + FragmentOverhead)
	}
	r.buffered -= n + (e-b+1)*FragmentOverhead
	r.buffered += n + FragmentOverhead
	r.ready.push(readyMsg{buf: buf, arrived: r.lastNow})
	r.stats.Messages++
	r.stats.Bytes += uint64(n)
	if b == r.fh {
		clear(r.frags[b : e+1])
		r.fh = e + 1
	} else {
		k := copy(r.frags[b:], r.frags[e+1:])
		clear(r.frags[b+k:])
		r.frags = r.frags[:b+k]
	}
	r.compact()
}

// compact resets the live window when the buffer empties.
func (r *Receiver) compact() {
	if r.fh == len(r.frags) {
		r.frags, r.fh = r.frags[:0], 0
	}
}

// Read returns the next whole message as a fresh slice owned by the caller,
// or false when none is ready.
func (r *Receiver) Read() (msg []byte, ok bool) {
	if r.ready.len() == 0 {
		return nil, false
	}
	n := len(*r.ready.front().buf)
	return r.AppendNext(make([]byte, 0, n))
}

// AppendNext appends the next whole message to dst, or returns false when
// none is ready. With a reused dst it does not allocate.
func (r *Receiver) AppendNext(dst []byte) (out []byte, ok bool) {
	if r.ready.len() == 0 {
		return dst, false
	}
	m := r.ready.front()
	dst = append(dst, *m.buf...)
	r.buffered -= len(*m.buf) + FragmentOverhead
	r.addHeld(-(cap(*m.buf) + FragmentOverhead))
	putBuf(m.buf)
	r.ready.popFront()
	if r.prevBlocks < 2 && r.state == RecvOpen {
		// The window reopens: tell the sender at once (rtmfp-cpp
		// deliverMessage).
		r.scheduleAck(r.lastNow, true)
	}
	return dst, true
}

// NextArrival returns when the next message waiting for Read became
// deliverable, or zero when none waits: the now of the OnData call whose
// fragment completed it or, in sequence order, the one that completed the
// last message or gap before it (a gap closes when its fragments arrive or
// the forward sequence number passes it); for a message held by OrderHold,
// the now of the SetOrder that released it. The session's receive time of the
// packet, not the time of Read, is what a jitter buffer needs.
func (r *Receiver) NextArrival() time.Time {
	if r.ready.len() == 0 {
		return time.Time{}
	}
	return r.ready.front().arrived
}

// Ready returns the number of whole messages waiting for Read.
func (r *Receiver) Ready() int { return r.ready.len() }
