package wire

import "fmt"

// AckBitmap is the Data Acknowledgement Bitmap chunk (RFC 7016 §2.3.13).
// Neither rtmfp-cpp nor camchat sends it, and rtmfp-cpp does not interpret
// the bitmap (its bit order is unverified), so only the header is decoded:
// receivers use the cumulative acknowledgement and buffer advertisement and
// ignore Bitmap, which is kept raw so the chunk re-appends as received.
//
//	+------+--------+-----------/-+------------------/-+------------------/-+
//	| 0x50 | length | flowID VLU  | bufferBlocks VLU   | cumulativeAck VLU  |
//	+------+--------+-----------/-+------------------/-+------------------/-+
//	+---------------------------/-+
//	| bitmap (rest, uninterpreted) |
//	+---------------------------/-+
type AckBitmap struct {
	FlowID        FlowID
	BufferBlocks  uint64 // bufferBlocksAvailable, in units of BufferBlockSize
	CumulativeAck SeqNum
	Bitmap        []byte
}

// Type returns ChunkAckBitmap.
func (AckBitmap) Type() ChunkType { return ChunkAckBitmap }

// Length returns the encoded chunk length.
func (c AckBitmap) Length() int {
	return ChunkHeaderLength + VLULen(uint64(c.FlowID)) + VLULen(c.BufferBlocks) + VLULen(uint64(c.CumulativeAck)) + len(c.Bitmap)
}

// Append appends the chunk.
func (c AckBitmap) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkAckBitmap, c.Length()-ChunkHeaderLength)
	b = AppendVLU(b, uint64(c.FlowID))
	b = AppendVLU(b, c.BufferBlocks)
	b = AppendVLU(b, uint64(c.CumulativeAck))
	return append(b, c.Bitmap...)
}

// ParseAckBitmap decodes the header of a Data Acknowledgement Bitmap
// payload; Bitmap aliases the rest.
func ParseAckBitmap(p []byte) (AckBitmap, error) {
	id, at, err := parseAckHeader(p, "AckBitmap")
	if err != nil {
		return AckBitmap{}, err
	}
	return AckBitmap{FlowID: id.flowID, BufferBlocks: id.blocks, CumulativeAck: id.cumAck, Bitmap: p[at:]}, nil
}

type ackHeader struct {
	flowID FlowID
	blocks uint64
	cumAck SeqNum
}

// parseAckHeader decodes the three VLUs both acknowledgement chunks start
// with.
func parseAckHeader(p []byte, name string) (ackHeader, int, error) {
	var h ackHeader
	v, n, err := ParseVLU(p)
	if err != nil {
		return h, 0, fmt.Errorf("%s flowID: %w", name, err)
	}
	h.flowID = FlowID(v)
	at := n
	if h.blocks, n, err = ParseVLU(p[at:]); err != nil {
		return h, 0, fmt.Errorf("%s bufferBlocksAvailable: %w", name, err)
	}
	at += n
	if v, n, err = ParseVLU(p[at:]); err != nil {
		return h, 0, fmt.Errorf("%s cumulativeAck: %w", name, err)
	}
	h.cumAck = SeqNum(v)
	return h, at + n, nil
}
