package wire

import "fmt"

// Redirect is the Responder Redirect chunk (RFC 7016 §2.3.5): an answer to
// an IHello listing other addresses at which to try the EPD. An empty list
// means "try the address this Redirect came from" (rtmfp-cpp adds the
// observed source address).
//
//	+------+--------+---------------/-+-------------/-+-----+
//	| 0x71 | length | tag echo field  | address 1     | ... |
//	+------+--------+---------------/-+-------------/-+-----+
type Redirect struct {
	Tag       []byte
	Addresses []Address
}

// Type returns ChunkRedirect.
func (Redirect) Type() ChunkType { return ChunkRedirect }

// Length returns the encoded chunk length.
func (c Redirect) Length() int {
	n := ChunkHeaderLength + FieldLen(len(c.Tag))
	for _, a := range c.Addresses {
		n += a.Length()
	}
	return n
}

// Append appends the chunk.
func (c Redirect) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkRedirect, c.Length()-ChunkHeaderLength)
	b = AppendField(b, c.Tag)
	for _, a := range c.Addresses {
		b = a.Append(b)
	}
	return b
}

// ParseRedirect decodes a Responder Redirect payload. It allocates the
// address list (a startup chunk, not on the data path). Any malformed
// address rejects the whole chunk, as rtmfp-cpp does.
func ParseRedirect(p []byte) (Redirect, error) {
	tag, n, err := parseFieldNamed(p, "Redirect tag")
	if err != nil {
		return Redirect{}, err
	}
	c := Redirect{Tag: tag}
	for rest := p[n:]; len(rest) > 0; {
		a, m, err := ParseAddress(rest)
		if err != nil {
			return Redirect{}, fmt.Errorf("Redirect %w", err)
		}
		c.Addresses = append(c.Addresses, a)
		rest = rest[m:]
	}
	return c, nil
}
