package wire

// Ping is the Ping chunk (RFC 7016 §2.3.9): a keepalive or path check with
// arbitrary, possibly empty, contents (rtmfp-cpp marks mobility checks
// with 'M').
//
//	+------+--------+------------------/-+
//	| 0x01 | length | message (rest)     |
//	+------+--------+------------------/-+
type Ping struct {
	Message []byte
}

// Type returns ChunkPing.
func (Ping) Type() ChunkType { return ChunkPing }

// Length returns the encoded chunk length.
func (c Ping) Length() int { return ChunkHeaderLength + len(c.Message) }

// Append appends the chunk.
func (c Ping) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkPing, len(c.Message))
	return append(b, c.Message...)
}

// ParsePing decodes a Ping payload. It cannot fail; the error is for
// symmetry with the other chunks.
func ParsePing(p []byte) (Ping, error) { return Ping{Message: p}, nil }
