#include "textflag.h"

// func decrypt8(xk *byte, dst, src *byte)
// AES-128 decryption (AES-NI, FIPS 197 §5.3.5 equivalent inverse cipher)
// of the eight blocks at src into dst, interleaved so that the rounds of
// different blocks overlap; xk holds the 11 decryption round keys.
TEXT ·decrypt8(SB), NOSPLIT, $0-24
	MOVQ xk+0(FP), AX
	MOVQ dst+8(FP), DI
	MOVQ src+16(FP), SI
	MOVUPS 0(AX), X8
	MOVUPS 0(SI), X0
	MOVUPS 16(SI), X1
	MOVUPS 32(SI), X2
	MOVUPS 48(SI), X3
	MOVUPS 64(SI), X4
	MOVUPS 80(SI), X5
	MOVUPS 96(SI), X6
	MOVUPS 112(SI), X7
	PXOR X8, X0
	PXOR X8, X1
	PXOR X8, X2
	PXOR X8, X3
	PXOR X8, X4
	PXOR X8, X5
	PXOR X8, X6
	PXOR X8, X7
	MOVUPS 16(AX), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	MOVUPS 32(AX), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	MOVUPS 48(AX), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	MOVUPS 64(AX), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	MOVUPS 80(AX), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	MOVUPS 96(AX), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	MOVUPS 112(AX), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	MOVUPS 128(AX), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	MOVUPS 144(AX), X8
	AESDEC X8, X0
	AESDEC X8, X1
	AESDEC X8, X2
	AESDEC X8, X3
	AESDEC X8, X4
	AESDEC X8, X5
	AESDEC X8, X6
	AESDEC X8, X7
	MOVUPS 160(AX), X8
	AESDECLAST X8, X0
	AESDECLAST X8, X1
	AESDECLAST X8, X2
	AESDECLAST X8, X3
	AESDECLAST X8, X4
	AESDECLAST X8, X5
	AESDECLAST X8, X6
	AESDECLAST X8, X7
	MOVUPS X0, 0(DI)
	MOVUPS X1, 16(DI)
	MOVUPS X2, 32(DI)
	MOVUPS X3, 48(DI)
	MOVUPS X4, 64(DI)
	MOVUPS X5, 80(DI)
	MOVUPS X6, 96(DI)
	MOVUPS X7, 112(DI)
	RET

// func encryptCBC(xk *byte, buf *byte, n int)
// AES-128 CBC encryption (AES-NI) of the n blocks at buf in place, with a
// zero IV; xk holds the 11 encryption round keys, kept in X2-X12.
TEXT ·encryptCBC(SB), NOSPLIT, $0-24
	MOVQ xk+0(FP), AX
	MOVQ buf+8(FP), DI
	MOVQ n+16(FP), CX
	MOVUPS 0(AX), X2
	MOVUPS 16(AX), X3
	MOVUPS 32(AX), X4
	MOVUPS 48(AX), X5
	MOVUPS 64(AX), X6
	MOVUPS 80(AX), X7
	MOVUPS 96(AX), X8
	MOVUPS 112(AX), X9
	MOVUPS 128(AX), X10
	MOVUPS 144(AX), X11
	MOVUPS 160(AX), X12
	PXOR X0, X0
	TESTQ CX, CX
	JZ done
loop:
	MOVUPS 0(DI), X1
	PXOR X1, X0
	PXOR X2, X0
	AESENC X3, X0
	AESENC X4, X0
	AESENC X5, X0
	AESENC X6, X0
	AESENC X7, X0
	AESENC X8, X0
	AESENC X9, X0
	AESENC X10, X0
	AESENC X11, X0
	AESENCLAST X12, X0
	MOVUPS X0, 0(DI)
	ADDQ $16, DI
	DECQ CX
	JNZ loop
done:
	RET

// One step of the AES-128 key schedule (FIPS 197 §5.2) with AES-NI: X0
// holds round key i-1 and becomes round key i, stored at off(BX).
// AESKEYGENASSIST gives RotWord(SubWord(w3)) xor rcon in its top word,
// broadcast by PSHUFD; the shifted xors make each word the xor of those
// before it in the previous key (Intel's AES-NI white paper, §4).
#define EXPAND128(rcon, off) \
	AESKEYGENASSIST $rcon, X0, X1 \
	PSHUFD $0xff, X1, X1 \
	MOVOU X0, X2 \
	PSLLDQ $4, X2 \
	PXOR X2, X0 \
	PSLLDQ $4, X2 \
	PXOR X2, X0 \
	PSLLDQ $4, X2 \
	PXOR X2, X0 \
	PXOR X1, X0 \
	MOVOU X0, off(BX)

// One decryption round key of the equivalent inverse cipher (FIPS 197
// §5.3.5): InvMixColumns of encryption key src, stored at dst(DX).
#define INVKEY(src, dst) \
	MOVOU src(BX), X0 \
	AESIMC X0, X0 \
	MOVOU X0, dst(DX)

// func expandKey128(key, ek, dk *byte)
// The 11 encryption round keys of the AES-128 key at key into ek, and the
// equivalent inverse cipher's into dk: no table is indexed by key bytes.
TEXT ·expandKey128(SB), NOSPLIT, $0-24
	MOVQ key+0(FP), AX
	MOVQ ek+8(FP), BX
	MOVQ dk+16(FP), DX
	MOVOU 0(AX), X0
	MOVOU X0, 0(BX)
	EXPAND128(0x01, 16)
	EXPAND128(0x02, 32)
	EXPAND128(0x04, 48)
	EXPAND128(0x08, 64)
	EXPAND128(0x10, 80)
	EXPAND128(0x20, 96)
	EXPAND128(0x40, 112)
	EXPAND128(0x80, 128)
	EXPAND128(0x1b, 144)
	EXPAND128(0x36, 160)
	MOVOU X0, 0(DX)
	INVKEY(144, 16)
	INVKEY(128, 32)
	INVKEY(112, 48)
	INVKEY(96, 64)
	INVKEY(80, 80)
	INVKEY(64, 96)
	INVKEY(48, 112)
	INVKEY(32, 128)
	INVKEY(16, 144)
	MOVOU 0(BX), X0
	MOVOU X0, 160(DX)
	PXOR X0, X0
	PXOR X1, X1
	PXOR X2, X2
	RET
