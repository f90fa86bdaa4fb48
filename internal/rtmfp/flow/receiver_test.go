package flow

import (
	"bytes"
	"testing"
	"time"

	"camchat/internal/rtmfp/wire"
)

const (
	whole  = wire.UserDataFlags(wire.FragmentWhole)
	begin  = wire.UserDataFlags(wire.FragmentBegin)
	middle = wire.UserDataFlags(wire.FragmentMiddle)
	end    = wire.UserDataFlags(wire.FragmentEnd)
)

// settle sends the pending ack so that the next chunk starts from a clean
// state with a wide window.
func settle(t *testing.T, r *Receiver) {
	t.Helper()
	if b := r.AppendAck(nil, packetBudget); len(b) == 0 {
		t.Fatal("no ack")
	}
}

func TestReceiverImmediateAckRules(t *testing.T) {
	newOpen := func() *Receiver {
		r := NewReceiver(RecvConfig{ID: 1})
		// The first chunk is acknowledged at once: no window was advertised yet.
		if !r.OnData(at(0), 1, 0, whole, []byte("a")) {
			t.Fatal("first chunk not acknowledged at once (previous window < 2 blocks)")
		}
		settle(t, r)
		return r
	}
	t.Run("in order is delayed", func(t *testing.T) {
		r := newOpen()
		if r.OnData(at(10), 2, 1, whole, []byte("b")) {
			t.Fatal("in-order chunk acknowledged at once")
		}
		if due, imm := r.AckDue(); !due || imm || !r.AckDeadline().Equal(at(10).Add(DelayedAck)) {
			t.Fatalf("due %v immediate %v deadline %v", due, imm, r.AckDeadline().Sub(t0))
		}
		r.OnData(at(50), 3, 2, whole, []byte("c"))
		if !r.AckDeadline().Equal(at(210)) {
			t.Fatal("deadline moved by a later chunk")
		}
	})
	t.Run("two packets", func(t *testing.T) {
		r := newOpen()
		r.OnData(at(10), 2, 1, whole, nil)
		if r.OnDataPacket() {
			t.Fatal("one packet forced an ack")
		}
		r.OnData(at(11), 3, 1, whole, nil)
		if !r.OnDataPacket() {
			t.Fatal("second packet did not force an ack")
		}
		settle(t, r)
		r.OnData(at(12), 4, 1, whole, nil)
		if r.OnDataPacket() {
			t.Fatal("the count was not reset by the ack")
		}
	})
	t.Run("small window", func(t *testing.T) {
		r := NewReceiver(RecvConfig{ID: 1, BufferCapacity: 1024, Order: OrderHold})
		r.OnData(at(0), 1, 0, whole, make([]byte, 1000))
		_, a := decodeAck(t, r.AppendAck(nil, packetBudget))
		if a.BufferBlocks != 0 {
			t.Fatalf("window %d blocks, want 0 (held, full)", a.BufferBlocks)
		}
		if !r.OnData(at(1), 2, 0, whole, nil) {
			t.Fatal("chunk after a window under 2 blocks not acknowledged at once")
		}
	})
	t.Run("abandoned", func(t *testing.T) {
		r := newOpen()
		if !r.OnData(at(10), 2, 1, whole|wire.FlagABN, nil) {
			t.Fatal("ABN chunk not acknowledged at once")
		}
	})
	t.Run("gap", func(t *testing.T) {
		r := newOpen()
		if !r.OnData(at(10), 3, 1, whole, nil) {
			t.Fatal("chunk opening a gap not acknowledged at once")
		}
		settle(t, r)
		if !r.OnData(at(11), 5, 1, whole, nil) {
			t.Fatal("chunk while gaps exist not acknowledged at once")
		}
	})
	t.Run("duplicate", func(t *testing.T) {
		r := newOpen()
		if !r.OnData(at(10), 1, 0, whole, []byte("a")) || r.Stats().Duplicates != 1 {
			t.Fatal("duplicate not acknowledged at once")
		}
	})
	t.Run("FIN", func(t *testing.T) {
		r := newOpen()
		if !r.OnData(at(10), 2, 1, whole|wire.FlagFIN, nil) {
			t.Fatal("FIN not acknowledged at once")
		}
	})
	t.Run("not open", func(t *testing.T) {
		r := newOpen()
		r.Reject(at(0), 0)
		settle(t, r)
		if !r.OnData(at(10), 2, 1, whole, nil) {
			t.Fatal("chunk on a rejected flow not acknowledged at once")
		}
	})
	t.Run("buffer probe", func(t *testing.T) {
		r := newOpen()
		r.OnBufferProbe(at(10))
		if due, imm := r.AckDue(); !due || !imm {
			t.Fatal("buffer probe did not make the ack immediate")
		}
	})
	t.Run("window reopens on read", func(t *testing.T) {
		r := NewReceiver(RecvConfig{ID: 1, BufferCapacity: 2048})
		r.OnData(at(0), 1, 0, whole, make([]byte, 1500))
		settle(t, r) // advertises 1 block
		r.OnData(at(1), 2, 1, whole, nil)
		settle(t, r)
		if _, ok := r.Read(); !ok {
			t.Fatal("nothing to read")
		}
		if due, imm := r.AckDue(); !due || !imm {
			t.Fatal("reading with a nearly closed window did not ack at once")
		}
	})
}

func TestReceiverWindow(t *testing.T) {
	for _, tc := range []struct {
		capacity, limit, buffered int
		order                     Order
		want                      uint64
	}{
		{0, 0, 0, OrderSequence, 64},                         // default 64 KiB
		{10000, 0, 0, OrderSequence, 10},                     // rounded up
		{10000, 3000, 0, OrderSequence, 3},                   // limit
		{2048, 0, 1500 + FragmentOverhead, OrderHold, 1},     // 484 bytes left → 1 block
		{2048, 0, 4000 + FragmentOverhead, OrderSequence, 1}, // over capacity, still 1 block
		{2048, 0, 4000 + FragmentOverhead, OrderHold, 0},     // on hold: 0
		{-1, 0, 0, OrderSequence, 0},                         // capacity 0
	} {
		r := NewReceiver(RecvConfig{ID: 1, BufferCapacity: tc.capacity, WindowLimit: tc.limit, Order: OrderHold})
		if tc.buffered > 0 {
			r.OnData(at(0), 1, 0, whole, make([]byte, tc.buffered-FragmentOverhead))
		}
		r.SetOrder(at(0), tc.order)
		if r.Buffered() != tc.buffered {
			t.Fatalf("%+v: buffered %d", tc, r.Buffered())
		}
		_, a := decodeAck(t, r.AppendAck(nil, packetBudget))
		if a.BufferBlocks != tc.want {
			t.Errorf("%+v: %d blocks, want %d", tc, a.BufferBlocks, tc.want)
		}
	}
}

func TestReceiverOrders(t *testing.T) {
	a := []byte("message A")
	bParts := [][]byte{[]byte("B1-"), []byte("B2-"), []byte("B3")}
	bWhole := []byte("B1-B2-B3")
	run := func(order Order) (*Receiver, [][]byte) {
		r := NewReceiver(RecvConfig{ID: 1, Order: order})
		var got [][]byte
		read := func() {
			for m, ok := r.Read(); ok; m, ok = r.Read() {
				got = append(got, m)
			}
		}
		// A (seq 1) is late; B (seq 2..4) arrives end first.
		r.OnData(at(0), 4, 0, end, bParts[2])
		read()
		r.OnData(at(1), 2, 0, begin, bParts[0])
		read()
		r.OnData(at(2), 3, 0, middle, bParts[1])
		read()
		if order == OrderNetwork && len(got) != 1 {
			t.Fatalf("network order: B not delivered when whole (%d messages)", len(got))
		}
		if order != OrderNetwork && len(got) != 0 {
			t.Fatalf("order %d: delivered before the gap filled", order)
		}
		r.OnData(at(3), 1, 0, whole, a)
		read()
		return r, got
	}
	_, got := run(OrderSequence)
	if len(got) != 2 || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], bWhole) {
		t.Fatalf("sequence order: %q", got)
	}
	_, got = run(OrderNetwork)
	if len(got) != 2 || !bytes.Equal(got[0], bWhole) || !bytes.Equal(got[1], a) {
		t.Fatalf("network order: %q", got)
	}
	r, got := run(OrderHold)
	if len(got) != 0 || r.Ready() != 0 {
		t.Fatal("hold delivered")
	}
	r.SetOrder(at(0), OrderSequence)
	got = nil
	for m, ok := r.Read(); ok; m, ok = r.Read() {
		got = append(got, m)
	}
	if len(got) != 2 || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], bWhole) {
		t.Fatalf("after hold: %q", got)
	}
	if r.Buffered() != 0 || r.Stats().Messages != 2 || r.Stats().Bytes != uint64(len(a)+len(bWhole)) {
		t.Fatalf("buffered %d stats %+v", r.Buffered(), r.Stats())
	}
}

// TestReceiverFSNDiscardsPartials: an FSN past a partial message discards it
// and delivers what follows.
func TestReceiverFSNDiscardsPartials(t *testing.T) {
	r := NewReceiver(RecvConfig{ID: 1})
	r.OnData(at(0), 1, 0, begin, []byte("x1"))
	r.OnData(at(0), 2, 0, middle, []byte("x2"))
	// seq 3 (x's end) is abandoned by the sender: the next chunk says FSN 3.
	r.OnData(at(1), 4, 3, whole, []byte("y"))
	if r.CumulativeAck() != 4 {
		t.Fatalf("cum %d", r.CumulativeAck())
	}
	m, ok := r.Read()
	if !ok || string(m) != "y" {
		t.Fatalf("read %q %v", m, ok)
	}
	if _, ok := r.Read(); ok {
		t.Fatal("partial message delivered")
	}
	if st := r.Stats(); st.Discarded != 2 || r.Buffered() != 0 {
		t.Fatalf("stats %+v buffered %d", st, r.Buffered())
	}
	// A partial message whose next sequence number is known and not its own.
	r.OnData(at(2), 5, 4, begin, []byte("z1"))
	r.OnData(at(2), 6, 4, whole|wire.FlagABN, nil)
	r.OnData(at(2), 7, 4, whole, []byte("w"))
	if m, ok := r.Read(); !ok || string(m) != "w" || r.Stats().Discarded != 3 {
		t.Fatalf("read %q %v stats %+v", m, ok, r.Stats())
	}
}

func TestReceiverAckTruncationKeepsNewest(t *testing.T) {
	r := NewReceiver(RecvConfig{ID: 7})
	r.OnData(at(0), 1, 0, whole, nil)
	for s := wire.SeqNum(3); s <= 199; s += 2 {
		r.OnData(at(0), s, 0, whole, nil)
	}
	full := r.AppendAck(nil, packetBudget)
	_, a := decodeAck(t, full)
	if a.CumulativeAck != 1 || len(a.Ranges) != 99 || r.Stats().Truncated != 0 {
		t.Fatalf("full ack: cum %d, %d ranges", a.CumulativeAck, len(a.Ranges))
	}
	r.OnBufferProbe(at(1))
	hdr := wire.AckRanges{FlowID: 7, BufferBlocks: a.BufferBlocks, CumulativeAck: 1}.Length()
	b := r.AppendAck([]byte{0xee}, hdr+2*7+1)
	if b[0] != 0xee {
		t.Fatal("prefix overwritten")
	}
	_, a = decodeAck(t, b[1:])
	if a.CumulativeAck != 1 || len(a.Ranges) != 7 {
		t.Fatalf("truncated ack: cum %d, %d ranges", a.CumulativeAck, len(a.Ranges))
	}
	for i, rg := range a.Ranges {
		want := wire.SeqNum(187 + 2*i)
		if rg.From != want || rg.To != want {
			t.Fatalf("range %d = %v, want the newest [%d]", i, rg, want)
		}
	}
	if len(b)-1 > hdr+2*7+1 || r.Stats().Truncated != 1 {
		t.Fatalf("%d bytes; truncated %d", len(b)-1, r.Stats().Truncated)
	}
	// Too small for the header: nothing, and the ack stays due.
	r.OnBufferProbe(at(2))
	if out := r.AppendAck([]byte{1, 2}, hdr-1); len(out) != 2 {
		t.Fatal("appended into a budget smaller than the header")
	}
	if due, imm := r.AckDue(); !due || !imm {
		t.Fatal("ack no longer due after it did not fit")
	}
	// The rejected flow's exception report must fit too.
	r.Reject(at(0), 3)
	if out := r.AppendAck(nil, hdr+1); len(out) != 0 {
		t.Fatal("exception without its ack")
	}
}

func TestReceiverHostileInput(t *testing.T) {
	r := NewReceiver(RecvConfig{ID: 1, MaxRanges: 4, BufferCapacity: 4096, MaxBuffered: 3000})
	r.OnData(at(0), 5, 6, whole, nil) // FSN above seq
	r.OnData(at(0), 0, 0, whole, nil) // seq 0
	r.OnData(at(0), 2+MaxSeqAhead, 0, whole, nil)
	if st := r.Stats(); st.DroppedMalformed != 2 || st.DroppedJump != 1 {
		t.Fatalf("stats %+v", st)
	}
	// Ranges: {0}, {2}, {4}, {6} is the cap; {8} is dropped.
	for _, s := range []wire.SeqNum{2, 4, 6, 8} {
		r.OnData(at(0), s, 0, whole, []byte{byte(s)})
	}
	if r.set.count() != 4 || r.Stats().DroppedRanges != 1 || r.set.contains(8) {
		t.Fatalf("ranges %v dropped %d", r.set.r, r.Stats().DroppedRanges)
	}
	// Filling a hole merges ranges and is always accepted.
	r.OnData(at(0), 3, 0, whole, nil)
	if r.set.count() != 3 {
		t.Fatalf("ranges %v", r.set.r)
	}
	// Buffer: 3 fragments of 1+64 are held; a 2900-byte one does not fit.
	r.OnData(at(0), 7, 0, whole, make([]byte, 2900))
	if r.Stats().DroppedBuffer != 1 || r.set.contains(7) {
		t.Fatalf("buffer cap: %+v", r.Stats())
	}
	// FIN below data already seen, then a real FIN, then data after it.
	r.OnData(at(0), 5, 0, whole|wire.FlagFIN, nil)
	if r.Stats().DroppedMalformed != 3 {
		t.Fatalf("FIN below seen data accepted: %+v", r.Stats())
	}
	r.OnData(at(0), 9, 0, whole|wire.FlagFIN, nil)
	r.OnData(at(0), 10, 0, whole, nil)
	r.OnData(at(0), 8, 0, whole|wire.FlagFIN, nil)
	if st := r.Stats(); st.DroppedAfterFIN != 1 || st.DroppedMalformed != 4 {
		t.Fatalf("after FIN: %+v", st)
	}
	// Everything that was accepted is consistent.
	checkReceiver(t, r)
}

// checkReceiver asserts the receiver's invariants.
func checkReceiver(t testing.TB, r *Receiver) {
	t.Helper()
	rs := r.set.r
	if len(rs) == 0 || rs[0].From != 0 || len(rs) > r.maxRanges {
		t.Fatalf("set %v (max %d)", rs, r.maxRanges)
	}
	for i, x := range rs {
		if x.To < x.From || i > 0 && x.From <= rs[i-1].To+1 {
			t.Fatalf("set not ascending and disjoint: %v", rs)
		}
	}
	held, mem := 0, 0
	for i := r.fh; i < len(r.frags); i++ {
		f := r.frags[i]
		held += len(f.data()) + FragmentOverhead
		mem += cap(*f.buf) + FragmentOverhead
		if i > r.fh && f.seq <= r.frags[i-1].seq {
			t.Fatalf("fragments out of order at %d", i)
		}
		if !r.set.contains(f.seq) {
			t.Fatalf("buffered fragment %d not in the set", f.seq)
		}
	}
	for i := 0; i < r.ready.len(); i++ {
		held += len(*r.ready.at(i).buf) + FragmentOverhead
		mem += cap(*r.ready.at(i).buf) + FragmentOverhead
	}
	if mem != r.held {
		t.Fatalf("held %d, counted %d", r.held, mem)
	}
	if held != r.buffered || held > r.maxHeld()+FragmentOverhead {
		t.Fatalf("buffered %d, counted %d (max %d)", r.buffered, held, r.maxHeld())
	}
}

// A sender that ignores the window fills a hole-fronted flow with fragments
// just above a pool size class: the memory held, counted in pooled buffer
// capacity, stays within twice the window plus DefaultBufferCapacity, and
// the rest is dropped and counted. (Before, 4·window + 1 MiB counted in data
// bytes: 1.3 MB held with a 64 KiB window.)
func TestReceiverMemoryBound(t *testing.T) {
	const window = 64 << 10
	r := NewReceiver(RecvConfig{ID: 1, BufferCapacity: window})
	data := make([]byte, 1025) // pooled in 2048-byte buffers
	// One message in sequence that never ends: it may grow beyond the
	// window (a message larger than the buffer), up to MaxBuffered.
	for seq := wire.SeqNum(1); seq < 2000; seq++ {
		fra := wire.FragmentMiddle
		if seq == 1 {
			fra = wire.FragmentBegin
		}
		r.OnData(at(0), seq, 0, wire.UserDataFlags(0).WithFragment(fra), data)
	}
	limit := 2*window + DefaultBufferCapacity
	kept := limit / (2048 + FragmentOverhead)
	if r.Held() > limit || r.Held() != kept*(2048+FragmentOverhead) {
		t.Fatalf("held %d bytes, want %d (limit %d)", r.Held(), kept*(2048+FragmentOverhead), limit)
	}
	if st := r.Stats(); st.DroppedBuffer != uint64(1999-kept) || st.DroppedWindow != 0 {
		t.Fatalf("dropped %d fragments (%d for the window), want %d", st.DroppedBuffer, st.DroppedWindow, 1999-kept)
	}
	checkReceiver(t, r)
	// The bound follows the buffer capacity.
	r.SetBufferCapacity(2 * window)
	r.OnData(at(0), wire.SeqNum(kept+1), 0, wire.UserDataFlags(0).WithFragment(wire.FragmentMiddle), data)
	if r.Stats().DroppedBuffer != uint64(1999-kept) {
		t.Fatal("fragment dropped after the capacity grew")
	}
	// Reject gives everything back.
	r.Reject(at(0), 0)
	if r.Held() != 0 || r.Buffered() != 0 {
		t.Fatalf("after Reject: held %d, buffered %d", r.Held(), r.Buffered())
	}
}

// Behind a gap a receiver keeps only what the window let an honest sender
// send (the capacity and OutOfOrderSlack): a sender that never sends
// sequence number 1 and ignores the window cannot make it hold more (in
// one review, 144 KiB per flow of a 64 KiB window, on 200 flows a
// session).
func TestReceiverOutOfOrderWithinWindow(t *testing.T) {
	const window = 64 << 10
	b := NewMemoryBudget(0, nil)
	r := NewReceiver(RecvConfig{ID: 1, BufferCapacity: window, Budget: b})
	data := make([]byte, 1025)
	const per = 1025 + FragmentOverhead
	for seq := wire.SeqNum(2); seq < 2000; seq++ {
		r.OnData(at(0), seq, 0, wire.UserDataFlags(0).WithFragment(wire.FragmentMiddle), data)
	}
	kept := (window + OutOfOrderSlack) / per
	if r.Buffered() != kept*per || r.Held() != kept*(2048+FragmentOverhead) {
		t.Fatalf("buffered %d, held %d; want %d fragments kept", r.Buffered(), r.Held(), kept)
	}
	if st := r.Stats(); st.DroppedWindow != uint64(1998-kept) || st.DroppedBuffer != 0 {
		t.Fatalf("dropped %d for the window, %d for memory; want %d", st.DroppedWindow, st.DroppedBuffer, 1998-kept)
	}
	if b.Held() != r.Held() || b.Peak() != r.Held() {
		t.Fatalf("budget holds %d (peak %d), the flow %d", b.Held(), b.Peak(), r.Held())
	}
	// Dropped fragments are not acknowledged: the sender sends them again.
	if got := r.set.top(); got != wire.SeqNum(kept+1) {
		t.Fatalf("highest sequence number acknowledged %d, want %d", got, kept+1)
	}
	// The gap filled, the run is delivered and the window takes more.
	r.OnData(at(0), 1, 0, wire.UserDataFlags(0).WithFragment(wire.FragmentBegin), data)
	if r.Held() != (kept+1)*(2048+FragmentOverhead) || b.Held() != r.Held() {
		t.Fatalf("after the gap filled: held %d, budget %d", r.Held(), b.Held())
	}
	r.DropFragments()
	if r.Held() != 0 || r.Buffered() != 0 || b.Held() != 0 {
		t.Fatalf("after DropFragments: held %d, buffered %d, budget %d", r.Held(), r.Buffered(), b.Held())
	}
}

// A fragment that does not fit the flow's budget, or its parent's, is
// dropped and counted, the budget that refused it is marked, and every
// change of what the flow holds is charged up the chain.
func TestReceiverBudget(t *testing.T) {
	ep := NewMemoryBudget(10000, nil)
	sess := NewMemoryBudget(6000, ep)
	other := NewMemoryBudget(0, ep)
	other.Charge(5000)
	r := NewReceiver(RecvConfig{ID: 1, BufferCapacity: 64 << 10, Budget: sess})
	data := make([]byte, 1000) // 1024-byte buffers
	seq := wire.SeqNum(1)
	send := func() {
		r.OnData(at(0), seq, seq-1, wire.UserDataFlags(0).WithFragment(wire.FragmentWhole), data)
		seq++
	}
	for range 4 {
		send() // four 1088-byte charges: 4352 in all
	}
	if r.Held() != 4*1088 || sess.Held() != r.Held() || ep.Held() != 5000+r.Held() {
		t.Fatalf("held %d, session %d, endpoint %d", r.Held(), sess.Held(), ep.Held())
	}
	send() // the endpoint's 10000 refuses it
	if st := r.Stats(); st.DroppedBudget != 1 || ep.TakeRefused() != 1 || sess.TakeRefused() != 0 || ep.TakeRefused() != 0 {
		t.Fatalf("budget drops %d; refusal not marked on the endpoint alone", st.DroppedBudget)
	}
	other.Detach() // gives its 5000 back to the endpoint
	send()
	send() // the session's 6000 refuses the sixth
	if st := r.Stats(); st.DroppedBudget != 2 || sess.TakeRefused() != 1 || ep.TakeRefused() != 0 {
		t.Fatalf("budget drops %d; refusal not marked on the session alone", st.DroppedBudget)
	}
	for range 5 {
		if _, ok := r.Read(); !ok {
			t.Fatal("message missing")
		}
	}
	if r.Held() != 0 || sess.Held() != 0 || ep.Held() != 0 || sess.Peak() != 5*1088 {
		t.Fatalf("after reading: held %d, session %d (peak %d), endpoint %d", r.Held(), sess.Held(), sess.Peak(), ep.Held())
	}
}

func TestSeqSet(t *testing.T) {
	var s seqSet
	s.reset()
	add := func(a, b wire.SeqNum) { t.Helper(); s.add(a, b, 100) }
	add(5, 5)
	add(7, 9)
	add(3, 3)
	if got := s.r; len(got) != 4 || got[1] != (wire.SeqRange{From: 3, To: 3}) {
		t.Fatalf("%v", got)
	}
	add(4, 4) // joins 3 and 5
	add(6, 6) // joins 3..5 and 7..9
	if got := s.r; len(got) != 2 || got[1] != (wire.SeqRange{From: 3, To: 9}) {
		t.Fatalf("%v", got)
	}
	add(0, 2)
	if s.count() != 1 || s.cum() != 9 {
		t.Fatalf("%v", s.r)
	}
	add(20, 30)
	add(12, 40) // covers
	add(1<<63, 1<<64-1)
	if s.count() != 3 || s.top() != 1<<64-1 || !s.contains(40) || s.contains(41) || s.contains(11) {
		t.Fatalf("%v", s.r)
	}
	if s.add(50, 50, 3) || s.count() != 3 {
		t.Fatal("cap not enforced")
	}
	if !s.add(10, 11, 3) || s.count() != 2 {
		t.Fatalf("merge refused at the cap: %v", s.r)
	}
}

func TestReceiverLinger(t *testing.T) {
	r := NewReceiver(RecvConfig{ID: 1})
	r.OnData(at(0), 2, 0, whole|wire.FlagFIN, []byte("b"))
	if r.State() != RecvOpen {
		t.Fatal("linger with a gap")
	}
	r.OnData(at(5), 1, 0, whole, []byte("a"))
	if r.State() != RecvCompleteLinger || !r.NextDeadline().Equal(at(5).Add(RecvLinger)) {
		t.Fatalf("state %v", r.State())
	}
	if r.Complete() {
		t.Fatal("complete before the messages were read")
	}
	m1, _ := r.Read()
	m2, _ := r.Read()
	if string(m1) != "a" || string(m2) != "b" || !r.Complete() {
		t.Fatalf("%q %q complete %v", m1, m2, r.Complete())
	}
	// Still acknowledging in the linger.
	if !r.OnData(at(10), 2, 0, whole|wire.FlagFIN, []byte("b")) {
		t.Fatal("duplicate in the linger not acknowledged")
	}
	r.OnDeadline(at(5).Add(RecvLinger))
	if r.State() != RecvClosed {
		t.Fatal("not closed after the linger")
	}
	if due, _ := r.AckDue(); due || len(r.AppendAck(nil, packetBudget)) != 0 {
		t.Fatal("closed flow acknowledges")
	}
}

// TestReceiverArrival: each message carries the time it became deliverable,
// whenever it is read. In sequence order a message waits for the gap before
// it (filled by data or passed by the forward sequence number); in network
// order it does not; a hold releases at SetOrder's time.
func TestReceiverArrival(t *testing.T) {
	type want struct {
		msg string
		at  time.Time
	}
	check := func(t *testing.T, r *Receiver, w []want) {
		t.Helper()
		for i, x := range w {
			arrived := r.NextArrival()
			m, ok := r.Read()
			if !ok || string(m) != x.msg || !arrived.Equal(x.at) {
				t.Fatalf("message %d: %q at %v, want %q at %v", i, m, arrived.Sub(t0), x.msg, x.at.Sub(t0))
			}
		}
		if _, ok := r.Read(); ok || !r.NextArrival().IsZero() {
			t.Fatal("more messages than expected")
		}
	}
	feedAll := func(r *Receiver) {
		r.OnData(at(10), 2, 0, whole, []byte("two"))
		r.OnData(at(20), 4, 0, end, []byte("four-b"))
		r.OnData(at(30), 3, 0, begin, []byte("four-a,"))
		r.OnData(at(40), 1, 0, whole, []byte("one"))
		// Seq 5 is lost and abandoned: the forward sequence number of 6
		// passes it at 60 ms.
		r.OnData(at(50), 7, 0, whole, []byte("seven"))
		r.OnData(at(60), 6, 5, whole, []byte("six"))
	}
	t.Run("sequence", func(t *testing.T) {
		r := NewReceiver(RecvConfig{ID: 1})
		feedAll(r)
		check(t, r, []want{{"one", at(40)}, {"two", at(40)}, {"four-a,four-b", at(40)}, {"six", at(60)}, {"seven", at(60)}})
	})
	t.Run("network", func(t *testing.T) {
		r := NewReceiver(RecvConfig{ID: 1, Order: OrderNetwork})
		feedAll(r)
		check(t, r, []want{{"two", at(10)}, {"four-a,four-b", at(30)}, {"one", at(40)}, {"seven", at(50)}, {"six", at(60)}})
	})
	t.Run("hold", func(t *testing.T) {
		r := NewReceiver(RecvConfig{ID: 1, Order: OrderHold})
		feedAll(r)
		if r.Ready() != 0 {
			t.Fatal("hold delivered")
		}
		r.SetOrder(at(100), OrderSequence)
		check(t, r, []want{{"one", at(100)}, {"two", at(100)}, {"four-a,four-b", at(100)}, {"six", at(100)}, {"seven", at(100)}})
	})
}
