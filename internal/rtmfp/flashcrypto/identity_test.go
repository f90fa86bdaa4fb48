package flashcrypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestIdentityMarshal(t *testing.T) {
	for _, tc := range []struct {
		groups []Group
		opts   CertOptions
	}{
		{[]Group{Group2}, CertOptions{}},
		{nil, CertOptions{}},
		{[]Group{Group14, Group2}, CertOptions{Hostname: "relay.example", AcceptsAncillary: true}},
	} {
		id, err := NewStaticIdentity(testRand(30), tc.groups, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := id.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalIdentity(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Cert().Raw, id.Cert().Raw) || back.PeerID() != id.PeerID() {
			t.Fatalf("%v: certificate or peer ID changed across Marshal", tc.groups)
		}
		if len(back.Groups()) != len(id.Groups()) || !back.IsStatic() {
			t.Fatalf("groups %v", back.Groups())
		}
		// The keys themselves survive: both agree on a secret with a third.
		other, _ := GenerateKey(id.Groups()[0], testRand(31))
		s1, _ := id.staticKey(id.Groups()[0]).SharedSecret(other.PublicKey())
		s2, _ := back.staticKey(id.Groups()[0]).SharedSecret(other.PublicKey())
		if !bytes.Equal(s1, s2) {
			t.Fatal("private key changed across Marshal")
		}
		// Every strict prefix and any trailing byte are rejected.
		for n := 0; n < len(b); n++ {
			if _, err := UnmarshalIdentity(b[:n]); !errors.Is(err, ErrBadIdentity) {
				t.Fatalf("prefix %d: %v", n, err)
			}
		}
		if _, err := UnmarshalIdentity(append(bytes.Clone(b), 0)); !errors.Is(err, ErrBadIdentity) {
			t.Fatalf("trailing byte: %v", err)
		}
	}
	// Default groups are the reference's 16, 14, 2 in that order.
	id, _ := NewStaticIdentity(testRand(32), nil, CertOptions{})
	if g := id.Cert().SupportedGroups(); len(g) != 3 || g[0] != Group16 || g[2] != Group2 {
		t.Errorf("default groups %v", g)
	}
	if !bytes.HasPrefix(id.Cert().Raw, h(t, "84 02 1d 10")) {
		t.Errorf("group-16 option %x", id.Cert().Raw[:4])
	}
	// A group-2-only identity has the Flash form.
	id, _ = NewStaticIdentity(testRand(33), []Group{Group2}, CertOptions{})
	if raw := id.Cert().Raw; len(raw) != 132 || !bytes.HasPrefix(raw, h(t, "81 02 1d 02")) {
		t.Errorf("group-2 identity certificate % x… (%d bytes)", raw[:4], len(raw))
	}
	// Ephemeral identities do not marshal.
	eph, _ := NewEphemeralIdentity(testRand(34), nil, CertOptions{})
	if _, err := eph.MarshalBinary(); !errors.Is(err, ErrNotStatic) {
		t.Errorf("ephemeral marshal: %v", err)
	}
	// Bad inputs.
	for name, b := range map[string][]byte{
		"wrong magic":  []byte("camchat-id\x02\x00\x00\x01\x02\x01\x05"),
		"bad flags":    append(bytes.Clone(identityMagic), 0x02, 0x00, 0x01, 0x02, 0x01, 0x05),
		"no keys":      append(bytes.Clone(identityMagic), 0x00, 0x00, 0x00),
		"group 5":      append(bytes.Clone(identityMagic), 0x00, 0x00, 0x01, 0x05, 0x01, 0x05),
		"zero key":     append(bytes.Clone(identityMagic), 0x00, 0x00, 0x01, 0x02, 0x01, 0x00),
		"duplicate":    append(bytes.Clone(identityMagic), 0x00, 0x00, 0x02, 0x02, 0x01, 0x05, 0x02, 0x01, 0x05),
		"empty key":    append(bytes.Clone(identityMagic), 0x00, 0x00, 0x01, 0x02, 0x00),
		"key too long": append(append(bytes.Clone(identityMagic), 0x00, 0x00, 0x01, 0x02, 0x81, 0x01), bytes.Repeat([]byte{0xff}, 129)...),
	} {
		if _, err := UnmarshalIdentity(b); !errors.Is(err, ErrBadIdentity) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, groups := range [][]Group{{}, {Group(5)}, {Group2, Group2}} {
		if _, err := NewStaticIdentity(testRand(35), groups, CertOptions{}); !errors.Is(err, ErrUnsupportedGroup) {
			t.Errorf("groups %v: %v", groups, err)
		}
	}
}

func TestIdentityGroupOrder(t *testing.T) {
	id, err := NewStaticIdentity(testRand(36), []Group{Group2, Group16}, CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g := id.Groups(); len(g) != 2 || g[0] != Group16 || g[1] != Group2 {
		t.Fatalf("groups %v, want [16 2]", g)
	}
	if g := id.Cert().SupportedGroups(); g[0] != Group16 {
		t.Fatalf("certificate order %v", g)
	}
	eph, _ := NewEphemeralIdentity(testRand(37), []Group{Group2, Group14}, CertOptions{})
	if g := eph.Cert().Groups; len(g) != 2 || g[0] != Group14 {
		t.Fatalf("ephemeral order %v", g)
	}
}
