package wire

// IHello is the Initiator Hello chunk (RFC 7016 §2.3.2), sent to SID 0 in
// startup mode. The EPD (endpoint discriminator) is an option list, e.g.
// `21 0f <32-byte peer ID>` to find a peer by ID (RFC 7425 §4.4); the tag is
// the initiator's random nonce (rtmfp-cpp: 16 bytes), echoed in RHello and
// Redirect. Only the first IHello in a packet is processed (rtmfp-cpp).
//
//	+------+--------+--------------/-+-------------/-+
//	| 0x30 | length | EPD field      | tag (rest)    |
//	+------+--------+--------------/-+-------------/-+
type IHello struct {
	EPD []byte
	Tag []byte
}

// Type returns ChunkIHello.
func (IHello) Type() ChunkType { return ChunkIHello }

// Length returns the encoded chunk length.
func (c IHello) Length() int {
	return ChunkHeaderLength + FieldLen(len(c.EPD)) + len(c.Tag)
}

// Append appends the chunk.
func (c IHello) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkIHello, c.Length()-ChunkHeaderLength)
	b = AppendField(b, c.EPD)
	return append(b, c.Tag...)
}

// ParseIHello decodes an IHello payload.
func ParseIHello(p []byte) (IHello, error) {
	epd, n, err := parseFieldNamed(p, "IHello EPD")
	if err != nil {
		return IHello{}, err
	}
	return IHello{EPD: epd, Tag: p[n:]}, nil
}
