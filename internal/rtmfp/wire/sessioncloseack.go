package wire

// SessionCloseAck is the Session Close Acknowledgement chunk (RFC 7016
// §2.3.18). It is empty; payload bytes, if any, are ignored.
//
//	+------+--------+
//	| 0x4c | 0x0000 |
//	+------+--------+
type SessionCloseAck struct{}

// Type returns ChunkSessionCloseAck.
func (SessionCloseAck) Type() ChunkType { return ChunkSessionCloseAck }

// Length returns ChunkHeaderLength.
func (SessionCloseAck) Length() int { return ChunkHeaderLength }

// Append appends the chunk.
func (SessionCloseAck) Append(b []byte) []byte {
	return AppendChunkHeader(b, ChunkSessionCloseAck, 0)
}

// ParseSessionCloseAck decodes a Session Close Acknowledgement payload. It
// cannot fail.
func ParseSessionCloseAck([]byte) (SessionCloseAck, error) { return SessionCloseAck{}, nil }
