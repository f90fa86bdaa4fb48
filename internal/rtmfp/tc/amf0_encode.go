package tc

import (
	"encoding/binary"
	"fmt"
	"math"
)

// AMF0 type markers (AMF0 specification §2.1).
const (
	markerNumber      = 0x00
	markerBoolean     = 0x01
	markerString      = 0x02
	markerObject      = 0x03
	markerMovieclip   = 0x04 // reserved, not supported
	markerNull        = 0x05
	markerUndefined   = 0x06
	markerReference   = 0x07
	markerECMAArray   = 0x08
	markerObjectEnd   = 0x09
	markerStrictArray = 0x0a
	markerDate        = 0x0b
	markerLongString  = 0x0c
	markerUnsupported = 0x0d
	markerRecordset   = 0x0e // reserved, not supported
	markerXMLDocument = 0x0f
	markerTypedObject = 0x10
	markerAVMPlus     = 0x11
)

// MaxEncodeDepth bounds the nesting of values given to the encoders. It is
// far above any decoder limit and only stops a value graph that contains
// itself from recursing forever.
const MaxEncodeDepth = 256

// AppendNumber appends an AMF0 number: 0x00 then the IEEE 754 double,
// big-endian.
func AppendNumber(b []byte, v float64) []byte {
	b = append(b, markerNumber)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
}

// AppendBoolean appends an AMF0 boolean: 0x01 then 0x00 or 0x01.
func AppendBoolean(b []byte, v bool) []byte {
	if v {
		return append(b, markerBoolean, 1)
	}
	return append(b, markerBoolean, 0)
}

// AppendString appends an AMF0 string: 0x02, u16 length, UTF-8 bytes, or a
// long string (0x0c, u32 length) when s is longer than 65535 bytes.
func AppendString(b []byte, s string) []byte {
	if len(s) > math.MaxUint16 {
		b = append(b, markerLongString)
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		return append(b, s...)
	}
	b = append(b, markerString)
	return appendShortUTF8(b, s)
}

// AppendNull appends the AMF0 null marker 0x05.
func AppendNull(b []byte) []byte { return append(b, markerNull) }

// AppendUndefined appends the AMF0 undefined marker 0x06.
func AppendUndefined(b []byte) []byte { return append(b, markerUndefined) }

// AppendDate appends an AMF0 date: 0x0b, the milliseconds as a double, the
// time zone as s16.
func AppendDate(b []byte, d Date) []byte {
	b = append(b, markerDate)
	b = binary.BigEndian.AppendUint64(b, math.Float64bits(d.Millis))
	return binary.BigEndian.AppendUint16(b, uint16(d.TZ))
}

// appendShortUTF8 appends a u16 length and s. The caller ensures the length.
func appendShortUTF8(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// AppendValue appends v in AMF0. On error it returns b unchanged (same
// length) and an error wrapping ErrUnsupportedValue.
func AppendValue(b []byte, v Value) ([]byte, error) {
	n := len(b)
	out, err := appendValue(b, v, 0)
	if err != nil {
		return b[:n], err
	}
	return out, nil
}

// AppendValues appends each value in order, as AppendValue.
func AppendValues(b []byte, vs ...Value) ([]byte, error) {
	n := len(b)
	var err error
	for _, v := range vs {
		if b, err = appendValue(b, v, 0); err != nil {
			return b[:n], err
		}
	}
	return b, nil
}

func appendValue(b []byte, v Value, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return AppendNull(b), nil
	case float64:
		return AppendNumber(b, x), nil
	case bool:
		return AppendBoolean(b, x), nil
	case string:
		return AppendString(b, x), nil
	case Undefined:
		return AppendUndefined(b), nil
	case Date:
		return AppendDate(b, x), nil
	case XMLDocument:
		b = append(b, markerXMLDocument)
		if uint64(len(x)) > math.MaxUint32 {
			return b, fmt.Errorf("%w: XML document of %d bytes", ErrUnsupportedValue, len(x))
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
		return append(b, x...), nil
	case *Object:
		if x == nil {
			return AppendNull(b), nil
		}
		if depth >= MaxEncodeDepth {
			return b, fmt.Errorf("%w: nested deeper than %d", ErrUnsupportedValue, MaxEncodeDepth)
		}
		if x.Class != "" {
			if len(x.Class) > math.MaxUint16 {
				return b, fmt.Errorf("%w: class name of %d bytes", ErrUnsupportedValue, len(x.Class))
			}
			b = append(b, markerTypedObject)
			b = appendShortUTF8(b, x.Class)
		} else {
			b = append(b, markerObject)
		}
		return appendProperties(b, x.Properties, depth+1)
	case *ECMAArray:
		if x == nil {
			return AppendNull(b), nil
		}
		if depth >= MaxEncodeDepth {
			return b, fmt.Errorf("%w: nested deeper than %d", ErrUnsupportedValue, MaxEncodeDepth)
		}
		b = append(b, markerECMAArray)
		b = binary.BigEndian.AppendUint32(b, uint32(min(uint64(len(x.Properties)), math.MaxUint32)))
		return appendProperties(b, x.Properties, depth+1)
	case []Value:
		if depth >= MaxEncodeDepth {
			return b, fmt.Errorf("%w: nested deeper than %d", ErrUnsupportedValue, MaxEncodeDepth)
		}
		if uint64(len(x)) > math.MaxUint32 {
			return b, fmt.Errorf("%w: strict array of %d elements", ErrUnsupportedValue, len(x))
		}
		b = append(b, markerStrictArray)
		b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
		var err error
		for _, e := range x {
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	case []string:
		b = append(b, markerStrictArray)
		b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
		for _, s := range x {
			b = AppendString(b, s)
		}
		return b, nil
	case int:
		return AppendNumber(b, float64(x)), nil
	case int8:
		return AppendNumber(b, float64(x)), nil
	case int16:
		return AppendNumber(b, float64(x)), nil
	case int32:
		return AppendNumber(b, float64(x)), nil
	case int64:
		return AppendNumber(b, float64(x)), nil
	case uint:
		return AppendNumber(b, float64(x)), nil
	case uint8:
		return AppendNumber(b, float64(x)), nil
	case uint16:
		return AppendNumber(b, float64(x)), nil
	case uint32:
		return AppendNumber(b, float64(x)), nil
	case uint64:
		return AppendNumber(b, float64(x)), nil
	case float32:
		return AppendNumber(b, float64(x)), nil
	case StreamID:
		return AppendNumber(b, float64(x)), nil
	default:
		return b, fmt.Errorf("%w: Go type %T", ErrUnsupportedValue, v)
	}
}

// appendProperties appends key/value pairs and the object end 00 00 09.
func appendProperties(b []byte, props Properties, depth int) ([]byte, error) {
	var err error
	for _, p := range props {
		if len(p.Key) > math.MaxUint16 {
			return b, fmt.Errorf("%w: property key of %d bytes", ErrUnsupportedValue, len(p.Key))
		}
		// An empty key is fine: no value encodes to the object-end
		// marker 0x09, so 00 00 <marker> never reads as the end.
		b = appendShortUTF8(b, p.Key)
		if b, err = appendValue(b, p.Value, depth); err != nil {
			return b, err
		}
	}
	return append(b, 0, 0, markerObjectEnd), nil
}
