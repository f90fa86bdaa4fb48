package flashcrypto

import "encoding/binary"

// internetChecksum is the 16-bit ones'-complement checksum the Flash profile
// puts in front of packets that carry no HMAC (RFC 7425 §4.6.5).
//
// Words are summed big-endian. An odd final byte is added as the LOW-order
// byte of a word, as the reference's in_cksum (derived from Muuss's ping.c)
// does; RFC 1071 would put it in the high-order byte. Lengths are odd only
// when an odd-length sequence number precedes the checksum, and the
// reference's rule is what peers compute, so it is the one used here.
//
// The sum runs over 32-bit words in a 64-bit accumulator and is folded at
// the end, which gives the same ones'-complement sum (RFC 1071 §2) at a
// fraction of the cost.
func internetChecksum(b []byte) uint16 {
	var sum uint64
	for len(b) >= 8 {
		sum += uint64(binary.BigEndian.Uint32(b)) + uint64(binary.BigEndian.Uint32(b[4:]))
		b = b[8:]
	}
	for len(b) > 1 {
		sum += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint64(b[0])
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
