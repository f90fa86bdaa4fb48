package cluster

import (
	"bytes"
	"net/netip"
	"testing"

	"camchat/internal/rtmfp/flashcrypto"
)

// FuzzEntry: a bucket value never panics the parser, and what parses
// encodes back to the same bytes.
func FuzzEntry(f *testing.F) {
	f.Add(appendEntry(nil, 1, netip.MustParseAddrPort("192.0.2.1:1935"), nil))
	f.Add(appendEntry(nil, 1<<60, netip.MustParseAddrPort("[2001:db8::1]:1"),
		[]netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:2"), netip.MustParseAddrPort("[2001:db8::2]:3")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		node, addrs, err := parseEntry(b)
		if err != nil {
			return
		}
		as := decodeAddrs(addrs)
		if len(as) == 0 || len(as) > maxEntryAddrs {
			t.Fatalf("%d addresses", len(as))
		}
		var rep []netip.AddrPort
		for _, a := range as[1:] {
			rep = append(rep, a.AddrPort)
		}
		again := appendEntry(nil, node, as[0].AddrPort, rep)
		if len(again) > len(b) {
			t.Fatalf("re-encoded %d bytes from %d", len(again), len(b))
		}
	})
}

// FuzzIntro: an introduction message never panics the parser, and what
// parses encodes back to the same bytes.
func FuzzIntro(f *testing.F) {
	f.Add(intro{target: flashcrypto.PeerID{1}, from: netip.MustParseAddrPort("192.0.2.1:1935"), tag: []byte("0123456789abcdef"), epd: []byte{0x21, 0x0f, 1}}.append(nil))
	f.Add(intro{target: flashcrypto.PeerID{2}, from: netip.MustParseAddrPort("[2001:db8::1]:9"), tag: nil, epd: bytes.Repeat([]byte{7}, maxEPD)}.append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseIntro(b)
		if err != nil {
			return
		}
		if !m.fits() {
			t.Fatalf("parsed an introduction that does not fit: %d-byte tag, %d-byte EPD", len(m.tag), len(m.epd))
		}
		if again := m.append(nil); !bytes.Equal(again, b) && m.from.Addr().Is4() == (b[33]&0x80 == 0) {
			t.Fatalf("round trip: %x → %x", b, again)
		}
	})
}
