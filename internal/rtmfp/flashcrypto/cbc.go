package flashcrypto

import (
	"crypto/cipher"
	"crypto/subtle"
	"sync"
	"unsafe"
)

// CBC decryption eight blocks at a time, and encryption in one loop. Go's AES-CBC decrypter runs one
// block after the other, each waiting for the latency of ten AESDEC
// instructions, although CBC decryption of different blocks is
// independent (P_i = D(C_i) xor C_{i-1}); OpenSSL's aesni_cbc_decrypt,
// which the reference uses, interleaves eight. With AES-NI (amd64), the
// receive path decrypts with decrypt8 and xors the previous ciphertext
// blocks itself. Encryption is sequential by nature and stays with Go's.

// cbcDec8 holds the decryption round keys of an AES-128 key.
type cbcDec8 struct {
	block cipher.Block // for the blocks that do not fill a group of eight
	dk    [11 * blockSize]byte
}

// cbcEnc holds the encryption round keys of an AES-128 key. Encryption is
// sequential, but one assembly loop with the keys in registers spares
// the calls per block of Go's encrypter.
type cbcEnc struct {
	ek [11 * blockSize]byte
}

// newCBCEnc returns the encrypter of a 16-byte key, or nil when the CPU
// cannot run it.
func newCBCEnc(key []byte) *cbcEnc {
	if !haveDecrypt8 || len(key) != 16 {
		return nil
	}
	return &cbcEnc{ek: expandKey128(key)}
}

// encrypt encrypts buf (whole blocks) in place with a zero IV.
func (c *cbcEnc) encrypt(buf []byte) {
	if len(buf) > 0 {
		encryptCBC(&c.ek[0], &buf[0], len(buf)/blockSize)
	}
}

// newCBCDec8 returns the eight-block decrypter of a 16-byte key, or nil
// when the CPU cannot run it or the key is not AES-128.
func newCBCDec8(key []byte, block cipher.Block) *cbcDec8 {
	if !haveDecrypt8 || len(key) != 16 {
		return nil
	}
	d := &cbcDec8{block: block}
	ek := expandKey128(key)
	// The equivalent inverse cipher's keys (FIPS 197 §5.3.5): the
	// encryption keys in reverse order, InvMixColumns applied to all
	// but the first and last.
	copy(d.dk[0:16], ek[160:176])
	for r := 1; r < 10; r++ {
		k := ek[(10-r)*16 : (11-r)*16]
		for c := 0; c < 4; c++ {
			invMixColumn(d.dk[r*16+4*c:r*16+4*c+4], k[4*c:4*c+4])
		}
	}
	copy(d.dk[160:176], ek[0:16])
	return d
}

// decrypt decrypts src into dst with a zero IV (RFC 7016 §2.2, RFC 7425
// §4.2: every packet is encrypted with a zero IV). dst and src must not
// overlap; both are whole blocks.
func (d *cbcDec8) decrypt(dst, src []byte) {
	n := len(src)
	i := 0
	for ; i+8*blockSize <= n; i += 8 * blockSize {
		decrypt8(&d.dk[0], &dst[i], &src[i])
	}
	for ; i < n; i += blockSize {
		d.block.Decrypt(dst[i:i+blockSize], src[i:i+blockSize])
	}
	// P_i = D(C_i) xor C_{i-1}; the first block's IV is zero.
	if n > blockSize {
		subtle.XORBytes(dst[blockSize:n], dst[blockSize:n], src[:n-blockSize])
	}
}

// The S-box and the products of InvMixColumns, computed once: a key
// schedule costs a session's handshake well under a microsecond.
var (
	sboxOnce                  sync.Once
	sbox                      [256]byte
	mul9, mul11, mul13, mul14 [256]byte
)

// gmul multiplies in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2).
func gmul(a, b byte) byte {
	var p byte
	for b != 0 {
		if b&1 != 0 {
			p ^= a
		}
		hi := a & 0x80
		a <<= 1
		if hi != 0 {
			a ^= 0x1b
		}
		b >>= 1
	}
	return p
}

// initSbox computes the S-box (FIPS 197 §5.1.1): the multiplicative
// inverse followed by the affine transformation.
func initSbox() {
	for x := 0; x < 256; x++ {
		inv := byte(0)
		if x != 0 {
			// x^254 is the inverse in GF(2^8).
			inv = 1
			for range 254 {
				inv = gmul(inv, byte(x))
			}
		}
		s := inv
		for i := 1; i <= 4; i++ {
			s ^= inv<<i | inv>>(8-i)
		}
		sbox[x] = s ^ 0x63
		mul9[x], mul11[x] = gmul(byte(x), 9), gmul(byte(x), 11)
		mul13[x], mul14[x] = gmul(byte(x), 13), gmul(byte(x), 14)
	}
}

// expandKey128 returns the 11 round keys of an AES-128 key (FIPS 197
// §5.2), as bytes in the order of the state.
func expandKey128(key []byte) [176]byte {
	sboxOnce.Do(initSbox)
	var w [176]byte
	copy(w[:16], key)
	rcon := byte(1)
	for i := 16; i < 176; i += 4 {
		t := [4]byte{w[i-4], w[i-3], w[i-2], w[i-1]}
		if i%16 == 0 {
			t = [4]byte{sbox[t[1]] ^ rcon, sbox[t[2]], sbox[t[3]], sbox[t[0]]}
			rcon = gmul(rcon, 2)
		}
		for j := range 4 {
			w[i+j] = w[i-16+j] ^ t[j]
		}
	}
	return w
}

// invMixColumn applies InvMixColumns (FIPS 197 §5.3.3) to one column.
func invMixColumn(dst, c []byte) {
	a0, a1, a2, a3 := c[0], c[1], c[2], c[3]
	dst[0] = mul14[a0] ^ mul11[a1] ^ mul13[a2] ^ mul9[a3]
	dst[1] = mul9[a0] ^ mul14[a1] ^ mul11[a2] ^ mul13[a3]
	dst[2] = mul13[a0] ^ mul9[a1] ^ mul14[a2] ^ mul11[a3]
	dst[3] = mul11[a0] ^ mul13[a1] ^ mul9[a2] ^ mul14[a3]
}

// overlap reports whether a and b share memory.
func overlap(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b)) && pb < pa+uintptr(len(a))
}
