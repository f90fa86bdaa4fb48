package flashcrypto

import (
	"fmt"
	"io"
	"math/big"
	"math/bits"

	"filippo.io/bigmod"
)

// Group is a Diffie-Hellman group ID from the IKE registry, as carried in
// certificates and keying components (RFC 7425 §4.2).
type Group uint32

// The MODP groups this package implements, all with generator 2.
const (
	Group2  Group = 2  // 1024-bit MODP, RFC 2409 §6.2; mandatory in RFC 7425 §4.2
	Group14 Group = 14 // 2048-bit MODP, RFC 3526 §3
	Group16 Group = 16 // 4096-bit MODP, RFC 3526 §5
)

// PreferredGroups lists the supported groups, most preferred first. The
// group of a session is the first of ours that the peer also lists.
var PreferredGroups = []Group{Group16, Group14, Group2}

type groupParams struct {
	p            *big.Int
	mod          *bigmod.Modulus // p, for constant-time exponentiation
	mont         *montCtx        // p, for mont.go's exponentiation where it runs; else nil
	pMinus       *big.Int        // p − 2^24, the largest acceptable public key
	size         int             // bytes in p
	exponentBits int             // private exponent size (RFC 3526 §8 strengths)
}

var (
	twoTo24th = big.NewInt(1 << 24)
	groups    = map[Group]*groupParams{
		Group2: newGroupParams(224,
			"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"+
				"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"+
				"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
				"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"),
		Group14: newGroupParams(320,
			"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"+
				"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"+
				"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
				"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"+
				"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"+
				"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"+
				"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"+
				"3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF"),
		Group16: newGroupParams(480,
			"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"+
				"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"+
				"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
				"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"+
				"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"+
				"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"+
				"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"+
				"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"+
				"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"+
				"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"+
				"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"+
				"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"+
				"88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8"+
				"DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2"+
				"233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"+
				"93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF"),
	}
)

func newGroupParams(exponentBits int, hexPrime string) *groupParams {
	p, ok := new(big.Int).SetString(hexPrime, 16)
	if !ok {
		panic("flashcrypto: bad prime constant")
	}
	mod, err := bigmod.NewModulus(p.Bytes())
	if err != nil {
		panic("flashcrypto: bad prime constant")
	}
	mont := newMontCtx(p)
	if mont != nil {
		mont.combBytes = exponentBits / 8
	}
	return &groupParams{
		p:            p,
		mod:          mod,
		mont:         mont,
		pMinus:       new(big.Int).Sub(p, twoTo24th),
		size:         (p.BitLen() + 7) / 8,
		exponentBits: exponentBits,
	}
}

// Supported reports whether this package implements g.
func (g Group) Supported() bool { return groups[g] != nil }

// PrimeLen returns the size of g's modulus in bytes (0 if unsupported).
// Group 2 public keys are 128 bytes when padded to it, as Flash sends them.
func (g Group) PrimeLen() int {
	if p := groups[g]; p != nil {
		return p.size
	}
	return 0
}

func (g Group) String() string { return fmt.Sprintf("group %d", uint32(g)) }

// ChooseGroup returns the first group of ours (in our order) that the peer
// also lists (rtmfp-cpp getBestDHGroup).
func ChooseGroup(ours, theirs []Group) (Group, error) {
	for _, g := range ours {
		for _, t := range theirs {
			if g == t {
				return g, nil
			}
		}
	}
	return 0, ErrNoCommonGroup
}

// PrivateKey is a Diffie-Hellman private exponent with its public value.
// It is immutable after creation.
//
// Every exponentiation with the private exponent is constant time
// (filippo.io/bigmod, the Montgomery arithmetic of Go's own crypto/rsa and
// crypto/ecdh, or for groups 2 and 14 on amd64 with BMI2 and ADX mont.go's
// multiplication with two carry chains under the same fixed window): math/big's Exp leaks the exponent through timing and
// cache use, and a static key lives for years and answers anyone who
// starts a handshake. The exponent is processed over a fixed number of
// bytes (the group's exponent size), so its value does not change the
// time either.
type PrivateKey struct {
	group Group
	x     *big.Int // for encoding only
	xb    []byte   // the exponent, big-endian, fixed length
	pub   []byte   // big-endian, no leading zeros
}

// modExp returns base^e mod p in constant time for the exponent, as
// big-endian bytes without leading zeros (as OpenSSL BN_bn2bin gives it,
// which the key derivation depends on). base must be below p.
func modExp(gp *groupParams, base, e []byte) ([]byte, error) {
	var out []byte
	if gp.mont != nil {
		if len(base) > gp.size || new(big.Int).SetBytes(base).Cmp(gp.p) >= 0 {
			return nil, ErrBadPublicKey // a public value: variable time is fine
		}
		out = gp.mont.exp(base, e)
	} else {
		b, err := bigmod.NewNat().SetBytes(base, gp.mod)
		if err != nil {
			return nil, ErrBadPublicKey
		}
		out = bigmod.NewNat().Exp(b, e, gp.mod).Bytes(gp.mod)
	}
	return trimZeros(out), nil
}

// trimZeros returns b without its leading zero bytes (keeping one byte).
func trimZeros(b []byte) []byte {
	i := 0
	for i < len(b)-1 && b[i] == 0 {
		i++
	}
	return b[i:]
}

// GenerateKey draws a private exponent of the group's size (224, 320 or
// 480 bits, top bit set, like OpenSSL BN_rand with BN_RAND_TOP_ONE) from
// rand and computes the public key 2^x mod p.
func GenerateKey(g Group, rand io.Reader) (*PrivateKey, error) {
	gp := groups[g]
	if gp == nil {
		return nil, fmt.Errorf("flashcrypto: %v: %w", g, ErrUnsupportedGroup)
	}
	buf := make([]byte, gp.exponentBits/8)
	if _, err := io.ReadFull(rand, buf); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRandom, err)
	}
	buf[0] |= 0x80
	return newPrivateKey(g, new(big.Int).SetBytes(buf))
}

func newPrivateKey(g Group, x *big.Int) (*PrivateKey, error) {
	gp := groups[g]
	if gp == nil {
		return nil, fmt.Errorf("flashcrypto: %v: %w", g, ErrUnsupportedGroup)
	}
	if x.Sign() <= 0 || x.Cmp(gp.p) >= 0 {
		return nil, ErrBadIdentity
	}
	xb := x.FillBytes(make([]byte, max(gp.exponentBits/8, (x.BitLen()+7)/8)))
	var pub []byte
	if gp.mont != nil {
		pub = trimZeros(gp.mont.exp2(xb))
	} else {
		var err error
		if pub, err = modExp(gp, []byte{2}, xb); err != nil {
			return nil, err
		}
	}
	return &PrivateKey{group: g, x: x, xb: xb, pub: pub}, nil
}

// Group returns the key's group.
func (k *PrivateKey) Group() Group { return k.group }

// PublicKey returns the public value, big-endian without leading zeros (as
// OpenSSL BN_bn2bin and the reference send it). The caller must not modify it.
func (k *PrivateKey) PublicKey() []byte { return k.pub }

// PaddedPublicKey returns the public value left-padded with zeros to the
// modulus size: 128 bytes for group 2, the form Flash Player sends.
func (k *PrivateKey) PaddedPublicKey() []byte {
	out := make([]byte, groups[k.group].size)
	copy(out[len(out)-len(k.pub):], k.pub)
	return out
}

// SharedSecret validates the peer's public value and returns the shared
// secret, big-endian without leading zeros (as the reference computes it;
// the key derivation depends on this exact form).
func (k *PrivateKey) SharedSecret(peerPublic []byte) ([]byte, error) {
	if err := ValidatePublicKey(k.group, peerPublic); err != nil {
		return nil, err
	}
	return modExp(groups[k.group], peerPublic, k.xb)
}

// ValidatePublicKey applies the checks of RFC 7425 §4.6.2 (as rtmfp-cpp
// does): 2^24 ≤ y ≤ p − 2^24, and at least 16 one bits and 16 zero bits
// below the most significant one bit. The reference counts zero bits in an
// unusual byte-wise order; the difference matters only for values with
// almost no zero bits, which both rules reject in practice.
func ValidatePublicKey(g Group, y []byte) error {
	gp := groups[g]
	if gp == nil {
		return fmt.Errorf("flashcrypto: %v: %w", g, ErrUnsupportedGroup)
	}
	if len(y) > gp.size+64 { // absurdly long: reject before big-int work
		return ErrBadPublicKey
	}
	v := new(big.Int).SetBytes(y)
	if v.Cmp(twoTo24th) < 0 || v.Cmp(gp.pMinus) > 0 {
		return ErrBadPublicKey
	}
	ones := 0
	for _, b := range y {
		ones += bits.OnesCount8(b)
	}
	zeros := v.BitLen() - ones
	if ones < 16 || zeros < 16 {
		return ErrBadPublicKey
	}
	return nil
}
