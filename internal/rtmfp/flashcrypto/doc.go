// Package flashcrypto implements the Flash cryptography profile for RTMFP
// (RFC 7425 §4) as camchat uses it on top of RFC 7016.
//
// It covers, with the behaviour of the reference implementation
// (zenomt/rtmfp-cpp) wherever the RFC leaves room:
//
//   - packet protection (RFC 7425 §4.1, §4.6.4–§4.6.5): AES-128-CBC with a
//     zero IV per packet, 0xff padding, the 16-bit Internet checksum or a
//     truncated HMAC-SHA256 over the ciphertext, and session sequence
//     numbers with a replay window ([PacketCipher]);
//   - certificates and peer IDs (RFC 7425 §4.3): [Cert], [PeerID],
//     [BuildStaticCert], [BuildEphemeralCert];
//   - endpoint discriminators (RFC 7425 §4.4): [EPD];
//   - Diffie-Hellman over the MODP groups 2, 14 and 16 (RFC 7425 §4.2,
//     §4.6.2): [Group], [PrivateKey];
//   - keying components and their negotiation (RFC 7425 §4.6): [KeyingComponent],
//     [Policy], [Negotiated], and the handshake helpers [Initiator] and
//     [Respond];
//   - session key and nonce derivation (RFC 7425 §4.6.3):
//     [DeriveSessionKeys];
//   - stateless responder cookies (RFC 7016 §3.5.1.2): [CookieJar];
//   - a short authentication code for people to compare on a call:
//     [ShortAuthCode].
//
// Nothing here does I/O, reads a clock or uses global randomness: time is a
// parameter and randomness an io.Reader passed in, so handshakes are
// reproducible in tests.
//
// Goroutine model: the package has no goroutines. Immutable values
// ([Identity], [Cert], [EPD], [SessionKeys], the default [PacketCipher]) may
// be shared freely. A session [PacketCipher] keeps per-direction state: Seal
// may run concurrently with Open, but neither may run concurrently with
// itself; the session that owns the cipher serialises each direction.
package flashcrypto
