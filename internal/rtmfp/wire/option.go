package wire

import "fmt"

// An option (RFC 7016 §2.1.4) is a field whose contents are a VLU type and
// a value; a zero-length option is a marker, which has no type and ends an
// option list:
//
//	+-------------/-+-----------/-+-------------/-+
//	| length VLU    | type VLU    | value         |
//	+-------------/-+-----------/-+-------------/-+
//	                 \________ length bytes _______/
//
//	+---+
//	| 0 |   marker
//	+---+
//
// An option list is a sequence of options. User Data option lists always end
// with a marker; certificates, EPDs and keying components are lists that fill
// their whole field, where a marker splits a certificate into its canonical
// and non-canonical parts (RFC 7425 §4.3).

// Option is one decoded option. Value aliases the input.
type Option struct {
	Type  uint64
	Value []byte
}

// OptionLen returns the encoded length of an option of type typ with a
// value of valueLen bytes.
func OptionLen(typ uint64, valueLen int) int {
	return FieldLen(VLULen(typ) + valueLen)
}

// AppendOption appends an option of type typ carrying value.
func AppendOption(b []byte, typ uint64, value []byte) []byte {
	b = AppendVLU(b, uint64(VLULen(typ)+len(value)))
	b = AppendVLU(b, typ)
	return append(b, value...)
}

// AppendOptionVLU appends an option of type typ whose value is the VLU v.
func AppendOptionVLU(b []byte, typ uint64, v uint64) []byte {
	b = AppendVLU(b, uint64(VLULen(typ)+VLULen(v)))
	b = AppendVLU(b, typ)
	return AppendVLU(b, v)
}

// AppendMarker appends the marker that ends an option list.
func AppendMarker(b []byte) []byte { return append(b, 0) }

// ParseOption decodes the option at the start of b. marker reports a
// zero-length option, for which opt is the zero Option. n is the number of
// bytes consumed.
func ParseOption(b []byte) (opt Option, marker bool, n int, err error) {
	f, n, err := ParseField(b)
	if err != nil {
		return Option{}, false, 0, fmt.Errorf("option length: %w", err)
	}
	if len(f) == 0 {
		return Option{}, true, n, nil
	}
	t, m, err := ParseVLU(f)
	if err != nil {
		return Option{}, false, 0, fmt.Errorf("option type: %w", err)
	}
	return Option{Type: t, Value: f[m:]}, false, n, nil
}

// OptionReader iterates over an option list without allocating. Next stops
// at the end of the input, at a marker, or at the first malformed option:
//
//	r := wire.NewOptionReader(list)
//	for opt, ok := r.Next(); ok; opt, ok = r.Next() { ... }
//	if r.Err() != nil { ... }
type OptionReader struct {
	b      []byte
	err    error
	marker bool
	used   int
}

// NewOptionReader returns a reader over the option list in b.
func NewOptionReader(b []byte) OptionReader { return OptionReader{b: b} }

// Next returns the next option, or false at the end of the list.
func (r *OptionReader) Next() (Option, bool) {
	if r.err != nil || r.marker || r.used == len(r.b) {
		return Option{}, false
	}
	opt, marker, n, err := ParseOption(r.b[r.used:])
	if err != nil {
		r.err = err
		return Option{}, false
	}
	r.used += n
	if marker {
		r.marker = true
		return Option{}, false
	}
	return opt, true
}

// Err returns the error that stopped the reader, if any.
func (r *OptionReader) Err() error { return r.err }

// SawMarker reports whether the reader stopped at a marker.
func (r *OptionReader) SawMarker() bool { return r.marker }

// Consumed returns the number of bytes read so far, including a marker.
func (r *OptionReader) Consumed() int { return r.used }

// Rest returns the bytes after the marker (or after the last option read).
func (r *OptionReader) Rest() []byte { return r.b[r.used:] }

// splitMarkedList finds the option list at the start of b that ends with a
// marker. It returns the options before the marker and the number of bytes
// including the marker.
func splitMarkedList(b []byte) (list []byte, n int, err error) {
	r := NewOptionReader(b)
	for _, ok := r.Next(); ok; _, ok = r.Next() {
	}
	if r.err != nil {
		return nil, 0, r.err
	}
	if !r.marker {
		return nil, 0, ErrNoMarker
	}
	end := r.used - 1
	return b[:end:end], r.used, nil
}
