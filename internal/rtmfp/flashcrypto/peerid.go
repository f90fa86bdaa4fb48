package flashcrypto

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// PeerIDLen is the size of a peer ID (a SHA-256 digest).
const PeerIDLen = sha256.Size

// PeerID is the Flash peer ID of an endpoint: SHA-256 of the canonical part
// of its certificate (RFC 7425 §4.3.2, "fingerprint").
type PeerID [PeerIDLen]byte

// PeerIDOf hashes the canonical part of an encoded certificate.
func PeerIDOf(canonical []byte) PeerID { return sha256.Sum256(canonical) }

// String returns the 64 lowercase hex digits users copy and paste.
func (p PeerID) String() string { return hex.EncodeToString(p[:]) }

// IsZero reports whether p is the zero value (no peer ID).
func (p PeerID) IsZero() bool { return p == PeerID{} }

// ParsePeerID parses a peer ID typed or pasted by a user: exactly 64 hex
// digits (either case), surrounding whitespace ignored.
func ParsePeerID(s string) (PeerID, error) {
	var id PeerID
	t := strings.TrimSpace(s)
	if len(t) != 2*PeerIDLen {
		return id, fmt.Errorf("%w: a peer ID is 64 hex digits, got %d characters", ErrBadPeerID, len(t))
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return id, fmt.Errorf("%w: character %d (%q) is not a hex digit", ErrBadPeerID, i+1, c)
		}
	}
	if _, err := hex.Decode(id[:], []byte(t)); err != nil {
		return PeerID{}, fmt.Errorf("%w: %v", ErrBadPeerID, err)
	}
	return id, nil
}

// MarshalText implements encoding.TextMarshaler (lowercase hex).
func (p PeerID) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler via ParsePeerID.
func (p *PeerID) UnmarshalText(b []byte) error {
	id, err := ParsePeerID(string(b))
	if err != nil {
		return err
	}
	*p = id
	return nil
}
