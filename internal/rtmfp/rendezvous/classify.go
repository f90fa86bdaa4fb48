package rendezvous

import (
	"errors"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/wire"
)

// Startup packets are sealed with the default key, which everyone knows
// (RFC 7425 §4.1), so the guard opens them before the transport does and
// admits each by what it asks for:
//
//   - An IIKeying whose cookie is ours and was issued to its source
//     address comes from an address that received our RHello: it is not
//     forged. It has its own per-source budget and is never refused for a
//     global one (a flood of forged IHellos must not delay the last step
//     of an honest handshake); the transport counts it against its session
//     caps and key agreement budgets (rtmfp.Config.Admission).
//   - An IHello (or an IIKeying with a cookie of another address, which
//     asks for a Cookie Change) may come from a forged address. If what it
//     asks for could not be sent within three times the bytes that address
//     sent us in the current window, it is dropped before any bucket is
//     charged or any table entry made: a flood of small forged IHellos
//     costs a decryption each and nothing else.
//   - An IHello naming neither us nor a peer by fingerprint, and anything
//     else (the server never initiates, so RHellos, Redirects and
//     RIKeyings are not for it, nor is garbage) is dropped and counted.

// startupKind is what a startup packet asks for.
type startupKind uint8

const (
	kindSession  startupKind = iota // not a startup packet (session ID not 0)
	kindIHello                      // an IHello, or an IIKeying asking for a Cookie Change
	kindKeying                      // an IIKeying with a valid cookie of its source
	kindNoTarget                    // an IHello for neither us nor anyone we could introduce
	kindBad                         // anything else: dropped
)

// classifier opens startup packets for the guard. It is used by one
// reader goroutine (it keeps scratch state) and reads the server's
// identity and cookie jar, which are safe to share.
type classifier struct {
	cipher  *flashcrypto.PacketCipher
	cert    *flashcrypto.Cert
	cookies *flashcrypto.CookieJar
	buf     []byte
}

func newClassifier(id *flashcrypto.Identity, cookies *flashcrypto.CookieJar) *classifier {
	return &classifier{cipher: flashcrypto.NewDefaultCipher(), cert: id.Cert(), cookies: cookies,
		buf: make([]byte, 0, flashcrypto.MaxPacketLength+64)}
}

// classify returns what the startup datagram b from from asks for, and the
// least the server would send in answer (the size of an RHello, a
// Redirect or a Cookie Change).
func (c *classifier) classify(now time.Time, from netip.AddrPort, b []byte) (startupKind, int) {
	plain, err := c.cipher.Open(c.buf[:0], b[wire.SessionIDLength:])
	if err != nil {
		return kindBad, 0
	}
	h, n, err := wire.ParsePacketHeader(plain)
	if err != nil || h.Mode != wire.ModeStartup {
		return kindBad, 0
	}
	// The transport takes the first IHello or IIKeying of a packet.
	r := wire.NewChunkReader(plain[n:])
	for t, p, ok := r.Next(); ok; t, p, ok = r.Next() {
		switch t {
		case wire.ChunkIHello:
			ih, err := wire.ParseIHello(p)
			if err != nil {
				return kindBad, 0
			}
			epd, err := flashcrypto.ParseEPD(ih.EPD)
			switch {
			case err != nil:
				return kindBad, 0
			case epd.Selects(c.cert):
				return kindIHello, rhelloSize(len(ih.Tag), len(c.cert.Raw))
			case epd.HasFingerprint:
				// An introduction: at least a Redirect with one address.
				return kindIHello, redirectSize(len(ih.Tag), 1)
			}
			return kindNoTarget, 0
		case wire.ChunkIIKeying:
			ik, err := wire.ParseIIKeying(p)
			if err != nil || ik.InitiatorSessionID == 0 {
				return kindBad, 0
			}
			switch err := c.cookies.Check(ik.Cookie, from, now); {
			case err == nil:
				return kindKeying, 0
			case errors.Is(err, flashcrypto.ErrCookieMismatch):
				return kindIHello, cookieChangeSize()
			}
			return kindBad, 0
		}
	}
	return kindBad, 0
}

// startupHeader is the cleartext header of the transport's startup
// packets: flags and a timestamp (rtmfp engine.sealStartup).
const startupHeader = 3

// sizing is a default-key cipher used only for SealedLen, which depends on
// no key state: safe to share.
var sizing = flashcrypto.NewDefaultCipher()

// sealedStartupSize is the datagram size of a startup packet whose chunks
// take chunks bytes.
func sealedStartupSize(chunks int) int {
	return wire.SessionIDLength + sizing.SealedLen(startupHeader+chunks)
}

// rhelloSize is the datagram size of an RHello for a tag of tagLen bytes
// and a certificate of certLen bytes (wire.RHello.Length, without
// building one: it runs for every IHello).
func rhelloSize(tagLen, certLen int) int {
	return sealedStartupSize(wire.ChunkHeaderLength + wire.FieldLen(tagLen) + wire.FieldLen(flashcrypto.CookieLen) + certLen)
}

// redirectSize is the datagram size of a Redirect with n IPv4 addresses
// (wire.Redirect.Length).
func redirectSize(tagLen, n int) int {
	return sealedStartupSize(wire.ChunkHeaderLength + wire.FieldLen(tagLen) + n*wire.Address{}.Length())
}

// cookieChangeSize is the datagram size of an RHello Cookie Change
// (wire.RHelloCookieChange.Length).
func cookieChangeSize() int {
	return sealedStartupSize(wire.ChunkHeaderLength + wire.FieldLen(flashcrypto.CookieLen) + flashcrypto.CookieLen)
}
