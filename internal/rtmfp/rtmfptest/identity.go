package rtmfptest

import (
	"io"
	"math/rand/v2"
	"sync"

	"camchat/internal/rtmfp/flashcrypto"
)

// Rand returns a deterministic io.Reader for identities and endpoints
// (Config.Rand), safe for concurrent use: the same seed gives the same bytes.
func Rand(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return &seededRand{r: rand.NewChaCha8(s)}
}

type seededRand struct {
	mu sync.Mutex
	r  *rand.ChaCha8
}

func (r *seededRand) Read(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Read(b)
}

// Identities is how many distinct identities Identity has.
const Identities = 8

var (
	idOnce sync.Once
	ids    [Identities]*flashcrypto.Identity
)

// Identity returns the i-th of a few fixed static group-2 identities
// (0 ≤ i < Identities), made once per test binary: key generation is the
// slow part of a protocol test.
func Identity(i int) *flashcrypto.Identity {
	idOnce.Do(func() {
		for k := range ids {
			id, err := flashcrypto.NewStaticIdentity(Rand(byte(100+k)), []flashcrypto.Group{flashcrypto.Group2}, flashcrypto.CertOptions{})
			if err != nil {
				panic(err)
			}
			ids[k] = id
		}
	})
	return ids[i]
}
