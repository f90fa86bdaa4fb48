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
