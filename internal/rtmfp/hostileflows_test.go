package rtmfp

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/wire"
)

// newFlowChunk is the first fragment of a new flow with md as metadata.
func newFlowChunk(fid wire.FlowID, md []byte) wire.UserData {
	return wire.UserData{Flags: wire.FlagOPT, FlowID: fid, SeqNum: 2, FSNOffset: 2,
		Options: wire.AppendMetadataOption(nil, md), Data: []byte{1}}
}

// A far end that opens flow after flow, each taken and rejected by the
// application (as tc.NetConnection does for unknown streams) and never
// finished with FIN, cannot grow the session's flow table: at most
// MaxRecvFlows are kept, the rest are refused without being stored and
// counted, and rejected flows are forgotten RejectLinger after their
// exception went out (review finding 1: 100,000 flows, +260 MiB kept).
func TestRejectedFlowsBounded(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	p.connect(t)
	md := make([]byte, MaxMetadata)
	drain := func() (n int) {
		for {
			select {
			case rf := <-p.sb.flows.acceptQ:
				rf.Reject(5)
				n++
			default:
				return n
			}
		}
	}
	exceptions := 0
	flushB := func() {
		p.b.flush(p.now, func(to netip.AddrPort, b []byte) {
			// Count the Flow Exception Reports b sends back.
			plain, err := p.sa.cipher.Open(nil, b[wire.SessionIDLength:])
			if err != nil {
				t.Fatal(err)
			}
			_, n, _ := wire.ParsePacketHeader(plain)
			r := wire.NewChunkReader(plain[n:])
			for ty, _, ok := r.Next(); ok; ty, _, ok = r.Next() {
				if ty == wire.ChunkFlowException {
					exceptions++
				}
			}
		})
	}
	const N = 3000
	accepted := 0
	for fid := wire.FlowID(1); fid <= N; {
		var chunks []byte
		for k := 0; k < 3 && fid <= N; k++ {
			chunks = newFlowChunk(fid, md).Append(chunks)
			fid++
		}
		p.b.receive(p.now, p.addrA, sealFromA(p, chunks))
		accepted += drain()
		flushB()
	}
	if len(p.sb.flows.recv) != MaxRecvFlows || accepted != MaxRecvFlows {
		t.Fatalf("%d flows kept, %d offered to the application; want %d", len(p.sb.flows.recv), accepted, MaxRecvFlows)
	}
	if got, sg := p.b.stats.Dropped[DropTooManyFlows], p.sb.stats.Dropped[DropTooManyFlows]; got != N-MaxRecvFlows || sg != got {
		t.Fatalf("too-many-flows drops %d (session %d), want %d", got, sg, N-MaxRecvFlows)
	}
	if exceptions != N {
		t.Fatalf("%d exception reports, want one per flow (%d)", exceptions, N)
	}
	// The rejected flows are forgotten after the linger.
	p.advance(flow.RejectLinger - time.Millisecond)
	if len(p.sb.flows.recv) != MaxRecvFlows {
		t.Fatalf("%d flows kept before the linger ended", len(p.sb.flows.recv))
	}
	p.advance(time.Millisecond)
	if len(p.sb.flows.recv) != 0 {
		t.Fatalf("%d flows kept after the linger", len(p.sb.flows.recv))
	}
	// Room again for new flows.
	p.b.receive(p.now, p.addrA, sealFromA(p, newFlowChunk(N+1, md).Append(nil)))
	if len(p.sb.flows.recv) != 1 || drain() != 1 {
		t.Fatalf("new flow after the linger: %d kept", len(p.sb.flows.recv))
	}
	if st := p.sb.state; st != stateOpen {
		t.Fatalf("session state %d", st)
	}
}

// Flow metadata beyond MaxMetadata is refused, counted and never stored.
func TestRecvFlowMetadataCapped(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	p.connect(t)
	before := p.b.stats.Dropped[DropMalformed]
	p.b.receive(p.now, p.addrA, sealFromA(p, newFlowChunk(1, make([]byte, MaxMetadata+1)).Append(nil)))
	if len(p.sb.flows.recv) != 0 || len(p.sb.flows.acceptQ) != 0 || len(p.sb.flows.rejectQ) != 1 {
		t.Fatalf("oversized metadata: %d flows, %d queued, %d rejections", len(p.sb.flows.recv), len(p.sb.flows.acceptQ), len(p.sb.flows.rejectQ))
	}
	if p.b.stats.Dropped[DropMalformed] != before+1 {
		t.Fatal("oversized metadata not counted")
	}
	p.b.receive(p.now, p.addrA, sealFromA(p, newFlowChunk(2, make([]byte, MaxMetadata)).Append(nil)))
	if rf := <-p.sb.flows.acceptQ; len(rf.Metadata()) != MaxMetadata {
		t.Fatalf("metadata of %d bytes", len(rf.Metadata()))
	}
}

// gapAttack sends, on p's session from a to b, the first fragment of flows
// first..first+n-1 (with metadata) and then sequence numbers 2..last of
// each as middle fragments of size bytes, never 1: data that can never be
// delivered, from a sender that ignores the window (review finding 1:
// 8 flows the server never accepted and 192 stream flows, sequence numbers
// 2..71, took a server from 7 MB to 745 MB with 24 sessions).
func gapAttack(p *memPair, first wire.FlowID, n int, last wire.SeqNum, size int) {
	data := make([]byte, size)
	for seq := wire.SeqNum(2); seq <= last; seq++ {
		for fid := first; fid < first+wire.FlowID(n); fid++ {
			if p.sa.state != stateOpen || p.sb.state != stateOpen {
				return
			}
			ud := wire.UserData{Flags: wire.UserDataFlags(0).WithFragment(wire.FragmentMiddle), FlowID: fid, SeqNum: seq, FSNOffset: uint64(seq), Data: data}
			if seq == 2 {
				ud.Flags |= wire.FlagOPT
				ud.Options = wire.AppendMetadataOption(nil, []byte("x"))
			}
			p.b.receive(p.now, p.addrA, sealFromA(p, ud.Append(nil)))
			p.b.flush(p.now, p.capture(p.addrB)) // for pump to deliver
		}
		p.now = p.now.Add(time.Millisecond)
	}
}

// newBudgetPair is a memPair whose responder b has a 64 KiB window (the
// rendezvous server's before these budgets) and the given budgets (0:
// defaults).
func newBudgetPair(t *testing.T, session, endpoint int) *memPair {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	clock := func() time.Time { return p.now }
	var err error
	p.b, err = newEngine(Config{Identity: rtmfptest.Identity(1), Rand: rtmfptest.Rand(2), Now: clock,
		RecvBufferCapacity: 64 << 10, FlowAcceptQueue: 8, AcceptQueue: 64,
		SessionRecvMemory: session, EndpointRecvMemory: endpoint})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Behind a gap a receive flow keeps only what its window let the sender
// send: with a 64 KiB window, about 64 KiB of data (and at most twice that
// in pooled buffers), not 2·(window + MaxRecvMessage).
func TestRecvFlowBehindGapWithinWindow(t *testing.T) {
	p := newBudgetPair(t, 1<<30, 1<<30)
	p.connect(t)
	gapAttack(p, 1, 8, 71, 1100)
	const window = 64 << 10
	total := 0
	for id, rf := range p.sb.flows.recv {
		buf, held, st := rf.r.Buffered(), rf.r.Held(), rf.r.Stats()
		total += held
		if buf > window+flow.OutOfOrderSlack || held > 2*(window+flow.OutOfOrderSlack) || st.DroppedWindow == 0 {
			t.Errorf("flow %d holds %d bytes of data, %d of memory; %d fragments dropped for the window", id, buf, held, st.DroppedWindow)
		}
	}
	if len(p.sb.flows.recv) != 8 || p.sb.state != stateOpen {
		t.Fatalf("%d flows, session state %d", len(p.sb.flows.recv), p.sb.state)
	}
	if got := p.b.recvMem.Held(); got != total+8*(recvFlowCost+1) || p.sb.recvMem.Held() != got {
		t.Fatalf("endpoint budget holds %d, session %d; the flows %d", got, p.sb.recvMem.Held(), total)
	}
	t.Logf("8 flows hold %d bytes in all", total)
}

// A session whose far end makes its flows hold more than
// Config.SessionRecvMemory is closed with ErrRecvMemory and counted, and
// what it held is given back at once.
func TestSessionRecvMemoryBudget(t *testing.T) {
	p := newBudgetPair(t, 0, 0)
	p.connect(t)
	budget := p.b.cfg.SessionRecvMemory
	if budget != 4*(64<<10+64<<10) {
		t.Fatalf("default session budget %d", budget)
	}
	gapAttack(p, 1, 200, 71, 1100)
	st := p.b.stats
	if p.sb.state != stateClosed || !errors.Is(p.sb.err, ErrRecvMemory) || st.RecvMemoryCloses != 1 || st.Dropped[DropRecvMemory] == 0 {
		t.Fatalf("session state %d (%v), %d closed, %d drops", p.sb.state, p.sb.err, st.RecvMemoryCloses, st.Dropped[DropRecvMemory])
	}
	if peak := p.b.recvMem.Peak(); peak > budget {
		t.Fatalf("endpoint held up to %d bytes, session budget %d", peak, budget)
	}
	if got := p.b.recvMem.Held(); got != 0 {
		t.Fatalf("endpoint still holds %d bytes after the session closed", got)
	}
	// The far end was told (a Close Acknowledgement): its session ends.
	p.pump()
	if p.sa.state != stateClosed {
		t.Fatalf("far end's session state %d", p.sa.state)
	}
	t.Logf("closed at a peak of %d bytes (budget %d)", p.b.recvMem.Peak(), budget)
}

// When the sessions together reach Config.EndpointRecvMemory, the one that
// holds the most is closed; an honest session, which holds little, goes on.
func TestEndpointRecvMemoryClosesLargest(t *testing.T) {
	const session, endpoint = 512 << 10, 1 << 20
	honest := newBudgetPair(t, session, endpoint)
	honest.connect(t)
	b := honest.b
	var attackers []*memPair
	for i := range 3 {
		a := newMemPair(t, rtmfptest.Identity(2+i), rtmfptest.Identity(1))
		a.b, a.now = b, honest.now
		a.addrA = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 1, byte(i + 1)}), 1935)
		a.connect(t)
		attackers = append(attackers, a)
	}
	// Each attacker fills about 400 KiB: under its own budget, over the
	// endpoint's together.
	peak := 0
	for _, a := range attackers {
		gapAttack(a, 1, 4, 71, 1100)
		peak = max(peak, b.recvMem.Held())
	}
	closed := 0
	for _, a := range attackers {
		if a.sb.state == stateClosed {
			closed++
			if !errors.Is(a.sb.err, ErrRecvMemory) {
				t.Errorf("attacker closed with %v", a.sb.err)
			}
		}
	}
	if closed == 0 || b.stats.RecvMemoryCloses != uint64(closed) || b.recvMem.Peak() > endpoint {
		t.Fatalf("%d attackers closed (%d counted), endpoint peak %d (budget %d)", closed, b.stats.RecvMemoryCloses, b.recvMem.Peak(), endpoint)
	}
	// The honest session still delivers.
	if honest.sb.state != stateOpen {
		t.Fatalf("honest session state %d (%v)", honest.sb.state, honest.sb.err)
	}
	ud := wire.UserData{Flags: wire.FlagOPT, FlowID: 1, SeqNum: 1, FSNOffset: 1, Options: wire.AppendMetadataOption(nil, []byte("m")), Data: []byte("hello")}
	b.receive(honest.now, honest.addrA, sealFromA(honest, ud.Append(nil)))
	rf := <-honest.sb.flows.acceptQ
	if msg, ok := rf.r.Read(); !ok || string(msg) != "hello" {
		t.Fatalf("honest message %q, %v", msg, ok)
	}
	t.Logf("%d of 3 attackers closed, endpoint peak %d of %d", closed, b.recvMem.Peak(), endpoint)
}
