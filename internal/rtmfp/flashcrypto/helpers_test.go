package flashcrypto

import (
	"encoding/hex"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// testRand returns a deterministic randomness source.
func testRand(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// h decodes hex with optional spaces and '|' separators.
func h(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "|", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex: %v", err)
	}
	return b
}

// optionBoundaries returns the offsets at which an option list may end.
func optionBoundaries(t testing.TB, b []byte) map[int]bool {
	t.Helper()
	m := map[int]bool{0: true}
	off := 0
	for off < len(b) {
		_, n, err := parseOption(b[off:])
		if err != nil {
			t.Fatalf("not an option list at %d: %v", off, err)
		}
		off += n
		m[off] = true
	}
	return m
}
