package flow

import (
	"camchat/internal/rtmfp/wire"
)

// advertisedBlocks returns the window to advertise in 1024-byte blocks:
// min(capacity − buffered, limit) rounded up, and at least one block unless
// the capacity or the limit is 0 or delivery is on hold, so that a sender
// with a message larger than the buffer still makes progress (rtmfp-cpp
// RecvFlow::assembleAck).
func (r *Receiver) advertisedBlocks() uint64 {
	var bytes int
	if r.buffered < r.capacity {
		bytes = min(r.capacity-r.buffered, r.limit)
	}
	blocks := (uint64(bytes) + wire.BufferBlockSize - 1) / wire.BufferBlockSize
	if blocks == 0 && r.capacity > 0 && r.limit > 0 && r.order != OrderHold {
		blocks = 1
	}
	return blocks
}

// AppendAck appends the flow's acknowledgement to dst within budget bytes: a
// Flow Exception Report first when the flow was rejected, then a Data Ack
// Ranges chunk with the window, the cumulative ack and the ranges above it
// (RFC 7016 §2.3.14, §3.6.3.3). When not every range fits, the lowest ones are
// left out and the newest kept: the hole before the first range sent simply
// covers them, so the sender learns of the most recent arrivals, which drive
// its loss detection. If even the headers do not fit, dst is returned
// unchanged and the ack stays due.
func (r *Receiver) AppendAck(dst []byte, budget int) []byte {
	if r.state == RecvClosed {
		return dst
	}
	start := len(dst)
	if r.state == RecvRejected {
		ex := wire.FlowException{FlowID: r.id, Code: r.exceptionCode}
		if ex.Length() > budget {
			return dst
		}
		dst = ex.Append(dst)
		budget -= ex.Length()
	}
	blocks := r.advertisedBlocks()
	ack := wire.AckRanges{FlowID: r.id, BufferBlocks: blocks, CumulativeAck: r.set.cum()}
	hdr := ack.Length()
	if hdr > budget {
		return dst[:start]
	}
	ranges := r.set.r[1:]
	first := r.keepFrom(ranges, budget-hdr)
	ack.Ranges = ranges[first:]
	dst = ack.Append(dst)
	if first > 0 {
		r.stats.Truncated++
	}
	r.stats.AcksSent++
	if r.state == RecvRejected {
		r.reported = true
	}
	r.shouldAck, r.ackNow, r.dataPackets = false, false, 0
	r.prevBlocks = blocks
	return dst
}

// keepFrom returns the index of the lowest range of the longest suffix of
// ranges whose encoding fits in room bytes. The first range kept is encoded
// from the cumulative ack, each later one from its predecessor.
func (r *Receiver) keepFrom(ranges []wire.SeqRange, room int) int {
	cum := r.set.cum()
	tail := 0 // bytes of ranges[i+1:], each from its predecessor
	for i := len(ranges) - 1; i >= 0; i-- {
		rg := ranges[i]
		cost := wire.VLULen(uint64(rg.From-cum-2)) + wire.VLULen(uint64(rg.To-rg.From))
		if cost+tail > room {
			return i + 1
		}
		if i > 0 {
			tail += wire.VLULen(uint64(rg.From-ranges[i-1].To-2)) + wire.VLULen(uint64(rg.To-rg.From))
		}
	}
	return 0
}
