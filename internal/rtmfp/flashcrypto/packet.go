package flashcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash"
)

// Packet protection constants (RFC 7425 §4.1, §4.6.4).
const (
	// DefaultSessionKey protects startup packets (session ID 0, RIKeying,
	// RHello Cookie Change) before a session key exists (RFC 7425 §4.1).
	DefaultSessionKey = "Adobe Systems 02"

	// MinHMACLength, MaxHMACLength bound the truncated HMAC a sender may
	// announce; DefaultHMACLength is the reference's choice (RFC 2104 §5).
	MinHMACLength     = 4
	MaxHMACLength     = 32
	DefaultHMACLength = 16

	// MaxPacketLength is the largest encrypted packet accepted, excluding
	// the 4-byte scrambled session ID (rtmfp-cpp DECRYPT_BUF_LENGTH).
	MaxPacketLength = 8192

	blockSize = aes.BlockSize
)

// PacketCipher protects the encrypted part of RTMFP packets (everything
// after the scrambled session ID) with the Flash profile.
//
// Cleartext layout built by Seal and removed by Open (RFC 7425 §4.6.5):
//
//	+------------+--------------+---------------------------+-------------+
//	| SSEQ VLU   | checksum u16 | flags, timestamps, chunks | 0xff … 0xff |
//	| (if SSEQ)  | (if no HMAC) | (the plain packet)        | pad to 16n  |
//	+------------+--------------+---------------------------+-------------+
//	\<------------------ AES-128-CBC, IV = 0 per packet ------------------>/
//	followed on the wire by HMAC-SHA256(ciphertext)[:n] when HMAC is sent.
//
// The checksum covers everything after itself, padding included, and not
// the sequence number.
//
// Fields are split by direction: Seal touches only tx*, Open only rx*, so
// one goroutine may seal while another opens. All fields are set by the
// constructor; the tx/rx state below is owned by the respective direction.
type PacketCipher struct {
	// Constant after construction.
	enc, dec  cipher.BlockMode
	encIV     ivSetter
	decIV     ivSetter
	sendHMAC  int // truncated HMAC length appended; 0 = checksum instead
	recvHMAC  int // HMAC length expected on receive; 0 = checksum expected
	sendSSEQ  bool
	recvSSEQ  bool
	stateless bool // default-key cipher: no per-packet state at all

	// encBlock, decBlock serve the stateless cipher, which cannot share
	// the BlockModes (they hold the chaining value) between goroutines.
	encBlock, decBlock cipher.Block
	dec8               *cbcDec8 // eight blocks at a time, where the CPU can (cbc.go)
	encAsm             *cbcEnc  // one assembly loop, where the CPU can

	// Owned by Seal.
	txMAC hash.Hash
	txSeq uint64
	txSum [sha256.Size]byte

	// Owned by Open.
	rxMAC    hash.Hash
	rxWindow replayWindow
	rxSum    [sha256.Size]byte
}

type ivSetter interface{ SetIV([]byte) }

var zeroIV [blockSize]byte

// NewDefaultCipher returns the cipher for startup packets: the default
// session key, a checksum, no HMAC and no sequence numbers. It has no
// per-packet state, so one value may be shared by every goroutine.
func NewDefaultCipher() *PacketCipher {
	c, err := newCipher([]byte(DefaultSessionKey), []byte(DefaultSessionKey))
	if err != nil {
		panic(err) // a 16-byte key is always valid
	}
	c.stateless = true
	return c
}

// NewSessionCipher returns the cipher of an open session from its derived
// keys and the negotiated protections.
func NewSessionCipher(keys *SessionKeys, n Negotiated) (*PacketCipher, error) {
	c, err := newCipher(keys.EncryptKey[:16], keys.DecryptKey[:16])
	if err != nil {
		return nil, err
	}
	if n.HMACSend {
		if n.HMACSendLength < MinHMACLength || n.HMACSendLength > MaxHMACLength {
			return nil, fmt.Errorf("flashcrypto: send HMAC length %d: %w", n.HMACSendLength, ErrBadHMACLength)
		}
		c.sendHMAC = n.HMACSendLength
		c.txMAC = hmac.New(sha256.New, keys.SendHMACKey[:])
	}
	if n.HMACRecv {
		if n.HMACRecvLength < MinHMACLength || n.HMACRecvLength > MaxHMACLength {
			return nil, fmt.Errorf("flashcrypto: receive HMAC length %d: %w", n.HMACRecvLength, ErrBadHMACLength)
		}
		c.recvHMAC = n.HMACRecvLength
		c.rxMAC = hmac.New(sha256.New, keys.RecvHMACKey[:])
	}
	c.sendSSEQ = n.SSEQSend
	c.recvSSEQ = n.SSEQRecv
	return c, nil
}

func newCipher(encKey, decKey []byte) (*PacketCipher, error) {
	eb, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	db, err := aes.NewCipher(decKey)
	if err != nil {
		return nil, err
	}
	c := &PacketCipher{
		encBlock: eb,
		decBlock: db,
		enc:      cipher.NewCBCEncrypter(eb, zeroIV[:]),
		dec:      cipher.NewCBCDecrypter(db, zeroIV[:]),
	}
	// The standard library's CBC modes can be rewound to a new IV, which
	// lets every packet start from the zero IV without allocating.
	c.dec8 = newCBCDec8(decKey, db)
	c.encAsm = newCBCEnc(encKey)
	var ok1, ok2 bool
	c.encIV, ok1 = c.enc.(ivSetter)
	c.decIV, ok2 = c.dec.(ivSetter)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("flashcrypto: CBC mode cannot reset its IV")
	}
	return c, nil
}

// SealedLen returns the length Seal produces for a plain packet of n bytes
// with the next sequence number.
func (c *PacketCipher) SealedLen(n int) int {
	return clearLen(c.prefixLen()+n) + c.sendHMAC
}

// clearLen rounds up to whole AES blocks, at least one: a receiver rejects
// an empty ciphertext.
func clearLen(n int) int {
	if n == 0 {
		return blockSize
	}
	return (n + blockSize - 1) &^ (blockSize - 1)
}

func (c *PacketCipher) prefixLen() int {
	n := 0
	if c.sendSSEQ {
		n += vluLen(c.txSeq)
	}
	if c.sendHMAC == 0 {
		n += 2
	}
	return n
}

// Seal protects plain (flags, chunks) and appends the result to dst. The
// output may overlap plain exactly as plain[:0] does for in-place use; with
// enough capacity in dst it allocates nothing. It advances the session
// sequence number when sequence numbers are sent.
func (c *PacketCipher) Seal(dst, plain []byte) []byte {
	prefix := c.prefixLen()
	clearLen := clearLen(prefix + len(plain))
	total := clearLen + c.sendHMAC
	start := len(dst)
	out := grow(dst, total)
	body := out[start : start+clearLen]
	copy(body[prefix:], plain) // memmove: plain may sit where the prefix goes
	for i := prefix + len(plain); i < clearLen; i++ {
		body[i] = 0xff
	}
	p := 0
	if c.sendSSEQ {
		p = len(appendVLU(body[:0], c.txSeq))
		c.txSeq++
	}
	if c.sendHMAC == 0 {
		sum := internetChecksum(body[p+2:])
		body[p] = byte(sum >> 8)
		body[p+1] = byte(sum)
	}
	if c.encAsm != nil {
		c.encAsm.encrypt(body)
	} else if c.stateless {
		cbcEncrypt(c.encBlock, body)
	} else {
		c.encIV.SetIV(zeroIV[:])
		c.enc.CryptBlocks(body, body)
	}
	if c.sendHMAC > 0 {
		c.txMAC.Reset()
		c.txMAC.Write(body)
		sum := c.txMAC.Sum(c.txSum[:0])
		copy(out[start+clearLen:], sum[:c.sendHMAC])
	}
	return out
}

// Open checks and decrypts a protected packet and appends the whole
// cleartext to dst. It returns the part after the crypto prefix: the flags
// byte, chunks and padding. packet[:0] may be passed as dst to decrypt in
// place. The steps follow the reference's receive order: length, HMAC,
// decrypt, sequence number and replay check, checksum, then recording the
// sequence number, so a packet that fails any step leaves no trace.
func (c *PacketCipher) Open(dst, packet []byte) ([]byte, error) {
	clear, _, err := c.open(dst, packet)
	return clear, err
}

// open is Open that also reports the length of the crypto prefix.
func (c *PacketCipher) open(dst, packet []byte) ([]byte, int, error) {
	if len(packet) > MaxPacketLength {
		return nil, 0, ErrPacketTooLarge
	}
	if len(packet) < c.recvHMAC {
		return nil, 0, ErrPacketLength
	}
	ct := packet[:len(packet)-c.recvHMAC]
	if len(ct) == 0 || len(ct)%blockSize != 0 {
		return nil, 0, ErrPacketLength
	}
	if c.recvHMAC > 0 {
		c.rxMAC.Reset()
		c.rxMAC.Write(ct)
		sum := c.rxMAC.Sum(c.rxSum[:0])
		if subtle.ConstantTimeCompare(sum[:c.recvHMAC], packet[len(ct):]) != 1 {
			return nil, 0, ErrBadHMAC
		}
	}
	start := len(dst)
	out := grow(dst, len(ct))
	body := out[start : start+len(ct)]
	if c.dec8 != nil && !overlap(body, ct) {
		c.dec8.decrypt(body, ct)
	} else if c.stateless {
		cbcDecrypt(c.decBlock, body, ct)
	} else {
		c.decIV.SetIV(zeroIV[:])
		c.dec.CryptBlocks(body, ct)
	}

	p := 0
	var seq uint64
	if c.recvSSEQ {
		var n int
		seq, n = parseVLU(body)
		if n == 0 {
			return nil, 0, ErrBadSequence
		}
		if err := c.rxWindow.check(seq); err != nil {
			return nil, 0, err
		}
		p = n
	}
	if c.recvHMAC == 0 {
		if len(body)-p < 2 {
			return nil, 0, ErrShortCleartext
		}
		want := uint16(body[p])<<8 | uint16(body[p+1])
		p += 2
		if internetChecksum(body[p:]) != want {
			return nil, 0, ErrBadChecksum
		}
	}
	if c.recvSSEQ {
		c.rxWindow.record(seq)
	}
	return body[p:], p, nil
}

// grow extends b by n bytes, reallocating only when its capacity is short.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, 2*len(b)+n)
	copy(nb, b)
	return nb
}

// cbcEncrypt encrypts b in place with a zero IV, keeping the chaining value
// on the stack so that the shared default cipher needs no lock.
func cbcEncrypt(b cipher.Block, buf []byte) {
	var prev [blockSize]byte
	for i := 0; i < len(buf); i += blockSize {
		blk := buf[i : i+blockSize]
		subtle.XORBytes(blk, blk, prev[:])
		b.Encrypt(blk, blk)
		copy(prev[:], blk)
	}
}

// cbcDecrypt decrypts src into dst (which may be src) with a zero IV.
func cbcDecrypt(b cipher.Block, dst, src []byte) {
	var prev, cur [blockSize]byte
	for i := 0; i < len(src); i += blockSize {
		copy(cur[:], src[i:i+blockSize])
		blk := dst[i : i+blockSize]
		b.Decrypt(blk, cur[:])
		subtle.XORBytes(blk, blk, prev[:])
		prev = cur
	}
}
