package wire

import (
	"fmt"
	"math/bits"
)

// MaxVLULength is the longest VLU that encodes a 64-bit value.
const MaxVLULength = 10

// A VLU (variable length unsigned integer, RFC 7016 §2.1.2) is base 128,
// most significant group first; every byte but the last has bit 7 set:
//
//	 0 1 2 3 4 5 6 7
//	+-+-+-+-+-+-+-+-+
//	|1|  digit 7 bits |  ... zero or more
//	+-+-+-+-+-+-+-+-+
//	|0|  digit 7 bits |  last byte
//	+-+-+-+-+-+-+-+-+
//
// Examples: 0 → 00, 127 → 7f, 128 → 81 00, 130 → 81 02, 514 → 84 02.

// VLULen returns the length of the shortest encoding of v.
func VLULen(v uint64) int {
	if v < 0x80 {
		return 1
	}
	return (bits.Len64(v) + 6) / 7
}

// AppendVLU appends the shortest encoding of v to b.
func AppendVLU(b []byte, v uint64) []byte {
	if v < 0x80 {
		return append(b, byte(v))
	}
	for i := VLULen(v) - 1; i > 0; i-- {
		b = append(b, byte(v>>(7*uint(i)))|0x80)
	}
	return append(b, byte(v)&0x7f)
}

// ParseVLU decodes the VLU at the start of b. It returns the value and the
// number of bytes used. Non-shortest encodings (leading 0x80 bytes) are
// accepted, as rtmfp-cpp does. A VLU that runs off the end of b is
// ErrTruncated; one above 2^64-1 is ErrVLUOverflow.
func ParseVLU(b []byte) (uint64, int, error) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1, nil
	}
	var v uint64
	for i, c := range b {
		if v > (1<<57)-1 {
			return 0, 0, ErrVLUOverflow
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, ErrTruncated
}

// parseVLUField is ParseVLU with the field name added to the error.
func parseVLUField(b []byte, name string) (uint64, int, error) {
	v, n, err := ParseVLU(b)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", name, err)
	}
	return v, n, nil
}

// A field (RFC 7016 §2.1.3) is a VLU length followed by that many bytes:
//
//	+-------------/-+-------------/-+
//	| length VLU    | length bytes  |
//	+-------------/-+-------------/-+

// FieldLen returns the encoded length of a field carrying n bytes.
func FieldLen(n int) int { return VLULen(uint64(n)) + n }

// AppendField appends p as a field.
func AppendField(b, p []byte) []byte {
	b = AppendVLU(b, uint64(len(p)))
	return append(b, p...)
}

// ParseField decodes the field at the start of b. The returned bytes alias
// b; n is the number of bytes the field occupies.
func ParseField(b []byte) (field []byte, n int, err error) {
	l, m, err := ParseVLU(b)
	if err != nil {
		return nil, 0, err
	}
	if l > uint64(len(b)-m) {
		return nil, 0, ErrTruncated
	}
	end := m + int(l)
	return b[m:end:end], end, nil
}

// parseFieldNamed is ParseField with the field name added to the error.
func parseFieldNamed(b []byte, name string) ([]byte, int, error) {
	f, n, err := ParseField(b)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", name, err)
	}
	return f, n, nil
}
