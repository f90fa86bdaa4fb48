package wire

import "fmt"

// IIKeying is the Initiator Initial Keying chunk (RFC 7016 §2.3.7), sent to
// SID 0 in startup mode after an RHello. The signature covers the session ID
// through the end of the SKIC field.
//
//	+------+--------+-----------+----------/-+-----------/-+---------/-+-----------/-+
//	| 0x38 | length | ISID (4)  | cookie     | initiator   | SKIC      | signature   |
//	|      |        |           | echo field | cert field  | field     | (rest)      |
//	+------+--------+-----------+----------/-+-----------/-+---------/-+-----------/-+
//	                 \_______________ signed region ________________/
type IIKeying struct {
	InitiatorSessionID SessionID // the session ID the initiator receives on
	Cookie             []byte
	Certificate        []byte // initiator's certificate
	SKIC               []byte // session key initiator component
	Signature          []byte

	// Signed is set by ParseIIKeying to the exact signed region of the
	// received chunk (aliasing the payload); Append ignores it.
	Signed []byte
}

// Type returns ChunkIIKeying.
func (IIKeying) Type() ChunkType { return ChunkIIKeying }

func (c IIKeying) signedLength() int {
	return SessionIDLength + FieldLen(len(c.Cookie)) + FieldLen(len(c.Certificate)) + FieldLen(len(c.SKIC))
}

// Length returns the encoded chunk length.
func (c IIKeying) Length() int {
	return ChunkHeaderLength + c.signedLength() + len(c.Signature)
}

// AppendSignedRegion appends the bytes the signature covers. For a parsed
// chunk these are the received bytes (Signed); otherwise they are encoded
// from the fields, exactly as Append will send them.
func (c IIKeying) AppendSignedRegion(b []byte) []byte {
	if c.Signed != nil {
		return append(b, c.Signed...)
	}
	b = appendSessionID(b, c.InitiatorSessionID)
	b = AppendField(b, c.Cookie)
	b = AppendField(b, c.Certificate)
	return AppendField(b, c.SKIC)
}

// Append appends the chunk, encoding the signed region from the fields.
func (c IIKeying) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkIIKeying, c.Length()-ChunkHeaderLength)
	c.Signed = nil
	b = c.AppendSignedRegion(b)
	return append(b, c.Signature...)
}

// ParseIIKeying decodes an IIKeying payload.
func ParseIIKeying(p []byte) (IIKeying, error) {
	if len(p) < SessionIDLength {
		return IIKeying{}, fmt.Errorf("IIKeying session ID: %w", ErrTruncated)
	}
	var c IIKeying
	c.InitiatorSessionID = SessionID(uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3]))
	at := SessionIDLength
	var n int
	var err error
	if c.Cookie, n, err = parseFieldNamed(p[at:], "IIKeying cookie"); err != nil {
		return IIKeying{}, err
	}
	at += n
	if c.Certificate, n, err = parseFieldNamed(p[at:], "IIKeying certificate"); err != nil {
		return IIKeying{}, err
	}
	at += n
	if c.SKIC, n, err = parseFieldNamed(p[at:], "IIKeying SKIC"); err != nil {
		return IIKeying{}, err
	}
	at += n
	c.Signed = p[:at:at]
	c.Signature = p[at:]
	return c, nil
}
