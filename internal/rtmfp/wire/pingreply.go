package wire

// PingReply is the Ping Reply chunk (RFC 7016 §2.3.10): an exact copy of the
// message of the Ping it answers.
//
//	+------+--------+------------------/-+
//	| 0x41 | length | message echo       |
//	+------+--------+------------------/-+
type PingReply struct {
	Message []byte
}

// Type returns ChunkPingReply.
func (PingReply) Type() ChunkType { return ChunkPingReply }

// Length returns the encoded chunk length.
func (c PingReply) Length() int { return ChunkHeaderLength + len(c.Message) }

// Append appends the chunk.
func (c PingReply) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkPingReply, len(c.Message))
	return append(b, c.Message...)
}

// ParsePingReply decodes a Ping Reply payload. It cannot fail.
func ParsePingReply(p []byte) (PingReply, error) { return PingReply{Message: p}, nil }
