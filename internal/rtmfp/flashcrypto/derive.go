package flashcrypto

import (
	"crypto/hmac"
	"crypto/sha256"
)

// SessionKeys are the symmetric keys of one end of a session (RFC 7425
// §4.6.3). EncryptKey and DecryptKey are full HMAC outputs; AES-128 uses
// their first 16 bytes, the HMAC keys are derived from all 32.
type SessionKeys struct {
	EncryptKey  [32]byte
	DecryptKey  [32]byte
	SendHMACKey [32]byte
	RecvHMACKey [32]byte
}

// Nonces are the session nonces Flash exposes as NetConnection.nearNonce and
// farNonce. A's Near equals B's Far when no one sits in the middle.
type Nonces struct {
	Near [32]byte
	Far  [32]byte
}

// DeriveSessionKeys computes one end's keys and nonces from the DH shared
// secret S (big-endian, no leading zeros), that end's own keying component
// (near: SKIC for the initiator, SKRC for the responder) and the other's
// (far), as rtmfp-cpp computeKeysAndNonces does:
//
//	nearNonce   = HMAC(S, near)
//	farNonce    = HMAC(S, far)
//	encryptKey  = HMAC(S, HMAC(far, near))
//	decryptKey  = HMAC(S, HMAC(near, far))
//	sendHMACKey = HMAC(S, encryptKey)
//	recvHMACKey = HMAC(S, decryptKey)
func DeriveSessionKeys(secret, near, far []byte) (*SessionKeys, Nonces) {
	return deriveSessionKeys(secret, near, far, nil)
}

// deriveSessionKeys is DeriveSessionKeys with a hook that sees every
// HMAC-SHA256 computed, in order, so tests can compare with the reference's
// transcript.
func deriveSessionKeys(secret, near, far []byte, trace func(key, msg, out []byte)) (*SessionKeys, Nonces) {
	mac := func(dst *[32]byte, key, msg []byte) {
		h := hmac.New(sha256.New, key)
		h.Write(msg)
		h.Sum(dst[:0])
		if trace != nil {
			trace(key, msg, dst[:])
		}
	}
	var k SessionKeys
	var n Nonces
	var md [32]byte
	mac(&n.Near, secret, near)
	mac(&n.Far, secret, far)
	mac(&md, far, near)
	mac(&k.EncryptKey, secret, md[:])
	mac(&md, near, far)
	mac(&k.DecryptKey, secret, md[:])
	mac(&k.SendHMACKey, secret, k.EncryptKey[:])
	mac(&k.RecvHMACKey, secret, k.DecryptKey[:])
	return &k, n
}
