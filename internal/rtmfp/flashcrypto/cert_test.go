package flashcrypto

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
)

func TestStaticCertFlashForm(t *testing.T) {
	k, err := GenerateKey(Group2, testRand(1))
	if err != nil {
		t.Fatal(err)
	}
	raw := BuildStaticCert([]*PrivateKey{k}, CertOptions{})
	// 81 02 | 1d | 02 | 128-byte key: exactly 132 bytes.
	want := append(h(t, "81 02 1d 02"), k.PaddedPublicKey()...)
	if !bytes.Equal(raw, want) || len(raw) != 132 {
		t.Fatalf("cert % x…, %d bytes", raw[:6], len(raw))
	}
	c, err := ParseCert(raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.PeerID != sha256.Sum256(raw) || c.CanonicalLen != 132 || !c.IsStatic() {
		t.Errorf("parsed %+v", c)
	}
	if key, ok := c.StaticKey(Group2); !ok || !bytes.Equal(key, k.PaddedPublicKey()) {
		t.Error("static key not found")
	}
	if _, ok := c.StaticKey(Group14); ok || c.Supports(Group14) || !c.Supports(Group2) {
		t.Error("group support wrong")
	}
}

func TestEphemeralCertGolden(t *testing.T) {
	rnd := bytes.Repeat([]byte{0xa5}, 64)
	raw, err := BuildEphemeralCert(PreferredGroups, CertOptions{AcceptsAncillary: true}, bytes.NewReader(rnd))
	if err != nil {
		t.Fatal(err)
	}
	// tcserver's form: 01 0a | 02 15 10 | 02 15 0e | 02 15 02 | 41 0e <64>.
	want := append(h(t, "01 0a | 02 15 10 | 02 15 0e | 02 15 02 | 41 0e"), rnd...)
	if !bytes.Equal(raw, want) {
		t.Fatalf("got %x", raw)
	}
	c, err := ParseCert(raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.IsStatic() || !c.AcceptsAncillary || c.HasHostname || len(c.Groups) != 3 || c.Groups[0] != Group16 {
		t.Errorf("parsed %+v", c)
	}
	raw, _ = BuildEphemeralCert([]Group{Group2}, CertOptions{Hostname: "example.org"}, bytes.NewReader(rnd))
	want = append(h(t, "0c 00"), "example.org"...)
	want = append(append(want, h(t, "02 15 02 41 0e")...), rnd...)
	if !bytes.Equal(raw, want) {
		t.Fatalf("with hostname: %x", raw)
	}
	c, _ = ParseCert(raw)
	if !c.HasHostname || string(c.Hostname) != "example.org" || c.AcceptsAncillary {
		t.Errorf("parsed %+v", c)
	}
	if _, err := BuildEphemeralCert(PreferredGroups, CertOptions{}, bytes.NewReader(nil)); !errors.Is(err, ErrRandom) {
		t.Errorf("no randomness: %v", err)
	}
}

func TestCertCanonicalPart(t *testing.T) {
	canon := h(t, "02 15 02 | 03 0e aa bb")
	full := append(append(bytes.Clone(canon), 0x00), h(t, "03 1d 02 99 | 02 0a ff")...)
	c, err := ParseCert(full)
	if err != nil {
		t.Fatal(err)
	}
	// Canonical part includes the marker; options after it (even a static
	// key) carry no meaning.
	if c.CanonicalLen != len(canon)+1 || c.PeerID != sha256.Sum256(full[:len(canon)+1]) {
		t.Errorf("canonical %d", c.CanonicalLen)
	}
	if c.IsStatic() || c.AcceptsAncillary {
		t.Error("options after the marker were used")
	}
	// Changing the non-canonical part keeps the peer ID.
	other := append(append(bytes.Clone(canon), 0x00), h(t, "02 0e 01")...)
	c2, err := ParseCert(other)
	if err != nil || c2.PeerID != c.PeerID {
		t.Errorf("peer ID changed with the non-canonical part: %v", err)
	}
	// A malformed non-canonical part still fails.
	if _, err := ParseCert(append(bytes.Clone(full), 0x05, 0x0e)); !errors.Is(err, ErrBadCert) {
		t.Errorf("malformed tail: %v", err)
	}
}

func TestCertInvalid(t *testing.T) {
	cases := map[string]string{
		"empty":            "",
		"neither":          "01 0a | 02 0e 00",
		"both":             "02 15 02 | 03 1d 02 ab",
		"marker first":     "00 02 15 02",
		"group no vlu":     "01 15",
		"key no vlu":       "01 1d",
		"group vlu open":   "02 15 82",
		"length overrun":   "05 15 02",
		"type vlu overrun": "02 80 80",
		"huge group":       "06 15 88 80 80 80 00",
	}
	for name, x := range cases {
		if _, err := ParseCert(h(t, x)); !errors.Is(err, ErrBadCert) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestCertPrefixes: every prefix of real certificates is rejected unless it
// ends on an option boundary, where it is a shorter valid list.
func TestCertPrefixes(t *testing.T) {
	for _, k := range katFiles(t) {
		for _, raw := range [][]byte{k.icert, k.rcert} {
			full, err := ParseCert(raw)
			if err != nil {
				t.Fatal(err)
			}
			bounds := optionBoundaries(t, raw)
			for n := 0; n < len(raw); n++ {
				c, err := ParseCert(raw[:n])
				if !bounds[n] {
					if err == nil {
						t.Fatalf("%s: prefix %d accepted", k.name, n)
					}
					continue
				}
				if err == nil && c.PeerID == full.PeerID {
					t.Fatalf("%s: prefix %d has the full peer ID", k.name, n)
				}
			}
		}
	}
}

func TestGlare(t *testing.T) {
	a, b := h(t, "02 15 02"), h(t, "02 15 0e")
	if !NearWinsGlare(a, b) || NearWinsGlare(b, a) {
		t.Error("smaller certificate must win")
	}
	if !NearWinsGlare(a, a) {
		t.Error("equal certificates: near wins")
	}
	if !NearWinsGlare(a, append(bytes.Clone(a), 0)) {
		t.Error("a prefix is smaller")
	}
	ca, _ := ParseCert(a)
	cb, _ := ParseCert(b)
	ca2, _ := ParseCert(bytes.Clone(a))
	if !ca.Overrides(ca2) || ca.Overrides(cb) {
		t.Error("override rule wrong")
	}
}
