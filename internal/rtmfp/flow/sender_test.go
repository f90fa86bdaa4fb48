package flow

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/wire"
)

func TestSenderFragmentsAndStartupOptions(t *testing.T) {
	md := []byte("TC\x04\x05")
	s := NewSender(SendConfig{ID: 9, Metadata: md, Associated: true, AssociatedID: 4})
	optLen := wire.OptionLen(wire.OptionMetadata, len(md)) + wire.OptionLen(wire.OptionReturnAssociation, 1)
	msg := msgOf(3000, 1)
	rc, err := s.Write(at(0), msg, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	var fras []wire.Fragment
	for tsn := 1; tsn <= 3; tsn++ {
		b, n, tc := s.AppendData(nil, at(0), cctsn(tsn), packetBudget)
		if n != len(b) || n > packetBudget || tc {
			t.Fatalf("packet %d: n=%d len=%d tc=%v", tsn, n, len(b), tc)
		}
		cs := decodeData(t, b)
		if len(cs) != 1 {
			t.Fatalf("packet %d: %d chunks, want 1 (the rest of the packet is below minSplit)", tsn, len(cs))
		}
		ud := cs[0].ud
		if ud.SeqNum != wire.SeqNum(tsn) || ud.FSN() != 0 || ud.FlowID != 9 {
			t.Fatalf("packet %d: seq %d fsn %d flow %d", tsn, ud.SeqNum, ud.FSN(), ud.FlowID)
		}
		// Startup options ride in every packet until the first ack.
		fo, err := wire.ParseFlowOptions(ud.Options)
		if err != nil || !ud.Flags.Options() || !bytes.Equal(fo.Metadata, md) || !fo.HasReturnAssociation || fo.ReturnAssociation != 4 {
			t.Fatalf("packet %d: options %x (%+v, %v)", tsn, ud.Options, fo, err)
		}
		if len(ud.Options) != optLen {
			t.Fatalf("options %d bytes, want %d", len(ud.Options), optLen)
		}
		if len(ud.Data) > MaxFragment-optLen-1 {
			t.Fatalf("fragment %d bytes exceeds %d", len(ud.Data), MaxFragment-optLen-1)
		}
		fras = append(fras, ud.Flags.Fragment())
		got = append(got, ud.Data...)
	}
	if want := []wire.Fragment{wire.FragmentBegin, wire.FragmentMiddle, wire.FragmentEnd}; !slices.Equal(fras, want) {
		t.Fatalf("FRA %v, want %v", fras, want)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("fragments do not reassemble to the message")
	}
	if s.WantsToSend(at(0)) {
		t.Fatal("wants to send with nothing left")
	}
	// The first ack ends the options; the next fragment may be a full MaxFragment.
	acked, _ := ack(t, s, at(40), 64, 3)
	if acked == 0 || s.Outstanding() != 0 || !rc.Delivered() {
		t.Fatalf("acked %d outstanding %d delivered %v", acked, s.Outstanding(), rc.Delivered())
	}
	s.Write(at(40), msgOf(5000, 2), WriteOptions{})
	b, _, _ := s.AppendData(nil, at(40), 4, packetBudget)
	cs := decodeData(t, b)
	if cs[0].ud.Flags.Options() || len(cs[0].ud.Data) != MaxFragment || cs[0].ud.SeqNum != 4 || cs[0].ud.FSN() != 3 {
		t.Fatalf("after ack: opt %v data %d seq %d fsn %d", cs[0].ud.Flags.Options(), len(cs[0].ud.Data), cs[0].ud.SeqNum, cs[0].ud.FSN())
	}
}

func cctsn(n int) cc.TSN { return cc.TSN(n) }

func TestSenderNextUserDataAndSplitToBudget(t *testing.T) {
	s := NewSender(SendConfig{ID: 2, Priority: PriorityImmediate})
	for i := range 3 {
		s.Write(at(0), msgOf(10, byte(i*16)), WriteOptions{})
	}
	s.Write(at(0), msgOf(2000, 0x80), WriteOptions{})
	b, n, tc := s.AppendData(nil, at(0), 1, 600)
	if !tc || n != len(b) || n > 600 {
		t.Fatalf("tc %v n %d", tc, n)
	}
	cs := decodeData(t, b)
	if len(cs) != 4 {
		t.Fatalf("%d chunks, want 4", len(cs))
	}
	for i, c := range cs {
		if c.next != (i > 0) || c.ud.SeqNum != wire.SeqNum(i+1) || c.ud.FSN() != 0 {
			t.Fatalf("chunk %d: next %v seq %d fsn %d", i, c.next, c.ud.SeqNum, c.ud.FSN())
		}
	}
	if cs[3].ud.Flags.Fragment() != wire.FragmentBegin || n != 600 {
		t.Fatalf("the big message's first fragment should fill the packet: fra %v, %d bytes", cs[3].ud.Flags.Fragment(), n)
	}
	// A packet with too little room for a useful piece gets nothing.
	b, n, _ = s.AppendData(nil, at(0), 2, 20)
	if n != 0 || len(b) != 0 {
		t.Fatalf("appended %d bytes into a 20-byte budget", n)
	}
	if st := s.Stats(); st.Fragments != 4 || st.DataChunks != 4 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSenderWindowAndBufferProbes(t *testing.T) {
	s := NewSender(SendConfig{ID: 1})
	for range 100 {
		s.Write(at(0), msgOf(1000, 0), WriteOptions{})
	}
	tsn := 0
	for s.WantsToSend(at(0)) {
		tsn++
		s.AppendData(nil, at(0), cctsn(tsn), packetBudget)
	}
	if out := s.Outstanding(); out < InitialPeerWindow || out > InitialPeerWindow+packetBudget {
		t.Fatalf("outstanding %d before the first ack, want just past %d", out, InitialPeerWindow)
	}
	sent := s.nextSeq() - 1
	// The receiver takes everything but has no room left.
	ack(t, s, at(100), 0, sent)
	if s.Outstanding() != 0 || s.Window() != 0 || s.WantsToSend(at(100)) {
		t.Fatalf("zero window: outstanding %d window %d", s.Outstanding(), s.Window())
	}
	// First probe after max(1 s, ERTO).
	if got := s.NextBufferProbe(300 * time.Millisecond); !got.Equal(at(1100)) {
		t.Fatalf("first probe at %v, want +1s", got.Sub(t0))
	}
	if got := s.NextBufferProbe(3 * time.Second); !got.Equal(at(3100)) {
		t.Fatalf("first probe with ERTO 3s at %v", got.Sub(t0))
	}
	// Backoff ×√2 up to 60 s, never below ERTO.
	now := at(1100)
	want := []time.Duration{1414214 * time.Microsecond, 2000000605 * time.Nanosecond}
	for i, w := range want {
		s.OnBufferProbeSent(now, 300*time.Millisecond)
		got := s.NextBufferProbe(300 * time.Millisecond).Sub(now)
		if d := got - w; d < -time.Millisecond || d > time.Millisecond {
			t.Fatalf("probe %d interval %v, want %v", i+2, got, w)
		}
		now = now.Add(got)
	}
	for range 20 {
		s.OnBufferProbeSent(now, 300*time.Millisecond)
	}
	if got := s.NextBufferProbe(300 * time.Millisecond).Sub(now); got != PersistMax {
		t.Fatalf("interval capped at %v, want %v", got, PersistMax)
	}
	s.OnBufferProbeSent(now, 90*time.Second)
	if got := s.NextBufferProbe(90 * time.Second).Sub(now); got != 90*time.Second {
		t.Fatalf("interval %v, want ERTO 90s", got)
	}
	// Two blocks reopen the window: new data only while outstanding < 2048.
	ack(t, s, now, 2, sent)
	if !s.NextBufferProbe(time.Second).IsZero() {
		t.Fatal("probe still pending after the window opened")
	}
	var packets int
	for s.WantsToSend(now) {
		tsn++
		packets++
		s.AppendData(nil, now, cctsn(tsn), packetBudget)
	}
	if packets != 2 || s.Outstanding() < 2048 {
		t.Fatalf("%d packets, outstanding %d with a 2048-byte window", packets, s.Outstanding())
	}
	if st := s.Stats(); st.Probes != 23 {
		t.Fatalf("probes %d", st.Probes)
	}
}

// TestSenderFinishByAbandonsAndFSN: a message lost and past its FinishBy is
// sent once more with ABN and no data, the FSN moves past it, the receiver's
// cumulative ack passes it, and the messages around it are delivered.
func TestSenderFinishByAbandonsAndFSN(t *testing.T) {
	s := NewSender(SendConfig{ID: 1})
	r := NewReceiver(RecvConfig{ID: 1})
	m1, m2, m3 := msgOf(10, 1), msgOf(10, 2), msgOf(10, 3)
	r1, _ := s.Write(at(0), m1, WriteOptions{})
	r2, _ := s.Write(at(0), m2, WriteOptions{FinishBy: 50 * time.Millisecond})
	r3, _ := s.Write(at(0), m3, WriteOptions{})
	if !s.NextDeadline().Equal(at(50)) {
		t.Fatalf("next deadline %v", s.NextDeadline().Sub(t0))
	}
	var pk [3][]byte
	for i := range pk {
		pk[i], _, _ = s.AppendData(nil, at(i), cctsn(i+1), 20+7) // one chunk per packet
		if cs := decodeData(t, pk[i]); len(cs) != 1 || cs[0].ud.SeqNum != wire.SeqNum(i+1) {
			t.Fatalf("packet %d: %d chunks", i, len(cs))
		}
	}
	feed(t, r, at(20), pk[0]) // packet 2 is lost
	feed(t, r, at(22), pk[2])
	if got, ok := r.Read(); !ok || !bytes.Equal(got, m1) {
		t.Fatal("m1 not delivered")
	}
	if _, ok := r.Read(); ok {
		t.Fatal("m3 delivered ahead of the gap")
	}
	_, a := decodeAck(t, r.AppendAck(nil, packetBudget))
	if a.CumulativeAck != 1 || len(a.Ranges) != 1 || a.Ranges[0] != (wire.SeqRange{From: 3, To: 3}) {
		t.Fatalf("ack %+v", a)
	}
	// Three acks carry three NAKs for seq 2.
	for i := range 3 {
		_, rep := ack(t, s, at(40+i), a.BufferBlocks, a.CumulativeAck, a.Ranges...)
		if lost := rep.LostBytes > 0; lost != (i == 2) {
			t.Fatalf("ack %d: report %+v", i, rep)
		}
	}
	if r1.Delivered() != true || r3.Delivered() != true || r2.Resolved() {
		t.Fatalf("receipts %v %v %v", r1.Delivered(), r2.Resolved(), r3.Delivered())
	}
	// Before the deadline the loss is retransmitted with data...
	b, _, _ := s.AppendData(nil, at(45), 4, packetBudget)
	cs := decodeData(t, b)
	if len(cs) != 1 || cs[0].ud.SeqNum != 2 || cs[0].ud.Flags.Abandoned() || !bytes.Equal(cs[0].ud.Data, m2) {
		t.Fatalf("retransmission %+v", cs)
	}
	// ...lost again, and past the deadline it goes once with ABN.
	s.OnDeadline(at(50))
	if !r2.Abandoned() || r2.Delivered() {
		t.Fatal("m2 not abandoned at its FinishBy")
	}
	// The retransmission is lost too; nothing later was acknowledged, so
	// the timeout finds it.
	if lost := s.OnTimeout(at(60)); lost == 0 {
		t.Fatal("timeout found nothing in flight")
	}
	b, _, _ = s.AppendData(nil, at(70), 5, packetBudget)
	cs = decodeData(t, b)
	if len(cs) != 1 || cs[0].ud.SeqNum != 2 || !cs[0].ud.Flags.Abandoned() || len(cs[0].ud.Data) != 0 || cs[0].ud.FSN() != 2 {
		t.Fatalf("abandoned fragment %+v", cs)
	}
	if s.forwardSeq() != 3 {
		t.Fatalf("FSN %d, want 3", s.forwardSeq())
	}
	feed(t, r, at(90), b)
	if r.CumulativeAck() != 3 {
		t.Fatalf("cumulative ack %d, want 3", r.CumulativeAck())
	}
	if got, ok := r.Read(); !ok || !bytes.Equal(got, m3) {
		t.Fatal("m3 not delivered after the gap was abandoned")
	}
	if _, ok := r.Read(); ok {
		t.Fatal("extra message")
	}
	// The ABN transmission is not repeated when lost.
	s.OnTimeout(at(2000))
	if s.WantsToSend(at(2000)) || s.Outstanding() != 0 {
		t.Fatal("abandoned fragment queued again")
	}
	if st := s.Stats(); st.AbandonChunks != 1 || st.Abandoned != 1 || st.Delivered != 2 || st.Retransmitted != 1 {
		t.Fatalf("stats %+v", st)
	}
	if s.Buffered() != 0 || s.msgs.len() != 0 || s.frags.len() != 0 {
		t.Fatalf("queue not drained: buffered %d msgs %d frags %d", s.Buffered(), s.msgs.len(), s.frags.len())
	}
}

// TestSenderStartByNeverUsesSequenceNumbers: a message abandoned before it was
// ever sent takes no sequence number.
func TestSenderStartBy(t *testing.T) {
	s := NewSender(SendConfig{ID: 1})
	ra, _ := s.Write(at(0), msgOf(10, 0), WriteOptions{StartBy: 10 * time.Millisecond})
	rb, _ := s.Write(at(0), msgOf(10, 0), WriteOptions{StartBy: 10 * time.Millisecond})
	b, _, _ := s.AppendData(nil, at(5), 1, 27) // a starts in time
	if cs := decodeData(t, b); len(cs) != 1 || cs[0].ud.SeqNum != 1 {
		t.Fatal("a not sent")
	}
	rc, _ := s.Write(at(5), msgOf(10, 0), WriteOptions{})
	b, _, _ = s.AppendData(nil, at(10), 2, packetBudget)
	cs := decodeData(t, b)
	if !rb.Abandoned() || ra.Resolved() || len(cs) != 1 || cs[0].ud.SeqNum != 2 || cs[0].ud.Flags.Abandoned() {
		t.Fatalf("b abandoned %v, chunks %+v", rb.Abandoned(), cs)
	}
	ack(t, s, at(20), 64, 2)
	if !ra.Delivered() || !rc.Delivered() || s.Buffered() != 0 {
		t.Fatal("a or c not delivered")
	}
}

// TestSenderParentCascade: a predicted frame chained to its keyframe is
// abandoned with it, within one flow and across flows and goroutines.
func TestSenderParentCascade(t *testing.T) {
	s := NewSender(SendConfig{ID: 1})
	key, _ := s.Write(at(0), msgOf(3000, 0), WriteOptions{FinishBy: 100 * time.Millisecond})
	p1, _ := s.Write(at(10), msgOf(500, 1), WriteOptions{Parent: key})
	p2, _ := s.Write(at(20), msgOf(500, 2), WriteOptions{Parent: p1})
	other, _ := s.Write(at(20), msgOf(500, 3), WriteOptions{})
	b, _, _ := s.AppendData(nil, at(20), 1, packetBudget) // key's first fragment
	if len(decodeData(t, b)) != 1 {
		t.Fatal("want one fragment")
	}
	s.OnDeadline(at(100))
	for i, rc := range []*Receipt{key, p1, p2} {
		if !rc.Abandoned() {
			t.Fatalf("receipt %d not abandoned", i)
		}
		select {
		case <-rc.Done():
		default:
			t.Fatalf("receipt %d Done not closed", i)
		}
	}
	if other.Resolved() {
		t.Fatal("unrelated message resolved")
	}
	// A child written after its parent was abandoned is abandoned at once.
	p3, _ := s.Write(at(101), msgOf(10, 4), WriteOptions{Parent: p2})
	if !p3.Abandoned() {
		t.Fatal("child of an abandoned parent accepted")
	}
	// Only the key frame's fragment (ABN) and the unrelated message go out.
	b, _, _ = s.AppendData(nil, at(101), 2, packetBudget)
	cs := decodeData(t, b)
	if len(cs) != 1 || cs[0].ud.SeqNum != 2 || cs[0].ud.Flags.Fragment() != wire.FragmentWhole || len(cs[0].ud.Data) != 500 {
		t.Fatalf("after abandonment: %+v", cs)
	}
	if s.forwardSeq() != 1 {
		t.Fatalf("FSN %d, want 1 (seq 1 abandoned)", s.forwardSeq())
	}

	// Across flows: a parent in another flow, abandoned from another goroutine.
	s2 := NewSender(SendConfig{ID: 2})
	child, _ := s2.Write(at(200), msgOf(100, 5), WriteOptions{Parent: other})
	var wg sync.WaitGroup
	wg.Go(func() { other.Abandon() })
	wg.Wait()
	if child.Resolved() {
		t.Fatal("Abandon took effect before the sender's next call")
	}
	if s2.WantsToSend(at(201)) || !child.Abandoned() {
		t.Fatal("child of a parent abandoned in another flow still pending")
	}
	s.OnDeadline(at(201))
	// other was all in flight: its fate waits for the far end (here a
	// retransmission timeout).
	s.OnTimeout(at(202))
	if !other.Abandoned() {
		t.Fatal("explicit Abandon not applied")
	}
	// A delivered parent does not affect its children.
	s3 := NewSender(SendConfig{ID: 3})
	par, _ := s3.Write(at(0), msgOf(10, 0), WriteOptions{})
	s3.AppendData(nil, at(0), 1, packetBudget)
	ack(t, s3, at(10), 64, 1)
	kid, _ := s3.Write(at(10), msgOf(10, 0), WriteOptions{Parent: par})
	par.Abandon() // too late: delivered
	s3.AppendData(nil, at(10), 2, packetBudget)
	ack(t, s3, at(20), 64, 2)
	if !par.Delivered() || !kid.Delivered() {
		t.Fatal("delivered parent's child not delivered")
	}
}

// TestSenderCloseFIN covers FIN on the last fragment, the empty ABN|FIN
// carrier, the linger and the states.
func TestSenderCloseFIN(t *testing.T) {
	t.Run("FIN on the last message", func(t *testing.T) {
		s := NewSender(SendConfig{ID: 1})
		r := NewReceiver(RecvConfig{ID: 1})
		s.Write(at(0), msgOf(2000, 0), WriteOptions{})
		s.Close(at(0))
		if s.State() != SendClosing {
			t.Fatalf("state %v", s.State())
		}
		if _, err := s.Write(at(0), nil, WriteOptions{}); !errors.Is(err, ErrClosed) {
			t.Fatalf("write after close: %v", err)
		}
		var chunks []sentChunk
		for i := 1; s.WantsToSend(at(0)); i++ {
			b, _, _ := s.AppendData(nil, at(0), cctsn(i), packetBudget)
			chunks = append(chunks, decodeData(t, b)...)
			feed(t, r, at(20), b)
		}
		if len(chunks) != 2 || chunks[0].ud.Flags.Final() || !chunks[1].ud.Flags.Final() || chunks[1].ud.Flags.Abandoned() {
			t.Fatalf("chunks %+v", chunks)
		}
		if r.State() != RecvCompleteLinger || !r.NextDeadline().Equal(at(20).Add(RecvLinger)) {
			t.Fatalf("receiver state %v deadline %v", r.State(), r.NextDeadline().Sub(t0))
		}
		if _, ok := r.Read(); !ok || !r.Complete() {
			t.Fatalf("receiver not complete after reading the message: %+v cum %d frags %d", r.Stats(), r.CumulativeAck(), len(r.frags)-r.fh)
		}
		_, a := decodeAck(t, r.AppendAck(nil, packetBudget))
		ack(t, s, at(40), a.BufferBlocks, a.CumulativeAck)
		if s.State() != SendCompleteLinger || !s.NextDeadline().Equal(at(40).Add(SendLinger)) {
			t.Fatalf("sender state %v deadline %v", s.State(), s.NextDeadline().Sub(t0))
		}
		s.OnDeadline(at(40).Add(SendLinger - time.Millisecond))
		if s.State() != SendCompleteLinger {
			t.Fatal("linger ended early")
		}
		s.OnDeadline(at(40).Add(SendLinger))
		if s.State() != SendClosed {
			t.Fatalf("state %v after linger", s.State())
		}
		r.OnDeadline(at(20).Add(RecvLinger))
		if r.State() != RecvClosed {
			t.Fatalf("receiver state %v after linger", r.State())
		}
		if r.OnData(at(30000), 3, 2, 0, []byte("late")) || r.Stats().DroppedClosed != 1 {
			t.Fatal("data accepted after close")
		}
	})
	t.Run("empty carrier", func(t *testing.T) {
		s := NewSender(SendConfig{ID: 1})
		s.Write(at(0), msgOf(10, 0), WriteOptions{})
		b1, _, _ := s.AppendData(nil, at(0), 1, packetBudget)
		s.Close(at(1))
		b2, _, _ := s.AppendData(nil, at(1), 2, packetBudget)
		cs := decodeData(t, b2)
		if len(cs) != 1 || cs[0].ud.SeqNum != 2 || !cs[0].ud.Flags.Final() || !cs[0].ud.Flags.Abandoned() || len(cs[0].ud.Data) != 0 {
			t.Fatalf("carrier %+v", cs)
		}
		// A lost FIN carrier is sent again (it is the only way to finish).
		s.OnTimeout(at(1000))
		b3, _, _ := s.AppendData(nil, at(1000), 3, packetBudget)
		if cs := decodeData(t, b3); len(cs) != 2 || !cs[1].ud.Flags.Final() {
			t.Fatalf("after timeout %+v", cs)
		}
		r := NewReceiver(RecvConfig{ID: 1})
		feed(t, r, at(1020), b1)
		feed(t, r, at(1020), b3)
		if r.State() != RecvCompleteLinger || r.CumulativeAck() != 2 {
			t.Fatalf("receiver %v cum %d", r.State(), r.CumulativeAck())
		}
		ack(t, s, at(1040), 64, 2)
		if s.State() != SendCompleteLinger {
			t.Fatalf("state %v", s.State())
		}
	})
	t.Run("nothing sent", func(t *testing.T) {
		s := NewSender(SendConfig{ID: 1})
		s.Close(at(0))
		if s.State() != SendClosed || s.WantsToSend(at(0)) {
			t.Fatalf("state %v", s.State())
		}
	})
}

func TestSenderRejected(t *testing.T) {
	s := NewSender(SendConfig{ID: 5})
	r := NewReceiver(RecvConfig{ID: 5})
	a, _ := s.Write(at(0), msgOf(3000, 0), WriteOptions{})
	b, _ := s.Write(at(0), msgOf(10, 0), WriteOptions{})
	p1, _, _ := s.AppendData(nil, at(0), 1, packetBudget)
	feed(t, r, at(20), p1)
	r.Reject(at(0), 7)
	if r.State() != RecvRejected {
		t.Fatal("not rejected")
	}
	if due, imm := r.AckDue(); !due || !imm {
		t.Fatal("reject does not ack at once")
	}
	out := r.AppendAck(nil, packetBudget)
	if out[0] != byte(wire.ChunkFlowException) {
		t.Fatalf("ack does not start with an exception report: %x", out)
	}
	ex, ak := decodeAck(t, out)
	if ex == nil || ex.Code != 7 || ex.FlowID != 5 || ak.CumulativeAck != 1 {
		t.Fatalf("exception %+v ack %+v", ex, ak)
	}
	s.OnException(ex.Code)
	if code, ok := s.Exception(); !ok || code != 7 || s.State() != SendRejected {
		t.Fatalf("sender state %v exception %d %v", s.State(), code, ok)
	}
	if !a.Abandoned() || !b.Abandoned() {
		t.Fatal("receipts not abandoned")
	}
	if _, err := s.Write(at(30), nil, WriteOptions{}); !errors.Is(err, ErrClosed) {
		t.Fatal("write accepted after rejection")
	}
	ack(t, s, at(30), ak.BufferBlocks, ak.CumulativeAck)
	pk, _, _ := s.AppendData(nil, at(30), 2, packetBudget)
	cs := decodeData(t, pk)
	if len(cs) != 1 || cs[0].ud.SeqNum != 2 || !cs[0].ud.Flags.Final() || !cs[0].ud.Flags.Abandoned() {
		t.Fatalf("after rejection %+v", cs)
	}
	if feed(t, r, at(50), pk) != true || r.State() != RecvCompleteLinger {
		t.Fatalf("receiver state %v", r.State())
	}
	ex, ak = decodeAck(t, r.AppendAck(nil, packetBudget))
	if ex != nil {
		t.Fatal("exception report after completion")
	}
	ack(t, s, at(70), ak.BufferBlocks, ak.CumulativeAck)
	if s.State() != SendCompleteLinger {
		t.Fatalf("state %v", s.State())
	}
	if r.Stats().Messages != 0 {
		t.Fatal("rejected flow delivered a message")
	}
}

// TestSenderAckRangesAndBitmap: ranges decoded with the cursor rule mark
// exactly their fragments; a Bitmap counts only as a cumulative ack; an ack
// naming sequence numbers never sent is harmless.
func TestSenderAckRangesAndBitmap(t *testing.T) {
	s := NewSender(SendConfig{ID: 4})
	var rcs []*Receipt
	for i := range 10 {
		rc, _ := s.Write(at(0), msgOf(1150, byte(i)), WriteOptions{})
		rcs = append(rcs, rc)
	}
	for i := 1; s.WantsToSend(at(0)); i++ {
		s.AppendData(nil, at(0), cctsn(i), packetBudget)
	}
	if s.nextSeq() != 11 {
		t.Fatalf("used %d sequence numbers, want 10", s.nextSeq()-1)
	}
	per := s.Outstanding() / 10
	// cum 2, then holesMinusOne 0 → 4..5, then holesMinusOne 1 → 8..8.
	a, it := ackChunk(t, 4, 64, 2, wire.SeqRange{From: 4, To: 5}, wire.SeqRange{From: 8, To: 8})
	acked, ok := s.OnAck(at(50), a, it)
	if !ok || acked != 5*per || s.Outstanding() != 5*per {
		t.Fatalf("acked %d (ok %v), outstanding %d, per fragment %d", acked, ok, s.Outstanding(), per)
	}
	for i, rc := range rcs {
		want := i == 0 || i == 1 || i == 3 || i == 4 || i == 7
		if rc.Delivered() != want {
			t.Fatalf("message %d delivered %v, want %v", i, rc.Delivered(), want)
		}
	}
	if s.MaxAckedTSN() != 8 || s.forwardSeq() != 2 || s.fragBase != 3 {
		t.Fatalf("max TSN %d, FSN %d, front %d", s.MaxAckedTSN(), s.forwardSeq(), s.fragBase)
	}
	// The same ack again acknowledges nothing new.
	a, it = ackChunk(t, 4, 64, 2, wire.SeqRange{From: 4, To: 5}, wire.SeqRange{From: 8, To: 8})
	if acked, ok := s.OnAck(at(51), a, it); ok || acked != 0 {
		t.Fatal("repeated ack counted again")
	}
	// A Bitmap acknowledges cumulatively only.
	if acked, ok := s.OnAckBitmap(at(60), wire.AckBitmap{FlowID: 4, BufferBlocks: 64, CumulativeAck: 3, Bitmap: []byte{0xff}}); !ok || acked != per {
		t.Fatalf("bitmap acked %d", acked)
	}
	if rcs[5].Delivered() || !rcs[2].Delivered() {
		t.Fatal("bitmap bits were interpreted")
	}
	// Sequence numbers far beyond what was sent.
	a, it = ackChunk(t, 4, 64, 1<<40, wire.SeqRange{From: 1<<40 + 5, To: 1 << 50})
	s.OnAck(at(70), a, it)
	if s.Outstanding() != 0 || s.Stats().Delivered != 10 || s.Buffered() != 0 {
		t.Fatalf("outstanding %d delivered %d", s.Outstanding(), s.Stats().Delivered)
	}
	checkSender(t, s, rcs)
}

// TestSenderUnsentAndTransmissions: Unsent counts message bytes not yet cut
// into fragments (abandoned ones excluded); Transmissions counts chunks
// sent and those declared lost.
func TestSenderUnsentAndTransmissions(t *testing.T) {
	s := NewSender(SendConfig{ID: 1})
	s.Write(at(0), msgOf(3000, 0), WriteOptions{})
	rc, _ := s.Write(at(0), msgOf(500, 1), WriteOptions{})
	if got := s.Unsent(); got != 3500 {
		t.Fatalf("unsent %d after writing 3500 bytes", got)
	}
	dataBytes := func(b []byte) int {
		n := 0
		for _, c := range decodeData(t, b) {
			n += len(c.ud.Data)
		}
		return n
	}
	b, _, _ := s.AppendData(nil, at(0), 1, packetBudget)
	cut := dataBytes(b)
	if cut == 0 || s.Unsent() != 3500-cut {
		t.Fatalf("one packet of %d data bytes: unsent %d", cut, s.Unsent())
	}
	rc.Abandon()
	b, _, _ = s.AppendData(nil, at(1), 2, packetBudget) // notices the abandonment
	cut += dataBytes(b)
	if cut >= 3000 || s.Unsent() != 3000-cut {
		t.Fatalf("%d of the first message sent, the second abandoned: unsent %d", cut, s.Unsent())
	}
	sent, lost := s.Transmissions()
	if sent != 2 || lost != 0 {
		t.Fatalf("transmissions %d, lost %d after two packets", sent, lost)
	}
	// A timeout declares both lost.
	s.OnTimeout(at(2000))
	if _, lost := s.Transmissions(); lost != 2 {
		t.Fatalf("lost %d after a timeout with two chunks in flight", lost)
	}
	for s.WantsToSend(at(2000)) {
		s.AppendData(nil, at(2000), 3, packetBudget)
	}
	if s.Unsent() != 0 {
		t.Fatalf("unsent %d after sending everything", s.Unsent())
	}
}
