package wire

import (
	"errors"
	"testing"
)

func TestSessionIDScramble(t *testing.T) {
	// startup_cipher of the known-answer vectors: the encrypted IHello packet.
	cipher := h("c654f1a4 438b702d 0296ebb8 f36a66e5")
	payload := append(make([]byte, 4), cipher...)

	// SID 0: c654f1a4 ^ 438b702d = 85df8189.
	if err := PutScrambledSessionID(payload, StartupSessionID); err != nil {
		t.Fatal(err)
	}
	mustEqualBytes(t, "SID 0", payload[:4], h("85df8189"))
	sid, err := UnscrambleSessionID(payload)
	if err != nil || sid != 0 {
		t.Fatalf("unscramble: %d %v", sid, err)
	}

	// SID 0x01020305, bytes 01 02 03 05 as in an IIKeying: 84dd828c.
	if err := PutScrambledSessionID(payload, 0x01020305); err != nil {
		t.Fatal(err)
	}
	mustEqualBytes(t, "SID 0x01020305", payload[:4], h("84dd828c"))
	if sid, _ := UnscrambleSessionID(payload); sid != 0x01020305 {
		t.Fatalf("unscramble: %08x", sid)
	}
	mustEqualBytes(t, "cipher untouched", payload[4:], cipher)

	// The scramble is its own inverse.
	s, _ := ScrambleSessionID(0xdeadbeef, cipher)
	if back, _ := ScrambleSessionID(s, cipher); back != 0xdeadbeef {
		t.Fatalf("involution: %08x", back)
	}
	// The session ID in IIKeying/RIKeying is the same 4 bytes.
	mustEqualBytes(t, "wire bytes", appendSessionID(nil, 0x01020305), h("01020305"))
}

func TestSessionIDShort(t *testing.T) {
	for n := range 12 {
		b := make([]byte, n)
		if _, err := UnscrambleSessionID(b); !errors.Is(err, ErrTruncated) {
			t.Errorf("%d bytes: %v", n, err)
		}
		if err := PutScrambledSessionID(b, 1); !errors.Is(err, ErrTruncated) {
			t.Errorf("put %d bytes: %v", n, err)
		}
	}
	if _, err := ScrambleSessionID(1, make([]byte, 7)); !errors.Is(err, ErrTruncated) {
		t.Fatal(err)
	}
}
