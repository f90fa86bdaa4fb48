package flashcrypto

import (
	"bytes"
	"errors"
	"math/big"
	"testing"
)

func TestGroupPrimes(t *testing.T) {
	for g, bitsWant := range map[Group]int{Group2: 1024, Group14: 2048, Group16: 4096} {
		p := groups[g].p
		if p.BitLen() != bitsWant || g.PrimeLen() != bitsWant/8 {
			t.Errorf("%v: %d bits", g, p.BitLen())
		}
		// The RFC 2409/3526 primes start and end with 64 one bits.
		lo := new(big.Int).And(p, new(big.Int).SetUint64(^uint64(0)))
		hi := new(big.Int).Rsh(p, uint(bitsWant-64))
		if lo.Uint64() != ^uint64(0) || hi.Uint64() != ^uint64(0) {
			t.Errorf("%v: not of the RFC form", g)
		}
		if testing.Short() && g != Group2 {
			continue
		}
		// Safe primes: p and (p−1)/2 prime.
		q := new(big.Int).Rsh(p, 1)
		if !p.ProbablyPrime(0) || !q.ProbablyPrime(0) { // Baillie-PSW
			t.Errorf("%v: not a safe prime", g)
		}
	}
	if Group(5).Supported() || Group(5).PrimeLen() != 0 {
		t.Error("group 5 should be unsupported")
	}
}

func TestSharedSecretAgreement(t *testing.T) {
	for i, g := range PreferredGroups {
		a, err := GenerateKey(g, testRand(byte(2*i)))
		if err != nil {
			t.Fatal(err)
		}
		b, err := GenerateKey(g, testRand(byte(2*i+1)))
		if err != nil {
			t.Fatal(err)
		}
		if a.x.BitLen() != groups[g].exponentBits {
			t.Errorf("%v: exponent %d bits", g, a.x.BitLen())
		}
		if len(a.PublicKey()) > g.PrimeLen() || a.PublicKey()[0] == 0 {
			t.Errorf("%v: public key not minimal big-endian", g)
		}
		if p := a.PaddedPublicKey(); len(p) != g.PrimeLen() || !bytes.HasSuffix(p, a.PublicKey()) {
			t.Errorf("%v: padded key wrong", g)
		}
		s1, err := a.SharedSecret(b.PublicKey())
		if err != nil {
			t.Fatal(err)
		}
		s2, err := b.SharedSecret(a.PaddedPublicKey())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s1, s2) || len(s1) < g.PrimeLen()-4 || s1[0] == 0 {
			t.Errorf("%v: secrets differ or not minimal (%d bytes)", g, len(s1))
		}
		// A third key gets a different secret.
		c, _ := GenerateKey(g, testRand(byte(100+i)))
		s3, _ := c.SharedSecret(a.PublicKey())
		if bytes.Equal(s1, s3) {
			t.Errorf("%v: unrelated keys share a secret", g)
		}
	}
	if _, err := GenerateKey(Group(5), testRand(0)); !errors.Is(err, ErrUnsupportedGroup) {
		t.Errorf("group 5: %v", err)
	}
	if _, err := GenerateKey(Group2, bytes.NewReader(make([]byte, 3))); !errors.Is(err, ErrRandom) {
		t.Errorf("short rand: %v", err)
	}
}

func TestValidatePublicKey(t *testing.T) {
	p := groups[Group2].p
	sub := func(v int64) []byte { return new(big.Int).Sub(p, big.NewInt(v)).Bytes() }
	pow := func(n uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), n) }
	// 2^1000 + 2^24 + 1: far too few one bits.
	lowWeight := new(big.Int).Add(pow(1000), pow(24))
	lowWeight.Add(lowWeight, big.NewInt(1))
	// 2^1000 − 1: all ones, no zero bits.
	allOnes := new(big.Int).Sub(pow(1000), big.NewInt(1))
	// 15 one bits spread out: still too few.
	fifteen := new(big.Int)
	for i := uint(0); i < 15; i++ {
		fifteen.SetBit(fifteen, int(30+60*i), 1)
	}
	// 2^900 − 2^15: 885 ones then 15 zeros: too few zeros.
	fewZeros := new(big.Int).Sub(pow(900), pow(15))
	bad := map[string][]byte{
		"0":         {0},
		"empty":     {},
		"1":         {1},
		"2":         {2},
		"2^24-1":    {0xff, 0xff, 0xff},
		"p-1":       sub(1),
		"p":         p.Bytes(),
		"p+1":       new(big.Int).Add(p, big.NewInt(1)).Bytes(),
		"p-2^24+1":  sub(1<<24 - 1),
		"lowweight": lowWeight.Bytes(),
		"allones":   allOnes.Bytes(),
		"15 ones":   fifteen.Bytes(),
		"15 zeros":  fewZeros.Bytes(),
		"huge":      make([]byte, 4096),
	}
	for name, y := range bad {
		if err := ValidatePublicKey(Group2, y); !errors.Is(err, ErrBadPublicKey) {
			t.Errorf("%s accepted: %v", name, err)
		}
	}
	k, _ := GenerateKey(Group2, testRand(7))
	if _, err := k.SharedSecret([]byte{1}); !errors.Is(err, ErrBadPublicKey) {
		t.Errorf("SharedSecret with 1: %v", err)
	}
	// Boundaries that are acceptable when the bit counts are fine.
	okv := new(big.Int).Set(fifteen)
	okv.SetBit(okv, 31, 1) // 16 one bits
	good := map[string][]byte{
		"16 ones":      okv.Bytes(),
		"p-2^24":       sub(1 << 24),
		"random":       k.PublicKey(),
		"leading zero": append([]byte{0, 0}, k.PublicKey()...),
	}
	for name, y := range good {
		if err := ValidatePublicKey(Group2, y); err != nil {
			t.Errorf("%s rejected: %v", name, err)
		}
	}
	if err := ValidatePublicKey(Group(1), k.PublicKey()); !errors.Is(err, ErrUnsupportedGroup) {
		t.Errorf("group 1: %v", err)
	}
}

func TestChooseGroup(t *testing.T) {
	cases := []struct {
		ours, theirs []Group
		want         Group
		err          error
	}{
		{PreferredGroups, []Group{2, 14, 16}, 16, nil},
		{PreferredGroups, []Group{2, 14}, 14, nil},
		{PreferredGroups, []Group{5, 2}, 2, nil},
		{[]Group{2}, PreferredGroups, 2, nil},
		{[]Group{14, 2}, []Group{16}, 0, ErrNoCommonGroup},
		{nil, PreferredGroups, 0, ErrNoCommonGroup},
	}
	for _, c := range cases {
		g, err := ChooseGroup(c.ours, c.theirs)
		if g != c.want || err != c.err {
			t.Errorf("ChooseGroup(%v, %v) = %v, %v", c.ours, c.theirs, g, err)
		}
	}
}
