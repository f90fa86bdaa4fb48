package flashcrypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"math/rand/v2"
	"testing"
)

// TestCBCDec8 checks the eight-block decrypter and the encrypter against
// crypto/cipher's CBC
// for random keys and every length up to 40 blocks.
func TestCBCDec8(t *testing.T) {
	if !haveDecrypt8 {
		t.Skip("no AES-NI")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		key := make([]byte, 16)
		for i := range key {
			key[i] = byte(r.Uint32())
		}
		blk, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		d := newCBCDec8(key, blk)
		for nb := 1; nb <= 40; nb++ {
			ct := make([]byte, nb*blockSize)
			for i := range ct {
				ct[i] = byte(r.Uint32())
			}
			want := make([]byte, len(ct))
			cipher.NewCBCDecrypter(blk, zeroIV[:]).CryptBlocks(want, ct)
			got := make([]byte, len(ct))
			d.decrypt(got, ct)
			if !bytes.Equal(got, want) {
				t.Fatalf("trial %d, %d blocks: decryption differs", trial, nb)
			}
			wantCT := make([]byte, len(ct))
			cipher.NewCBCEncrypter(blk, zeroIV[:]).CryptBlocks(wantCT, ct)
			gotCT := bytes.Clone(ct)
			newCBCEnc(key).encrypt(gotCT)
			if !bytes.Equal(gotCT, wantCT) {
				t.Fatalf("trial %d, %d blocks: encryption differs", trial, nb)
			}
		}
	}
}

// TestExpandKey128 checks the key schedule against FIPS 197 Appendix A.1.
func TestExpandKey128(t *testing.T) {
	if !haveDecrypt8 {
		t.Skip("no AES-NI")
	}
	key := []byte{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	var w, dk [176]byte
	expandKey128(&key[0], &w[0], &dk[0])
	round1 := []byte{0xa0, 0xfa, 0xfe, 0x17, 0x88, 0x54, 0x2c, 0xb1, 0x23, 0xa3, 0x39, 0x39, 0x2a, 0x6c, 0x76, 0x05}
	last := []byte{0xd0, 0x14, 0xf9, 0xa8, 0xc9, 0xee, 0x25, 0x89, 0xe1, 0x3f, 0x0c, 0xc8, 0xb6, 0x63, 0x0c, 0xa6}
	if !bytes.Equal(w[:16], key) || !bytes.Equal(w[16:32], round1) || !bytes.Equal(w[160:], last) {
		t.Fatalf("round keys 0, 1, 10: %x %x %x", w[:16], w[16:32], w[160:])
	}
	// The equivalent inverse cipher's first and last keys are the
	// encryption keys unchanged (its others are checked by decrypting).
	if !bytes.Equal(dk[:16], last) || !bytes.Equal(dk[160:], key) {
		t.Fatalf("decryption keys 0 and 10: %x %x", dk[:16], dk[160:])
	}
}

func BenchmarkCBCDecrypt(b *testing.B) {
	key := make([]byte, 16)
	blk, _ := aes.NewCipher(key)
	ct := make([]byte, 1200)
	out := make([]byte, len(ct))
	b.Run("crypto-cipher", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(ct)))
		m := cipher.NewCBCDecrypter(blk, zeroIV[:])
		for range b.N {
			m.(interface{ SetIV([]byte) }).SetIV(zeroIV[:])
			m.CryptBlocks(out, ct)
		}
	})
	if d := newCBCDec8(key, blk); d != nil {
		b.Run("decrypt8", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(ct)))
			for range b.N {
				d.decrypt(out, ct)
			}
		})
	}
}

func BenchmarkCBCEncrypt(b *testing.B) {
	key := make([]byte, 16)
	blk, _ := aes.NewCipher(key)
	buf := make([]byte, 1200)
	b.Run("crypto-cipher", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(buf)))
		m := cipher.NewCBCEncrypter(blk, zeroIV[:])
		for range b.N {
			m.(interface{ SetIV([]byte) }).SetIV(zeroIV[:])
			m.CryptBlocks(buf, buf)
		}
	})
	if c := newCBCEnc(key); c != nil {
		b.Run("asm", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			for range b.N {
				c.encrypt(buf)
			}
		})
	}
}

func BenchmarkCBCKeySetup(b *testing.B) {
	key := make([]byte, 16)
	blk, _ := aes.NewCipher(key)
	b.ReportAllocs()
	for range b.N {
		newCBCDec8(key, blk)
		newCBCEnc(key)
	}
}
