package flashcrypto

// NegotiationFlags are the flags of the HMAC (0x1a) and session sequence
// number (0x1e) keying options (RFC 7425 §4.6.4).
type NegotiationFlags uint8

const (
	// FlagREQ: "I want you to send". rtmfp-cpp treats it as a requirement.
	FlagREQ NegotiationFlags = 0x01
	// FlagSOR: "I will send if you ask".
	FlagSOR NegotiationFlags = 0x02
	// FlagSND: "I will always send".
	FlagSND NegotiationFlags = 0x04
)

// Mode says how much one protection (HMAC or sequence numbers) is wanted.
type Mode uint8

const (
	// ModePrefer: camchat's default. An initiator behaves as ModeRequire.
	// A responder behaves as ModeRequire when the initiator shows it
	// implements the protection (it offers SND or asks with REQ), and as
	// ModeOffer otherwise, so Flash-era initiators (SOR only, or nothing)
	// are still served.
	ModePrefer Mode = iota
	// ModeRequire: always send (SND|SOR) and require the peer to send
	// (REQ). Fails against a peer that offers neither SND nor SOR.
	ModeRequire
	// ModeOffer: send if asked (SOR), verify if the peer always sends,
	// never require. Interoperates with Flash-era peers.
	ModeOffer
)

// Policy chooses the protections a session asks for and accepts.
// The zero value is DefaultPolicy with the default HMAC length.
type Policy struct {
	HMAC Mode
	SSEQ Mode
	// HMACLength is the truncated HMAC length we append (4..32); 0 means
	// DefaultHMACLength.
	HMACLength int
}

// DefaultPolicy: HMAC and sequence numbers on between camchat peers, and
// wherever the peer can do them; Flash-era initiators still served.
func DefaultPolicy() Policy {
	return Policy{HMAC: ModePrefer, SSEQ: ModePrefer, HMACLength: DefaultHMACLength}
}

// StrictPolicy requires HMAC and sequence numbers in both directions.
func StrictPolicy() Policy {
	return Policy{HMAC: ModeRequire, SSEQ: ModeRequire, HMACLength: DefaultHMACLength}
}

// FlashCompatiblePolicy offers both protections but requires neither, for
// initiating to peers that cannot do them (Flash Player, librtmfp).
func FlashCompatiblePolicy() Policy {
	return Policy{HMAC: ModeOffer, SSEQ: ModeOffer, HMACLength: DefaultHMACLength}
}

func (p Policy) hmacLength() (int, error) {
	switch {
	case p.HMACLength == 0:
		return DefaultHMACLength, nil
	case p.HMACLength < MinHMACLength || p.HMACLength > MaxHMACLength:
		return 0, ErrBadHMACLength
	}
	return p.HMACLength, nil
}

// Negotiated is the outcome of negotiation for one session, per direction.
type Negotiated struct {
	HMACSend       bool // we append an HMAC (and send no checksum)
	HMACSendLength int  // its length, as we announced
	HMACRecv       bool // we expect and verify an HMAC (and no checksum)
	HMACRecvLength int  // its length, as the peer announced
	SSEQSend       bool // we put a session sequence number first
	SSEQRecv       bool // we expect one and apply the replay window
}

// feature is the negotiation state of one protection at one end.
type feature struct {
	sendAlways   bool
	recvRequired bool
}

// start returns the state before seeing the peer's flags. peerFlags and
// peerKnown matter only to a responder in ModePrefer.
func (m Mode) start(responder bool, peerFlags NegotiationFlags) feature {
	switch m {
	case ModeRequire:
		return feature{true, true}
	case ModeOffer:
		return feature{}
	}
	if !responder || peerFlags&(FlagSND|FlagREQ) != 0 {
		return feature{true, true}
	}
	return feature{}
}

// flags returns what this end announces: always SOR, as the reference does.
func (f feature) flags() NegotiationFlags {
	fl := FlagSOR
	if f.sendAlways {
		fl |= FlagSND
	}
	if f.recvRequired {
		fl |= FlagREQ
	}
	return fl
}

// negotiate applies the peer's flags (rtmfp-cpp negotiateFlags): fail if we
// require and the peer offers neither SND nor SOR; a peer that always sends
// is verified; a peer that asks is always sent to.
func (f *feature) negotiate(peer NegotiationFlags) error {
	if f.recvRequired && peer&(FlagSND|FlagSOR) == 0 {
		return ErrNegotiation
	}
	if peer&FlagSND != 0 {
		f.recvRequired = true
	}
	if peer&FlagREQ != 0 {
		f.sendAlways = true
	}
	return nil
}
