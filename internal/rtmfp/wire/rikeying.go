package wire

import "fmt"

// RIKeying is the Responder Initial Keying chunk (RFC 7016 §2.3.8), sent in
// startup mode to the initiator's session ID. The signature covers the
// session ID and the SKRC field followed by the raw SKIC bytes of the
// IIKeying it answers (no length prefix), binding the two halves.
//
//	+------+--------+-----------+-----------/-+--------------/-+
//	| 0x78 | length | RSID (4)  | SKRC field  | signature      |
//	|      |        |           |             | (rest)         |
//	+------+--------+-----------+-----------/-+--------------/-+
//	                 \__ signed region ______/ + SKIC bytes
type RIKeying struct {
	ResponderSessionID SessionID // the session ID the responder receives on
	SKRC               []byte    // session key responder component
	Signature          []byte

	// Signed is set by ParseRIKeying to the exact session ID and SKRC field
	// bytes of the received chunk (aliasing the payload); Append ignores it.
	Signed []byte
}

// Type returns ChunkRIKeying.
func (RIKeying) Type() ChunkType { return ChunkRIKeying }

// Length returns the encoded chunk length.
func (c RIKeying) Length() int {
	return ChunkHeaderLength + SessionIDLength + FieldLen(len(c.SKRC)) + len(c.Signature)
}

// AppendSignedData appends the bytes the signature covers: the session ID
// and SKRC field (the received bytes for a parsed chunk), then skic.
func (c RIKeying) AppendSignedData(b, skic []byte) []byte {
	if c.Signed != nil {
		b = append(b, c.Signed...)
	} else {
		b = appendSessionID(b, c.ResponderSessionID)
		b = AppendField(b, c.SKRC)
	}
	return append(b, skic...)
}

// Append appends the chunk, encoding the signed region from the fields.
func (c RIKeying) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkRIKeying, c.Length()-ChunkHeaderLength)
	b = appendSessionID(b, c.ResponderSessionID)
	b = AppendField(b, c.SKRC)
	return append(b, c.Signature...)
}

// ParseRIKeying decodes an RIKeying payload.
func ParseRIKeying(p []byte) (RIKeying, error) {
	if len(p) < SessionIDLength {
		return RIKeying{}, fmt.Errorf("RIKeying session ID: %w", ErrTruncated)
	}
	skrc, n, err := parseFieldNamed(p[SessionIDLength:], "RIKeying SKRC")
	if err != nil {
		return RIKeying{}, err
	}
	at := SessionIDLength + n
	return RIKeying{
		ResponderSessionID: SessionID(uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])),
		SKRC:               skrc,
		Signature:          p[at:],
		Signed:             p[:at:at],
	}, nil
}
