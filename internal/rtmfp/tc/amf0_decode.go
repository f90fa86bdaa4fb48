package tc

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Limits bound what a Decoder accepts, so that hostile input cannot exhaust
// memory or the stack. A zero field takes its value from DefaultLimits.
type Limits struct {
	// MaxDepth is the deepest nesting of objects and arrays (a top-level
	// object is depth 1). It is capped at MaxEncodeDepth so that every
	// decoded value can be encoded again.
	MaxDepth int
	// MaxElements is the most values decoded in one message, counting a
	// reference as the values it stands for.
	MaxElements int
	// MaxStringLen is the longest string, property key, class name or XML
	// document, in bytes.
	MaxStringLen int
	// MaxBytes is the most encoded bytes decoded in one message, counting a
	// reference as the size of the value it stands for, which bounds the
	// size of the value encoded again.
	MaxBytes int
}

// DefaultLimits fit every command, data and status message of the Flash
// profile with a wide margin. MaxBytes matches rtmfp-cpp's largest TC
// message (a 16 MiB receive buffer).
var DefaultLimits = Limits{
	MaxDepth:     32,
	MaxElements:  1 << 16,
	MaxStringLen: 1 << 20,
	MaxBytes:     1 << 24,
}

func (l Limits) effective() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	l.MaxDepth = min(l.MaxDepth, MaxEncodeDepth)
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultLimits.MaxElements
	}
	if l.MaxStringLen <= 0 {
		l.MaxStringLen = DefaultLimits.MaxStringLen
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	return l
}

// complexRef is an entry of the AMF0 reference table: every object, typed
// object, ECMA array and strict array, numbered in the order it begins.
type complexRef struct {
	v        Value
	complete bool
	height   int // levels of nesting in v, 1 for a flat object
	elements int // values v stands for, itself included
	size     int // encoded bytes v stands for
}

// Decoder reads AMF0 values from one message. The reference table spans the
// whole message (all values decoded since NewDecoder or Reset), as in Flash.
// A Decoder keeps the first error and returns it from then on.
type Decoder struct {
	lim      Limits
	buf      []byte
	off      int
	elements int // values decoded, references expanded
	extra    int // bytes a reference stands for beyond its own 3
	refs     []complexRef
	err      error
}

// NewDecoder returns a Decoder reading b with lim (zero fields default).
func NewDecoder(b []byte, lim Limits) *Decoder {
	return &Decoder{lim: lim.effective(), buf: b}
}

// Reset makes d read b from the start with an empty reference table, keeping
// its limits and allocations.
func (d *Decoder) Reset(b []byte) {
	clear(d.refs)
	*d = Decoder{lim: d.lim, buf: b, refs: d.refs[:0]}
}

// More reports whether bytes remain and no error has occurred.
func (d *Decoder) More() bool { return d.err == nil && d.off < len(d.buf) }

// Offset returns the number of bytes consumed.
func (d *Decoder) Offset() int { return d.off }

// Rest returns the bytes not yet consumed (aliasing the input).
func (d *Decoder) Rest() []byte { return d.buf[d.off:] }

// Decode reads the next value. At the end of the input it returns an error
// wrapping ErrTruncated.
func (d *Decoder) Decode() (Value, error) {
	if d.err != nil {
		return nil, d.err
	}
	v, _, err := d.value(0)
	if err != nil {
		d.err = err
		return nil, err
	}
	return v, nil
}

// DecodeAll reads values until the end of the input.
func (d *Decoder) DecodeAll() ([]Value, error) {
	var out []Value
	for d.More() {
		v, err := d.Decode()
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, d.err
}

// DecodeValues decodes every AMF0 value in b with DefaultLimits.
func DecodeValues(b []byte) ([]Value, error) {
	return NewDecoder(b, Limits{}).DecodeAll()
}

func (d *Decoder) fail(what string, err error) error {
	return fmt.Errorf("tc: AMF0 %s at offset %d: %w", what, d.off, err)
}

func (d *Decoder) need(n int, what string) error {
	if len(d.buf)-d.off < n {
		return d.fail(what, ErrTruncated)
	}
	return nil
}

func (d *Decoder) count(what string) error {
	d.elements++
	if d.elements > d.lim.MaxElements {
		return d.fail(what, fmt.Errorf("%w: more than %d values", ErrLimit, d.lim.MaxElements))
	}
	return nil
}

// utf8 reads a string of n bytes (the length field already consumed).
func (d *Decoder) utf8(n int, what string) (string, error) {
	if n > d.lim.MaxStringLen {
		return "", d.fail(what, fmt.Errorf("%w: %d bytes, more than %d", ErrLimit, n, d.lim.MaxStringLen))
	}
	if err := d.need(n, what); err != nil {
		return "", err
	}
	s := bytesString(d.buf[d.off : d.off+n])
	d.off += n
	return s, nil
}

func (d *Decoder) shortUTF8(what string) (string, error) {
	if err := d.need(2, what); err != nil {
		return "", err
	}
	n := int(binary.BigEndian.Uint16(d.buf[d.off:]))
	d.off += 2
	return d.utf8(n, what)
}

func (d *Decoder) longUTF8(what string) (string, error) {
	if err := d.need(4, what); err != nil {
		return "", err
	}
	n := uint64(binary.BigEndian.Uint32(d.buf[d.off:]))
	d.off += 4
	if n > uint64(d.lim.MaxStringLen) {
		return "", d.fail(what, fmt.Errorf("%w: %d bytes, more than %d", ErrLimit, n, d.lim.MaxStringLen))
	}
	return d.utf8(int(n), what)
}

// value decodes one value at nesting depth (the number of enclosing
// complex values) and returns its height (0 for a scalar).
func (d *Decoder) value(depth int) (Value, int, error) {
	if err := d.need(1, "type marker"); err != nil {
		return nil, 0, err
	}
	if err := d.count("value"); err != nil {
		return nil, 0, err
	}
	if d.off+d.extra > d.lim.MaxBytes {
		return nil, 0, d.fail("value", fmt.Errorf("%w: more than %d bytes", ErrLimit, d.lim.MaxBytes))
	}
	marker := d.buf[d.off]
	d.off++
	switch marker {
	case markerNumber:
		if err := d.need(8, "number"); err != nil {
			return nil, 0, err
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(d.buf[d.off:]))
		d.off += 8
		return f, 0, nil
	case markerBoolean:
		if err := d.need(1, "boolean"); err != nil {
			return nil, 0, err
		}
		v := d.buf[d.off] != 0
		d.off++
		return v, 0, nil
	case markerString:
		s, err := d.shortUTF8("string")
		return s, 0, err
	case markerLongString:
		s, err := d.longUTF8("long string")
		return s, 0, err
	case markerXMLDocument:
		s, err := d.longUTF8("XML document")
		return XMLDocument(s), 0, err
	case markerNull:
		return nil, 0, nil
	case markerUndefined, markerUnsupported:
		return Undefined{}, 0, nil
	case markerDate:
		if err := d.need(10, "date"); err != nil {
			return nil, 0, err
		}
		v := Date{
			Millis: math.Float64frombits(binary.BigEndian.Uint64(d.buf[d.off:])),
			TZ:     int16(binary.BigEndian.Uint16(d.buf[d.off+8:])),
		}
		d.off += 10
		return v, 0, nil
	case markerObject, markerTypedObject, markerECMAArray, markerStrictArray:
		return d.complex(marker, depth)
	case markerReference:
		return d.reference(depth)
	case markerAVMPlus:
		return nil, 0, d.fail("value", ErrAVMPlus)
	default:
		d.off--
		return nil, 0, d.fail("value", fmt.Errorf("%w 0x%02x", ErrUnknownMarker, marker))
	}
}

func (d *Decoder) reference(depth int) (Value, int, error) {
	if err := d.need(2, "reference"); err != nil {
		return nil, 0, err
	}
	idx := int(binary.BigEndian.Uint16(d.buf[d.off:]))
	d.off += 2
	if idx >= len(d.refs) {
		return nil, 0, d.fail("reference", fmt.Errorf("%w: index %d, only %d complex values so far", ErrBadReference, idx, len(d.refs)))
	}
	r := d.refs[idx]
	if !r.complete {
		return nil, 0, d.fail("reference", fmt.Errorf("%w: index %d is not complete (a loop)", ErrBadReference, idx))
	}
	if depth+r.height > d.lim.MaxDepth {
		return nil, 0, d.fail("reference", fmt.Errorf("%w: nesting deeper than %d", ErrLimit, d.lim.MaxDepth))
	}
	// The reference itself was counted as one value; it stands for
	// r.elements values and r.size bytes.
	d.elements += r.elements - 1
	if d.elements > d.lim.MaxElements {
		return nil, 0, d.fail("reference", fmt.Errorf("%w: more than %d values", ErrLimit, d.lim.MaxElements))
	}
	d.extra += max(r.size-3, 0)
	if d.off+d.extra > d.lim.MaxBytes {
		return nil, 0, d.fail("reference", fmt.Errorf("%w: more than %d bytes", ErrLimit, d.lim.MaxBytes))
	}
	return r.v, r.height, nil
}

// complex decodes an object, typed object, ECMA array or strict array whose
// marker has been consumed.
func (d *Decoder) complex(marker byte, depth int) (Value, int, error) {
	if depth >= d.lim.MaxDepth {
		return nil, 0, d.fail("value", fmt.Errorf("%w: nesting deeper than %d", ErrLimit, d.lim.MaxDepth))
	}
	start, startElems, startExtra := d.off-1, d.elements, d.extra
	idx := len(d.refs)
	d.refs = append(d.refs, complexRef{})
	var (
		v      Value
		height int
		err    error
	)
	switch marker {
	case markerObject:
		o := &Object{}
		d.refs[idx].v = o
		height, err = d.properties(&o.Properties, depth+1)
		v = o
	case markerTypedObject:
		o := &Object{}
		d.refs[idx].v = o
		if o.Class, err = d.shortUTF8("class name"); err == nil {
			height, err = d.properties(&o.Properties, depth+1)
		}
		v = o
	case markerECMAArray:
		a := &ECMAArray{}
		d.refs[idx].v = a
		if err = d.need(4, "ECMA array count"); err == nil {
			d.off += 4 // a hint only; Adobe writes 0 (see ECMAArray)
			height, err = d.properties(&a.Properties, depth+1)
		}
		v = a
	case markerStrictArray:
		var a []Value
		a, height, err = d.strictArray(depth + 1)
		v = a
	}
	if err != nil {
		return nil, 0, err
	}
	height++
	d.refs[idx] = complexRef{
		v:        v,
		complete: true,
		height:   height,
		elements: d.elements - startElems + 1,
		size:     d.off - start + d.extra - startExtra,
	}
	return v, height, nil
}

// properties reads key/value pairs up to the object end 00 00 09.
func (d *Decoder) properties(props *Properties, depth int) (int, error) {
	height := 0
	for {
		if err := d.need(2, "property key"); err != nil {
			return 0, err
		}
		if d.buf[d.off] == 0 && d.buf[d.off+1] == 0 {
			if err := d.need(3, "property"); err != nil {
				return 0, err
			}
			if d.buf[d.off+2] == markerObjectEnd {
				d.off += 3
				return height, nil
			}
		}
		key, err := d.shortUTF8("property key")
		if err != nil {
			return 0, err
		}
		v, h, err := d.value(depth)
		if err != nil {
			return 0, err
		}
		height = max(height, h)
		*props = append(*props, Property{Key: key, Value: v})
	}
}

func (d *Decoder) strictArray(depth int) ([]Value, int, error) {
	if err := d.need(4, "strict array count"); err != nil {
		return nil, 0, err
	}
	n := uint64(binary.BigEndian.Uint32(d.buf[d.off:]))
	d.off += 4
	// Every element takes at least one byte and counts as one value:
	// check both before allocating.
	if n > uint64(d.lim.MaxElements-d.elements) {
		return nil, 0, d.fail("strict array", fmt.Errorf("%w: %d elements, more than %d values", ErrLimit, n, d.lim.MaxElements))
	}
	if n > uint64(len(d.buf)-d.off) {
		return nil, 0, d.fail("strict array", ErrTruncated)
	}
	a := make([]Value, 0, int(n))
	height := 0
	for range int(n) {
		v, h, err := d.value(depth)
		if err != nil {
			return nil, 0, err
		}
		height = max(height, h)
		a = append(a, v)
	}
	return a, height, nil
}
