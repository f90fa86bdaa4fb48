package flashcrypto

import "golang.org/x/sys/cpu"

// decrypt8 decrypts eight AES-128 blocks (cbc_amd64.s).
//
//go:noescape
func decrypt8(xk *byte, dst, src *byte)

// haveDecrypt8 says the CPU has AES-NI.
var haveDecrypt8 = cpu.X86.HasAES && cpu.X86.HasSSE41

// encryptCBC encrypts n AES-128 blocks in place in CBC mode with a zero IV
// (cbc_amd64.s).
//
//go:noescape
func encryptCBC(xk *byte, buf *byte, n int)

// expandKey128 writes the 11 encryption round keys of an AES-128 key to ek
// and the equivalent inverse cipher's decryption keys to dk, 176 bytes
// each, with AESKEYGENASSIST and AESIMC (cbc_amd64.s).
//
//go:noescape
func expandKey128(key, ek, dk *byte)
