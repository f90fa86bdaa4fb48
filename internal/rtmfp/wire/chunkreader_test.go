package wire

import (
	"errors"
	"testing"
)

type seen struct {
	typ     ChunkType
	payload string
}

func readAll(body []byte) ([]seen, ChunkReader) {
	r := NewChunkReader(body)
	var out []seen
	for t, p, ok := r.Next(); ok; t, p, ok = r.Next() {
		out = append(out, seen{t, string(p)})
	}
	return out, r
}

func TestChunkReader(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		want    []seen
		unknown int
		overrun bool
	}{
		{"empty", "", nil, 0, false},
		{"ping then ff padding", "01 0001 61 | ff ff ff ff", []seen{{ChunkPing, "a"}}, 0, false},
		{"single ff", "01 0000 | ff", []seen{{ChunkPing, ""}}, 0, false},
		{"00 padding", "0c 0000 | 00 00 00 00", []seen{{ChunkSessionClose, ""}}, 0, false},
		{"padding ends the packet even before chunks", "ff | 01 0000", nil, 0, false},
		{"unknown type skipped", "99 0002 aa bb | 4c 0000", []seen{{ChunkSessionCloseAck, ""}}, 1, false},
		{"two unknown", "20 0000 | 21 0001 00", nil, 2, false},
		{"length past end", "01 0001 61 | 41 0005 61 62", []seen{{ChunkPing, "a"}}, 0, true},
		{"header cut", "01 0001 61 | 41 00", []seen{{ChunkPing, "a"}}, 0, true},
		{"one stray byte", "01 0000 | 41", []seen{{ChunkPing, ""}}, 0, true},
		{"unknown then overrun", "99 0000 | 98 0009", nil, 1, true},
	} {
		got, r := readAll(h(tc.body))
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: chunk %d: got %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
		if r.Unknown() != tc.unknown {
			t.Errorf("%s: unknown %d, want %d", tc.name, r.Unknown(), tc.unknown)
		}
		if errors.Is(r.Err(), ErrChunkOverrun) != tc.overrun || (!tc.overrun && r.Err() != nil) {
			t.Errorf("%s: err %v, overrun want %v", tc.name, r.Err(), tc.overrun)
		}
		if _, _, ok := r.Next(); ok {
			t.Errorf("%s: Next after end", tc.name)
		}
	}
}

func TestChunkReaderPayloadCapped(t *testing.T) {
	body := h("01 0001 61 | 41 0001 62")
	r := NewChunkReader(body)
	_, p, _ := r.Next()
	if cap(p) != 1 {
		t.Fatalf("payload cap %d: appending to it would overwrite the next chunk", cap(p))
	}
}

func TestChunkTypeString(t *testing.T) {
	want := map[ChunkType]string{
		ChunkIHello: "IHello", ChunkFIHello: "FIHello", ChunkRHello: "RHello",
		ChunkRedirect: "Redirect", ChunkRHelloCookieChange: "RHelloCookieChange",
		ChunkIIKeying: "IIKeying", ChunkRIKeying: "RIKeying", ChunkPing: "Ping",
		ChunkPingReply: "PingReply", ChunkUserData: "UserData", ChunkNextUserData: "NextUserData",
		ChunkAckBitmap: "AckBitmap", ChunkAckRanges: "AckRanges", ChunkBufferProbe: "BufferProbe",
		ChunkFlowException: "FlowException", ChunkSessionClose: "SessionClose",
		ChunkSessionCloseAck: "SessionCloseAck", ChunkECNReport: "ECNReport",
		ChunkFragment: "Fragment", ChunkPadding: "Padding", ChunkPaddingZero: "Padding",
		0x99: "ChunkType(0x99)",
	}
	known := 0
	for typ, s := range want {
		if typ.String() != s {
			t.Errorf("%02x: %q, want %q", uint8(typ), typ.String(), s)
		}
		if typ.Known() {
			known++
		}
	}
	if known != 19 {
		t.Fatalf("%d known types, want 19", known)
	}
	for i := range 256 {
		if typ := ChunkType(i); typ.Known() != (want[typ] != "" && typ != ChunkPadding && typ != ChunkPaddingZero && typ != 0x99) {
			t.Errorf("Known(%02x) = %v", i, typ.Known())
		}
	}
}

func TestAppendPadding(t *testing.T) {
	mustEqualBytes(t, "padding", AppendPadding(h("01"), 3), h("01 ffffff"))
	mustEqualBytes(t, "none", AppendPadding(nil, 0), nil)
}
