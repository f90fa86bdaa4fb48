package wire

// BufferProbe is the Buffer Probe chunk (RFC 7016 §2.3.15): a sender whose
// receiver advertised a zero window asks for a fresh acknowledgement.
//
//	+------+--------+-------------/-+
//	| 0x18 | length | flowID VLU    |
//	+------+--------+-------------/-+
type BufferProbe struct {
	FlowID FlowID
}

// Type returns ChunkBufferProbe.
func (BufferProbe) Type() ChunkType { return ChunkBufferProbe }

// Length returns the encoded chunk length.
func (c BufferProbe) Length() int { return ChunkHeaderLength + VLULen(uint64(c.FlowID)) }

// Append appends the chunk.
func (c BufferProbe) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkBufferProbe, VLULen(uint64(c.FlowID)))
	return AppendVLU(b, uint64(c.FlowID))
}

// ParseBufferProbe decodes a Buffer Probe payload. Trailing bytes are
// ignored.
func ParseBufferProbe(p []byte) (BufferProbe, error) {
	id, _, err := parseVLUField(p, "BufferProbe flowID")
	if err != nil {
		return BufferProbe{}, err
	}
	return BufferProbe{FlowID: FlowID(id)}, nil
}
