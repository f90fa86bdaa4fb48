package flashcrypto

import (
	"bytes"
	"testing"
)

func TestInternetChecksum(t *testing.T) {
	cases := []struct {
		in   []byte
		want uint16
	}{
		{nil, 0xffff},
		{[]byte{0x00, 0x01}, 0xfffe},
		{[]byte{0x12, 0x34, 0x56, 0x78}, ^uint16(0x1234 + 0x5678)},
		// Carries fold back: 0xffff + 0x0002 = 0x10001 → 0x0002.
		{[]byte{0xff, 0xff, 0x00, 0x02}, ^uint16(0x0002)},
		// Odd length: the last byte is the LOW half of a word (reference
		// rule); RFC 1071 would give ^0x1234+0x5600.
		{[]byte{0x12, 0x34, 0x56}, ^uint16(0x1234 + 0x0056)},
		{[]byte{0xab}, ^uint16(0x00ab)},
	}
	for _, c := range cases {
		if got := internetChecksum(c.in); got != c.want {
			t.Errorf("checksum(% x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	// A correct checksum makes the whole sum verify to zero (even length).
	data := []byte{0x0b, 0x01, 0x02, 0x30, 0x00, 0x05, 0x02, 0x0a}
	sum := internetChecksum(data)
	if internetChecksum(append([]byte{byte(sum >> 8), byte(sum)}, data...)) != 0 {
		t.Error("checksum with its own field does not verify")
	}
}

// referenceChecksum is in_cksum as the reference writes it: 16-bit words
// into a 32-bit sum, two folds.
func referenceChecksum(b []byte) uint16 {
	var sum uint32
	for len(b) > 1 {
		sum += uint32(b[0])<<8 + uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0])
	}
	sum = sum>>16 + sum&0xffff
	sum += sum >> 16
	return ^uint16(sum)
}

func TestChecksumMatchesReferenceLoop(t *testing.T) {
	r := testRand(60)
	buf := make([]byte, 8200)
	r.Read(buf)
	for n := 0; n <= len(buf); n += 1 + n/64 {
		if a, b := internetChecksum(buf[:n]), referenceChecksum(buf[:n]); a != b {
			t.Fatalf("length %d: %#04x, reference %#04x", n, a, b)
		}
	}
	// Extremes: all 0xff (maximal carries) and all zero.
	for _, fill := range []byte{0x00, 0xff, 0x80} {
		for _, n := range []int{0, 1, 2, 7, 8, 9, 1199, 1200, 8192} {
			b := bytes.Repeat([]byte{fill}, n)
			if internetChecksum(b) != referenceChecksum(b) {
				t.Fatalf("fill %#x length %d differs", fill, n)
			}
		}
	}
}
