package flashcrypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestKeyingComponentGolden(t *testing.T) {
	rnd := bytes.Repeat([]byte{0x5a}, 64)
	// Flash Player's SKIC as librtmfp shows it: group 2, HMAC SOR length
	// 10, sequence numbers SOR.
	skic := KeyingComponent{
		HasGroupSelect: true, GroupSelect: Group2,
		ExtraRandomness: rnd,
		HMAC:            Negotiation{Present: true, Flags: FlagSOR, Length: 10},
		SSEQ:            Negotiation{Present: true, Flags: FlagSOR},
	}
	want := append(append(h(t, "02 1d 02 | 41 0e"), rnd...), h(t, "03 1a 02 0a | 02 1e 02")...)
	if got := skic.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("SKIC %x", got)
	}
	p, err := ParseKeyingComponent(want)
	if err != nil || !p.HasGroupSelect || p.GroupSelect != 2 || p.HMAC.Length != 10 || p.HMAC.Flags != FlagSOR ||
		p.SSEQ.Flags != FlagSOR || !bytes.Equal(p.ExtraRandomness, rnd) || p.Layout != LayoutInitiator {
		t.Fatalf("parsed %+v %v", p, err)
	}
	// Flash Player's RIKeying component, as librtmfp writes it
	// (FlowManager::getNonce) and requires it (FlowManager::sendConnect:
	// 73 bytes, these 7 first): 03 1a 00 00 | 02 1e 00 | 41 0e <64>.
	skrc := append(h(t, "03 1a 00 00 | 02 1e 00 | 41 0e"), rnd...)
	p, err = ParseKeyingComponent(skrc)
	if err != nil || !p.HMAC.Present || p.HMAC.Flags != 0 || p.HMAC.Length != 0 || !p.SSEQ.Present || p.SSEQ.Flags != 0 ||
		p.Layout != LayoutFlash || !bytes.Equal(p.ExtraRandomness, rnd) {
		t.Fatalf("parsed %+v %v", p, err)
	}
	flash := KeyingComponent{Layout: LayoutFlash, HMAC: Negotiation{Present: true}, SSEQ: Negotiation{Present: true}, ExtraRandomness: rnd}
	if got := flash.Append(nil); !bytes.Equal(got, skrc) || len(got) != 73 {
		t.Fatalf("Flash SKRC %x", got)
	}
	// A Flash-era server's: 03 1a 00 00 | 02 1e 00 | 81 02 0d 02 <128>
	// (Cumulus Handshake.cpp; librtmfp reads the key at offset 11).
	key := bytes.Repeat([]byte{0x77}, 128)
	server := KeyingComponent{Layout: LayoutFlash, HMAC: Negotiation{Present: true}, SSEQ: Negotiation{Present: true},
		EphemeralKeys: []PublicKey{{Group: Group2, Key: key}}}
	want = append(h(t, "03 1a 00 00 | 02 1e 00 | 81 02 0d 02"), key...)
	if got := server.Append(nil); !bytes.Equal(got, want) || !bytes.Equal(got[11:], key) {
		t.Fatalf("Flash server SKRC %x", got)
	}
	// The reference's responder order for the same flags differs.
	ref := flash
	ref.Layout = LayoutResponder
	if got := ref.Append(nil); !bytes.Equal(got[:7], h(t, "02 1e 00 | 03 1a 00 00")) {
		t.Fatalf("responder layout %x", got[:7])
	}
	// Ephemeral key, responder order.
	key = bytes.Repeat([]byte{0x77}, 130)
	r := KeyingComponent{Layout: LayoutResponder,
		SSEQ:          Negotiation{Present: true, Flags: 7},
		HMAC:          Negotiation{Present: true, Flags: 7, Length: 16},
		EphemeralKeys: []PublicKey{{Group: Group14, Key: key}},
	}
	want = append(h(t, "02 1e 07 | 03 1a 07 10 | 81 04 0d 0e"), key...)
	if got := r.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("SKRC %x", got)
	}
	p, _ = ParseKeyingComponent(want)
	if k, ok := p.EphemeralKey(Group14); !ok || !bytes.Equal(k, key) {
		t.Error("ephemeral key lost")
	}
	if _, ok := p.EphemeralKey(Group2); ok {
		t.Error("wrong group found")
	}
}

func TestKeyingComponentLenient(t *testing.T) {
	// Negotiation options read like the reference: empty value → flags 0,
	// missing length → 0; options after a marker are ignored; the first
	// option of a type wins.
	p, err := ParseKeyingComponent(h(t, "01 1a | 02 1e 05 | 02 1e 01 | 00 | 03 1d 02"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.HMAC.Present || p.HMAC.Flags != 0 || p.HMAC.Length != 0 || p.SSEQ.Flags != 5 || p.HasGroupSelect {
		t.Errorf("parsed %+v", p)
	}
	p, _ = ParseKeyingComponent(h(t, "02 1a 07"))
	if p.HMAC.Flags != 7 || p.HMAC.Length != 0 {
		t.Errorf("no length: %+v", p.HMAC)
	}
	for name, x := range map[string]string{
		"group select no vlu": "01 1d",
		"key no vlu":          "01 0d",
		"overrun":             "09 0e 00",
		"open type":           "01 81",
	} {
		if _, err := ParseKeyingComponent(h(t, x)); !errors.Is(err, ErrBadKeyingComponent) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestKeyingComponentPrefixes(t *testing.T) {
	for _, k := range katFiles(t) {
		for _, raw := range [][]byte{k.skic, k.skrc} {
			bounds := optionBoundaries(t, raw)
			for n := 0; n < len(raw); n++ {
				_, err := ParseKeyingComponent(raw[:n])
				if bounds[n] != (err == nil) {
					t.Fatalf("%s: prefix %d: boundary=%v err=%v", k.name, n, bounds[n], err)
				}
			}
		}
	}
}
