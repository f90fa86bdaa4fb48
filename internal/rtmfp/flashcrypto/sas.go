package flashcrypto

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"strings"
)

// The word list: 2048 distinct common English words of 4 or 5 letters, no
// two sharing their first four letters, sorted. Fixed forever: changing it
// changes every code.
//
//go:embed words.txt
var wordsTxt string

var authWords = strings.Fields(wordsTxt)

// AuthCodeWords is the number of words in a short authentication code:
// 6 words of 11 bits each carry 66 bits.
const AuthCodeWords = 6

// authCodeLabel separates this use of the nonces from any other.
const authCodeLabel = "camchat short authentication code v1"

// AuthCode is a short authentication code: indices into the word list.
type AuthCode [AuthCodeWords]uint16

// ShortAuthCode derives the code two people read to each other to confirm
// that no one sits in the middle of their session. Both ends get the same
// code because the two nonces are put in a fixed order (the lexicographically
// smaller first) before hashing:
//
//	SHA-256(label ‖ 0x00 ‖ min(near, far) ‖ max(near, far)), first 66 bits
//
// A man in the middle holds two different DH secrets, so the two ends'
// nonces, and with overwhelming probability their codes, differ
// (RFC 7425 §4.6.3 nonces; design "Identity and verification").
func ShortAuthCode(n Nonces) AuthCode {
	a, b := n.Near[:], n.Far[:]
	if bytes.Compare(a, b) > 0 {
		a, b = b, a
	}
	h := sha256.New()
	h.Write([]byte(authCodeLabel))
	h.Write([]byte{0})
	h.Write(a)
	h.Write(b)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])

	var code AuthCode
	for i := range code {
		// Take bits [11i, 11i+11) of the digest, most significant first.
		bit := 11 * i
		v := uint32(sum[bit/8])<<16 | uint32(sum[bit/8+1])<<8 | uint32(sum[bit/8+2])
		code[i] = uint16(v>>(24-11-bit%8)) & 0x7ff
	}
	return code
}

// Words returns the code's words.
func (c AuthCode) Words() []string {
	w := make([]string, len(c))
	for i, x := range c {
		w[i] = authWords[x]
	}
	return w
}

// String returns the words separated by spaces.
func (c AuthCode) String() string { return strings.Join(c.Words(), " ") }
