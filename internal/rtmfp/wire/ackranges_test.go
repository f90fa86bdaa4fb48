package wire

import (
	"errors"
	"math"
	"testing"
)

func TestAckRangesCursorRule(t *testing.T) {
	// from = cursor + holesMinusOne + 2, to = from + receivedMinusOne.
	// cumAck 0; (0,0) → [2,2]; (0,0) → [4,4]; (130-1=129 → 81 01, 2) → [4+129+2=135, 137].
	p := h("01 | 10 | 00 | 00 00 | 00 00 | 81 01 02")
	c, err := ParseAckRanges(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []SeqRange{{2, 2}, {4, 4}, {135, 137}}
	if c.FlowID != 1 || c.BufferBlocks != 16 || c.CumulativeAck != 0 || len(c.Ranges) != 3 {
		t.Fatalf("%+v", c)
	}
	for i := range want {
		if c.Ranges[i] != want[i] {
			t.Fatalf("range %d: %v, want %v", i, c.Ranges[i], want[i])
		}
	}
	mustEqualBytes(t, "encode", c.Append(nil), append(h("51 000a"), p...))
}

func TestAckRangesTruncatedAtAnyVLU(t *testing.T) {
	p := h("01 | 10 | 0a | 00 02 | 81 01 00")
	want := []SeqRange{{12, 14}, {14 + 129 + 2, 145}}
	for n, ranges := range map[int]int{3: 0, 4: 0, 5: 1, 6: 1, 7: 1, 8: 2} {
		c, err := ParseAckRanges(p[:n], nil)
		if err != nil || len(c.Ranges) != ranges {
			t.Errorf("cut at %d: %d ranges, %v; want %d", n, len(c.Ranges), err, ranges)
			continue
		}
		for i := range ranges {
			if c.Ranges[i] != want[i] {
				t.Errorf("cut at %d: range %d %v", n, i, c.Ranges[i])
			}
		}
	}
	for n := range 3 {
		if _, err := ParseAckRanges(p[:n], nil); !errors.Is(err, ErrTruncated) {
			t.Errorf("header cut at %d: %v", n, err)
		}
	}
}

func TestAckRangesEncodeBudget(t *testing.T) {
	c := AckRanges{FlowID: 2, BufferBlocks: 64, CumulativeAck: 100,
		Ranges: []SeqRange{{102, 105}, {107, 107}, {300, 310}, {312, 312}}}
	// Header 3+3 bytes; pairs of 2, 2, 3 (holes 300-107-2 = 191 = 81 3f) and 2 bytes.
	full := h("51 000c | 02 | 40 | 64 | 00 03 | 00 00 | 81 3f 0a | 00 00")
	mustEqualBytes(t, "full", c.Append(nil), full)
	if c.Length() != len(full) {
		t.Fatalf("Length %d", c.Length())
	}
	for _, tc := range []struct {
		budget, ranges int
		ok             bool
	}{
		{5, 0, false}, // the header fields do not fit
		{6, 0, true},
		{7, 0, true},
		{8, 1, true},
		{10, 2, true},
		{12, 2, true}, // the third pair needs 3 bytes
		{13, 3, true},
		{14, 3, true},
		{15, 4, true},
		{1500, 4, true},
	} {
		b, n, ok := c.AppendWithin([]byte{0xee}, tc.budget)
		if ok != tc.ok || n != tc.ranges {
			t.Errorf("budget %d: %d ranges ok %v; want %d %v", tc.budget, n, ok, tc.ranges, tc.ok)
			continue
		}
		if !ok {
			mustEqualBytes(t, "unchanged", b, []byte{0xee})
			continue
		}
		if len(b)-1 > tc.budget {
			t.Errorf("budget %d: wrote %d", tc.budget, len(b)-1)
		}
		back, err := ParseAckRanges(b[1+ChunkHeaderLength:], nil)
		if err != nil || len(back.Ranges) != n || back.CumulativeAck != 100 {
			t.Errorf("budget %d: decode %+v %v", tc.budget, back, err)
		}
		for i := range n {
			if back.Ranges[i] != c.Ranges[i] {
				t.Errorf("budget %d: range %d %v", tc.budget, i, back.Ranges[i])
			}
		}
	}
}

func TestAckRangesInvalidStops(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ranges []SeqRange
		keep   int
	}{
		{"adjacent to cumAck", []SeqRange{{11, 12}}, 0},
		{"overlapping cumAck", []SeqRange{{5, 12}}, 0},
		{"reversed", []SeqRange{{12, 11}}, 0},
		{"no hole between ranges", []SeqRange{{12, 14}, {15, 16}}, 1},
		{"descending", []SeqRange{{20, 21}, {12, 14}}, 1},
		{"at the top", []SeqRange{{math.MaxUint64, math.MaxUint64}, {5, 5}}, 1},
	} {
		c := AckRanges{FlowID: 1, CumulativeAck: 10, Ranges: tc.ranges}
		b := c.Append(nil)
		back, err := ParseAckRanges(b[ChunkHeaderLength:], nil)
		if err != nil || len(back.Ranges) != tc.keep || c.Length() != len(b) {
			t.Errorf("%s: kept %d (%v), want %d", tc.name, len(back.Ranges), err, tc.keep)
		}
	}
}

func TestAckRangeIter(t *testing.T) {
	hd, it, err := NewAckRangeIter(h("03 40 0a | 00 02 | 01 00 | 81"))
	if err != nil || hd.FlowID != 3 || hd.CumulativeAck != 10 || hd.BufferBlocks != 64 {
		t.Fatalf("%+v %v", hd, err)
	}
	var got []SeqRange
	for r, ok := it.Next(); ok; r, ok = it.Next() {
		got = append(got, r)
	}
	if it.Err() != nil || len(got) != 2 || got[0] != (SeqRange{12, 14}) || got[1] != (SeqRange{17, 17}) {
		t.Fatalf("%v %v", got, it.Err())
	}
	_, it, _ = NewAckRangeIter(h("03 40 0a | 82 80 80 80 80 80 80 80 80 00 00"))
	if _, ok := it.Next(); ok || !errors.Is(it.Err(), ErrVLUOverflow) {
		t.Fatalf("overflow: %v", it.Err())
	}
	// A range ending exactly at 2^64-1 is valid; one past it is not.
	_, it, _ = NewAckRangeIter(h("03 40 00 | 00 | 81 ff ff ff ff ff ff ff ff 7d"))
	if r, ok := it.Next(); !ok || r != (SeqRange{2, math.MaxUint64}) {
		t.Fatalf("top range %v %v %v", r, ok, it.Err())
	}
	_, it, _ = NewAckRangeIter(h("03 40 00 | 00 | 81 ff ff ff ff ff ff ff ff 7e"))
	if _, ok := it.Next(); ok || !errors.Is(it.Err(), ErrMalformed) {
		t.Fatalf("past the top: %v", it.Err())
	}
}

func TestAckRangesNoAlloc(t *testing.T) {
	c := AckRanges{FlowID: 9, BufferBlocks: 64, CumulativeAck: 1000,
		Ranges: []SeqRange{{1002, 1010}, {1020, 1030}, {1100, 1101}, {1200, 1500}, {1502, 1502}}}
	buf := make([]byte, 0, 64)
	dst := make([]SeqRange, 0, 8)
	var back AckRanges
	allocs := testing.AllocsPerRun(100, func() {
		b := c.Append(buf[:0])
		back, _ = ParseAckRanges(b[ChunkHeaderLength:], dst)
	})
	if allocs != 0 {
		t.Fatalf("%v allocs", allocs)
	}
	if len(back.Ranges) != 5 || back.Ranges[3] != (SeqRange{1200, 1500}) {
		t.Fatalf("%+v", back)
	}
}

func TestNewAckRanges(t *testing.T) {
	received := []SeqRange{{1, 10}, {12, 14}, {17, 17}}
	c := NewAckRanges(3, 64, received)
	if c.CumulativeAck != 10 || len(c.Ranges) != 2 || c.Ranges[0] != (SeqRange{12, 14}) {
		t.Fatalf("%+v", c)
	}
	mustEqualBytes(t, "from received", c.Append(nil), h("51 0007 | 03 | 40 | 0a | 00 02 | 01 00"))
	// Nothing in order yet: cumulative ack 0, 2..3 received: holesMinusOne 0.
	c = NewAckRanges(1, 1, []SeqRange{{2, 3}})
	mustEqualBytes(t, "gap at 1", c.Append(nil), h("51 0005 | 01 | 01 | 00 | 00 01"))
	c = NewAckRanges(1, 1, []SeqRange{{0, 0}, {5, 5}})
	if c.CumulativeAck != 0 || len(c.Ranges) != 1 {
		t.Fatalf("%+v", c)
	}
	if c = NewAckRanges(1, 0, nil); c.CumulativeAck != 0 || len(c.Ranges) != 0 {
		t.Fatalf("%+v", c)
	}
}
