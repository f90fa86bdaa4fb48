package flashcrypto

import (
	"bytes"
	"testing"
)

func benchPacket(b *testing.B, hmacLen int, sseq bool) {
	tx, _ := cipherPair(b, hmacLen, sseq)
	plain := bytes.Repeat([]byte{0x5a}, 1200)
	buf := make([]byte, 0, 1300)
	b.Run("Seal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			buf = tx.Seal(buf[:0], plain)
		}
	})
	b.Run("Open", func(b *testing.B) {
		// Fresh packets each round so the replay window accepts them.
		pkts := make([][]byte, 4096)
		for i := range pkts {
			pkts[i] = tx.Seal(nil, plain)
		}
		work := make([]byte, 0, 1300)
		b.ReportAllocs()
		b.SetBytes(int64(len(plain)))
		i := 0
		_, rx := cipherPair(b, hmacLen, sseq)
		for b.Loop() {
			if i == len(pkts) {
				b.StopTimer()
				_, rx = cipherPair(b, hmacLen, sseq)
				i = 0
				b.StartTimer()
			}
			if _, err := rx.Open(work[:0], pkts[i]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkPacketHMACSSEQ(b *testing.B) { benchPacket(b, 16, true) }
func BenchmarkPacketChecksum(b *testing.B) { benchPacket(b, 0, false) }

func benchDH(b *testing.B, g Group) {
	peer, _ := GenerateKey(g, testRand(1))
	rnd := testRand(2)
	b.ReportAllocs()
	for b.Loop() {
		k, err := GenerateKey(g, rnd)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.SharedSecret(peer.PublicKey()); err != nil {
			b.Fatal(err)
		}
	}
}

// One responder-side DH: a fresh ephemeral key and the shared secret.
func BenchmarkDHGroup2(b *testing.B)  { benchDH(b, Group2) }
func BenchmarkDHGroup14(b *testing.B) { benchDH(b, Group14) }
func BenchmarkDHGroup16(b *testing.B) { benchDH(b, Group16) }
