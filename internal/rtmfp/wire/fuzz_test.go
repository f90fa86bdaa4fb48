package wire

import (
	"bytes"
	"testing"
)

// fuzzSeedBodies returns packet bodies for FuzzChunks: one per chunk type,
// built by Append, a multi-chunk data packet, and the recorded packets.
func fuzzSeedBodies() [][]byte {
	var seeds [][]byte
	for _, tc := range chunkVectors() {
		seeds = append(seeds, AppendPadding(tc.want.Append(nil), 3))
	}
	first := UserData{Flags: FlagOPT | UserDataFlags(FragmentBegin), FlowID: 4, SeqNum: 9, FSNOffset: 2,
		Options: AppendReturnAssociationOption(AppendMetadataOption(nil, h("54 43 04 fa 89 01")), 1),
		Data:    []byte("first")}
	body := first.Append(nil)
	body = NextUserData{Flags: UserDataFlags(FragmentEnd) | FlagFIN, Data: []byte("second")}.Append(body)
	body = AckRanges{FlowID: 2, BufferBlocks: 64, CumulativeAck: 30, Ranges: []SeqRange{{33, 40}, {50, 50}}}.Append(body)
	body = Ping{Message: []byte("M")}.Append(body)
	seeds = append(seeds, AppendPadding(body, 5))
	seeds = append(seeds, h("30 0005 02 0a 00 aa bb"), h("01 0003 616263 ffffffffffff"))
	return seeds
}

func FuzzChunks(f *testing.F) {
	for _, s := range fuzzSeedBodies() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := NewChunkReader(body)
		var prev UserData
		havePrev := false
		consumed := 0
		for typ, p, ok := r.Next(); ok; typ, p, ok = r.Next() {
			consumed += ChunkHeaderLength + len(p)
			if !typ.Known() || consumed > len(body) {
				t.Fatalf("yielded %v, %d of %d bytes", typ, consumed, len(body))
			}
			// Every parser on every payload: no panic, and whatever parses
			// re-encodes in Length bytes.
			for other := range 256 {
				if ot := ChunkType(other); ot.Known() && ot != ChunkFragment {
					if c, err := parseChunk(ot, p); err == nil && len(c.Append(nil)) != c.Length() {
						t.Fatalf("%v as %v: Length %d, Append %d", typ, ot, c.Length(), len(c.Append(nil)))
					}
				}
			}
			c, err := parseChunk(typ, p)
			switch u := c.(type) {
			case UserData:
				if err == nil {
					prev, havePrev = u, true
					if u.FSNOffset > uint64(u.SeqNum) {
						t.Fatalf("FSN offset %d above seq %d", u.FSNOffset, u.SeqNum)
					}
					_, _ = ParseFlowOptions(u.Options)
				}
			case NextUserData:
				if err == nil && havePrev {
					prev = u.Follow(prev)
					if prev.FSNOffset > uint64(prev.SeqNum) {
						t.Fatalf("followed FSN offset %d above seq %d", prev.FSNOffset, prev.SeqNum)
					}
				}
			case AckRanges:
				if err == nil {
					hd, it, err := NewAckRangeIter(p)
					if err != nil || hd.CumulativeAck != u.CumulativeAck {
						t.Fatalf("iterator header: %v", err)
					}
					i := 0
					for rg, ok := it.Next(); ok; rg, ok = it.Next() {
						if i >= len(u.Ranges) || u.Ranges[i] != rg {
							t.Fatalf("iterator range %d: %v", i, rg)
						}
						i++
					}
					if i != len(u.Ranges) {
						t.Fatalf("iterator gave %d of %d ranges", i, len(u.Ranges))
					}
				}
			}
			if err != nil {
				continue
			}
			// Append writes Length bytes and parse→append→parse is stable.
			enc := c.Append(nil)
			if len(enc) != c.Length() || c.Type() != typ || ChunkType(enc[0]) != typ {
				t.Fatalf("%v: Append %d bytes, Length %d, type %v", typ, len(enc), c.Length(), c.Type())
			}
			if len(enc) > ChunkHeaderLength+len(p) {
				t.Fatalf("%v: re-encoding grew from %d to %d", typ, ChunkHeaderLength+len(p), len(enc))
			}
			r2 := NewChunkReader(enc)
			typ2, p2, ok2 := r2.Next()
			if !ok2 || typ2 != typ {
				t.Fatalf("%v: re-read % x: %v %v", typ, enc, ok2, r2.Err())
			}
			if _, _, more := r2.Next(); more || r2.Err() != nil {
				t.Fatalf("%v: re-read left bytes: %v", typ, r2.Err())
			}
			c2, err := parseChunk(typ2, p2)
			if err != nil {
				t.Fatalf("%v: re-parse of % x: %v", typ, enc, err)
			}
			if enc2 := c2.Append(nil); !bytes.Equal(enc2, enc) {
				t.Fatalf("%v: unstable:\n % x\n % x", typ, enc, enc2)
			}
		}
		if consumed > len(body) {
			t.Fatalf("consumed %d of %d", consumed, len(body))
		}
	})
}
