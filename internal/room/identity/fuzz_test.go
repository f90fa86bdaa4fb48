package identity

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"camchat/internal/rtmfp/flashcrypto"
)

// FuzzParseInvite: never a panic; whatever parses is within bounds, and
// its string form is short enough and parses back to the same invite.
func FuzzParseInvite(f *testing.F) {
	id := flashcrypto.PeerIDOf([]byte("fuzz"))
	f.Add(id.String())
	f.Add(strings.ToUpper(id.String()))
	f.Add(Invite{PeerID: id}.String())
	f.Add(Invite{PeerID: id, Addrs: []netip.AddrPort{
		netip.MustParseAddrPort("192.168.1.20:1935"),
		netip.MustParseAddrPort("[fd00::20]:1935"),
		netip.MustParseAddrPort("127.0.0.1:1935"),
	}, Rendezvous: "rdv.example.net:1935"}.String())
	f.Add(Invite{PeerID: id, Rendezvous: "[2001:db8::1]:1"}.String())
	f.Add(`"camchat://` + id.String() + `?a=%5B::1%5D:5&x=y&r=H:01"`)
	f.Add("camchat:" + id.String() + "?a=[fe80::1%25eth0]:1")
	f.Fuzz(func(t *testing.T, s string) {
		inv, err := ParseInvite(s)
		if err != nil {
			if !errors.Is(err, ErrBadInvite) || err.Error() == "" {
				t.Fatalf("error %v is not a described ErrBadInvite", err)
			}
			return
		}
		if len(inv.Addrs) > MaxInviteAddrs {
			t.Fatalf("%d addresses", len(inv.Addrs))
		}
		for _, a := range inv.Addrs {
			if why := unusable(a); why != "" || a.Addr().Is4In6() {
				t.Fatalf("hint %v kept (%s)", a, why)
			}
		}
		out := inv.String()
		if len(out) > MaxInviteLen {
			t.Fatalf("String of %d bytes", len(out))
		}
		back, err := ParseInvite(out)
		if err != nil {
			t.Fatalf("%q does not parse back: %v", out, err)
		}
		if back.String() != out || back.PeerID != inv.PeerID || back.Rendezvous != inv.Rendezvous {
			t.Fatalf("round trip %q → %q", out, back.String())
		}
	})
}

// FuzzDecodeIdentity: never a panic, every failure classified, and what
// decodes encodes to the same bytes.
func FuzzDecodeIdentity(f *testing.F) {
	id := peer(f, 1)
	b, err := encodeIdentity(id)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:40])
	f.Add([]byte(identityMagic + "\x02"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := decodeIdentity(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrVersion) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		again, err := encodeIdentity(id)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs: %v", err)
		}
	})
}

// FuzzDecodeTrust: never a panic, every failure classified, and what
// decodes survives encoding and decoding again unchanged.
func FuzzDecodeTrust(f *testing.F) {
	a, b := peer(f, 1), peer(f, 2)
	good, err := encodeTrust([]Entry{
		{PeerID: a.PeerID(), Verdict: VerdictMatch, Key: KeyDigestOf(a.Cert()), Name: "Alice", Time: fakeClock()()},
		{PeerID: b.PeerID(), Verdict: VerdictDiffer, Key: KeyDigestOf(b.Cert()), Name: "Böb “B”", Time: fakeClock()()},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	empty, _ := encodeTrust(nil)
	f.Add(empty)
	f.Add([]byte(`{"format":"camchat trust","version":2}`))
	f.Add([]byte(`{"format":"camchat trust","version":1,"peers":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeTrust(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrVersion) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		enc, err := encodeTrust(entries)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeTrust(enc)
		if err != nil || len(back) != len(entries) {
			t.Fatalf("re-encoded store does not decode: %v", err)
		}
		for i := range back {
			x, y := back[i], entries[i]
			if x.PeerID != y.PeerID || x.Verdict != y.Verdict || x.Key != y.Key || x.Name != y.Name || !x.Time.Equal(y.Time) {
				t.Fatalf("entry %d: %+v became %+v", i, y, x)
			}
		}
	})
}
