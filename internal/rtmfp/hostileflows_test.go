package rtmfp

import (
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
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

// Flows nobody accepts, filled behind a hole by a sender that ignores the
// window, hold at most 2·(window + MaxRecvMessage) each, counted in pooled
// buffer memory (review finding 4: 1.3 MB per flow with a 64 KiB window).
func TestUnacceptedFlowMemoryBounded(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	clock := func() time.Time { return p.now }
	var err error
	const window = 64 << 10
	p.b, err = newEngine(Config{Identity: rtmfptest.Identity(1), Rand: rtmfptest.Rand(2), Now: clock,
		RecvBufferCapacity: window, FlowAcceptQueue: 8, AcceptQueue: 64})
	if err != nil {
		t.Fatal(err)
	}
	p.connect(t)
	data := make([]byte, flashcrypto.MaxPacketLength-100)
	for fid := wire.FlowID(1); fid <= 8; fid++ {
		for seq := wire.SeqNum(2); seq < 400; seq++ {
			ud := wire.UserData{Flags: wire.UserDataFlags(0).WithFragment(wire.FragmentMiddle), FlowID: fid, SeqNum: seq, FSNOffset: uint64(seq), Data: data}
			if seq == 2 {
				ud.Flags |= wire.FlagOPT
				ud.Options = wire.AppendMetadataOption(nil, []byte("x"))
			}
			p.b.receive(p.now, p.addrA, sealFromA(p, ud.Append(nil)))
			p.b.flush(p.now, func(netip.AddrPort, []byte) {})
			p.now = p.now.Add(time.Millisecond)
		}
	}
	const limit = 2 * (window + window) // MaxRecvMessage defaults to the window
	total := 0
	for id, rf := range p.sb.flows.recv {
		h := rf.r.Held()
		total += h
		if h > limit || rf.r.Stats().DroppedBuffer == 0 {
			t.Errorf("flow %d holds %d bytes (limit %d), %d fragments dropped", id, h, limit, rf.r.Stats().DroppedBuffer)
		}
	}
	if len(p.sb.flows.recv) != 8 || total > 8*limit {
		t.Fatalf("%d flows hold %d bytes", len(p.sb.flows.recv), total)
	}
	t.Logf("8 flows hold %d bytes in all (limit %d each)", total, limit)
}
