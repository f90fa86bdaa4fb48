package flashcrypto

import (
	"sort"
	"strings"
	"testing"
)

func TestWordList(t *testing.T) {
	if len(authWords) != 2048 {
		t.Fatalf("%d words", len(authWords))
	}
	if !sort.StringsAreSorted(authWords) {
		t.Error("word list not sorted")
	}
	prefixes := map[string]bool{}
	for _, w := range authWords {
		if len(w) < 4 || len(w) > 5 || strings.Trim(w, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Errorf("bad word %q", w)
		}
		if prefixes[w[:4]] {
			t.Errorf("prefix of %q repeats", w)
		}
		prefixes[w[:4]] = true
	}
}

func TestShortAuthCode(t *testing.T) {
	var n Nonces
	for i := range n.Near {
		n.Near[i] = byte(i)
		n.Far[i] = byte(255 - i)
	}
	code := ShortAuthCode(n)
	// Both ends compute the same code (their nonces are swapped).
	if ShortAuthCode(Nonces{Near: n.Far, Far: n.Near}) != code {
		t.Fatal("code depends on which end computes it")
	}
	words := code.Words()
	if len(words) != AuthCodeWords || code.String() != strings.Join(words, " ") {
		t.Fatalf("words %v", words)
	}
	// Locked: changing the derivation or the list changes every code.
	const golden = "comma made total foggy acute steel" // computed independently
	if code.String() != golden {
		t.Errorf("code %q, want %q", code, golden)
	}
	// Any change of either nonce changes the code (66 bits: collisions
	// among a few hundred samples would be a bug).
	seen := map[AuthCode]bool{code: true}
	for i := 0; i < 32; i++ {
		for _, which := range []int{0, 1} {
			m := n
			if which == 0 {
				m.Near[i] ^= 1
			} else {
				m.Far[i] ^= 0x80
			}
			c := ShortAuthCode(m)
			if seen[c] {
				t.Fatalf("collision after changing byte %d", i)
			}
			seen[c] = true
		}
	}
	// A man in the middle: each end shares nonces with the attacker, not
	// with each other, so the codes differ.
	alice := Nonces{Near: [32]byte{1}, Far: [32]byte{2}}
	bob := Nonces{Near: [32]byte{3}, Far: [32]byte{4}}
	if ShortAuthCode(alice) == ShortAuthCode(bob) {
		t.Error("different sessions gave the same code")
	}
}
