package wire

import (
	"errors"
	"testing"
)

func TestOptionGolden(t *testing.T) {
	// TC flow metadata (RFC 7425 §5.1) inside option 0x00: <len> 00 'T' 'C' 04 <sid 0>.
	mustEqualBytes(t, "TC metadata", AppendMetadataOption(nil, []byte("TC\x04\x00")), h("05 | 00 | 54 43 04 00"))
	// P2P play flow metadata, stream ID 2000001 as a VLU (RFC 7425 §5.4).
	mustEqualBytes(t, "TC metadata sid 2000001", AppendMetadataOption(nil, h("54 43 04 fa 89 01")), h("07 | 00 | 54 43 04 fa 89 01"))
	// Return association to flow 3.
	mustEqualBytes(t, "return association", AppendReturnAssociationOption(nil, 3), h("02 | 0a | 03"))
	// A two-byte type: 0x2000 is VLU c0 00.
	mustEqualBytes(t, "type 0x2000", AppendOption(nil, 0x2000, []byte{0x01}), h("03 | c0 00 | 01"))
	mustEqualBytes(t, "VLU value", AppendOptionVLU(nil, 0x15, 130), h("03 | 15 | 81 02"))
	mustEqualBytes(t, "empty value", AppendOption(nil, 0x0a, nil), h("01 | 0a"))
	mustEqualBytes(t, "marker", AppendMarker(nil), h("00"))
	if OptionLen(0x2000, 1) != 4 || OptionLen(0, 4) != 6 {
		t.Fatalf("OptionLen: %d %d", OptionLen(0x2000, 1), OptionLen(0, 4))
	}
}

func TestOptionReader(t *testing.T) {
	// tcserver's certificate (RFC 7425 §4.3) cut short, a marker, then a
	// non-canonical option.
	list := h("01 0a | 02 15 10 | 02 15 0e | 00 | 03 0e aa bb")
	r := NewOptionReader(list)
	type tv struct {
		typ uint64
		val string
	}
	var got []tv
	for opt, ok := r.Next(); ok; opt, ok = r.Next() {
		got = append(got, tv{opt.Type, string(opt.Value)})
	}
	want := []tv{{0x0a, ""}, {0x15, "\x10"}, {0x15, "\x0e"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("option %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if r.Err() != nil || !r.SawMarker() || r.Consumed() != 9 {
		t.Fatalf("err %v marker %v consumed %d", r.Err(), r.SawMarker(), r.Consumed())
	}
	mustEqualBytes(t, "rest", r.Rest(), h("03 0e aa bb"))
	if _, ok := r.Next(); ok {
		t.Fatal("Next after marker returned an option")
	}
	r2 := NewOptionReader(r.Rest())
	opt, ok := r2.Next()
	if !ok || opt.Type != 0x0e || string(opt.Value) != "\xaa\xbb" {
		t.Fatalf("after marker: %v %v", opt, ok)
	}
	if _, ok := r2.Next(); ok || r2.Err() != nil || r2.SawMarker() {
		t.Fatalf("end: ok %v err %v marker %v", ok, r2.Err(), r2.SawMarker())
	}
}

func TestOptionTruncated(t *testing.T) {
	whole := h("07 00 54 43 04 fa 89 01")
	for i := 1; i < len(whole); i++ {
		r := NewOptionReader(whole[:i])
		if _, ok := r.Next(); ok || !errors.Is(r.Err(), ErrTruncated) {
			t.Errorf("prefix % x: ok %v err %v", whole[:i], ok, r.Err())
		}
	}
	// The type VLU runs off the end of the option.
	if _, _, _, err := ParseOption(h("01 81")); !errors.Is(err, ErrTruncated) {
		t.Fatalf("type overrun: %v", err)
	}
	if _, _, err := splitMarkedList(h("02 0a 03")); !errors.Is(err, ErrNoMarker) {
		t.Fatalf("no marker: %v", err)
	}
}

func TestFlowOptions(t *testing.T) {
	var list []byte
	list = AppendMetadataOption(list, []byte("TC\x04\x00"))
	list = AppendReturnAssociationOption(list, 300)
	list = AppendOption(list, 0x2000, []byte("ignored"))
	o, err := ParseFlowOptions(list)
	if err != nil || !o.HasMetadata || string(o.Metadata) != "TC\x04\x00" ||
		!o.HasReturnAssociation || o.ReturnAssociation != 300 || o.UnknownMandatory {
		t.Fatalf("got %+v, %v", o, err)
	}
	// 0x1fff is below the cutoff: mandatory and unknown.
	o, err = ParseFlowOptions(AppendOption(nil, 0x1fff, nil))
	if err != nil || !o.UnknownMandatory || o.HasMetadata || o.HasReturnAssociation {
		t.Fatalf("0x1fff: %+v, %v", o, err)
	}
	if !IsMandatoryOption(0) || !IsMandatoryOption(0x1fff) || IsMandatoryOption(0x2000) {
		t.Fatal("IsMandatoryOption cutoff is not 0x2000")
	}
	if _, err := ParseFlowOptions(h("01 0a")); !errors.Is(err, ErrTruncated) {
		t.Fatalf("empty return association: %v", err)
	}
	if _, err := ParseFlowOptions(h("02 0a 03 | 00 | 01 0a")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("marker inside: %v", err)
	}
}

func FuzzOptions(f *testing.F) {
	f.Add(h("05 00 54 43 04 00 | 02 0a 03 | 00"))
	f.Add(h("01 0a | 02 15 10 | 02 15 0e | 00 | 03 0e aa bb"))
	f.Add(h("81 02 1d 02" + rep("5a", 128)))
	f.Add(h("03 c0 00 01 | 02 0a 81"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewOptionReader(b)
		var re []byte
		for opt, ok := r.Next(); ok; opt, ok = r.Next() {
			re = AppendOption(re, opt.Type, opt.Value)
		}
		if r.Consumed() > len(b) {
			t.Fatalf("consumed %d of %d", r.Consumed(), len(b))
		}
		if r.SawMarker() {
			re = AppendMarker(re)
		}
		if r.Err() == nil && !r.SawMarker() && r.Consumed() != len(b) {
			t.Fatalf("clean end after %d of %d bytes", r.Consumed(), len(b))
		}
		// The re-encoding (shortest VLUs) reads back identically.
		r1, r2 := NewOptionReader(b), NewOptionReader(re)
		for {
			o1, ok1 := r1.Next()
			o2, ok2 := r2.Next()
			if ok1 != ok2 || o1.Type != o2.Type || string(o1.Value) != string(o2.Value) {
				t.Fatalf("re-encoding differs: %v/%v vs %v/%v", o1, ok1, o2, ok2)
			}
			if !ok1 {
				break
			}
		}
		if r2.Err() != nil || r2.SawMarker() != r1.SawMarker() || r2.Consumed() != len(re) {
			t.Fatalf("re-encoding: err %v marker %v consumed %d of %d", r2.Err(), r2.SawMarker(), r2.Consumed(), len(re))
		}
		_, _ = ParseFlowOptions(b)
		_, _, _ = splitMarkedList(b)
	})
}
