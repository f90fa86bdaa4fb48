package flashcrypto

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// testKeys returns a matched pair of session keys (a's send keys are b's
// receive keys).
func testKeys() (a, b *SessionKeys) {
	return testKeyPair()
}

var testKeyPair = sync.OnceValues(func() (*SessionKeys, *SessionKeys) {
	ka, _ := DeriveSessionKeys([]byte("secret"), []byte("near"), []byte("far"))
	kb, _ := DeriveSessionKeys([]byte("secret"), []byte("far"), []byte("near"))
	return ka, kb
})

func cipherPair(t testing.TB, hmacLen int, sseq bool) (tx, rx *PacketCipher) {
	t.Helper()
	ka, kb := testKeys()
	n := Negotiated{SSEQSend: sseq, SSEQRecv: sseq}
	if hmacLen > 0 {
		n.HMACSend, n.HMACRecv, n.HMACSendLength, n.HMACRecvLength = true, true, hmacLen, hmacLen
	}
	tx, err := NewSessionCipher(ka, n)
	if err != nil {
		t.Fatal(err)
	}
	rx, err = NewSessionCipher(kb, n)
	if err != nil {
		t.Fatal(err)
	}
	return tx, rx
}

func TestSealOpenConfigurations(t *testing.T) {
	for _, hmacLen := range []int{0, 4, 10, 16, 31, 32} {
		for _, sseq := range []bool{false, true} {
			t.Run(fmt.Sprintf("hmac%d/sseq=%v", hmacLen, sseq), func(t *testing.T) {
				tx, rx := cipherPair(t, hmacLen, sseq)
				for size := 0; size <= 70; size++ {
					plain := bytes.Repeat([]byte{byte(size)}, size)
					want := tx.SealedLen(size)
					pkt := tx.Seal([]byte("hdr!"), plain)
					if !bytes.Equal(pkt[:4], []byte("hdr!")) || len(pkt)-4 != want {
						t.Fatalf("size %d: sealed %d bytes, SealedLen said %d", size, len(pkt)-4, want)
					}
					if (len(pkt)-4-hmacLen)%16 != 0 {
						t.Fatalf("size %d: ciphertext not 16n", size)
					}
					clear, err := rx.Open(nil, pkt[4:])
					if err != nil {
						t.Fatalf("size %d: %v", size, err)
					}
					if !bytes.HasPrefix(clear, plain) {
						t.Fatalf("size %d: got %x", size, clear)
					}
					for _, c := range clear[size:] {
						if c != 0xff {
							t.Fatalf("size %d: padding %x", size, clear[size:])
						}
					}
				}
			})
		}
	}
}

func TestSealOpenInPlaceNoAllocs(t *testing.T) {
	tx, rx := cipherPair(t, 16, true)
	const n = 1200
	buf := make([]byte, n, n+64)
	plain := bytes.Repeat([]byte("camchat!"), n/8)
	allocs := testing.AllocsPerRun(100, func() {
		copy(buf, plain)
		pkt := tx.Seal(buf[:0], buf[:n]) // in place
		clear, err := rx.Open(pkt[:0], pkt)
		if err != nil || !bytes.Equal(clear[:n], plain) {
			t.Fatalf("in-place round trip failed: %v", err)
		}
	})
	if allocs != 0 {
		t.Errorf("Seal+Open allocate %.1f times per packet", allocs)
	}
}

func TestSequenceNumbersAdvance(t *testing.T) {
	tx, rx := cipherPair(t, 0, true)
	var pkts [][]byte
	for i := 0; i < 200; i++ {
		pkts = append(pkts, tx.Seal(nil, []byte{0x09, byte(i)}))
	}
	// The VLU prefix grows from 1 to 2 bytes at 128.
	if tx.txSeq != 200 {
		t.Fatalf("txSeq %d", tx.txSeq)
	}
	for i, p := range pkts {
		clear, fm, err := rx.open(nil, p)
		if err != nil || clear[1] != byte(i) {
			t.Fatalf("packet %d: %v", i, err)
		}
		wantFM := 3
		if i >= 128 {
			wantFM = 4
		}
		if fm != wantFM {
			t.Fatalf("packet %d: front margin %d, want %d", i, fm, wantFM)
		}
	}
	if _, err := rx.Open(nil, pkts[199]); err != ErrReplayed {
		t.Errorf("replay: %v", err)
	}
	if _, err := rx.Open(nil, pkts[100]); err != ErrSequenceTooOld {
		t.Errorf("old: %v", err)
	}
}

func TestTamperedPackets(t *testing.T) {
	t.Run("hmac", func(t *testing.T) {
		tx, rx := cipherPair(t, 16, true)
		pkt := tx.Seal(nil, []byte("\x09hello"))
		for i := range pkt {
			bad := bytes.Clone(pkt)
			bad[i] ^= 0x20
			if _, err := rx.Open(nil, bad); err != ErrBadHMAC {
				t.Fatalf("flip at %d: %v", i, err)
			}
		}
		// Too short for the HMAC, or HMAC cut.
		if _, err := rx.Open(nil, pkt[:10]); err != ErrPacketLength {
			t.Errorf("short: %v", err)
		}
		if _, err := rx.Open(nil, pkt[:len(pkt)-1]); err != ErrPacketLength {
			t.Errorf("cut HMAC: %v", err)
		}
		if _, err := rx.Open(nil, pkt[:16]); err != ErrPacketLength {
			t.Errorf("HMAC only: %v", err)
		}
		// A failed packet leaves no trace: the genuine one still opens once.
		if _, err := rx.Open(nil, pkt); err != nil {
			t.Errorf("genuine after forgeries: %v", err)
		}
		if _, err := rx.Open(nil, pkt); err != ErrReplayed {
			t.Errorf("replay: %v", err)
		}
	})
	t.Run("checksum", func(t *testing.T) {
		tx, rx := cipherPair(t, 0, true)
		pkt := tx.Seal(nil, bytes.Repeat([]byte{0x09}, 40))
		bad := bytes.Clone(pkt)
		bad[len(bad)-1] ^= 1 // last block: garbles only the tail
		if _, err := rx.Open(nil, bad); err != ErrBadChecksum {
			t.Errorf("flipped: %v", err)
		}
		if _, err := rx.Open(nil, pkt); err != nil {
			t.Errorf("genuine after a bad checksum (sequence number must not be recorded): %v", err)
		}
		for _, n := range []int{0, 15, 17, len(pkt) - 1} {
			if _, err := rx.Open(nil, pkt[:n]); err != ErrPacketLength {
				t.Errorf("length %d: %v", n, err)
			}
		}
		if _, err := rx.Open(nil, make([]byte, MaxPacketLength+16)); err != ErrPacketTooLarge {
			t.Errorf("huge: %v", err)
		}
	})
	t.Run("bad sequence VLU", func(t *testing.T) {
		_, rx := cipherPair(t, 0, true)
		ka, _ := testKeys()
		raw, _ := newCipher(ka.EncryptKey[:16], ka.EncryptKey[:16])
		clear := bytes.Repeat([]byte{0xff}, 16) // a VLU that never ends
		raw.encIV.SetIV(zeroIV[:])
		raw.enc.CryptBlocks(clear, clear)
		if _, err := rx.Open(nil, clear); err != ErrBadSequence {
			t.Errorf("got %v", err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		tx, _ := cipherPair(t, 0, false)
		pkt := tx.Seal(nil, []byte("\x09hello"))
		if _, err := NewDefaultCipher().Open(nil, pkt); err != ErrBadChecksum {
			t.Errorf("got %v", err)
		}
	})
	t.Run("distinct sentinels", func(t *testing.T) {
		errs := []error{ErrPacketTooLarge, ErrPacketLength, ErrBadHMAC, ErrBadSequence,
			ErrReplayed, ErrSequenceTooOld, ErrShortCleartext, ErrBadChecksum}
		for i := range errs {
			for j := range errs {
				if i != j && errors.Is(errs[i], errs[j]) {
					t.Errorf("%v is %v", errs[i], errs[j])
				}
			}
		}
	})
}

func TestHMACTruncation(t *testing.T) {
	for l := MinHMACLength; l <= MaxHMACLength; l++ {
		tx, rx := cipherPair(t, l, false)
		pkt := tx.Seal(nil, []byte("\x09x"))
		if len(pkt) != 16+l {
			t.Fatalf("length %d: packet %d bytes", l, len(pkt))
		}
		// The tag is the prefix of the full HMAC of the ciphertext.
		full := tx.txMAC
		full.Reset()
		full.Write(pkt[:16])
		if !bytes.Equal(full.Sum(nil)[:l], pkt[16:]) {
			t.Fatalf("length %d: tag is not the truncated HMAC", l)
		}
		if _, err := rx.Open(nil, pkt); err != nil {
			t.Fatalf("length %d: %v", l, err)
		}
	}
	ka, _ := testKeys()
	for _, l := range []int{0, 3, 33} {
		if _, err := NewSessionCipher(ka, Negotiated{HMACSend: true, HMACSendLength: l}); !errors.Is(err, ErrBadHMACLength) {
			t.Errorf("send length %d: %v", l, err)
		}
		if _, err := NewSessionCipher(ka, Negotiated{HMACRecv: true, HMACRecvLength: l}); !errors.Is(err, ErrBadHMACLength) {
			t.Errorf("recv length %d: %v", l, err)
		}
	}
}

func TestAsymmetricProtection(t *testing.T) {
	// HMAC one way, checksum the other; sequence numbers one way only.
	ka, kb := testKeys()
	a, err := NewSessionCipher(ka, Negotiated{HMACSend: true, HMACSendLength: 8, SSEQRecv: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSessionCipher(kb, Negotiated{HMACRecv: true, HMACRecvLength: 8, SSEQSend: true})
	if err != nil {
		t.Fatal(err)
	}
	ab := a.Seal(nil, []byte("\x09a to b"))
	if len(ab) != 16+8 {
		t.Fatalf("a→b %d bytes", len(ab))
	}
	if c, fm, err := b.open(nil, ab); err != nil || fm != 0 || !bytes.HasPrefix(c, []byte("\x09a to b")) {
		t.Fatalf("a→b: %v fm=%d", err, fm)
	}
	ba := b.Seal(nil, []byte("\x09b to a"))
	if c, fm, err := a.open(nil, ba); err != nil || fm != 3 || !bytes.HasPrefix(c, []byte("\x09b to a")) {
		t.Fatalf("b→a: %v fm=%d", err, fm)
	}
}

func TestDefaultCipherConcurrent(t *testing.T) {
	c := NewDefaultCipher()
	want := c.Seal(nil, []byte("\x0b\x01\x02startup"))
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			ok := true
			for i := 0; i < 200; i++ {
				p := c.Seal(nil, []byte("\x0b\x01\x02startup"))
				if !bytes.Equal(p, want) {
					ok = false
				}
				if _, err := c.Open(nil, p); err != nil {
					ok = false
				}
			}
			done <- ok
		}()
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Error("concurrent default cipher use produced a wrong packet")
		}
	}
}
