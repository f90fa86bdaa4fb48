package flashcrypto

import (
	"bytes"
	"fmt"
)

// EPD option types (RFC 7425 §4.4).
const (
	epdOptHostname    = 0x00
	epdOptAncillary   = 0x0a
	epdOptFingerprint = 0x0f
)

// EPD is a parsed endpoint discriminator (RFC 7425 §4.4): the option list an
// initiator sends in IHello to say whom it wants to reach.
//
//	21 0f <32-byte peer ID>               by peer ID (the canonical EPD)
//	1d 0a "rtmfp://host:port/app"         a server, by URI (ancillary data)
//	<len> 00 "hostname"                   a certificate naming that host
//
// At least one of the three must be present. Markers are skipped, later
// options of a type override earlier ones (rtmfp-cpp EPDParseState).
type EPD struct {
	HasFingerprint bool
	Fingerprint    PeerID
	HasHostname    bool
	Hostname       []byte
	HasAncillary   bool
	Ancillary      []byte
}

// ParseEPD parses an endpoint discriminator. A fingerprint option whose
// value is not 32 bytes could never select anything and is rejected.
func ParseEPD(b []byte) (EPD, error) {
	var e EPD
	for rest := b; len(rest) > 0; {
		o, n, err := parseOption(rest)
		if err != nil {
			return EPD{}, fmt.Errorf("%w: %w", ErrBadEPD, err)
		}
		rest = rest[n:]
		if o.marker {
			continue
		}
		switch o.typ {
		case epdOptHostname:
			e.HasHostname, e.Hostname = true, bytes.Clone(o.value)
		case epdOptAncillary:
			e.HasAncillary, e.Ancillary = true, bytes.Clone(o.value)
		case epdOptFingerprint:
			if len(o.value) != PeerIDLen {
				return EPD{}, fmt.Errorf("%w: fingerprint of %d bytes", ErrBadEPD, len(o.value))
			}
			e.HasFingerprint = true
			copy(e.Fingerprint[:], o.value)
		}
	}
	if !e.HasFingerprint && !e.HasHostname && !e.HasAncillary {
		return EPD{}, fmt.Errorf("%w: no fingerprint, hostname or ancillary data", ErrBadEPD)
	}
	return e, nil
}

// Append encodes the EPD in the reference's order (fingerprint, ancillary
// data, hostname) and appends it to b.
func (e EPD) Append(b []byte) []byte {
	if e.HasFingerprint {
		b = appendOption(b, epdOptFingerprint, e.Fingerprint[:])
	}
	if e.HasAncillary {
		b = appendOption(b, epdOptAncillary, e.Ancillary)
	}
	if e.HasHostname {
		b = appendOption(b, epdOptHostname, e.Hostname)
	}
	return b
}

// CanonicalEPD returns the EPD naming a peer ID: 21 0f <32 bytes>. It is
// also the canonical EPD of a session with that peer.
func CanonicalEPD(id PeerID) []byte {
	return EPD{HasFingerprint: true, Fingerprint: id}.Append(make([]byte, 0, 2+PeerIDLen))
}

// Selects reports whether the EPD selects the certificate (rtmfp-cpp
// isSelectedByEPD): a fingerprint alone decides; otherwise a hostname must
// equal the certificate's hostname, and ancillary data selects only a
// certificate that accepts it (a server). A server may filter further on
// the ancillary data itself.
func (e EPD) Selects(c *Cert) bool {
	if e.HasFingerprint {
		return e.Fingerprint == c.PeerID
	}
	if e.HasHostname && (!c.HasHostname || !bytes.Equal(e.Hostname, c.Hostname)) {
		return false
	}
	if e.HasAncillary && !c.AcceptsAncillary {
		return false
	}
	return e.HasHostname || e.HasAncillary
}
