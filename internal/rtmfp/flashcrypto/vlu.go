package flashcrypto

// Private VLU and option-list helpers (RFC 7016 §2.1.2, §2.1.3). They mirror
// the wire package's codecs so that this package stays a leaf; the two can be
// merged once wire settles.

// maxVLULen is the longest VLU that fits in 64 bits (10 groups of 7 bits).
const maxVLULen = 10

// vluLen returns the length of the shortest encoding of v.
func vluLen(v uint64) int {
	n := 1
	for v >>= 7; v != 0; v >>= 7 {
		n++
	}
	return n
}

// appendVLU appends the shortest base-128 encoding of v, most significant
// group first, every byte but the last with bit 7 set.
func appendVLU(b []byte, v uint64) []byte {
	var buf [maxVLULen]byte
	i := len(buf) - 1
	buf[i] = byte(v & 0x7f)
	for v >>= 7; v != 0; v >>= 7 {
		i--
		buf[i] = byte(v&0x7f) | 0x80
	}
	return append(b, buf[i:]...)
}

// parseVLU decodes a VLU at the start of b. It fails (n == 0) when the VLU
// runs off the end of b or does not fit in 64 bits.
func parseVLU(b []byte) (v uint64, n int) {
	for i, c := range b {
		if i == maxVLULen || v > (^uint64(0))>>7 {
			return 0, 0
		}
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// option is one parsed option (RFC 7016 §2.1.3):
//
//	+-------------+-------------+----------------+
//	| length VLU  | type VLU    | value          |
//	+-------------+-------------+----------------+
//	              \<--------- length ----------->/
//
// A zero length is a marker: it has no type and no value.
type option struct {
	marker bool
	typ    uint64
	value  []byte
}

// parseOption parses one option at the start of b and returns it with the
// number of bytes it occupies.
func parseOption(b []byte) (option, int, error) {
	l, n := parseVLU(b)
	if n == 0 {
		return option{}, 0, ErrTruncated
	}
	if l == 0 {
		return option{marker: true}, n, nil
	}
	if l > uint64(len(b)-n) {
		return option{}, 0, ErrTruncated
	}
	body := b[n : n+int(l)]
	typ, tn := parseVLU(body)
	if tn == 0 {
		return option{}, 0, ErrBadOption
	}
	return option{typ: typ, value: body[tn:]}, n + int(l), nil
}

// appendOption appends an option of the given type and value.
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
	var tmp [maxVLULen]byte
	return appendOption(b, typ, appendVLU(tmp[:0], v))
}
