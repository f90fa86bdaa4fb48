package cc

import (
	"slices"
	"testing"
)

func TestNAKRuleLostAfterThreeLaterAcks(t *testing.T) {
	var d LossDetector
	slots := make([]Slot, 6)
	for i := range slots {
		slots[i] = d.Sent(TSN(i+1), FragmentRef(100+i), MSS, false)
	}
	var lost []LostFragment
	// Acks for TSN 2, 3, 4 (the fragment of TSN 1 never arrives).
	for k, want := range []struct {
		naks     int
		anyLoss  bool
		lostRefs []FragmentRef
	}{
		{1, false, nil},
		{2, false, nil},
		{3, true, []FragmentRef{100}},
	} {
		if _, ok := d.Acked(slots[k+1]); !ok {
			t.Fatalf("ack %d refused", k+2)
		}
		var rep NAKReport
		rep, lost = d.AfterAcks(lost[:0])
		n, outstanding := d.NAKs(slots[0])
		if want.lostRefs == nil && (!outstanding || n != want.naks) {
			t.Errorf("after ack of TSN %d: fragment 1 has %d NAKs (outstanding %v), want %d", k+2, n, outstanding, want.naks)
		}
		if !rep.AnyNAKs || rep.AnyLoss != want.anyLoss {
			t.Errorf("after ack of TSN %d: report %+v", k+2, rep)
		}
		var refs []FragmentRef
		for _, l := range lost {
			refs = append(refs, l.Ref)
		}
		if !slices.Equal(refs, want.lostRefs) {
			t.Errorf("after ack of TSN %d: lost %v, want %v", k+2, refs, want.lostRefs)
		}
		if want.anyLoss && rep.LostBytes != MSS {
			t.Errorf("lost bytes %d", rep.LostBytes)
		}
	}
	if _, ok := d.NAKs(slots[0]); ok {
		t.Error("lost fragment still outstanding")
	}
	// TSN 5 and 6 are newer than anything acknowledged: untouched.
	for _, s := range slots[4:] {
		if n, ok := d.NAKs(s); !ok || n != 0 {
			t.Errorf("slot %d: %d NAKs, outstanding %v", s, n, ok)
		}
	}
	if d.Outstanding() != 2*MSS || d.Len() != 2 || d.MaxAckedTSN() != 4 {
		t.Errorf("outstanding %d len %d max acked %d", d.Outstanding(), d.Len(), d.MaxAckedTSN())
	}
	// A late ack for the lost fragment is refused (it was already given up).
	if _, ok := d.Acked(slots[0]); ok {
		t.Error("ack of a lost fragment accepted")
	}
	if _, ok := d.Acked(slots[1]); ok {
		t.Error("duplicate ack accepted")
	}
}

func TestNAKRuleSameAndOlderTSN(t *testing.T) {
	var d LossDetector
	// Packet TSN 1 carries fragments a and b; packet TSN 2 carries c.
	a := d.Sent(1, 1, 500, false)
	b := d.Sent(1, 2, 600, false)
	c := d.Sent(2, 3, 700, false)
	d.Acked(a)
	rep, _ := d.AfterAcks(nil)
	if n, _ := d.NAKs(b); n != 1 || !rep.AnyNAKs {
		t.Errorf("fragment in the acknowledged packet: %d NAKs, report %+v; want 1 (TSN ≤ highest acked)", n, rep)
	}
	if n, _ := d.NAKs(c); n != 0 {
		t.Errorf("newer fragment got %d NAKs", n)
	}
	// Acknowledging c raises the highest TSN to 2; b gets its second NAK.
	d.Acked(c)
	d.AfterAcks(nil)
	// Acknowledging an older fragment later does not lower it.
	d.Acked(b)
	if d.MaxAckedTSN() != 2 || d.Len() != 0 || d.Outstanding() != 0 {
		t.Errorf("max acked %d len %d outstanding %d", d.MaxAckedTSN(), d.Len(), d.Outstanding())
	}
}

func TestNAKRuleAbandoned(t *testing.T) {
	var d LossDetector
	abn := d.Sent(1, 1, 40, true)
	for i := TSN(2); i <= 4; i++ {
		s := d.Sent(i, FragmentRef(i), MSS, false)
		d.Acked(s)
		rep, lost := d.AfterAcks(nil)
		if rep.AnyNAKs || rep.AnyLoss {
			t.Errorf("TSN %d: abandoned fragment counted as congestion: %+v", i, rep)
		}
		if i == 4 && (rep.LostBytes != 40 || len(lost) != 1 || !lost[0].Abandoned || lost[0].Ref != 1) {
			t.Errorf("abandoned fragment not released: %+v %+v", rep, lost)
		}
	}
	if _, ok := d.NAKs(abn); ok || d.Outstanding() != 0 {
		t.Errorf("outstanding %d", d.Outstanding())
	}
}

func TestLossDetectorTimeout(t *testing.T) {
	var d LossDetector
	var want []FragmentRef
	for i := 1; i <= 100; i++ {
		s := d.Sent(TSN(i), FragmentRef(i), ByteCount(i), false)
		if i%3 == 0 {
			d.Acked(s)
		} else {
			want = append(want, FragmentRef(i))
		}
	}
	lost := d.Timeout(nil)
	var got []FragmentRef
	for _, l := range lost {
		got = append(got, l.Ref)
	}
	if !slices.Equal(got, want) {
		t.Errorf("timeout lost %v, want %v", got, want)
	}
	if d.Len() != 0 || d.Outstanding() != 0 {
		t.Errorf("after timeout: len %d outstanding %d", d.Len(), d.Outstanding())
	}
	// Usable again afterwards.
	s := d.Sent(101, 101, 10, false)
	if _, ok := d.Acked(s); !ok {
		t.Error("ack after timeout refused")
	}
}

// TestLossDetectorModel drives the ring through growth and wrap-around with
// a deterministic mix of sends and out-of-order acks, against a plain slice
// model of the same rule.
func TestLossDetectorModel(t *testing.T) {
	type frag struct {
		tsn  TSN
		slot Slot
		ref  FragmentRef
		size ByteCount
		naks int
	}
	var (
		d        LossDetector
		model    []frag
		maxAcked TSN
		tsn      TSN
		rng      uint32 = 12345
		lost     []LostFragment
	)
	next := func(n uint32) uint32 { rng = rng*1664525 + 1013904223; return (rng >> 8) % n }
	for step := 0; step < 20000; step++ {
		if next(3) != 0 || len(model) == 0 {
			tsn++
			for k := next(3) + 1; k > 0; k-- {
				ref := FragmentRef(step*4 + int(k))
				size := ByteCount(next(1000) + 1)
				model = append(model, frag{tsn: tsn, slot: d.Sent(tsn, ref, size, false), ref: ref, size: size})
			}
			continue
		}
		// Acknowledge one fragment, usually among the oldest.
		i := int(next(uint32(min(len(model), 4))))
		if next(10) == 0 {
			i = int(next(uint32(len(model))))
		}
		f := model[i]
		model = slices.Delete(model, i, i+1)
		if size, ok := d.Acked(f.slot); !ok || size != f.size {
			t.Fatalf("step %d: ack of %+v: %d %v", step, f, size, ok)
		}
		maxAcked = max(maxAcked, f.tsn)
		var wantLost []FragmentRef
		kept := model[:0]
		for _, m := range model {
			if m.tsn <= maxAcked {
				m.naks++
				if m.naks >= NAKsForLoss {
					wantLost = append(wantLost, m.ref)
					continue
				}
			}
			kept = append(kept, m)
		}
		model = kept
		_, lost = d.AfterAcks(lost[:0])
		var gotLost []FragmentRef
		for _, l := range lost {
			gotLost = append(gotLost, l.Ref)
		}
		if !slices.Equal(gotLost, wantLost) {
			t.Fatalf("step %d: lost %v, want %v", step, gotLost, wantLost)
		}
		var out ByteCount
		for _, m := range model {
			out += m.size
			if n, ok := d.NAKs(m.slot); !ok || n != m.naks {
				t.Fatalf("step %d: %+v has %d NAKs (ok %v)", step, m, n, ok)
			}
		}
		if d.Outstanding() != out || d.Len() != len(model) {
			t.Fatalf("step %d: outstanding %d len %d; want %d %d", step, d.Outstanding(), d.Len(), out, len(model))
		}
	}
}

func TestLossDetectorSteadyStateAllocs(t *testing.T) {
	var d LossDetector
	lost := make([]LostFragment, 0, 16)
	tsn := TSN(0)
	var slots [8]Slot
	cycle := func() {
		for i := range slots {
			tsn++
			slots[i] = d.Sent(tsn, FragmentRef(tsn), MSS, false)
		}
		for i := range slots {
			if i != 3 { // one fragment of each round is lost
				d.Acked(slots[i])
			}
			_, lost = d.AfterAcks(lost[:0])
		}
	}
	cycle() // the ring grows once
	if n := testing.AllocsPerRun(1000, cycle); n != 0 {
		t.Errorf("%v allocations per cycle, want 0", n)
	}
}
