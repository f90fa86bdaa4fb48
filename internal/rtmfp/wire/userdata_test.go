package wire

import (
	"bytes"
	"testing"
)

func TestUserDataFlags(t *testing.T) {
	f := FlagOPT | FlagFIN
	f = f.WithFragment(FragmentMiddle)
	if f != 0xb1 || f.Fragment() != FragmentMiddle || !f.Options() || !f.Final() || f.Abandoned() {
		t.Fatalf("flags %02x", uint8(f))
	}
	f = f.WithFragment(FragmentEnd)
	if f != 0xa1 || f.Fragment().String() != "end" {
		t.Fatalf("flags %02x", uint8(f))
	}
	// Reserved bits survive a round trip, so parsed chunks re-append exactly.
	c, err := ParseUserData(h("4c 01 01 00 61"))
	if err != nil || c.Flags != 0x4c {
		t.Fatalf("%+v %v", c, err)
	}
	mustEqualBytes(t, "reserved bits", c.Append(nil), h("10 0005 4c 01 01 00 61"))
}

func TestUserDataOptionsSetOPT(t *testing.T) {
	// Options without the OPT flag still get OPT and a marker.
	c := UserData{FlowID: 1, SeqNum: 1, Options: AppendMetadataOption(nil, []byte("TC\x04\x00"))}
	mustEqualBytes(t, "OPT added", c.Append(nil), h("10 000b | 80 01 01 00 | 05 00 54 43 04 00 | 00"))
	// OPT with an empty list is a lone marker.
	c = UserData{Flags: FlagOPT, FlowID: 1, SeqNum: 1, Data: []byte("z")}
	mustEqualBytes(t, "lone marker", c.Append(nil), h("10 0006 | 80 01 01 00 | 00 | 7a"))
	if c.HeaderLength() != 8 || c.Length() != 9 {
		t.Fatalf("HeaderLength %d Length %d", c.HeaderLength(), c.Length())
	}
	n := NextUserData{Options: h("02 0a 03")}
	mustEqualBytes(t, "next OPT added", n.Append(nil), h("11 0005 | 80 | 02 0a 03 | 00"))
}

func TestUserDataFSNAndFollow(t *testing.T) {
	first := UserData{Flags: UserDataFlags(FragmentBegin), FlowID: 7, SeqNum: 100, FSNOffset: 4, Data: []byte("a")}
	if first.FSN() != 96 {
		t.Fatalf("FSN %d", first.FSN())
	}
	next := NextUserData{Flags: UserDataFlags(FragmentMiddle), Data: []byte("b")}.Follow(first)
	if next.FlowID != 7 || next.SeqNum != 101 || next.FSN() != 96 || next.FSNOffset != 5 || string(next.Data) != "b" {
		t.Fatalf("Follow: %+v", next)
	}
	// A two-chunk packet body decodes back to the same fragments.
	body := NextUserData{Flags: UserDataFlags(FragmentEnd), Data: []byte("c")}.Append(
		NextUserData{Flags: UserDataFlags(FragmentMiddle), Data: []byte("b")}.Append(first.Append(nil)))
	mustEqualBytes(t, "body", body, h("10 0005 10 07 64 04 61 | 11 0002 30 62 | 11 0002 20 63"))
	r := NewChunkReader(body)
	var prev UserData
	var seqs []SeqNum
	for typ, p, ok := r.Next(); ok; typ, p, ok = r.Next() {
		switch typ {
		case ChunkUserData:
			prev, _ = ParseUserData(p)
		case ChunkNextUserData:
			n, err := ParseNextUserData(p)
			if err != nil {
				t.Fatal(err)
			}
			prev = n.Follow(prev)
		}
		if prev.FSN() != 96 || prev.FlowID != 7 {
			t.Fatalf("fragment %+v", prev)
		}
		seqs = append(seqs, prev.SeqNum)
	}
	if len(seqs) != 3 || seqs[0] != 100 || seqs[2] != 102 {
		t.Fatalf("seqs %v", seqs)
	}
}

func TestUserDataNoAlloc(t *testing.T) {
	data := bytes.Repeat([]byte{0x5a}, 1150)
	opts := AppendReturnAssociationOption(AppendMetadataOption(nil, []byte("TC\x04\x00")), 3)
	c := UserData{Flags: FlagFIN, FlowID: 5, SeqNum: 1 << 20, FSNOffset: 3, Options: opts, Data: data}
	buf := make([]byte, 0, 1300)
	var pkt []byte
	allocs := testing.AllocsPerRun(100, func() {
		pkt = c.Append(buf[:0])
	})
	if allocs != 0 {
		t.Fatalf("Append: %v allocs", allocs)
	}
	if len(pkt) != c.Length() {
		t.Fatalf("Append wrote %d, Length %d", len(pkt), c.Length())
	}
	var got UserData
	allocs = testing.AllocsPerRun(100, func() {
		r := NewChunkReader(pkt)
		_, p, _ := r.Next()
		got, _ = ParseUserData(p)
		_, _ = ParseFlowOptions(got.Options)
	})
	if allocs != 0 {
		t.Fatalf("parse: %v allocs", allocs)
	}
	if !bytes.Equal(got.Data, data) || got.SeqNum != 1<<20 || !bytes.Equal(got.Options, opts) || got.Flags != FlagFIN|FlagOPT {
		t.Fatalf("parsed %+v", got)
	}
	if &got.Data[0] != &pkt[len(pkt)-len(data)] {
		t.Fatal("Data does not alias the packet")
	}
}
