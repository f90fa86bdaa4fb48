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
		p.SSEQ.Flags != FlagSOR || !bytes.Equal(p.ExtraRandomness, rnd) || p.ResponderOrder {
		t.Fatalf("parsed %+v %v", p, err)
	}
	// librtmfp's RIKeying component: 03 1a 00 00 | 02 1e 00 | 41 0e <64>.
	skrc := append(h(t, "03 1a 00 00 | 02 1e 00 | 41 0e"), rnd...)
	p, err = ParseKeyingComponent(skrc)
	if err != nil || !p.HMAC.Present || p.HMAC.Flags != 0 || !p.SSEQ.Present || p.SSEQ.Flags != 0 || !p.ResponderOrder {
		t.Fatalf("parsed %+v %v", p, err)
	}
	// Ephemeral key, responder order.
	key := bytes.Repeat([]byte{0x77}, 130)
	r := KeyingComponent{ResponderOrder: true,
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
