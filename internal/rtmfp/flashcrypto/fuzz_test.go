package flashcrypto

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// katSeeds returns every hex value named key in the KAT files.
func katSeeds(f *testing.F, keys ...string) [][]byte {
	f.Helper()
	paths, _ := filepath.Glob("testdata/rtmfp-kat/kat-*.txt")
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			for _, k := range keys {
				if v, ok := strings.CutPrefix(line, k+"="); ok {
					out = append(out, h(f, v))
				}
			}
		}
	}
	if len(out) == 0 {
		f.Fatalf("no seeds for %v", keys)
	}
	return out
}

// FuzzOpen decrypts and parses whole packets with fixed keys in every
// protection configuration: never a panic, and whatever opens re-seals to
// the same bytes under a fresh cipher in the sender's state.
func FuzzOpen(f *testing.F) {
	for _, s := range katSeeds(f, "startup_cipher", "i2r_cipher") {
		f.Add(s)
	}
	tx, _ := cipherPair(f, 16, true)
	f.Add(tx.Seal(nil, []byte("\x09\x12\x34\x10\x00\x01x")))
	f.Add(NewDefaultCipher().Seal(nil, []byte("\x0b\x01\x02\x30\x00\x00")))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		configs := []struct {
			hmac int
			sseq bool
		}{{0, false}, {0, true}, {16, true}, {4, false}}
		for _, c := range configs {
			_, rx := cipherPair(t, c.hmac, c.sseq)
			in := bytes.Clone(pkt)
			clear, fm, err := rx.open(nil, in)
			if !bytes.Equal(in, pkt) {
				t.Fatal("Open modified its input")
			}
			if err != nil {
				continue
			}
			if fm+len(clear) != len(pkt)-c.hmac || fm > 12 {
				t.Fatalf("front margin %d, clear %d, packet %d", fm, len(clear), len(pkt))
			}
			// A second open of the same packet is a replay when sequence
			// numbers are on, and accepted again when they are off.
			_, _, err2 := rx.open(nil, pkt)
			if c.sseq && err2 != ErrReplayed || !c.sseq && err2 != nil {
				t.Fatalf("reopen: %v", err2)
			}
			// In-place open gives the same cleartext.
			_, rx2 := cipherPair(t, c.hmac, c.sseq)
			buf := bytes.Clone(pkt)
			clear2, err := rx2.Open(buf[:0], buf)
			if err != nil || !bytes.Equal(clear, clear2) {
				t.Fatalf("in-place open differs: %v", err)
			}
		}
		dc := NewDefaultCipher()
		if clear, err := dc.Open(nil, pkt); err == nil {
			// Re-sealing the cleartext reproduces the packet (padding
			// included, the checksum is recomputed identically).
			if again := dc.Seal(nil, clear); !bytes.Equal(again, pkt) {
				t.Fatalf("default re-seal differs")
			}
		}
	})
}

func FuzzCert(f *testing.F) {
	for _, s := range katSeeds(f, "icert", "rcert") {
		f.Add(s)
	}
	f.Add(h(f, "02 15 02 00 02 0a 01"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := ParseCert(raw)
		if err != nil {
			return
		}
		if c.CanonicalLen > len(raw) || c.PeerID != PeerIDOf(raw[:c.CanonicalLen]) {
			t.Fatal("canonical part wrong")
		}
		if c.IsStatic() == (len(c.Groups) > 0) {
			t.Fatal("static and ephemeral at once")
		}
		for _, g := range c.SupportedGroups() {
			if !c.Supports(g) {
				t.Fatalf("does not support its own group %v", g)
			}
		}
		// The canonical part alone parses to the same meaning.
		c2, err := ParseCert(raw[:c.CanonicalLen])
		if err != nil || c2.PeerID != c.PeerID || c2.IsStatic() != c.IsStatic() || c2.AcceptsAncillary != c.AcceptsAncillary {
			t.Fatalf("canonical part alone: %v", err)
		}
		EPD{HasHostname: true, Hostname: c.Hostname}.Selects(c)
	})
}

func FuzzEPD(f *testing.F) {
	for _, s := range katSeeds(f, "iepd") {
		f.Add(s)
	}
	f.Add(append(h(f, "1d 0a"), "rtmfp://127.0.0.1:19361/live"...))
	f.Add(h(f, "02 00 68 00 02 0a 61"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := ParseEPD(raw)
		if err != nil {
			return
		}
		// Re-encoding and parsing again is a fixed point.
		enc := e.Append(nil)
		e2, err := ParseEPD(enc)
		if err != nil || !bytes.Equal(e2.Append(nil), enc) {
			t.Fatalf("round trip: %v", err)
		}
		if e.HasFingerprint != e2.HasFingerprint || e.Fingerprint != e2.Fingerprint ||
			!bytes.Equal(e.Hostname, e2.Hostname) || !bytes.Equal(e.Ancillary, e2.Ancillary) {
			t.Fatal("round trip changed the EPD")
		}
	})
}

// FuzzKeyingComponent checks that parsing and Append agree. Its corpus in
// testdata/fuzz keeps the input that once broke the fixed point: an unknown
// first option, then sequence numbers and HMAC (03 30 30 30 | 03 1e 30 30 |
// 02 1a 30). The initiator's order wrote HMAC first, which parsed back as
// the other order; since Layout, an HMAC-first component is LayoutFlash,
// whose order is the same, so the encoding is stable.
func FuzzKeyingComponent(f *testing.F) {
	for _, s := range katSeeds(f, "skic", "skrc") {
		f.Add(s)
	}
	f.Add(h(f, "03 1a 00 00 02 1e 00"))
	// Flash's responder forms (LayoutFlash), from Append.
	key := bytes.Repeat([]byte{0x77}, 128)
	for _, k := range []KeyingComponent{
		{Layout: LayoutFlash, HMAC: Negotiation{Present: true}, SSEQ: Negotiation{Present: true}, ExtraRandomness: bytes.Repeat([]byte{1}, 64)},
		{Layout: LayoutFlash, HMAC: Negotiation{Present: true}, SSEQ: Negotiation{Present: true}, EphemeralKeys: []PublicKey{{Group: Group2, Key: key}}},
	} {
		f.Add(k.Append(nil))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		k, err := ParseKeyingComponent(raw)
		if err != nil {
			return
		}
		enc := k.Append(nil)
		k2, err := ParseKeyingComponent(enc)
		if err != nil {
			t.Fatalf("re-encoding does not parse: %v", err)
		}
		if k2.HasGroupSelect != k.HasGroupSelect || k2.GroupSelect != k.GroupSelect ||
			k2.HMAC != k.HMAC || k2.SSEQ != k.SSEQ || len(k2.EphemeralKeys) != len(k.EphemeralKeys) ||
			!bytes.Equal(k2.ExtraRandomness, k.ExtraRandomness) {
			t.Fatalf("round trip changed the component:\n%+v\n%+v", k, k2)
		}
		if !bytes.Equal(k2.Append(nil), enc) {
			t.Fatal("encoding is not a fixed point")
		}
	})
}
