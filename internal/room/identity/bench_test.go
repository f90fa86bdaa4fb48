package identity

import (
	"fmt"
	"path/filepath"
	"testing"

	"camchat/internal/rtmfp/flashcrypto"
)

// BenchmarkLoad is the start-up cost of reading the identity (three
// modular exponentiations rebuild the public keys).
func BenchmarkLoad(b *testing.B) {
	path := filepath.Join(b.TempDir(), IdentityFile)
	if _, _, err := LoadOrCreate(path); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewIdentity is the cost of a first start or "new identity".
func BenchmarkNewIdentity(b *testing.B) {
	for b.Loop() {
		if _, err := NewIdentity(); err != nil {
			b.Fatal(err)
		}
	}
}

// fullStore returns a store of MaxTrustEntries verified peers.
func fullStore(b *testing.B) *Trust {
	tr, err := OpenTrust(filepath.Join(b.TempDir(), TrustFile))
	if err != nil {
		b.Fatal(err)
	}
	tr.now = fakeClock()
	st := tr.state.Load()
	for i := range MaxTrustEntries {
		id := flashcrypto.PeerIDOf(fmt.Append(nil, i))
		st.entries[id] = newRecord(Entry{PeerID: id, Verdict: VerdictMatch, Name: fmt.Sprintf("Friend Number %d", i), Time: tr.now()})
	}
	return tr
}

// BenchmarkCheckFullStore is Check of a peer never seen (the slowest
// path: every name compared) against a full store.
func BenchmarkCheckFullStore(b *testing.B) {
	tr := fullStore(b)
	stranger := peer(b, 1)
	b.ResetTimer()
	for b.Loop() {
		if st := tr.Check(stranger.PeerID(), stranger.Cert(), "Someone New"); st.State != Unknown {
			b.Fatal(st.State)
		}
	}
}

// BenchmarkSetFullStore is Set on a full store: eviction and writing the
// whole file, synced.
func BenchmarkSetFullStore(b *testing.B) {
	tr := fullStore(b)
	p := peer(b, 1)
	for b.Loop() {
		if err := tr.Set(p.PeerID(), VerdictMatch, p.Cert(), "New Friend"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseInvite(b *testing.B) {
	s := "camchat:" + flashcrypto.PeerIDOf(nil).String() + "?a=192.168.1.20:1935&a=[fd00::20]:1935&a=127.0.0.1:1935&r=rdv.example.net:1935"
	for b.Loop() {
		if _, err := ParseInvite(s); err != nil {
			b.Fatal(err)
		}
	}
}
