package flashcrypto

import (
	"fmt"
	"io"
)

// Signature is the Flash profile's IIKeying/RIKeying signature: the single
// byte 'X'. Receivers accept any signature without checking it, as the
// reference does (RFC 7425 §4.3.5; the "simple password" scheme is not
// implemented).
const Signature = 0x58

// Established is the outcome of a completed key agreement at one end.
type Established struct {
	Keys       *SessionKeys
	Nonces     Nonces
	Negotiated Negotiated
	Group      Group
}

// Cipher returns the session's packet cipher.
func (e *Established) Cipher() (*PacketCipher, error) {
	return NewSessionCipher(e.Keys, e.Negotiated)
}

// Initiator is the initiator's half-finished key agreement, kept between
// sending IIKeying and receiving RIKeying. It is owned by one session.
type Initiator struct {
	group  Group
	skic   []byte
	hmac   feature
	sseq   feature
	txHMAC int
	// secret is known at once when the responder's certificate has a
	// static key; otherwise it needs the SKRC's ephemeral key.
	secret []byte
	key    *PrivateKey // the key that meets the responder's public value
}

// NewInitiator starts key agreement with the responder whose certificate
// arrived in RHello: it picks the group, computes the DH secret when the
// responder's key is static, and builds the SKIC (rtmfp-cpp
// generateInitiatorKeyingComponent).
func NewInitiator(id *Identity, responder *Cert, policy Policy, rand io.Reader) (*Initiator, error) {
	txHMAC, err := policy.hmacLength()
	if err != nil {
		return nil, err
	}
	group, err := ChooseGroup(id.Groups(), responder.SupportedGroups())
	if err != nil {
		return nil, err
	}
	in := &Initiator{
		group:  group,
		hmac:   policy.HMAC.start(false, 0),
		sseq:   policy.SSEQ.start(false, 0),
		txHMAC: txHMAC,
	}
	kc := KeyingComponent{}
	if id.IsStatic() {
		in.key = id.staticKey(group)
		kc.HasGroupSelect, kc.GroupSelect = true, group
		kc.ExtraRandomness = make([]byte, extraRandomnessLen)
		if _, err := io.ReadFull(rand, kc.ExtraRandomness); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRandom, err)
		}
	} else {
		if in.key, err = GenerateKey(group, rand); err != nil {
			return nil, err
		}
		kc.EphemeralKeys = []PublicKey{{Group: group, Key: wireKey(in.key)}}
	}
	if responder.IsStatic() {
		pub, _ := responder.StaticKey(group)
		if in.secret, err = in.key.SharedSecret(pub); err != nil {
			return nil, err
		}
	}
	kc.HMAC = Negotiation{Present: true, Flags: in.hmac.flags(), Length: txHMAC}
	kc.SSEQ = Negotiation{Present: true, Flags: in.sseq.flags()}
	in.skic = kc.Append(nil)
	return in, nil
}

// wireKey is how we send a public key: group 2 padded to 128 bytes like
// Flash, other groups without leading zeros like the reference.
func wireKey(k *PrivateKey) []byte {
	if k.Group() == Group2 {
		return k.PaddedPublicKey()
	}
	return k.PublicKey()
}

// SKIC returns the initiator keying component to send in IIKeying. The
// caller must not modify it.
func (in *Initiator) SKIC() []byte { return in.skic }

// Group returns the chosen DH group.
func (in *Initiator) Group() Group { return in.group }

// Complete combines the responder's keying component from RIKeying and
// returns the session keys (rtmfp-cpp
// initiatorCombineResponderKeyingComponent). Cheap negotiation checks come
// before any DH work.
func (in *Initiator) Complete(skrc []byte) (*Established, error) {
	kc, err := ParseKeyingComponent(skrc)
	if err != nil {
		return nil, err
	}
	hmacF, sseqF := in.hmac, in.sseq
	if err := sseqF.negotiate(kc.SSEQ.Flags); err != nil {
		return nil, fmt.Errorf("flashcrypto: sequence numbers: %w", err)
	}
	if err := hmacF.negotiate(kc.HMAC.Flags); err != nil {
		return nil, fmt.Errorf("flashcrypto: HMAC: %w", err)
	}
	if hmacF.recvRequired && (kc.HMAC.Length < MinHMACLength || kc.HMAC.Length > MaxHMACLength) {
		return nil, ErrBadHMACLength
	}
	secret := in.secret
	if secret == nil {
		pub, ok := kc.EphemeralKey(in.group)
		if !ok {
			return nil, ErrMissingPublicKey
		}
		if secret, err = in.key.SharedSecret(pub); err != nil {
			return nil, err
		}
	}
	keys, nonces := DeriveSessionKeys(secret, in.skic, kc.Raw)
	return &Established{
		Keys:       keys,
		Nonces:     nonces,
		Negotiated: negotiated(hmacF, sseqF, in.txHMAC, kc.HMAC.Length),
		Group:      in.group,
	}, nil
}

func negotiated(hmacF, sseqF feature, txLen, rxLen int) Negotiated {
	n := Negotiated{
		HMACSend: hmacF.sendAlways,
		HMACRecv: hmacF.recvRequired,
		SSEQSend: sseqF.sendAlways,
		SSEQRecv: sseqF.recvRequired,
	}
	if n.HMACSend {
		n.HMACSendLength = txLen
	}
	if n.HMACRecv {
		n.HMACRecvLength = rxLen
	}
	return n
}

// KeyingGroup returns the Diffie-Hellman group that Respond would compute
// in for an initiator's certificate and SKIC, as cheaply as parsing them:
// the group select of a static initiator, or the group of the first
// ephemeral key (RFC 7425 §4.6). A responder uses it to charge the
// agreement's cost before paying it.
func KeyingGroup(initiator *Cert, skic []byte) (Group, error) {
	kc, err := ParseKeyingComponent(skic)
	if err != nil {
		return 0, err
	}
	if initiator.IsStatic() {
		if !kc.HasGroupSelect {
			return 0, fmt.Errorf("%w: no group select", ErrBadKeyingComponent)
		}
		return kc.GroupSelect, nil
	}
	if len(kc.EphemeralKeys) == 0 {
		return 0, ErrMissingPublicKey
	}
	return kc.EphemeralKeys[0].Group, nil
}

// Respond performs the responder's key agreement for an IIKeying: it
// negotiates, finds the initiator's public value (in its certificate, or in
// the SKIC when ephemeral), computes the DH secret (with a fresh key when
// our identity is ephemeral) and returns the SKRC for RIKeying with the
// session keys (rtmfp-cpp generateResponderKeyingComponent).
//
// When the session ends up with neither HMAC nor sequence numbers in
// either direction (the initiator neither asks for them nor always sends
// them, and our policy does not require them: a Flash-era initiator), the
// SKRC takes Flash Player's form, byte for byte (LayoutFlash):
//
//	03 1a 00 00 | 02 1e 00 | 41 0e <64 random>       static identity
//	03 1a 00 00 | 02 1e 00 | 81 02 0d 02 <128-byte key> ephemeral, group 2
//
// Both are valid RFC 7425 §4.6 option lists, but Flash-era initiators
// compare these bytes instead of parsing them (librtmfp FlowManager.cpp
// FlowManager::sendConnect). Otherwise the SKRC has the reference's layout
// and flags (LayoutResponder), so camchat peers keep both protections. The
// keys are derived from exactly the bytes returned.
func Respond(id *Identity, initiator *Cert, skic []byte, policy Policy, rand io.Reader) ([]byte, *Established, error) {
	txHMAC, err := policy.hmacLength()
	if err != nil {
		return nil, nil, err
	}
	kc, err := ParseKeyingComponent(skic)
	if err != nil {
		return nil, nil, err
	}
	sseqF := policy.SSEQ.start(true, kc.SSEQ.Flags)
	if err := sseqF.negotiate(kc.SSEQ.Flags); err != nil {
		return nil, nil, fmt.Errorf("flashcrypto: sequence numbers: %w", err)
	}
	hmacF := policy.HMAC.start(true, kc.HMAC.Flags)
	if err := hmacF.negotiate(kc.HMAC.Flags); err != nil {
		return nil, nil, fmt.Errorf("flashcrypto: HMAC: %w", err)
	}
	if hmacF.recvRequired && (kc.HMAC.Length < MinHMACLength || kc.HMAC.Length > MaxHMACLength) {
		return nil, nil, ErrBadHMACLength
	}

	var group Group
	var pub []byte
	if initiator.IsStatic() {
		if !kc.HasGroupSelect {
			return nil, nil, fmt.Errorf("%w: no group select", ErrBadKeyingComponent)
		}
		group = kc.GroupSelect
		var ok bool
		if pub, ok = initiator.StaticKey(group); !ok {
			return nil, nil, ErrMissingPublicKey
		}
	} else {
		if len(kc.EphemeralKeys) == 0 {
			return nil, nil, ErrMissingPublicKey
		}
		group, pub = kc.EphemeralKeys[0].Group, kc.EphemeralKeys[0].Key
	}
	if !id.supports(group) {
		return nil, nil, fmt.Errorf("flashcrypto: initiator chose %v: %w", group, ErrUnsupportedGroup)
	}

	out := KeyingComponent{
		Layout: LayoutResponder,
		SSEQ:   Negotiation{Present: true, Flags: sseqF.flags()},
		HMAC:   Negotiation{Present: true, Flags: hmacF.flags(), Length: txHMAC},
	}
	if hmacF == (feature{}) && sseqF == (feature{}) {
		// Nothing to offer that the initiator would take: Flash's form,
		// which offers nothing (flags 0, HMAC length 0).
		out = KeyingComponent{
			Layout: LayoutFlash,
			HMAC:   Negotiation{Present: true},
			SSEQ:   Negotiation{Present: true},
		}
	}
	var secret []byte
	if id.IsStatic() {
		if secret, err = id.staticKey(group).SharedSecret(pub); err != nil {
			return nil, nil, err
		}
		out.ExtraRandomness = make([]byte, extraRandomnessLen)
		if _, err := io.ReadFull(rand, out.ExtraRandomness); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrRandom, err)
		}
	} else {
		if err := ValidatePublicKey(group, pub); err != nil {
			return nil, nil, err // before spending a key generation on it
		}
		eph, err := GenerateKey(group, rand)
		if err != nil {
			return nil, nil, err
		}
		if secret, err = eph.SharedSecret(pub); err != nil {
			return nil, nil, err
		}
		out.EphemeralKeys = []PublicKey{{Group: group, Key: wireKey(eph)}}
	}
	skrc := out.Append(nil)
	keys, nonces := DeriveSessionKeys(secret, skrc, kc.Raw)
	return skrc, &Established{
		Keys:       keys,
		Nonces:     nonces,
		Negotiated: negotiated(hmacF, sseqF, txHMAC, kc.HMAC.Length),
		Group:      group,
	}, nil
}
