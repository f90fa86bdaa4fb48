package flashcrypto

import (
	"bytes"
	"fmt"
)

// Keying component option types (RFC 7425 §4.6).
const (
	keyOptEphemeralKey    = 0x0d
	keyOptExtraRandomness = 0x0e
	keyOptHMAC            = 0x1a
	keyOptGroupSelect     = 0x1d
	keyOptSSEQ            = 0x1e
)

// Negotiation is one negotiation option of a keying component.
type Negotiation struct {
	Present bool
	Flags   NegotiationFlags
	// Length (HMAC only) is the truncated HMAC length the sender of the
	// component will append; 0 when absent or malformed.
	Length int
}

// KeyingComponent is a parsed session keying component, SKIC (initiator)
// or SKRC (responder) (RFC 7425 §4.6). It is an option list:
//
//	0d  ephemeral DH public key: VLU group, key bytes
//	1d  DH group select: VLU group (the key is in the sender's certificate)
//	0e  extra randomness (64 bytes)
//	1a  HMAC negotiation: flags byte, VLU length the sender appends
//	1e  sequence number negotiation: flags byte
//
// Seen: SKIC 02 1d 10 | 41 0e <64> | 03 1a 07 10 | 02 1e 07, and
// SKRC 02 1e 07 | 03 1a 07 10 | 84 02 0d 10 <512-byte key>. Only options
// before the first marker count, like the reference's option search; the
// first option of each type wins.
//
// Key derivation hashes the component's bytes and Flash-era peers compare
// them, so the order of the options (Layout) is part of the wire form.
type KeyingComponent struct {
	// Raw is the component as encoded; key derivation uses these bytes.
	Raw []byte

	HasGroupSelect  bool
	GroupSelect     Group
	EphemeralKeys   []PublicKey
	ExtraRandomness []byte
	HMAC            Negotiation
	SSEQ            Negotiation

	// Layout records the order of the parsed options, and Append follows
	// it.
	Layout Layout
}

// Layout is the order of a keying component's options.
type Layout uint8

const (
	// LayoutInitiator: keys, randomness, HMAC, sequence numbers. The
	// reference's SKIC (FlashCryptoAdapter.cpp
	// generateInitiatorKeyingComponent) and Flash Player's, as librtmfp
	// sends it (FlowManager.cpp FlowManager::getNonce):
	// 02 1d 02 | 41 0e <64> | 03 1a 02 0a | 02 1e 02.
	LayoutInitiator Layout = iota
	// LayoutResponder: sequence numbers, HMAC, randomness, keys (the
	// reference's generateResponderKeyingComponent):
	// 02 1e 02 | 03 1a 02 10 | 41 0e <64>.
	LayoutResponder
	// LayoutFlash: HMAC, sequence numbers, randomness, keys. The SKRC of
	// Flash Player and of Flash-era servers, which offer neither
	// protection: 03 1a 00 00 | 02 1e 00 | 41 0e <64> from a peer (librtmfp
	// FlowManager::getNonce as responder; FlowManager::sendConnect refuses
	// any other first 7 bytes or a length other than 73), and
	// 03 1a 00 00 | 02 1e 00 | 81 02 0d 02 <128-byte key> from a server
	// (Cumulus Handshake.cpp, which writes it; librtmfp reads the key at
	// offset 11).
	LayoutFlash
)

// ParseKeyingComponent parses a keying component. Negotiation options are
// read leniently, as the reference does (missing flags read as 0, a
// missing length as 0); the option list and group VLUs must be well formed.
func ParseKeyingComponent(raw []byte) (*KeyingComponent, error) {
	k := &KeyingComponent{Raw: bytes.Clone(raw)}
	first := true
	for rest := k.Raw; len(rest) > 0; {
		o, n, err := parseOption(rest)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadKeyingComponent, err)
		}
		rest = rest[n:]
		if o.marker {
			break
		}
		if first {
			switch o.typ {
			case keyOptSSEQ:
				k.Layout = LayoutResponder
			case keyOptHMAC:
				k.Layout = LayoutFlash
			}
			first = false
		}
		switch o.typ {
		case keyOptGroupSelect:
			g, gn := parseVLU(o.value)
			if gn == 0 || g > 0x7fffffff {
				return nil, fmt.Errorf("%w: malformed group select", ErrBadKeyingComponent)
			}
			if !k.HasGroupSelect {
				k.HasGroupSelect, k.GroupSelect = true, Group(g)
			}
		case keyOptEphemeralKey:
			g, gn := parseVLU(o.value)
			if gn == 0 || g > 0x7fffffff {
				return nil, fmt.Errorf("%w: malformed public key option", ErrBadKeyingComponent)
			}
			k.EphemeralKeys = append(k.EphemeralKeys, PublicKey{Group: Group(g), Key: o.value[gn:]})
		case keyOptExtraRandomness:
			if k.ExtraRandomness == nil {
				k.ExtraRandomness = o.value
			}
		case keyOptHMAC:
			if !k.HMAC.Present {
				k.HMAC = parseNegotiation(o.value, true)
			}
		case keyOptSSEQ:
			if !k.SSEQ.Present {
				k.SSEQ = parseNegotiation(o.value, false)
			}
		}
	}
	return k, nil
}

func parseNegotiation(v []byte, withLength bool) Negotiation {
	n := Negotiation{Present: true}
	if len(v) == 0 {
		return n
	}
	n.Flags = NegotiationFlags(v[0])
	if withLength {
		if l, ln := parseVLU(v[1:]); ln != 0 && l <= MaxHMACLength {
			n.Length = int(l)
		}
	}
	return n
}

// EphemeralKey returns the first ephemeral public key of group g.
func (k *KeyingComponent) EphemeralKey(g Group) ([]byte, bool) {
	for _, e := range k.EphemeralKeys {
		if e.Group == g {
			return e.Key, true
		}
	}
	return nil, false
}

// Append encodes the component in its Layout and appends it to b (group
// select before ephemeral keys). Raw is ignored.
func (k *KeyingComponent) Append(b []byte) []byte {
	switch k.Layout {
	case LayoutResponder:
		b = k.appendHMAC(k.appendSSEQ(b))
		return k.appendKeys(k.appendRandomness(b))
	case LayoutFlash:
		b = k.appendSSEQ(k.appendHMAC(b))
		return k.appendKeys(k.appendRandomness(b))
	}
	b = k.appendRandomness(k.appendKeys(b))
	return k.appendSSEQ(k.appendHMAC(b))
}

func (k *KeyingComponent) appendKeys(b []byte) []byte {
	if k.HasGroupSelect {
		b = appendVLUOption(b, keyOptGroupSelect, uint64(k.GroupSelect))
	}
	for _, e := range k.EphemeralKeys {
		var g [maxVLULen]byte
		b = appendOption(b, keyOptEphemeralKey, appendVLU(g[:0], uint64(e.Group)), e.Key)
	}
	return b
}

func (k *KeyingComponent) appendRandomness(b []byte) []byte {
	if k.ExtraRandomness != nil {
		b = appendOption(b, keyOptExtraRandomness, k.ExtraRandomness)
	}
	return b
}

func (k *KeyingComponent) appendHMAC(b []byte) []byte {
	if !k.HMAC.Present {
		return b
	}
	var v [1 + maxVLULen]byte
	v[0] = byte(k.HMAC.Flags)
	return appendOption(b, keyOptHMAC, appendVLU(v[:1], uint64(k.HMAC.Length)))
}

func (k *KeyingComponent) appendSSEQ(b []byte) []byte {
	if !k.SSEQ.Present {
		return b
	}
	return appendOption(b, keyOptSSEQ, []byte{byte(k.SSEQ.Flags)})
}
