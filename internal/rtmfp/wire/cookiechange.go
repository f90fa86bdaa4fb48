package wire

// RHelloCookieChange is the RHello Cookie Change chunk (RFC 7016 §2.3.6),
// sent in startup mode to the initiator's session ID when an IIKeying
// carried a cookie that is valid but no longer matches (e.g. the initiator's
// address changed). The initiator retries IIKeying with the new cookie.
//
//	+------+--------+-------------------/-+-----------------/-+
//	| 0x79 | length | old cookie field    | new cookie (rest) |
//	+------+--------+-------------------/-+-----------------/-+
type RHelloCookieChange struct {
	OldCookie []byte
	NewCookie []byte
}

// Type returns ChunkRHelloCookieChange.
func (RHelloCookieChange) Type() ChunkType { return ChunkRHelloCookieChange }

// Length returns the encoded chunk length.
func (c RHelloCookieChange) Length() int {
	return ChunkHeaderLength + FieldLen(len(c.OldCookie)) + len(c.NewCookie)
}

// Append appends the chunk.
func (c RHelloCookieChange) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkRHelloCookieChange, c.Length()-ChunkHeaderLength)
	b = AppendField(b, c.OldCookie)
	return append(b, c.NewCookie...)
}

// ParseRHelloCookieChange decodes an RHello Cookie Change payload.
func ParseRHelloCookieChange(p []byte) (RHelloCookieChange, error) {
	old, n, err := parseFieldNamed(p, "cookie change old cookie")
	if err != nil {
		return RHelloCookieChange{}, err
	}
	return RHelloCookieChange{OldCookie: old, NewCookie: p[n:]}, nil
}
