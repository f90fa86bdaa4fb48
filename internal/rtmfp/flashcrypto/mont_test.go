package flashcrypto

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"

	"filippo.io/bigmod"
)

// TestMontExp checks the Montgomery exponentiation against math/big for
// random bases and exponents (and the edge values 1, 2, p−1) in groups 2
// and 14.
func TestMontExp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range []Group{Group2, Group14} {
		gp := groups[g]
		c := newMontCtx(gp.p)
		if c == nil {
			t.Skip("no MULX/ADX")
		}
		rnd := func(n int) []byte {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			return b
		}
		pm1 := new(big.Int).Sub(gp.p, big.NewInt(1)).Bytes()
		bases := [][]byte{{1}, {2}, pm1}
		for range 30 {
			v := new(big.Int).SetBytes(rnd(gp.size))
			bases = append(bases, v.Mod(v, gp.p).Bytes())
		}
		for i, base := range bases {
			for _, e := range [][]byte{rnd(gp.exponentBits / 8), {0}, {1}, bytes.Repeat([]byte{0xff}, gp.exponentBits/8)} {
				want := new(big.Int).Exp(new(big.Int).SetBytes(base), new(big.Int).SetBytes(e), gp.p)
				got := c.exp(base, e)
				if new(big.Int).SetBytes(got).Cmp(want) != 0 {
					t.Fatalf("%v, base %d, exponent %x: wrong result", g, i, e)
				}
				if i == 1 { // base 2
					if got := c.exp2(e); new(big.Int).SetBytes(got).Cmp(want) != 0 {
						t.Fatalf("%v, 2^%x: wrong result", g, e)
					}
					// The group's context has the comb for exponents of
					// the key size.
					if got := gp.mont.exp2(e); new(big.Int).SetBytes(got).Cmp(want) != 0 {
						t.Fatalf("%v, 2^%x by the comb: wrong result", g, e)
					}
				}
				x := limbs(append(make([]byte, 8*c.n-len(base)), base...))
				sq, mul := make([]uint64, c.n), make([]uint64, c.n)
				c.montSqr(sq, x)
				c.montMul(mul, x, x)
				for j := range sq {
					if sq[j] != mul[j] {
						t.Fatalf("%v, base %d: montSqr differs from montMul", g, i)
					}
				}
			}
		}
	}
}

func BenchmarkModExp(b *testing.B) {
	for _, g := range []Group{Group2, Group14} {
		gp := groups[g]
		e := bytes.Repeat([]byte{0xa5}, gp.exponentBits/8)
		base := new(big.Int).Sub(gp.p, big.NewInt(12345)).Bytes()
		if c := newMontCtx(gp.p); c != nil {
			b.Run(g.String()+"/mont-base2", func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					c.exp2(e)
				}
			})
			b.Run(g.String()+"/mont-base2-comb", func(b *testing.B) {
				b.ReportAllocs()
				gp.mont.exp2(e) // the comb is built once, outside the loop
				b.ResetTimer()
				for range b.N {
					gp.mont.exp2(e)
				}
			})
		}
		b.Run(g.String()+"/bigmod", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				bb, _ := bigmod.NewNat().SetBytes(base, gp.mod)
				bigmod.NewNat().Exp(bb, e, gp.mod)
			}
		})
		if c := newMontCtx(gp.p); c != nil {
			b.Run(g.String()+"/mont", func(b *testing.B) {
				b.ReportAllocs()
				for range b.N {
					c.exp(base, e)
				}
			})
		}
	}
}
