package flashcrypto

import (
	"errors"

	"camchat/internal/rtmfp/wire"
)

// VLU and option-list helpers over the wire codecs (RFC 7016 §2.1.2,
// §2.1.3), in the shapes and errors this package reports.

// maxVLULen is the longest VLU that fits in 64 bits.
const maxVLULen = wire.MaxVLULength

func vluLen(v uint64) int { return wire.VLULen(v) }

func appendVLU(b []byte, v uint64) []byte { return wire.AppendVLU(b, v) }

// parseVLU decodes a VLU at the start of b. It fails (n == 0) when the VLU
// runs off the end of b or does not fit in 64 bits.
func parseVLU(b []byte) (v uint64, n int) {
	v, n, err := wire.ParseVLU(b)
	if err != nil {
		return 0, 0
	}
	return v, n
}

// option is one parsed option; a marker (zero length) has no type and no
// value.
type option struct {
	marker bool
	typ    uint64
	value  []byte
}

// parseOption parses one option at the start of b and returns it with the
// number of bytes it occupies.
func parseOption(b []byte) (option, int, error) {
	o, marker, n, err := wire.ParseOption(b)
	switch {
	case errors.Is(err, wire.ErrTruncated):
		return option{}, 0, ErrTruncated
	case err != nil:
		return option{}, 0, ErrBadOption
	}
	return option{marker: marker, typ: o.Type, value: o.Value}, n, nil
}

// appendOption appends an option of the given type whose value is the
// concatenation of value.
func appendOption(b []byte, typ uint64, value ...[]byte) []byte {
	l := vluLen(typ)
	for _, v := range value {
		l += len(v)
	}
	b = appendVLU(b, uint64(l))
	b = appendVLU(b, typ)
	for _, v := range value {
		b = append(b, v...)
	}
	return b
}

// appendVLUOption appends an option whose value is a single VLU.
func appendVLUOption(b []byte, typ, v uint64) []byte {
	return wire.AppendOptionVLU(b, typ, v)
}
