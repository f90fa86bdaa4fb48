package tc

import (
	"encoding/hex"
	"strings"
	"testing"
)

// unhex decodes a hex string with spaces, newlines and "|" separators and
// "//" comments to the end of a line, so golden vectors can be written field
// by field.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		for _, r := range line {
			if r == ' ' || r == '\t' || r == '|' {
				continue
			}
			b.WriteRune(r)
		}
	}
	out, err := hex.DecodeString(b.String())
	if err != nil {
		t.Fatalf("bad hex in test vector: %v", err)
	}
	return out
}

// hexOf encodes b as hex for failure messages.
func hexOf(b []byte) string { return hex.EncodeToString(b) }

// amfString returns the AMF0 string encoding of s in hex, for building
// vectors of commands.
func amfStr(s string) string {
	return "02" + hex.EncodeToString([]byte{byte(len(s) >> 8), byte(len(s))}) + hex.EncodeToString([]byte(s))
}

// key returns an object property key (u16 length, bytes) in hex.
func key(s string) string {
	return hex.EncodeToString([]byte{byte(len(s) >> 8), byte(len(s))}) + hex.EncodeToString([]byte(s))
}
