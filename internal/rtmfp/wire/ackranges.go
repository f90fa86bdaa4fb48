package wire

import (
	"errors"
	"fmt"
	"math"
)

// AckRanges is the Data Acknowledgement Ranges chunk (RFC 7016 §2.3.14):
// everything up to CumulativeAck was received, and so were the Ranges above
// it, separated by holes.
//
//	+------+--------+-----------/-+------------------/-+------------------/-+
//	| 0x51 | length | flowID VLU  | bufferBlocks VLU   | cumulativeAck VLU  |
//	+------+--------+-----------/-+------------------/-+------------------/-+
//	+---------------------/-+------------------------/-+
//	| holesMinusOne VLU     | receivedMinusOne VLU     |  repeated
//	+---------------------/-+------------------------/-+
//
// Decoding (rtmfp-cpp SendFlow::onAck): cursor = cumulativeAck; for each
// pair, from = cursor + holesMinusOne + 2, to = from + receivedMinusOne,
// cursor = to. Encoding is the inverse: holesMinusOne = from - cursor - 2,
// receivedMinusOne = to - from. Each range thus starts at least two above
// the previous one's end (a hole of at least one), and a sender may cut the
// list at any VLU boundary to fit a packet, so a decoder ignores an
// incomplete trailing pair.
type AckRanges struct {
	FlowID        FlowID
	BufferBlocks  uint64 // bufferBlocksAvailable, in units of BufferBlockSize
	CumulativeAck SeqNum
	// Ranges are the received ranges above CumulativeAck, ascending. Only
	// the valid prefix is encoded: Append stops at the first range that
	// does not start at least two above the previous end (or above
	// CumulativeAck) or that ends before it starts.
	Ranges []SeqRange
}

// NewAckRanges builds the acknowledgement for a receiver's set of received
// sequence numbers, given as ascending, disjoint, non-adjacent inclusive
// ranges (the extents of the set). Sequence number 0 counts as received, so
// a first range starting at 0 or 1 becomes the cumulative acknowledgement;
// otherwise it is 0. The result's Ranges alias received.
func NewAckRanges(flowID FlowID, bufferBlocks uint64, received []SeqRange) AckRanges {
	c := AckRanges{FlowID: flowID, BufferBlocks: bufferBlocks, Ranges: received}
	if len(received) > 0 && received[0].From <= 1 {
		c.CumulativeAck = received[0].To
		c.Ranges = received[1:]
	}
	return c
}

// Type returns ChunkAckRanges.
func (AckRanges) Type() ChunkType { return ChunkAckRanges }

func (c AckRanges) headerLength() int {
	return ChunkHeaderLength + VLULen(uint64(c.FlowID)) + VLULen(c.BufferBlocks) + VLULen(uint64(c.CumulativeAck))
}

// fit returns how many ranges are encoded within budget bytes of chunk, and
// the chunk length with them.
func (c AckRanges) fit(budget int) (count, length int) {
	length = c.headerLength()
	cursor := c.CumulativeAck
	for _, r := range c.Ranges {
		if r.To < r.From || cursor >= math.MaxUint64-1 || r.From < cursor+2 {
			break
		}
		n := VLULen(uint64(r.From-cursor-2)) + VLULen(uint64(r.To-r.From))
		if length+n > budget {
			break
		}
		length += n
		count++
		cursor = r.To
	}
	return count, length
}

// Length returns the encoded chunk length (all valid ranges).
func (c AckRanges) Length() int {
	_, n := c.fit(math.MaxInt)
	return n
}

// Append appends the chunk with all valid ranges.
func (c AckRanges) Append(b []byte) []byte {
	b, _, _ = c.AppendWithin(b, math.MaxInt)
	return b
}

// AppendWithin appends the chunk with as many ranges (lowest first) as fit
// in budget bytes of chunk, header included, and reports how many. The
// header fields must fit even when no range does (rtmfp-cpp
// RecvFlow::assembleAck); if they do not, b is returned unchanged with
// ok false.
func (c AckRanges) AppendWithin(b []byte, budget int) (out []byte, ranges int, ok bool) {
	count, length := c.fit(budget)
	if length > budget {
		return b, 0, false
	}
	b = AppendChunkHeader(b, ChunkAckRanges, length-ChunkHeaderLength)
	b = AppendVLU(b, uint64(c.FlowID))
	b = AppendVLU(b, c.BufferBlocks)
	b = AppendVLU(b, uint64(c.CumulativeAck))
	cursor := c.CumulativeAck
	for _, r := range c.Ranges[:count] {
		b = AppendVLU(b, uint64(r.From-cursor-2))
		b = AppendVLU(b, uint64(r.To-r.From))
		cursor = r.To
	}
	return b, count, true
}

// ParseAckRanges decodes a Data Acknowledgement Ranges payload, appending
// the ranges to dst[:0] so that a caller reusing dst decodes without
// allocating. Ranges stop at the end of the payload or at an incomplete
// trailing pair. A range that runs past 2^64-1 is ErrMalformed.
func ParseAckRanges(p []byte, dst []SeqRange) (AckRanges, error) {
	h, at, err := parseAckHeader(p, "AckRanges")
	if err != nil {
		return AckRanges{}, err
	}
	c := AckRanges{FlowID: h.flowID, BufferBlocks: h.blocks, CumulativeAck: h.cumAck, Ranges: dst[:0]}
	it := AckRangeIter{rest: p[at:], cursor: h.cumAck}
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		c.Ranges = append(c.Ranges, r)
	}
	if it.err != nil {
		return AckRanges{}, it.err
	}
	return c, nil
}

// AckRangeIter walks the ranges of an Ack Ranges payload without storing
// them, for a sender that applies each range as it reads it.
type AckRangeIter struct {
	rest   []byte
	cursor SeqNum
	err    error
}

// NewAckRangeIter returns an iterator over the ranges of an Ack Ranges
// payload, with its header.
func NewAckRangeIter(p []byte) (AckRanges, AckRangeIter, error) {
	h, at, err := parseAckHeader(p, "AckRanges")
	if err != nil {
		return AckRanges{}, AckRangeIter{}, err
	}
	return AckRanges{FlowID: h.flowID, BufferBlocks: h.blocks, CumulativeAck: h.cumAck},
		AckRangeIter{rest: p[at:], cursor: h.cumAck}, nil
}

// Next returns the next range, or false at the end of the list (a clean end
// or a truncated pair) or on an error.
func (it *AckRangeIter) Next() (SeqRange, bool) {
	if it.err != nil || len(it.rest) == 0 {
		return SeqRange{}, false
	}
	holes, n, err := ParseVLU(it.rest)
	if err != nil {
		return it.stop(err)
	}
	received, m, err := ParseVLU(it.rest[n:])
	if err != nil {
		return it.stop(err)
	}
	it.rest = it.rest[n+m:]
	c := uint64(it.cursor)
	if c > math.MaxUint64-2 || holes > math.MaxUint64-2-c || received > math.MaxUint64-(c+holes+2) {
		it.err = fmt.Errorf("AckRanges range beyond 2^64-1: %w", ErrMalformed)
		it.rest = nil
		return SeqRange{}, false
	}
	from := c + holes + 2
	to := from + received
	it.cursor = SeqNum(to)
	return SeqRange{From: SeqNum(from), To: SeqNum(to)}, true
}

// stop ends the iteration: a VLU cut short is a permitted truncation, an
// overflowing one is an error.
func (it *AckRangeIter) stop(err error) (SeqRange, bool) {
	if !errors.Is(err, ErrTruncated) {
		it.err = fmt.Errorf("AckRanges range: %w", err)
	}
	it.rest = nil
	return SeqRange{}, false
}

// Err returns the error that stopped the iterator, if any.
func (it *AckRangeIter) Err() error { return it.err }
