package rendezvous

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"camchat/internal/rtmfp/flashcrypto"
)

// DefaultGroups are the Diffie-Hellman groups a server's certificate
// offers: 14 and 2, not 16. The initiator picks the group among those
// offered, and a random "public key" costs it nothing, while each group 16
// agreement costs the server about 16 times a group 14 one (34 and 2.1 ms
// here): offering it would let anyone choose the costliest work.
var DefaultGroups = []flashcrypto.Group{flashcrypto.Group14, flashcrypto.Group2}

// LoadOrCreateIdentity reads a static identity from path, or creates one
// with groups and opts (a server sets AcceptsAncillary, so that rtmfp: URIs
// select it too, and may name its Hostname) and writes it there with mode
// 0600, since it holds the private keys. Clients pin the resulting
// fingerprint (RFC 7425 §4.4).
func LoadOrCreateIdentity(path string, groups []flashcrypto.Group, opts flashcrypto.CertOptions, rand io.Reader) (*flashcrypto.Identity, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id, err := flashcrypto.UnmarshalIdentity(b)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrKeyFile, path, err)
		}
		return id, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	id, err := flashcrypto.NewStaticIdentity(rand, groups, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: new key: %w", ErrKeyFile, err)
	}
	b, err = id.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	return id, nil
}
