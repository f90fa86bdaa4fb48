package wire

import (
	"encoding/binary"
	"fmt"
)

// SessionID is a receiver's session ID (RFC 7016 §2.2.1). 0 is the startup
// pseudo-session used by the handshake.
//
// Representation: a SessionID is the big-endian uint32 of the 4 bytes as
// they appear on the wire, both in the (unscrambled) first 4 bytes of a
// packet and in the session ID field of IIKeying and RIKeying. Scrambling
// XORs bytewise, so XORing big-endian words gives the same bytes; a session
// ID learned from IIKeying/RIKeying and the one unscrambled from a later
// packet therefore compare equal as values. rtmfp-cpp stores the 4 bytes in
// host order in both places, which is equally consistent: only the bytes
// matter, and this package never reinterprets them.
type SessionID uint32

// StartupSessionID addresses the startup pseudo-session (handshake packets).
const StartupSessionID SessionID = 0

// SessionIDLength is the size of the scrambled session ID prefix.
const SessionIDLength = 4

// minEncryptedLength is the two 32-bit words the scramble needs.
const minEncryptedLength = 8

// A UDP payload (RFC 7016 §2.2.1):
//
//	+--------------------+-------------------------------------+
//	| scrambled SID (4)  | encrypted packet (>= 8 bytes)       |
//	+--------------------+-------------------------------------+
//	scrambled SID = SID XOR word0 XOR word1,
//	word0 and word1 the first two 32-bit words of the encrypted packet

// ScrambleSessionID returns sid scrambled with the first two 32-bit words of
// encrypted. The operation is its own inverse. encrypted must hold at least
// 8 bytes, else ErrTruncated.
func ScrambleSessionID(sid SessionID, encrypted []byte) (SessionID, error) {
	if len(encrypted) < minEncryptedLength {
		return 0, fmt.Errorf("encrypted packet for session ID scramble: %w", ErrTruncated)
	}
	return sid ^ SessionID(binary.BigEndian.Uint32(encrypted)) ^ SessionID(binary.BigEndian.Uint32(encrypted[4:])), nil
}

// PutScrambledSessionID writes sid, scrambled, into the first 4 bytes of a
// UDP payload whose encrypted packet already follows them.
func PutScrambledSessionID(payload []byte, sid SessionID) error {
	if len(payload) < SessionIDLength+minEncryptedLength {
		return fmt.Errorf("packet for session ID: %w", ErrTruncated)
	}
	s, _ := ScrambleSessionID(sid, payload[SessionIDLength:])
	binary.BigEndian.PutUint32(payload, uint32(s))
	return nil
}

// UnscrambleSessionID reads the session ID of a received UDP payload. The
// encrypted packet is payload[SessionIDLength:].
func UnscrambleSessionID(payload []byte) (SessionID, error) {
	if len(payload) < SessionIDLength+minEncryptedLength {
		return 0, fmt.Errorf("packet for session ID: %w", ErrTruncated)
	}
	return ScrambleSessionID(SessionID(binary.BigEndian.Uint32(payload)), payload[SessionIDLength:])
}

// appendSessionID appends the 4 wire bytes of sid (IIKeying, RIKeying).
func appendSessionID(b []byte, sid SessionID) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(sid))
}
