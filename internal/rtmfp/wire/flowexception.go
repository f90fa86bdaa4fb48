package wire

// FlowException is the Flow Exception Report chunk (RFC 7016 §2.3.16): the
// receiver of a flow rejects it (e.g. an unknown mandatory option, or the
// application refused it); the sender closes the flow.
//
//	+------+--------+-------------/-+------------------/-+
//	| 0x5e | length | flowID VLU    | exception code VLU |
//	+------+--------+-------------/-+------------------/-+
type FlowException struct {
	FlowID FlowID
	Code   uint64
}

// Type returns ChunkFlowException.
func (FlowException) Type() ChunkType { return ChunkFlowException }

// Length returns the encoded chunk length.
func (c FlowException) Length() int {
	return ChunkHeaderLength + VLULen(uint64(c.FlowID)) + VLULen(c.Code)
}

// Append appends the chunk.
func (c FlowException) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkFlowException, c.Length()-ChunkHeaderLength)
	b = AppendVLU(b, uint64(c.FlowID))
	return AppendVLU(b, c.Code)
}

// ParseFlowException decodes a Flow Exception Report payload. Trailing
// bytes are ignored.
func ParseFlowException(p []byte) (FlowException, error) {
	id, n, err := parseVLUField(p, "FlowException flowID")
	if err != nil {
		return FlowException{}, err
	}
	code, _, err := parseVLUField(p[n:], "FlowException code")
	if err != nil {
		return FlowException{}, err
	}
	return FlowException{FlowID: FlowID(id), Code: code}, nil
}
