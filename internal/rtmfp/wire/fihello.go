package wire

import "fmt"

// FIHello is the Forwarded Initiator Hello chunk (RFC 7016 §2.3.3): an
// IHello that an introducer (a rendezvous server or a room member) forwards
// inside an open session to the target, with the address the target must
// answer. The target replies RHello to ReplyAddress.
//
//	+------+--------+--------------/-+----------------/-+------------/-+
//	| 0x0f | length | EPD field      | reply address    | tag (rest)   |
//	+------+--------+--------------/-+----------------/-+------------/-+
type FIHello struct {
	EPD          []byte
	ReplyAddress Address
	Tag          []byte
}

// Type returns ChunkFIHello.
func (FIHello) Type() ChunkType { return ChunkFIHello }

// Length returns the encoded chunk length.
func (c FIHello) Length() int {
	return ChunkHeaderLength + FieldLen(len(c.EPD)) + c.ReplyAddress.Length() + len(c.Tag)
}

// Append appends the chunk.
func (c FIHello) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkFIHello, c.Length()-ChunkHeaderLength)
	b = AppendField(b, c.EPD)
	b = c.ReplyAddress.Append(b)
	return append(b, c.Tag...)
}

// ParseFIHello decodes an FIHello payload.
func ParseFIHello(p []byte) (FIHello, error) {
	epd, n, err := parseFieldNamed(p, "FIHello EPD")
	if err != nil {
		return FIHello{}, err
	}
	addr, m, err := ParseAddress(p[n:])
	if err != nil {
		return FIHello{}, fmt.Errorf("FIHello reply %w", err)
	}
	return FIHello{EPD: epd, ReplyAddress: addr, Tag: p[n+m:]}, nil
}
