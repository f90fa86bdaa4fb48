package flashcrypto

import "errors"

// Packet protection failures. Each is distinct so that a transport can count
// dropped packets by reason (RFC 7425 §4.6.4–§4.6.5 receive order).
var (
	// ErrPacketTooLarge: the datagram exceeds MaxPacketLength.
	ErrPacketTooLarge = errors.New("flashcrypto: packet too large")
	// ErrPacketLength: after removing the HMAC, the ciphertext is empty or
	// not a multiple of the AES block size.
	ErrPacketLength = errors.New("flashcrypto: ciphertext length not a positive multiple of 16")
	// ErrBadHMAC: the appended HMAC does not match the ciphertext.
	ErrBadHMAC = errors.New("flashcrypto: HMAC mismatch")
	// ErrBadSequence: the session sequence number VLU is malformed.
	ErrBadSequence = errors.New("flashcrypto: malformed session sequence number")
	// ErrReplayed: this session sequence number was already received.
	ErrReplayed = errors.New("flashcrypto: session sequence number replayed")
	// ErrSequenceTooOld: the session sequence number is below the replay window.
	ErrSequenceTooOld = errors.New("flashcrypto: session sequence number below replay window")
	// ErrShortCleartext: the cleartext is too short to hold the checksum.
	// Whole AES blocks and a VLU of at most 10 bytes make this impossible;
	// the check keeps the parser from ever reading out of bounds.
	ErrShortCleartext = errors.New("flashcrypto: cleartext too short for checksum")
	// ErrBadChecksum: the Internet checksum does not match.
	ErrBadChecksum = errors.New("flashcrypto: checksum mismatch")
)

// Handshake, certificate and encoding failures.
var (
	ErrTruncated          = errors.New("flashcrypto: truncated encoding")
	ErrBadOption          = errors.New("flashcrypto: malformed option")
	ErrBadCert            = errors.New("flashcrypto: invalid certificate")
	ErrBadEPD             = errors.New("flashcrypto: invalid endpoint discriminator")
	ErrBadKeyingComponent = errors.New("flashcrypto: invalid keying component")
	ErrBadPeerID          = errors.New("flashcrypto: invalid peer ID")
	ErrUnsupportedGroup   = errors.New("flashcrypto: unsupported Diffie-Hellman group")
	ErrNoCommonGroup      = errors.New("flashcrypto: no Diffie-Hellman group in common")
	ErrBadPublicKey       = errors.New("flashcrypto: invalid Diffie-Hellman public key")
	ErrMissingPublicKey   = errors.New("flashcrypto: Diffie-Hellman public key missing")
	ErrNegotiation        = errors.New("flashcrypto: peer cannot provide a required protection")
	ErrBadHMACLength      = errors.New("flashcrypto: HMAC length outside 4..32")
	ErrBadIdentity        = errors.New("flashcrypto: invalid identity encoding")
	ErrNotStatic          = errors.New("flashcrypto: identity has no static key")
	ErrRandom             = errors.New("flashcrypto: reading randomness failed")
)

// Cookie check outcomes (RFC 7016 §3.5.1.2). ErrCookieMismatch means the
// cookie is genuine and fresh but was issued to another address: the
// responder answers with RHello Cookie Change instead of dropping.
var (
	ErrCookieInvalid  = errors.New("flashcrypto: cookie invalid")
	ErrCookieExpired  = errors.New("flashcrypto: cookie expired")
	ErrCookieMismatch = errors.New("flashcrypto: cookie issued to another address")
)
