package wire

// SessionClose is the Session Close Request chunk (RFC 7016 §2.3.17). It is
// empty; payload bytes, if any, are ignored.
//
//	+------+--------+
//	| 0x0c | 0x0000 |
//	+------+--------+
type SessionClose struct{}

// Type returns ChunkSessionClose.
func (SessionClose) Type() ChunkType { return ChunkSessionClose }

// Length returns ChunkHeaderLength.
func (SessionClose) Length() int { return ChunkHeaderLength }

// Append appends the chunk.
func (SessionClose) Append(b []byte) []byte { return AppendChunkHeader(b, ChunkSessionClose, 0) }

// ParseSessionClose decodes a Session Close Request payload. It cannot fail.
func ParseSessionClose([]byte) (SessionClose, error) { return SessionClose{}, nil }
