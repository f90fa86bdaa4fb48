package flashcrypto

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"sync/atomic"
	"time"
)

// Cookie parameters (RFC 7016 §3.5.1.2; rtmfp-cpp MAX_COOKIE_LIFETIME).
const (
	CookieLifetime = 95 * time.Second
	// CookieLen is 64 bytes, the length Flash and Cumulus use (some
	// Flash-era initiators are said to accept no other); cookies are
	// opaque to initiators, so the layout is ours.
	CookieLen = 64
)

// CookieJar makes and checks the responder's stateless RHello cookies:
//
//	+-------------+-------------+--------------------+----------------------+
//	| seconds u32 | serial u32  | tag1 (24 bytes)    | tag2 (32 bytes)      |
//	+-------------+-------------+--------------------+----------------------+
//	tag1 = HMAC-SHA256(secret, "rhello-cookie-1" | seconds | serial)[:24]
//	tag2 = HMAC-SHA256(secret, "rhello-cookie-2" | seconds | serial | address)
//
// seconds counts from the jar's creation; serial counts the cookies made,
// so that no two are alike and a responder can allow one key agreement
// per cookie (ID). tag1 proves we issued the cookie (a failure means
// drop); tag2 binds it to the initiator's address, so a good cookie from a
// new address (NAT rebinding) is answered with RHello Cookie Change
// (rtmfp-cpp makeCookie/checkCookie, with HMAC in place of plain SHA-256
// over secret‖data). A CookieJar is safe for concurrent use.
type CookieJar struct {
	secret [32]byte
	epoch  time.Time
	serial atomic.Uint32
}

// NewCookieJar draws a secret from rand; now is the epoch of its clock.
func NewCookieJar(rand io.Reader, now time.Time) (*CookieJar, error) {
	j := &CookieJar{epoch: now}
	if _, err := io.ReadFull(rand, j.secret[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRandom, err)
	}
	return j, nil
}

func (j *CookieJar) seconds(now time.Time) uint32 {
	d := now.Sub(j.epoch)
	if d < 0 {
		return 0
	}
	return uint32(d / time.Second)
}

// Make returns a cookie for an initiator at addr.
func (j *CookieJar) Make(addr netip.AddrPort, now time.Time) []byte {
	c := make([]byte, CookieLen)
	binary.BigEndian.PutUint32(c, j.seconds(now))
	binary.BigEndian.PutUint32(c[4:], j.serial.Add(1))
	j.tags(c[:8], addr, c[8:32], c[32:])
	return c
}

// ID identifies a cookie that Check accepted: no other cookie of the jar
// has the same ID (until 2^32 cookies were made within one second).
func (j *CookieJar) ID(cookie []byte) uint64 {
	if len(cookie) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(cookie)
}

func (j *CookieJar) tags(head []byte, addr netip.AddrPort, tag1, tag2 []byte) {
	h := hmac.New(sha256.New, j.secret[:])
	var sum [sha256.Size]byte
	h.Write([]byte("rhello-cookie-1"))
	h.Write(head)
	copy(tag1, h.Sum(sum[:0]))
	h.Reset()
	h.Write([]byte("rhello-cookie-2"))
	h.Write(head)
	h.Write(encodeAddr(addr))
	copy(tag2, h.Sum(sum[:0]))
}

// encodeAddr encodes an address as RFC 7016 §2.1.5 does (flags, IP, port),
// with IPv4-mapped IPv6 addresses unmapped so both forms match.
func encodeAddr(a netip.AddrPort) []byte {
	ip := a.Addr().Unmap()
	b := make([]byte, 0, 19)
	if ip.Is6() {
		b = append(b, 0x80)
	} else {
		b = append(b, 0x00)
	}
	b = append(b, ip.AsSlice()...)
	return binary.BigEndian.AppendUint16(b, a.Port())
}

// Check verifies a cookie echoed in IIKeying from addr. It returns nil,
// ErrCookieInvalid (not ours, or from a clock ahead of now),
// ErrCookieExpired (older than CookieLifetime) or ErrCookieMismatch (ours
// and fresh, but issued to another address: send Cookie Change).
func (j *CookieJar) Check(cookie []byte, addr netip.AddrPort, now time.Time) error {
	if len(cookie) != CookieLen {
		return ErrCookieInvalid
	}
	var tag1 [24]byte
	var tag2 [32]byte
	j.tags(cookie[:8], addr, tag1[:], tag2[:])
	if !hmac.Equal(tag1[:], cookie[8:32]) {
		return ErrCookieInvalid
	}
	issued := binary.BigEndian.Uint32(cookie)
	nowSecs := j.seconds(now)
	if issued > nowSecs {
		return ErrCookieInvalid
	}
	if time.Duration(nowSecs-issued)*time.Second > CookieLifetime {
		return ErrCookieExpired
	}
	if !hmac.Equal(tag2[:], cookie[32:]) {
		return ErrCookieMismatch
	}
	return nil
}
