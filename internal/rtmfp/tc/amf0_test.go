package tc

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// amf0Golden are hand-checked encodings of each AMF0 type (AMF0
// specification §2) with the value they decode to. Each re-encodes to the
// same bytes.
var amf0Golden = []struct {
	name string
	hex  string
	want Value
}{
	{"number 1.5", "00 | 3f f8 00 00 00 00 00 00", 1.5},           // IEEE 754 1.5 = 0x3ff8000000000000
	{"number 0", "00 | 00 00 00 00 00 00 00 00", 0.0},             // all zero
	{"number -2", "00 | c0 00 00 00 00 00 00 00", -2.0},           // sign bit, exponent 0x400
	{"number 2000001", "00 | 41 3e 84 81 00 00 00 00", 2000001.0}, // 2000001 = 1.9073495 × 2^20
	{"boolean true", "01 | 01", true},
	{"boolean false", "01 | 00", false},
	{"string app", "02 | 00 03 | 61 70 70", "app"}, // u16 length 3, "app"
	{"string empty", "02 | 00 00", ""},
	{"string utf8", "02 | 00 02 | c3 a9", "é"}, // length counts bytes, not characters
	{"object {a: 1}", `03
		00 01 61 | 00 3f f0 00 00 00 00 00 00 // "a": 1.0
		00 00 09                            // object end`,
		NewObject(Property{"a", 1.0})},
	{"object empty", "03 | 00 00 09", &Object{}},
	{"object empty key", "03 | 00 00 05 | 00 00 09", NewObject(Property{"", nil})}, // "" : null, then end
	{"null", "05", nil},
	{"undefined", "06", Undefined{}},
	{"ECMA array {x: true}", `08 | 00 00 00 01 // count 1 (a hint)
		00 01 78 | 01 01 // "x": true
		00 00 09`,
		NewECMAArray(Property{"x", true})},
	{"strict array [1, a]", `0a | 00 00 00 02 // count 2
		00 3f f0 00 00 00 00 00 00 // 1.0
		02 00 01 61                // "a"`,
		[]Value{1.0, "a"}},
	{"strict array empty", "0a | 00 00 00 00", []Value{}},
	{"date 1000 ms", "0b | 40 8f 40 00 00 00 00 00 | 00 00", Date{Millis: 1000}}, // 1000 = 0x408f4 << 44
	{"date tz -60", "0b | 00 00 00 00 00 00 00 00 | ff c4", Date{TZ: -60}},
	{"typed object Pt {x: 1}", `10 | 00 02 50 74 // class "Pt"
		00 01 78 | 00 3f f0 00 00 00 00 00 00 // "x": 1.0
		00 00 09`,
		&Object{Class: "Pt", Properties: Properties{{"x", 1.0}}}},
	{"XML document", "0f | 00 00 00 04 | 3c 61 2f 3e", XMLDocument("<a/>")},
	{"nested", `03
		00 01 6f | 03 | 00 01 6e | 05 | 00 00 09 // "o": {"n": null}
		00 01 6c | 0a 00 00 00 01 | 06         // "l": [undefined]
		00 00 09`,
		NewObject(Property{"o", NewObject(Property{"n", nil})}, Property{"l", []Value{Undefined{}}})},
}

func TestAMF0Golden(t *testing.T) {
	for _, g := range amf0Golden {
		t.Run(g.name, func(t *testing.T) {
			b := unhex(t, g.hex)
			vs, err := DecodeValues(b)
			if err != nil {
				t.Fatalf("decode %s: %v", hexOf(b), err)
			}
			if len(vs) != 1 {
				t.Fatalf("decoded %d values, want 1", len(vs))
			}
			if !reflect.DeepEqual(vs[0], g.want) {
				t.Fatalf("decoded %#v, want %#v", vs[0], g.want)
			}
			enc, err := AppendValue(nil, g.want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(enc, b) {
				t.Fatalf("encoded %s, want %s", hexOf(enc), hexOf(b))
			}
			for i := range b {
				if _, err := DecodeValues(b[:i]); err == nil && i > 0 {
					t.Errorf("prefix of %d bytes %s decoded without error", i, hexOf(b[:i]))
				} else if i > 0 && !errors.Is(err, ErrTruncated) {
					t.Errorf("prefix of %d bytes: %v, want ErrTruncated", i, err)
				}
			}
		})
	}
}

func TestAMF0DecodedMarkersNormalise(t *testing.T) {
	for _, c := range []struct {
		name, in, out string
	}{
		// A long string short enough for a string re-encodes as a string.
		{"long string", "0c 00 00 00 02 68 69", "02 00 02 68 69"},
		// Unsupported decodes as undefined.
		{"unsupported", "0d", "06"},
		// An ECMA array count is a hint: Adobe writes 0.
		{"ECMA count 0", "08 00 00 00 00 00 01 78 05 00 00 09", "08 00 00 00 01 00 01 78 05 00 00 09"},
		// A typed object with an empty class is an anonymous object.
		{"typed empty class", "10 00 00 00 00 09", "03 00 00 09"},
	} {
		vs, err := DecodeValues(unhex(t, c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		enc, err := AppendValues(nil, vs...)
		if err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, c.out); !bytes.Equal(enc, want) {
			t.Errorf("%s: re-encoded %s, want %s", c.name, hexOf(enc), hexOf(want))
		}
	}
}

func TestAMF0LongString(t *testing.T) {
	for _, n := range []int{65535, 65536, 70000} {
		s := strings.Repeat("x", n)
		enc := AppendString(nil, s)
		wantHdr := []byte{markerString, byte(n >> 8), byte(n)}
		if n > 65535 {
			wantHdr = []byte{markerLongString, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		}
		if !bytes.Equal(enc[:len(wantHdr)], wantHdr) || len(enc) != len(wantHdr)+n {
			t.Fatalf("len %d: header %x, total %d", n, enc[:len(wantHdr)], len(enc))
		}
		vs, err := DecodeValues(enc)
		if err != nil || len(vs) != 1 || vs[0] != s {
			t.Fatalf("len %d: decode err %v", n, err)
		}
	}
}

func TestAMF0RoundTripEveryType(t *testing.T) {
	shared := NewObject(Property{"k", "v"})
	v := []Value{
		math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64, math.Copysign(0, -1),
		true, false, "", "hello", strings.Repeat("é", 40000),
		nil, Undefined{},
		NewObject(Property{"a", 1.0}, Property{"b", NewECMAArray(Property{"0", "zero"})}),
		&Object{Class: "flex.messaging.io.ArrayCollection", Properties: Properties{{"source", []Value{1.0, 2.0}}}},
		[]Value{shared, shared},
		DateOf(time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)),
		XMLDocument("<x/>"),
	}
	enc, err := AppendValues(nil, v...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeValues(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, v)
	}
	if math.Signbit(got[4].(float64)) != true {
		t.Error("-0 lost its sign")
	}
	if d := got[15].(Date).Time(); !d.Equal(time.Date(2026, 11, 28, 21, 0, 0, 0, time.UTC)) {
		t.Errorf("date %v", d)
	}
	// NaN does not DeepEqual itself: check bits.
	enc = AppendNumber(nil, math.NaN())
	got, err = DecodeValues(enc)
	if err != nil || !math.IsNaN(got[0].(float64)) {
		t.Fatalf("NaN: %v %v", got, err)
	}
}

func TestAMF0EncodeGoNumbers(t *testing.T) {
	for _, v := range []Value{int(7), int8(7), int16(7), int32(7), int64(7), uint(7), uint8(7), uint16(7), uint32(7), uint64(7), float32(7), StreamID(7)} {
		enc, err := AppendValue(nil, v)
		if err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if want := AppendNumber(nil, 7); !bytes.Equal(enc, want) {
			t.Errorf("%T: %x, want %x", v, enc, want)
		}
	}
	enc, err := AppendValue(nil, []string{"Opus", "vp08"})
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "0a 00000002"+amfStr("Opus")+amfStr("vp08")); !bytes.Equal(enc, want) {
		t.Errorf("[]string: %x", enc)
	}
}

func TestAMF0EncodeErrors(t *testing.T) {
	cyc := NewObject()
	cyc.Set("self", cyc)
	arr := []Value{nil}
	arr[0] = arr
	longKey := NewObject(Property{strings.Repeat("k", 65536), 1.0})
	longClass := &Object{Class: strings.Repeat("c", 65536)}
	for name, v := range map[string]Value{
		"cycle object": cyc, "cycle array": arr, "long key": longKey, "long class": longClass,
		"channel": make(chan int), "map": map[string]Value{},
	} {
		prefix := []byte{0xaa, 0xbb}
		out, err := AppendValue(prefix, v)
		if !errors.Is(err, ErrUnsupportedValue) {
			t.Errorf("%s: err %v, want ErrUnsupportedValue", name, err)
		}
		if !bytes.Equal(out, prefix) {
			t.Errorf("%s: output %x, want the input unchanged", name, out)
		}
	}
}

func TestAMF0References(t *testing.T) {
	// Table order: the strict array is complex value 0, the object 1.
	b := unhex(t, `0a 00 00 00 02 // [
		03 00 01 6b 02 00 01 76 00 00 09 // {k: "v"}
		07 00 01 // reference to complex value 1, the object
		`)
	vs, err := DecodeValues(b)
	if err != nil {
		t.Fatal(err)
	}
	a := vs[0].([]Value)
	if a[0].(*Object) != a[1].(*Object) {
		t.Fatal("reference did not resolve to the same object")
	}
	// Re-encoding expands the reference.
	enc, _ := AppendValue(nil, a)
	if want := unhex(t, "0a 00000002 03 00016b 0200 0176 000009 03 00016b 0200 0176 000009"); !bytes.Equal(enc, want) {
		t.Fatalf("re-encoded %x", enc)
	}
	// References span the values of one message (one Decoder).
	d := NewDecoder(unhex(t, "03 00 00 09 | 07 00 00"), Limits{})
	v1, _ := d.Decode()
	v2, err := d.Decode()
	if err != nil || v1.(*Object) != v2.(*Object) {
		t.Fatalf("cross-value reference: %v", err)
	}
	// Reset empties the table.
	d.Reset(unhex(t, "07 00 00"))
	if _, err := d.Decode(); !errors.Is(err, ErrBadReference) {
		t.Fatalf("after Reset: %v, want ErrBadReference", err)
	}

	for name, h := range map[string]string{
		"loop to self":    "03 00 01 61 07 00 00 00 00 09", // {a: ref 0} while 0 is open
		"loop to parent":  "0a 00 00 00 01 03 00 01 61 07 00 00 00 00 09",
		"forward":         "0a 00 00 00 02 07 00 01 03 00 00 09", // ref 1 before it exists
		"none at all":     "07 00 00",
		"high index":      "03 00 00 09 07 ff ff",
		"truncated index": "07 00",
		"array self loop": "0a 00 00 00 01 07 00 00",
		"ecma self loop":  "08 00 00 00 00 00 01 61 07 00 00 00 00 09",
		"typed obj loop":  "10 00 01 43 00 01 61 07 00 00 00 00 09",
	} {
		_, err := DecodeValues(unhex(t, h))
		if name == "truncated index" {
			if !errors.Is(err, ErrTruncated) {
				t.Errorf("%s: %v, want ErrTruncated", name, err)
			}
			continue
		}
		if !errors.Is(err, ErrBadReference) {
			t.Errorf("%s: %v, want ErrBadReference", name, err)
		}
	}
}

func TestAMF0RejectsMarkers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want error
	}{
		{"11 0a", ErrAVMPlus},
		{"04", ErrUnknownMarker},
		{"0e", ErrUnknownMarker},
		{"12", ErrUnknownMarker},
		{"ff", ErrUnknownMarker},
		{"09", ErrUnknownMarker}, // object end outside an object
	} {
		if _, err := DecodeValues(unhex(t, c.in)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.in, err, c.want)
		}
	}
}

func TestAMF0LimitDepth(t *testing.T) {
	nested := func(n int, open, close string) []byte {
		return unhex(t, strings.Repeat(open, n)+strings.Repeat(close, n))
	}
	// 32 nested objects pass with the defaults, 33 do not.
	objOpen, objClose := "03 00 01 61", "00 00 09"
	if _, err := DecodeValues(unhex(t, strings.Repeat(objOpen, 31)+"03 00 00 09"+strings.Repeat(objClose, 31))); err != nil {
		t.Fatalf("depth 32: %v", err)
	}
	if _, err := DecodeValues(unhex(t, strings.Repeat(objOpen, 32)+"03 00 00 09"+strings.Repeat(objClose, 32))); !errors.Is(err, ErrLimit) {
		t.Fatalf("depth 33: %v, want ErrLimit", err)
	}
	// Deep strict arrays: a million levels fail fast without recursion.
	deep := bytes.Repeat([]byte{0x0a, 0, 0, 0, 1}, 1_000_000)
	if _, err := DecodeValues(deep); !errors.Is(err, ErrLimit) {
		t.Fatalf("deep arrays: %v, want ErrLimit", err)
	}
	// A custom depth.
	if _, err := NewDecoder(nested(3, "0a 00 00 00 01", ""), Limits{MaxDepth: 2}).Decode(); !errors.Is(err, ErrLimit) {
		t.Fatalf("MaxDepth 2: %v", err)
	}
	// References cannot exceed the depth: ref to a 31-deep value placed at depth 2.
	inner := strings.Repeat(objOpen, 30) + "03 00 00 09" + strings.Repeat(objClose, 30) // height 31
	ok := "0a 00 00 00 02" + inner + "07 00 01"                                         // at depth 1: 1+31 = 32
	if _, err := DecodeValues(unhex(t, ok)); err != nil {
		t.Fatalf("reference at allowed depth: %v", err)
	}
	bad := "0a 00 00 00 02" + inner + "0a 00 00 00 01 07 00 01" // at depth 2: 33
	if _, err := DecodeValues(unhex(t, bad)); !errors.Is(err, ErrLimit) {
		t.Fatalf("reference beyond depth: %v, want ErrLimit", err)
	}
}

func TestAMF0LimitCounts(t *testing.T) {
	// A strict array claiming 2^32-1 elements is refused before allocating.
	if _, err := DecodeValues(unhex(t, "0a ff ff ff ff 05")); !errors.Is(err, ErrLimit) {
		t.Fatalf("huge count: %v, want ErrLimit", err)
	}
	// Within the element limit but longer than the input: truncated.
	if _, err := DecodeValues(unhex(t, "0a 00 00 10 00 05 05")); !errors.Is(err, ErrTruncated) {
		t.Fatalf("count beyond input: %v, want ErrTruncated", err)
	}
	lim := Limits{MaxElements: 10}
	ok := unhex(t, "0a 00 00 00 09"+strings.Repeat("05", 9)) // 10 values
	if _, err := NewDecoder(ok, lim).DecodeAll(); err != nil {
		t.Fatalf("10 values: %v", err)
	}
	over := unhex(t, "0a 00 00 00 0a"+strings.Repeat("05", 10)) // 11 values
	if _, err := NewDecoder(over, lim).DecodeAll(); !errors.Is(err, ErrLimit) {
		t.Fatalf("11 values: %v, want ErrLimit", err)
	}
	// Object properties count too.
	obj := unhex(t, "03"+strings.Repeat("00 00 05", 10)+"00 00 09")
	if _, err := NewDecoder(obj, lim).DecodeAll(); !errors.Is(err, ErrLimit) {
		t.Fatalf("11-value object: %v, want ErrLimit", err)
	}
	// String length.
	if _, err := NewDecoder(unhex(t, "02 00 05 6162636465"), Limits{MaxStringLen: 4}).Decode(); !errors.Is(err, ErrLimit) {
		t.Fatalf("long string: %v, want ErrLimit", err)
	}
	if _, err := NewDecoder(unhex(t, "0c ff ff ff ff"), Limits{}).Decode(); !errors.Is(err, ErrLimit) {
		t.Fatalf("4 GiB long string: %v, want ErrLimit", err)
	}
	if _, err := NewDecoder(unhex(t, "03 00 05 6162636465 05 00 00 09"), Limits{MaxStringLen: 4}).Decode(); !errors.Is(err, ErrLimit) {
		t.Fatalf("long key: %v, want ErrLimit", err)
	}
}

// TestAMF0ReferenceBomb checks that references count as the values they
// stand for: each level doubles the expanded size, so 30 levels would expand
// to 2^30 values when encoded again.
func TestAMF0ReferenceBomb(t *testing.T) {
	var h strings.Builder
	h.WriteString("0a 00 00 00 1f") // outer array of 31: level arrays
	h.WriteString("0a 00 00 00 02 05 05")
	for i := 1; i <= 30; i++ {
		// [ref(i), ref(i)]: complex value i is the previous level.
		h.WriteString("0a 00 00 00 02")
		idx := []byte{byte(i >> 8), byte(i)}
		h.WriteString("07" + hexOf(idx) + "07" + hexOf(idx))
	}
	_, err := DecodeValues(unhex(t, h.String()))
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("reference bomb: %v, want ErrLimit", err)
	}
	// MaxBytes counts expanded bytes too.
	lim := Limits{MaxBytes: 100}
	in := unhex(t, "0a 00 00 00 04 | 0a 00 00 00 01 02 00 28"+strings.Repeat("78", 40)+"| 07 00 01 | 07 00 01 | 07 00 01")
	if _, err := NewDecoder(in, lim).Decode(); !errors.Is(err, ErrLimit) {
		t.Fatalf("expanded bytes: %v, want ErrLimit", err)
	}
	if _, err := NewDecoder(in, Limits{MaxBytes: 1000}).Decode(); err != nil {
		t.Fatalf("expanded bytes within limit: %v", err)
	}
}

func TestDecoderStickyError(t *testing.T) {
	d := NewDecoder(unhex(t, "05 | ff | 05"), Limits{})
	if v, err := d.Decode(); err != nil || v != nil {
		t.Fatal(v, err)
	}
	_, err1 := d.Decode()
	_, err2 := d.Decode()
	if err1 == nil || err1 != err2 {
		t.Fatalf("errors %v then %v, want the same error", err1, err2)
	}
	if d.More() {
		t.Fatal("More after an error")
	}
	if d.Offset() != 1 || !bytes.Equal(d.Rest(), []byte{0xff, 0x05}) {
		t.Fatalf("offset %d rest %x", d.Offset(), d.Rest())
	}
}

func TestPropertiesMethods(t *testing.T) {
	var p Properties
	p.Set("a", 1.0)
	p.Set("b", "x")
	p.Set("a", 2.0)
	p = append(p, Property{"b", true}) // duplicate: Get returns the last
	if f, ok := p.Number("a"); !ok || f != 2 {
		t.Fatalf("a = %v %v", f, ok)
	}
	if v, ok := p.Bool("b"); !ok || !v {
		t.Fatalf("b = %v %v", v, ok)
	}
	if _, ok := p.String("b"); ok {
		t.Fatal("b is not a string any more")
	}
	p.Delete("b")
	if len(p) != 1 || p.Has("b") || !p.Has("a") {
		t.Fatalf("after Delete: %#v", p)
	}
	o := NewObject().With("x", 1.0).With("y", 2.0)
	if len(o.Properties) != 2 || o.Properties[1].Key != "y" {
		t.Fatalf("With: %#v", o)
	}
}

func TestInternedStringsFit(t *testing.T) {
	for s := range interned {
		if len(s) > maxInterned {
			t.Errorf("%q is longer than maxInterned", s)
		}
	}
	// Interned or not, decoded strings are equal to their bytes.
	vs, err := DecodeValues(AppendString(AppendString(nil, CodePlayStart), "NetStream.Play.Startx"))
	if err != nil || vs[0] != CodePlayStart || vs[1] != "NetStream.Play.Startx" {
		t.Fatal(vs, err)
	}
}
