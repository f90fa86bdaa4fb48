package flashcrypto

import (
	"encoding/binary"
	"math/big"
	"math/bits"
	"sync"
)

// Constant-time modular exponentiation for groups 2 and 14 on amd64 with
// BMI2 and ADX (mont_amd64.s): Montgomery multiplication with MULX and two
// carry chains (ADCX, ADOX), about twice as fast as bigmod's, under the
// same fixed 4-bit window and constant-time table selection as bigmod's
// Exp. Where it cannot run, modExp uses bigmod.

// montCtx holds the Montgomery constants of one group's prime.
type montCtx struct {
	n     int      // limbs of 64 bits
	m     []uint64 // the prime, little-endian limbs
	m0inv uint64   // −m⁻¹ mod 2^64
	rr    []uint64 // R² mod m, R = 2^(64n)
	one   []uint64 // 1 (not in Montgomery form)
	mul   func(z, x, y, m *uint64, m0inv uint64)

	// The fixed-base comb of exp2 for exponents of combBytes bytes (the
	// group's private key size), built on first use.
	combBytes int
	combOnce  sync.Once
	comb      []uint64
	sqr       func(z, x, m *uint64, m0inv uint64)
}

// newMontCtx returns the context of p, or nil when no Montgomery
// multiplication of its size can run here.
func newMontCtx(p *big.Int) *montCtx {
	n := (p.BitLen() + 63) / 64
	mul := montMulFor(n)
	if mul == nil {
		return nil
	}
	c := &montCtx{n: n, mul: mul, sqr: montSqrFor(n)}
	c.m = limbs(p.FillBytes(make([]byte, 8*n)))
	m0 := c.m[0]
	inv := m0 // Newton's iteration for m0⁻¹ mod 2^64: 3, 6, 12, 24, 48, 96 bits
	for range 5 {
		inv *= 2 - m0*inv
	}
	c.m0inv = -inv
	r := new(big.Int).Lsh(big.NewInt(1), uint(128*n))
	c.rr = limbs(r.Mod(r, p).FillBytes(make([]byte, 8*n)))
	c.one = make([]uint64, n)
	c.one[0] = 1
	return c
}

// limbs converts big-endian bytes (a multiple of 8) to little-endian limbs.
func limbs(b []byte) []uint64 {
	out := make([]uint64, len(b)/8)
	for i := range out {
		out[i] = binary.BigEndian.Uint64(b[len(b)-8*(i+1):])
	}
	return out
}

// montMul sets z = x·y/R mod m.
func (c *montCtx) montMul(z, x, y []uint64) {
	c.mul(&z[0], &x[0], &y[0], &c.m[0], c.m0inv)
}

// montSqr sets z = x²/R mod m.
func (c *montCtx) montSqr(z, x []uint64) {
	c.sqr(&z[0], &x[0], &c.m[0], c.m0inv)
}

// exp returns base^e mod m as big-endian bytes of the prime's size; base
// (big-endian, below m) and the output are in normal form. The time does
// not depend on e's value (only on its length) nor on base.
func (c *montCtx) exp(base, e []byte) []byte {
	n := c.n
	b := make([]byte, 8*n)
	copy(b[len(b)-len(base):], base)
	x := limbs(b)
	var table [15][]uint64 // table[i] = x^(i+1)·R
	buf := make([]uint64, 17*n)
	for i := range table {
		table[i] = buf[i*n : (i+1)*n]
	}
	acc, tmp := buf[15*n:16*n], buf[16*n:]
	c.montMul(table[0], x, c.rr)
	for i := 1; i < len(table); i++ {
		c.montMul(table[i], table[i-1], table[0])
	}
	c.montMul(acc, c.one, c.rr) // 1·R
	for _, eb := range e {
		for _, shift := range [2]uint{4, 0} {
			c.montSqr(acc, acc)
			c.montSqr(acc, acc)
			c.montSqr(acc, acc)
			c.montSqr(acc, acc)
			k := uint64(eb>>shift) & 15
			clear(tmp)
			for i := range table {
				v := k ^ uint64(i+1)
				mask := ((v | -v) >> 63) - 1 // all ones when k == i+1
				for j, t := range table[i] {
					tmp[j] |= t & mask
				}
			}
			c.montMul(tmp, acc, tmp)
			v := k
			keep := ((v | -v) >> 63) - 1 // all ones when k == 0
			for j := range acc {
				acc[j] = acc[j]&keep | tmp[j]&^keep
			}
		}
	}
	c.montMul(acc, acc, c.one) // out of Montgomery form
	out := make([]byte, 8*n)
	for i, l := range acc {
		binary.BigEndian.PutUint64(out[len(out)-8*(i+1):], l)
	}
	return out
}

// exp2 returns 2^e mod m as exp(2, e) does, for key generation. An
// exponent of the group's size (combBytes) takes the comb's precomputed
// powers; others go bit by bit (exp2Ladder). Constant time in e as exp.
func (c *montCtx) exp2(e []byte) []byte {
	if c.combBytes > 0 && len(e) == c.combBytes {
		return c.exp2Comb(e)
	}
	return c.exp2Ladder(e)
}

// exp2Comb computes 2^e as the product over e's 4-bit digits d_i (i from
// the least significant) of 2^(d_i·16^i), each read from a table made once
// per group: one Montgomery multiplication a digit instead of exp's four
// squarings and one multiplication, and none of exp2Ladder's squarings
// (the fixed-base comb, as for an elliptic curve's generator). Every
// entry of a digit's row is read and masked, so the memory touched does
// not depend on e. The tables take 15·2·combBytes entries of the prime's
// size: 107 KB for group 2, 307 KB for group 14.
func (c *montCtx) exp2Comb(e []byte) []byte {
	c.combOnce.Do(c.buildComb)
	n := c.n
	buf := make([]uint64, 2*n)
	acc, sel := buf[:n], buf[n:]
	copy(acc, c.comb[:n]) // 1·R: the zero digit of the first row
	for i := range 2 * len(e) {
		b := e[len(e)-1-i/2]
		d := uint64(b>>(4*uint(i&1))) & 15
		row := c.comb[i*16*n : (i+1)*16*n]
		clear(sel)
		for k := range 16 {
			v := d ^ uint64(k)
			mask := ((v | -v) >> 63) - 1 // all ones when d == k
			for j, t := range row[k*n : (k+1)*n] {
				sel[j] |= t & mask
			}
		}
		c.montMul(acc, acc, sel)
	}
	c.montMul(acc, acc, c.one)
	out := make([]byte, 8*n)
	for i, l := range acc {
		binary.BigEndian.PutUint64(out[len(out)-8*(i+1):], l)
	}
	return out
}

// buildComb fills the comb: row i holds 2^(k·16^i)·R mod m for k = 0..15.
func (c *montCtx) buildComb() {
	n, rows := c.n, 2*c.combBytes
	c.comb = make([]uint64, rows*16*n)
	base := make([]uint64, n) // 2^(16^i)·R
	two := make([]uint64, n)
	two[0] = 2
	c.montMul(base, two, c.rr)
	for i := range rows {
		row := c.comb[i*16*n : (i+1)*16*n]
		c.montMul(row[:n], c.one, c.rr) // 1·R
		copy(row[n:2*n], base)
		for k := 2; k < 16; k++ {
			c.montMul(row[k*n:(k+1)*n], row[(k-1)*n:k*n], base)
		}
		c.montMul(base, row[15*n:16*n], base) // 2^(16·16^i)·R
	}
}

// exp2Ladder returns 2^e mod m for exponents of any length: a window of
// one bit, each bit a squaring and a doubling kept or not by a mask,
// instead of the window's table and multiplications (a multiplication by
// 2 is an addition). Constant time in e as exp.
func (c *montCtx) exp2Ladder(e []byte) []byte {
	n := c.n
	buf := make([]uint64, 2*n)
	acc, dbl := buf[:n], buf[n:]
	c.montMul(acc, c.one, c.rr) // 1·R
	for _, eb := range e {
		for i := 7; i >= 0; i-- {
			c.montSqr(acc, acc)
			c.double(dbl, acc)
			keep := uint64(eb>>uint(i)&1) - 1 // all ones when the bit is 0
			for j := range acc {
				acc[j] = acc[j]&keep | dbl[j]&^keep
			}
		}
	}
	c.montMul(acc, acc, c.one)
	out := make([]byte, 8*n)
	for i, l := range acc {
		binary.BigEndian.PutUint64(out[len(out)-8*(i+1):], l)
	}
	return out
}

// double sets z = 2x mod m (x < m) without a branch.
func (c *montCtx) double(z, x []uint64) {
	var carry uint64
	for i, v := range x {
		z[i] = v<<1 | carry
		carry = v >> 63
	}
	var borrow uint64
	var s [32]uint64
	for i, v := range z {
		s[i], borrow = bits.Sub64(v, c.m[i], borrow)
	}
	// 2x − m is the answer when 2x overflowed the limbs or did not borrow.
	use := -(carry | (borrow ^ 1))
	for i := range z {
		z[i] = s[i]&use | z[i]&^use
	}
}
