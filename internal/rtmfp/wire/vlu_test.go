package wire

import (
	"errors"
	"math"
	"math/bits"
	"testing"
)

var vluVectors = []struct {
	v    uint64
	wire string
}{
	{0, "00"},
	{1, "01"},
	{127, "7f"},
	{128, "81 00"},   // 1*128 + 0
	{130, "81 02"},   // 1*128 + 2
	{514, "84 02"},   // 4*128 + 2
	{16383, "ff 7f"}, // largest 2-byte value
	{16384, "81 80 00"},
	{0x2000, "c0 00"}, // the mandatory option cutoff
	{2000001, "fa 89 01"},
	{math.MaxUint32, "8f ff ff ff 7f"},
	{math.MaxUint64, "81 ff ff ff ff ff ff ff ff 7f"}, // 10 bytes, 64 bits
}

func TestVLUGolden(t *testing.T) {
	for _, tc := range vluVectors {
		want := h(tc.wire)
		got := AppendVLU(nil, tc.v)
		mustEqualBytes(t, "AppendVLU", got, want)
		if VLULen(tc.v) != len(want) {
			t.Errorf("VLULen(%d) = %d, want %d", tc.v, VLULen(tc.v), len(want))
		}
		// Trailing bytes are not consumed.
		v, n, err := ParseVLU(append(want, 0x55))
		if err != nil || v != tc.v || n != len(want) {
			t.Errorf("ParseVLU(% x) = %d, %d, %v; want %d, %d", want, v, n, err, tc.v, len(want))
		}
		for i := range len(want) {
			if _, _, err := ParseVLU(want[:i]); !errors.Is(err, ErrTruncated) {
				t.Errorf("ParseVLU(% x) prefix: err %v, want ErrTruncated", want[:i], err)
			}
		}
	}
}

func TestVLUNonShortestAccepted(t *testing.T) {
	v, n, err := ParseVLU(h("80 80 05"))
	if err != nil || v != 5 || n != 3 {
		t.Fatalf("got %d, %d, %v; want 5, 3, nil", v, n, err)
	}
	if got := AppendVLU(nil, v); len(got) != 1 {
		t.Fatalf("re-encoding is not the shortest: % x", got)
	}
}

func TestVLUOverflow(t *testing.T) {
	for _, s := range []string{
		"82 80 80 80 80 80 80 80 80 00", // 2^64
		"ff ff ff ff ff ff ff ff ff 7f",
		"81 80 80 80 80 80 80 80 80 80 00", // 2^70
	} {
		_, _, err := ParseVLU(h(s))
		if !errors.Is(err, ErrVLUOverflow) || !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseVLU(%s): err %v, want ErrVLUOverflow", s, err)
		}
	}
	// Leading zero groups do not count toward overflow.
	v, _, err := ParseVLU(h("80 80 81 ff ff ff ff ff ff ff ff 7f"))
	if err != nil || v != math.MaxUint64 {
		t.Fatalf("padded max: %d, %v", v, err)
	}
}

func TestVLURoundTripPowers(t *testing.T) {
	for s := range 64 {
		for _, v := range []uint64{1<<s - 1, 1 << s, 1<<s + 1} {
			b := AppendVLU(nil, v)
			if want := max(1, (bits.Len64(v)+6)/7); len(b) != want {
				t.Fatalf("%d encodes in %d bytes, want %d", v, len(b), want)
			}
			got, n, err := ParseVLU(b)
			if err != nil || got != v || n != len(b) {
				t.Fatalf("%d: got %d, %d, %v", v, got, n, err)
			}
		}
	}
}

func TestFieldGolden(t *testing.T) {
	want := h("03 61 62 63")
	mustEqualBytes(t, "AppendField", AppendField(nil, []byte("abc")), want)
	if FieldLen(3) != 4 || FieldLen(128) != 130 {
		t.Fatalf("FieldLen: %d %d", FieldLen(3), FieldLen(128))
	}
	f, n, err := ParseField(append(want, 0xff))
	if err != nil || string(f) != "abc" || n != 4 || cap(f) != 3 {
		t.Fatalf("ParseField: %q %d %v cap %d", f, n, err, cap(f))
	}
	for i := range len(want) {
		if _, _, err := ParseField(want[:i]); !errors.Is(err, ErrTruncated) {
			t.Errorf("prefix %d: %v", i, err)
		}
	}
	// A length that does not fit an int is truncation, not a panic.
	if _, _, err := ParseField(h("81 ff ff ff ff ff ff ff ff 7f 00")); !errors.Is(err, ErrTruncated) {
		t.Fatalf("huge length: %v", err)
	}
}

func TestAppendVLUNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		b := AppendVLU(buf[:0], math.MaxUint64)
		b = AppendField(b, buf[:3])
		_, _, _ = ParseVLU(b)
	})
	if allocs != 0 {
		t.Fatalf("allocs = %v, want 0", allocs)
	}
}

// refParseVLU is an independent decoder for the fuzz comparison: 128-bit
// arithmetic, overflow reported at the byte that makes the value exceed 64
// bits, whether or not the VLU ends afterwards.
func refParseVLU(b []byte) (v uint64, n int, ok, overflow bool) {
	for i, c := range b {
		hi, lo := bits.Mul64(v, 128)
		lo, carry := bits.Add64(lo, uint64(c&0x7f), 0)
		if hi+carry != 0 {
			return 0, 0, false, true
		}
		v = lo
		if c&0x80 == 0 {
			return v, i + 1, true, false
		}
	}
	return 0, 0, false, false
}

func FuzzVLU(f *testing.F) {
	for _, tc := range vluVectors {
		f.Add(h(tc.wire))
	}
	f.Add(h("82 80 80 80 80 80 80 80 80 00"))
	f.Add(h("80 80 05"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := ParseVLU(b)
		rv, rn, ok, overflow := refParseVLU(b)
		switch {
		case overflow:
			if !errors.Is(err, ErrVLUOverflow) {
				t.Fatalf("% x: err %v, want overflow", b, err)
			}
			return
		case !ok:
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("% x: err %v, want truncated", b, err)
			}
			return
		case err != nil || v != rv || n != rn:
			t.Fatalf("% x: got %d %d %v, want %d %d", b, v, n, err, rv, rn)
		}
		enc := AppendVLU(nil, v)
		if len(enc) != VLULen(v) || len(enc) > n {
			t.Fatalf("%d: encoding % x longer than input or VLULen %d", v, enc, VLULen(v))
		}
		v2, n2, err := ParseVLU(enc)
		if err != nil || v2 != v || n2 != len(enc) {
			t.Fatalf("re-parse of % x: %d %d %v", enc, v2, n2, err)
		}
	})
}
