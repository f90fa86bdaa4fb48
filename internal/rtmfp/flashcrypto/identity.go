package flashcrypto

import (
	"bytes"
	"fmt"
	"io"
	"math/big"
)

// Identity is this end's certificate and the private keys behind it.
//
// Clients and peers have static DH keys in their certificate, which binds
// the peer ID to the keys; servers may instead list ephemeral groups and
// draw a fresh key per session (RFC 7425 §4.3, §7). An Identity is
// immutable and safe to share.
type Identity struct {
	keys   []*PrivateKey // static keys in preference order; nil if ephemeral
	groups []Group       // our groups in preference order
	opts   CertOptions
	cert   *Cert
}

// NewStaticIdentity creates a static-key identity with one key per group
// (nil means all of PreferredGroups), listed in preference order 16, 14, 2. For peers that
// must interoperate with Flash-era software use []Group{Group2} and no
// options: the certificate is then exactly 81 02 1d 02 <128-byte key>.
func NewStaticIdentity(rand io.Reader, groups []Group, opts CertOptions) (*Identity, error) {
	groups, err := checkGroups(groups)
	if err != nil {
		return nil, err
	}
	keys := make([]*PrivateKey, len(groups))
	for i, g := range groups {
		if keys[i], err = GenerateKey(g, rand); err != nil {
			return nil, err
		}
	}
	return staticIdentity(keys, opts)
}

func staticIdentity(keys []*PrivateKey, opts CertOptions) (*Identity, error) {
	id := &Identity{keys: keys, opts: opts}
	for _, k := range keys {
		id.groups = append(id.groups, k.Group())
	}
	c, err := ParseCert(BuildStaticCert(keys, opts))
	if err != nil {
		return nil, err
	}
	id.cert = c
	return id, nil
}

// NewEphemeralIdentity creates a server identity whose certificate lists
// groups (nil means PreferredGroups) in preference order and 64 random
// bytes; each session gets a fresh DH key.
func NewEphemeralIdentity(rand io.Reader, groups []Group, opts CertOptions) (*Identity, error) {
	groups, err := checkGroups(groups)
	if err != nil {
		return nil, err
	}
	raw, err := BuildEphemeralCert(groups, opts, rand)
	if err != nil {
		return nil, err
	}
	c, err := ParseCert(raw)
	if err != nil {
		return nil, err
	}
	return &Identity{groups: groups, opts: opts, cert: c}, nil
}

func checkGroups(groups []Group) ([]Group, error) {
	if groups == nil {
		groups = PreferredGroups
	}
	if len(groups) == 0 {
		return nil, fmt.Errorf("flashcrypto: identity without groups: %w", ErrUnsupportedGroup)
	}
	seen := map[Group]bool{}
	for _, g := range groups {
		if !g.Supported() || seen[g] {
			return nil, fmt.Errorf("flashcrypto: identity %v: %w", g, ErrUnsupportedGroup)
		}
		seen[g] = true
	}
	// Our preference order is fixed (16, 14, 2) whatever order was given:
	// it decides the group of every session we initiate.
	out := make([]Group, 0, len(groups))
	for _, g := range PreferredGroups {
		if seen[g] {
			out = append(out, g)
		}
	}
	return out, nil
}

// Cert returns our parsed certificate; Cert().Raw is what we send.
func (id *Identity) Cert() *Cert { return id.cert }

// PeerID returns our peer ID.
func (id *Identity) PeerID() PeerID { return id.cert.PeerID }

// IsStatic reports whether the identity has static keys.
func (id *Identity) IsStatic() bool { return id.keys != nil }

// Groups returns our groups in preference order.
func (id *Identity) Groups() []Group { return id.groups }

// staticKey returns our static key of group g.
func (id *Identity) staticKey(g Group) *PrivateKey {
	for _, k := range id.keys {
		if k.Group() == g {
			return k
		}
	}
	return nil
}

func (id *Identity) supports(g Group) bool {
	for _, x := range id.groups {
		if x == g {
			return true
		}
	}
	return false
}

// identityMagic starts a marshalled identity; the last byte is the version.
var identityMagic = []byte("camchat-id\x01")

// MarshalBinary encodes a static identity for storage (keep it private,
// mode 0600: it holds the private keys):
//
//	"camchat-id" 01 | flags (1: accepts ancillary) | hostname field |
//	key count VLU | { group VLU | exponent field } …
//
// A field is a VLU length and that many bytes.
func (id *Identity) MarshalBinary() ([]byte, error) {
	if !id.IsStatic() {
		return nil, ErrNotStatic
	}
	b := append([]byte(nil), identityMagic...)
	var flags byte
	if id.opts.AcceptsAncillary {
		flags |= 1
	}
	b = append(b, flags)
	b = appendVLU(b, uint64(len(id.opts.Hostname)))
	b = append(b, id.opts.Hostname...)
	b = appendVLU(b, uint64(len(id.keys)))
	for _, k := range id.keys {
		b = appendVLU(b, uint64(k.Group()))
		x := k.x.Bytes()
		b = appendVLU(b, uint64(len(x)))
		b = append(b, x...)
	}
	return b, nil
}

// UnmarshalIdentity decodes MarshalBinary's output and rebuilds the same
// certificate and peer ID.
func UnmarshalIdentity(b []byte) (*Identity, error) {
	if !bytes.HasPrefix(b, identityMagic) || len(b) < len(identityMagic)+1 {
		return nil, ErrBadIdentity
	}
	b = b[len(identityMagic):]
	flags := b[0]
	if flags&^1 != 0 {
		return nil, ErrBadIdentity
	}
	b = b[1:]
	field := func() ([]byte, bool) {
		l, n := parseVLU(b)
		if n == 0 || l > uint64(len(b)-n) {
			return nil, false
		}
		f := b[n : n+int(l)]
		b = b[n+int(l):]
		return f, true
	}
	host, ok := field()
	if !ok {
		return nil, ErrBadIdentity
	}
	count, n := parseVLU(b)
	if n == 0 || count == 0 || count > uint64(len(PreferredGroups)) {
		return nil, ErrBadIdentity
	}
	b = b[n:]
	type entry struct {
		g Group
		x []byte
	}
	var entries []entry
	seen := map[Group]bool{}
	for i := uint64(0); i < count; i++ {
		g, gn := parseVLU(b)
		if gn == 0 || !Group(g).Supported() || seen[Group(g)] {
			return nil, ErrBadIdentity
		}
		seen[Group(g)] = true
		b = b[gn:]
		x, ok := field()
		if !ok || len(x) == 0 {
			return nil, ErrBadIdentity
		}
		entries = append(entries, entry{Group(g), x})
	}
	if len(b) != 0 {
		return nil, ErrBadIdentity
	}
	// Only a complete, well-formed encoding is worth the exponentiations.
	keys := make([]*PrivateKey, 0, len(entries))
	for _, e := range entries {
		k, err := newPrivateKey(e.g, new(big.Int).SetBytes(e.x))
		if err != nil {
			return nil, ErrBadIdentity
		}
		keys = append(keys, k)
	}
	return staticIdentity(keys, CertOptions{Hostname: string(host), AcceptsAncillary: flags&1 != 0})
}
