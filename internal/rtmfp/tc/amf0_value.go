package tc

import (
	"math"
	"time"
)

// Value is one AMF0 value. Decoded values have exactly these dynamic types:
//
//	AMF0 type                         Go type
//	number 0x00                       float64
//	boolean 0x01                      bool
//	string 0x02, long string 0x0c     string (long form chosen by length)
//	object 0x03, typed object 0x10    *Object (Class names a typed object)
//	null 0x05                         nil
//	undefined 0x06, unsupported 0x0d  Undefined
//	reference 0x07                    the referenced *Object, *ECMAArray or []Value
//	ECMA array 0x08                   *ECMAArray
//	strict array 0x0a                 []Value
//	date 0x0b                         Date
//	XML document 0x0f                 XMLDocument
//
// The encoders also accept Go's other integer and float kinds as numbers.
type Value = any

// Undefined is the AMF0 undefined value (marker 0x06). The unsupported marker
// 0x0d decodes to it too.
type Undefined struct{}

// XMLDocument is an AMF0 XML document (marker 0x0f): the XML text, carried
// like a long string.
type XMLDocument string

// Date is an AMF0 date (marker 0x0b): milliseconds since the Unix epoch (UTC)
// as a double, and a time zone offset in minutes that AMF0 writers set to 0
// and readers ignore.
//
//	+------+----------------------+-----------+
//	| 0x0b | ms since epoch (f64) | tz (s16)  |
//	+------+----------------------+-----------+
type Date struct {
	Millis float64
	TZ     int16
}

// DateOf returns the AMF0 date of t, to the millisecond.
func DateOf(t time.Time) Date {
	return Date{Millis: float64(t.UnixMilli())}
}

// Time returns d as a time.Time in UTC. A non-finite date gives the zero Time.
func (d Date) Time() time.Time {
	if math.IsNaN(d.Millis) || math.IsInf(d.Millis, 0) ||
		d.Millis > math.MaxInt64/2 || d.Millis < math.MinInt64/2 {
		return time.Time{}
	}
	return time.UnixMilli(int64(d.Millis)).UTC()
}

// Property is one key/value pair of an Object or ECMAArray.
type Property struct {
	Key   string
	Value Value
}

// Properties is an ordered list of properties. Order is kept because AMF0
// peers see the wire order (and golden vectors compare bytes). Decoded lists
// keep every property in wire order, duplicates included; Get returns the
// last one, the value a map-based decoder such as rtmfp-cpp's would keep.
type Properties []Property

// Get returns the value of the last property named key.
func (p Properties) Get(key string) (Value, bool) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i].Key == key {
			return p[i].Value, true
		}
	}
	return nil, false
}

// Has reports whether a property named key exists.
func (p Properties) Has(key string) bool {
	_, ok := p.Get(key)
	return ok
}

// String returns the value of key if it is a string.
func (p Properties) String(key string) (string, bool) {
	v, _ := p.Get(key)
	s, ok := v.(string)
	return s, ok
}

// Number returns the value of key if it is a number.
func (p Properties) Number(key string) (float64, bool) {
	v, _ := p.Get(key)
	f, ok := v.(float64)
	return f, ok
}

// Bool returns the value of key if it is a boolean.
func (p Properties) Bool(key string) (bool, bool) {
	v, _ := p.Get(key)
	b, ok := v.(bool)
	return b, ok
}

// Set replaces the value of the last property named key, or appends a new
// property when there is none.
func (p *Properties) Set(key string, v Value) {
	for i := len(*p) - 1; i >= 0; i-- {
		if (*p)[i].Key == key {
			(*p)[i].Value = v
			return
		}
	}
	*p = append(*p, Property{Key: key, Value: v})
}

// Delete removes every property named key.
func (p *Properties) Delete(key string) {
	out := (*p)[:0]
	for _, e := range *p {
		if e.Key != key {
			out = append(out, e)
		}
	}
	clear((*p)[len(out):])
	*p = out
}

// Object is an AMF0 anonymous object (marker 0x03) or, when Class is not
// empty, a typed object (marker 0x10) of that class.
//
//	0x03 | (key u16-string, value)* | 00 00 09
//	0x10 | class u16-string | (key u16-string, value)* | 00 00 09
//
// A typed object with an empty class name decodes as an anonymous object.
type Object struct {
	Class string
	Properties
}

// NewObject returns an anonymous object with the given properties in order.
func NewObject(props ...Property) *Object {
	return &Object{Properties: props}
}

// With sets key to v (see Properties.Set) and returns o, for building.
func (o *Object) With(key string, v Value) *Object {
	o.Set(key, v)
	return o
}

// ECMAArray is an AMF0 ECMA (associative) array (marker 0x08). Its count
// field is a hint that Adobe's writers set to 0; the decoder ignores it and
// reads properties up to the object end marker, the encoder writes the
// number of properties.
//
//	0x08 | count u32 | (key u16-string, value)* | 00 00 09
type ECMAArray struct {
	Properties
}

// NewECMAArray returns an ECMA array with the given properties in order.
func NewECMAArray(props ...Property) *ECMAArray {
	return &ECMAArray{Properties: props}
}

// objectProperties returns the properties of v if it is an object or an
// ECMA array: peers send either where an object is expected.
func objectProperties(v Value) (Properties, bool) {
	switch o := v.(type) {
	case *Object:
		return o.Properties, true
	case *ECMAArray:
		return o.Properties, true
	}
	return nil, false
}
