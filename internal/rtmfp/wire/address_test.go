package wire

import (
	"errors"
	"net/netip"
	"testing"
)

var addressVectors = []struct {
	name string
	addr Address
	wire string
}{
	{"IPv4 reported", Address{netip.MustParseAddrPort("127.0.0.1:1935"), OriginReported},
		"01 | 7f 00 00 01 | 07 8f"},
	{"IPv4 observed", Address{netip.MustParseAddrPort("192.168.1.2:65535"), OriginObserved},
		"02 | c0 a8 01 02 | ff ff"},
	{"IPv6 observed", Address{netip.MustParseAddrPort("[2001:db8::1]:1234"), OriginObserved},
		"82 | 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 | 04 d2"},
	{"IPv6 relay", Address{netip.MustParseAddrPort("[::ffff:1.2.3.4]:0"), OriginRelay},
		"83 | 00 00 00 00 00 00 00 00 00 00 ff ff 01 02 03 04 | 00 00"},
	{"IPv4 unknown", Address{netip.MustParseAddrPort("10.0.0.1:80"), OriginUnknown},
		"00 | 0a 00 00 01 | 00 50"},
}

func TestAddressGolden(t *testing.T) {
	for _, tc := range addressVectors {
		want := h(tc.wire)
		mustEqualBytes(t, tc.name, tc.addr.Append(nil), want)
		if tc.addr.Length() != len(want) {
			t.Errorf("%s: Length %d, want %d", tc.name, tc.addr.Length(), len(want))
		}
		got, n, err := ParseAddress(append(want, 0x99))
		if err != nil || got != tc.addr || n != len(want) {
			t.Errorf("%s: parse %v %d %v", tc.name, got, n, err)
		}
		for i := range len(want) {
			if _, _, err := ParseAddress(want[:i]); !errors.Is(err, ErrTruncated) {
				t.Errorf("%s: prefix %d: %v", tc.name, i, err)
			}
		}
	}
}

func TestAddressReservedBitsAndZero(t *testing.T) {
	a, _, err := ParseAddress(h("7e | 7f 00 00 01 | 07 8f"))
	if err != nil || a.Origin != OriginObserved || a.AddrPort != netip.MustParseAddrPort("127.0.0.1:1935") {
		t.Fatalf("reserved bits: %v %v", a, err)
	}
	mustEqualBytes(t, "re-append drops reserved bits", a.Append(nil), h("02 7f 00 00 01 07 8f"))
	mustEqualBytes(t, "zero address", Address{}.Append(nil), h("00 00 00 00 00 00 00"))
	zone := Address{AddrPort: netip.MustParseAddrPort("[fe80::1%eth0]:5")}
	mustEqualBytes(t, "zone dropped", zone.Append(nil), h("80 fe80 0000 0000 0000 0000 0000 0000 0001 0005"))
	if OriginRelay.String() != "relay" || Origin(7).String() != "Origin(7)" {
		t.Fatal("Origin.String")
	}
}

func FuzzAddress(f *testing.F) {
	for _, tc := range addressVectors {
		f.Add(h(tc.wire))
	}
	f.Add(h("ff 01 02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, n, err := ParseAddress(b)
		if err != nil {
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if n != 7 && n != 19 {
			t.Fatalf("used %d bytes", n)
		}
		enc := a.Append(nil)
		if len(enc) != n || a.Length() != n {
			t.Fatalf("re-encoded %d bytes, Length %d, parsed %d", len(enc), a.Length(), n)
		}
		if enc[0] != b[0]&0x83 || string(enc[1:]) != string(b[1:n]) {
			t.Fatalf("re-encoding % x differs from % x beyond reserved bits", enc, b[:n])
		}
		a2, _, err := ParseAddress(enc)
		if err != nil || a2 != a {
			t.Fatalf("re-parse: %v %v, want %v", a2, err, a)
		}
	})
}
