package wire

// RHello is the Responder Hello chunk (RFC 7016 §2.3.4), the answer to an
// IHello (or FIHello) whose EPD selects the responder.
//
//	+------+--------+---------------/-+----------------/-+--------------/-+
//	| 0x70 | length | tag echo field  | cookie field     | certificate    |
//	|      |        |                 |                  | (rest)         |
//	+------+--------+---------------/-+----------------/-+--------------/-+
type RHello struct {
	Tag         []byte // the IHello's tag
	Cookie      []byte // opaque, echoed in IIKeying
	Certificate []byte // responder's certificate (RFC 7425 §4.3)
}

// Type returns ChunkRHello.
func (RHello) Type() ChunkType { return ChunkRHello }

// Length returns the encoded chunk length.
func (c RHello) Length() int {
	return ChunkHeaderLength + FieldLen(len(c.Tag)) + FieldLen(len(c.Cookie)) + len(c.Certificate)
}

// Append appends the chunk.
func (c RHello) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkRHello, c.Length()-ChunkHeaderLength)
	b = AppendField(b, c.Tag)
	b = AppendField(b, c.Cookie)
	return append(b, c.Certificate...)
}

// ParseRHello decodes an RHello payload.
func ParseRHello(p []byte) (RHello, error) {
	tag, n, err := parseFieldNamed(p, "RHello tag")
	if err != nil {
		return RHello{}, err
	}
	cookie, m, err := parseFieldNamed(p[n:], "RHello cookie")
	if err != nil {
		return RHello{}, err
	}
	return RHello{Tag: tag, Cookie: cookie, Certificate: p[n+m:]}, nil
}
