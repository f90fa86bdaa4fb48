package flashcrypto

import (
	"crypto/cipher"
	"crypto/subtle"
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
	c := new(cbcEnc)
	var dk [11 * blockSize]byte
	expandKey128(&key[0], &c.ek[0], &dk[0])
	return c
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
	var ek [11 * blockSize]byte
	expandKey128(&key[0], &ek[0], &d.dk[0])
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

// overlap reports whether a and b share memory.
func overlap(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b)) && pb < pa+uintptr(len(a))
}
