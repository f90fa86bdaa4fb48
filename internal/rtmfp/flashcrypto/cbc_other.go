//go:build !amd64

package flashcrypto

const haveDecrypt8 = false

func decrypt8(xk *byte, dst, src *byte) { panic("flashcrypto: no decrypt8") }

func encryptCBC(xk *byte, buf *byte, n int) { panic("flashcrypto: no encryptCBC") }

func expandKey128(key, ek, dk *byte) { panic("flashcrypto: no expandKey128") }
