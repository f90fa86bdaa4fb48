package flashcrypto

import (
	"errors"
	"strings"
	"testing"
)

func TestPeerIDText(t *testing.T) {
	const s = "ab777c68483f2cfeccc9534d7ecab06ec8859149345afdc8d49a4fdacd04d2dd"
	id, err := ParsePeerID(s)
	if err != nil || id.String() != s || id[0] != 0xab || id[31] != 0xdd {
		t.Fatalf("%v %v", id, err)
	}
	if id2, err := ParsePeerID("  \t" + strings.ToUpper(s) + "\n"); err != nil || id2 != id {
		t.Errorf("whitespace and upper case: %v", err)
	}
	var u PeerID
	if err := u.UnmarshalText([]byte(s)); err != nil || u != id {
		t.Errorf("UnmarshalText: %v", err)
	}
	if b, _ := id.MarshalText(); string(b) != s {
		t.Errorf("MarshalText %s", b)
	}
	if id.IsZero() || !(PeerID{}).IsZero() {
		t.Error("IsZero")
	}
	for in, msg := range map[string]string{
		"":                    "got 0 characters",
		s[:63]:                "got 63 characters",
		s + "0":               "got 65 characters",
		s[:63] + "g":          "character 64 ('g')",
		"0x" + s[:62]:         "character 2 ('x')",
		s[:32] + " " + s[33:]: "character 33 (' ')",
	} {
		_, err := ParsePeerID(in)
		if !errors.Is(err, ErrBadPeerID) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v (want %q)", in, err, msg)
		}
	}
}
