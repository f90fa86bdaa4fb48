package flashcrypto

import (
	"bytes"
	"fmt"
	"io"
)

// Certificate option types (RFC 7425 §4.3).
const (
	certOptHostname         = 0x00
	certOptAcceptsAncillary = 0x0a
	certOptExtraRandomness  = 0x0e
	certOptSupportedGroup   = 0x15
	certOptStaticKey        = 0x1d
)

// extraRandomnessLen is the size of the 0x0e randomness the reference puts in
// ephemeral certificates and static keying components (one SHA-256 block).
const extraRandomnessLen = 64

// PublicKey is a Diffie-Hellman public value with its group, as listed in a
// certificate (0x1d, static) or a keying component (0x0d, ephemeral).
type PublicKey struct {
	Group Group
	Key   []byte // big-endian as sent
}

// Cert is a parsed Flash certificate (RFC 7425 §4.3). It is an option list:
//
//	+----------------------------------+--------+---------------------------+
//	| canonical options …              | 00     | non-canonical options …   |
//	|                                  | marker | (optional)                |
//	+----------------------------------+--------+---------------------------+
//	\<-- hashed into the peer ID, marker included ->/
//
// Only the canonical part carries meaning; the non-canonical part must still
// be well formed. A Cert is immutable after ParseCert.
type Cert struct {
	// Raw is the certificate exactly as encoded. Keep and resend these
	// bytes; re-encoding could change the peer ID.
	Raw []byte
	// CanonicalLen is the length of the canonical part, including the
	// first marker when there is one.
	CanonicalLen int
	// PeerID is SHA-256 of Raw[:CanonicalLen].
	PeerID PeerID

	HasHostname      bool
	Hostname         []byte // first hostname option (0x00)
	AcceptsAncillary bool   // 0x0a: a server that accepts ancillary data

	// Exactly one of StaticKeys (0x1d) and Groups (0x15) is non-empty.
	StaticKeys []PublicKey
	Groups     []Group
}

// ParseCert parses an encoded certificate. It fails when the option list is
// malformed, when a group or key option is malformed, and when the
// certificate lists both or neither static keys and ephemeral groups
// (rtmfp-cpp FlashCryptoCert::init).
func ParseCert(raw []byte) (*Cert, error) {
	c := &Cert{Raw: bytes.Clone(raw)}
	markerFound := false
	for rest := c.Raw; len(rest) > 0; {
		o, n, err := parseOption(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadCert, err)
		}
		rest = rest[n:]
		if markerFound {
			continue
		}
		c.CanonicalLen += n
		if o.marker {
			markerFound = true
			continue
		}
		switch o.typ {
		case certOptHostname:
			if !c.HasHostname {
				c.HasHostname, c.Hostname = true, o.value
			}
		case certOptAcceptsAncillary:
			c.AcceptsAncillary = true
		case certOptSupportedGroup:
			g, gn := parseVLU(o.value)
			if gn == 0 || g > 0x7fffffff {
				return nil, fmt.Errorf("%w: malformed group option", ErrBadCert)
			}
			c.Groups = append(c.Groups, Group(g))
		case certOptStaticKey:
			g, gn := parseVLU(o.value)
			if gn == 0 || g > 0x7fffffff {
				return nil, fmt.Errorf("%w: malformed static key option", ErrBadCert)
			}
			c.StaticKeys = append(c.StaticKeys, PublicKey{Group: Group(g), Key: o.value[gn:]})
		}
	}
	if (len(c.StaticKeys) > 0) == (len(c.Groups) > 0) {
		return nil, fmt.Errorf("%w: needs static keys or ephemeral groups, not both or neither", ErrBadCert)
	}
	c.PeerID = PeerIDOf(c.Raw[:c.CanonicalLen])
	return c, nil
}

// IsStatic reports whether the certificate holds static DH keys (a client
// or peer) rather than listing ephemeral groups (a server).
func (c *Cert) IsStatic() bool { return len(c.StaticKeys) > 0 }

// SupportedGroups lists the certificate's groups in its own order.
func (c *Cert) SupportedGroups() []Group {
	if !c.IsStatic() {
		return c.Groups
	}
	gs := make([]Group, len(c.StaticKeys))
	for i, k := range c.StaticKeys {
		gs[i] = k.Group
	}
	return gs
}

// Supports reports whether the certificate lists group g.
func (c *Cert) Supports(g Group) bool {
	for _, x := range c.SupportedGroups() {
		if x == g {
			return true
		}
	}
	return false
}

// StaticKey returns the first static public key of group g.
func (c *Cert) StaticKey(g Group) ([]byte, bool) {
	for _, k := range c.StaticKeys {
		if k.Group == g {
			return k.Key, true
		}
	}
	return nil, false
}

// CanonicalEPD returns the EPD that names this certificate: 21 0f <peer ID>.
func (c *Cert) CanonicalEPD() []byte { return CanonicalEPD(c.PeerID) }

// Overrides reports whether c may replace an open session established with
// other: only the very same certificate bytes do (RFC 7425 §4.3.7).
func (c *Cert) Overrides(other *Cert) bool { return bytes.Equal(c.Raw, other.Raw) }

// NearWinsGlare reports whether the near end wins when both ends open a
// session to each other at once: the end whose encoded certificate is
// lexicographically smaller or equal wins (RFC 7425 §4.3.6; RFC 7016
// §3.5.1.3). The winner ignores the other end's IIKeying.
func NearWinsGlare(nearCert, farCert []byte) bool {
	return bytes.Compare(farCert, nearCert) >= 0
}

// CertOptions are the optional parts of a certificate we build.
type CertOptions struct {
	// Hostname, if non-empty, is listed (0x00) so that EPDs may require it.
	Hostname string
	// AcceptsAncillary marks a server that accepts ancillary data (0x0a).
	AcceptsAncillary bool
}

// BuildStaticCert encodes a certificate with one static key option per key,
// in the order given (RFC 7425 §4.3, clients and peers). Group-2 keys are
// padded to 128 bytes, so a group-2-only identity with no options yields
// exactly the form Flash-era peers accept:
//
//	81 02 | 1d | 02 | <128-byte public key>
//	len     type group
func BuildStaticCert(keys []*PrivateKey, opts CertOptions) []byte {
	b := appendCertHeader(nil, opts)
	for _, k := range keys {
		key := k.PublicKey()
		if k.Group() == Group2 {
			key = k.PaddedPublicKey()
		}
		var g [maxVLULen]byte
		b = appendOption(b, certOptStaticKey, appendVLU(g[:0], uint64(k.Group())), key)
	}
	return b
}

// BuildEphemeralCert encodes a server certificate (RFC 7425 §4.3, §7): the
// options of opts, one 0x15 option per group in preference order, and 64
// bytes of extra randomness from rand, in the reference's order:
//
//	[hostname 00] [01 0a] 02 15 10 | 02 15 0e | 02 15 02 | 41 0e <64 random>
func BuildEphemeralCert(groups []Group, opts CertOptions, rand io.Reader) ([]byte, error) {
	var rnd [extraRandomnessLen]byte
	if _, err := io.ReadFull(rand, rnd[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRandom, err)
	}
	b := appendCertHeader(nil, opts)
	for _, g := range groups {
		b = appendVLUOption(b, certOptSupportedGroup, uint64(g))
	}
	return appendOption(b, certOptExtraRandomness, rnd[:]), nil
}

func appendCertHeader(b []byte, opts CertOptions) []byte {
	if opts.Hostname != "" {
		b = appendOption(b, certOptHostname, []byte(opts.Hostname))
	}
	if opts.AcceptsAncillary {
		b = appendOption(b, certOptAcceptsAncillary)
	}
	return b
}
