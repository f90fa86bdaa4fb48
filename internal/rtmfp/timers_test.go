package rtmfp

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"sort"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/wire"
)

// addIdleSessions opens n sessions on e without a handshake, one every
// step, as a server's idle peers: no flows, keepalives only.
func addIdleSessions(e *engine, now *time.Time, n int, step time.Duration) []*Session {
	ss := make([]*Session, n)
	for i := range ss {
		s, err := e.newSession(*now, false)
		if err != nil {
			panic(err)
		}
		s.fsid = wire.SessionID(i + 1)
		s.farAddr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 1935)
		s.cipher = flashcrypto.NewDefaultCipher()
		s.setOpen(*now)
		ss[i] = s
		*now = now.Add(step)
	}
	return ss
}

// TestTimerPassVisitsOnlyDueSessions: with 2,000 idle sessions, a pass of
// timeout and flush visits the sessions whose keepalive is due and no
// others, and the next deadline is the earliest of all.
func TestTimerPassVisitsOnlyDueSessions(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	e, err := newEngine(Config{Identity: rtmfptest.Identity(0), Rand: rtmfptest.Rand(1), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	ss := addIdleSessions(e, &now, n, time.Millisecond)
	sent := 0
	send := func(netip.AddrPort, []byte) { sent++ }
	e.flush(now, send)
	if sent != 0 {
		t.Fatalf("idle sessions sent %d packets", sent)
	}
	if len(e.heap) != n || len(e.dirty) != 0 {
		t.Fatalf("heap %d dirty %d, want %d and 0", len(e.heap), len(e.dirty), n)
	}
	want := ss[0].deadline(now)
	for _, s := range ss {
		want = earliest(want, s.deadline(now))
	}
	if got := e.nextDeadline(now); !got.Equal(want) {
		t.Fatalf("next deadline %v, want %v", got, want)
	}
	// Nothing due: nothing visited.
	e.visits = 0
	e.timeout(now)
	e.flush(now, send)
	if e.visits != 0 || sent != 0 {
		t.Fatalf("a pass with nothing due visited %d sessions, sent %d", e.visits, sent)
	}
	// Step through the keepalive wave 25 ms at a time: each pass visits
	// exactly the sessions due in it, twice (timer, flush), and each sends
	// one Ping.
	for pass := 0; pass < 8; pass++ {
		at := want.Add(time.Duration(pass) * 25 * time.Millisecond)
		due := 0
		for _, s := range ss {
			if d := s.deadline(at); !s.keepaliveOut && !d.After(at) {
				due++
			}
		}
		e.visits, sent = 0, 0
		e.timeout(at)
		e.flush(at, send)
		if due == 0 || due > 30 {
			t.Fatalf("pass %d: %d due, want a few", pass, due)
		}
		if e.visits != uint64(2*due) || sent != due {
			t.Fatalf("pass %d: visited %d, sent %d; want %d visits and %d Pings", pass, e.visits, sent, 2*due, due)
		}
	}
}

// TestDeadlineHeapOrder: random deadline changes and removals keep the heap
// ordered and every index right.
func TestDeadlineHeapOrder(t *testing.T) {
	e := &engine{}
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Unix(0, 0)
	ss := make([]*Session, 300)
	for i := range ss {
		ss[i] = &Session{hidx: -1}
	}
	for step := 0; step < 5000; step++ {
		s := ss[r.IntN(len(ss))]
		if r.IntN(5) == 0 {
			e.heapRemove(s)
		} else {
			e.heapSet(s, base.Add(time.Duration(1+r.IntN(1000))*time.Millisecond))
		}
		for i, h := range e.heap {
			if h.hidx != i {
				t.Fatalf("step %d: index %d holds hidx %d", step, i, h.hidx)
			}
			if i > 0 && h.due.Before(e.heap[(i-1)/2].due) {
				t.Fatalf("step %d: heap order broken at %d", step, i)
			}
		}
	}
	var want []time.Time
	for _, s := range ss {
		if s.hidx >= 0 {
			want = append(want, s.due)
		}
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Before(want[j]) })
	for i := range want {
		top := e.heap[0]
		if !top.due.Equal(want[i]) {
			t.Fatalf("pop %d: %v, want %v", i, top.due, want[i])
		}
		e.heapRemove(top)
	}
	if len(e.heap) != 0 {
		t.Fatalf("%d left", len(e.heap))
	}
}

// TestRecvFlowReadyFunc: the ready function runs when a message arrives,
// at once when one is already waiting, and when the session ends.
func TestRecvFlowReadyFunc(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	sa, sb := p.connect(t)
	sf, err := sa.OpenFlow([]byte("ctl"), flow.PriorityImmediate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.Write([]byte("one"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	p.pump()
	rf, err := sb.AcceptFlow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	rf.SetReadyFunc(func() { calls++ })
	if calls != 1 {
		t.Fatalf("a flow with a message waiting: %d calls, want 1", calls)
	}
	if m, err := rf.Read(context.Background()); err != nil || string(m) != "one" {
		t.Fatalf("read %q %v", m, err)
	}
	rf.SetReadyFunc(nil)
	calls = 0
	rf.SetReadyFunc(func() { calls++ })
	if calls != 0 {
		t.Fatalf("an empty flow: %d calls, want 0", calls)
	}
	if _, err := sf.Write([]byte("two"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	p.pump()
	if calls != 1 {
		t.Fatalf("after a message: %d calls, want 1", calls)
	}
	if m, err := rf.Read(context.Background()); err != nil || string(m) != "two" {
		t.Fatalf("read %q %v", m, err)
	}
	sb.Abort()
	if calls != 2 {
		t.Fatalf("after the session ended: %d calls, want 2", calls)
	}
	if _, err := rf.Read(context.Background()); err == nil {
		t.Fatal("read after abort succeeded")
	}
}

// TestFlowAcceptQueue: FlowAcceptQueue bounds the flows waiting for
// AcceptFlow separately from the session accept queue.
func TestFlowAcceptQueue(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	var err error
	p.b, err = newEngine(Config{Identity: rtmfptest.Identity(1), Rand: rtmfptest.Rand(2), Now: func() time.Time { return p.now }, AcceptQueue: 16, FlowAcceptQueue: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.b.cfg.AcceptQueue != 16 || p.b.cfg.FlowAcceptQueue != 1 {
		t.Fatalf("config %d/%d", p.b.cfg.AcceptQueue, p.b.cfg.FlowAcceptQueue)
	}
	sa, sb := p.connect(t)
	var fs []*SendFlow
	for i := 0; i < 2; i++ {
		sf, err := sa.OpenFlow([]byte{'f', byte(i)}, flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sf.Write([]byte("x"), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		fs = append(fs, sf)
		p.pump()
	}
	if _, rejected := fs[0].Exception(); rejected {
		t.Fatal("first flow rejected")
	}
	if _, rejected := fs[1].Exception(); !rejected {
		t.Fatal("second flow accepted beyond FlowAcceptQueue 1")
	}
	if n := cap(sb.flows.acceptQ); n != 1 {
		t.Fatalf("flow accept queue %d, want 1", n)
	}
	// Defaults: FlowAcceptQueue follows AcceptQueue.
	c, err := Config{Identity: rtmfptest.Identity(1), AcceptQueue: 5}.withDefaults()
	if err != nil || c.FlowAcceptQueue != 5 {
		t.Fatalf("default flow accept queue %d %v, want 5", c.FlowAcceptQueue, err)
	}
}

// TestResponderIndexes: the responder finds a repeated IIKeying and an
// open session at the initiator's address through its indexes: a late
// copy of the IIKeying changes nothing, the same certificate from the same
// address replaces the session (RFC 7425 §4.3.7), another certificate from
// there is refused while it is open.
func TestResponderIndexes(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	var toB [][]byte
	p.onDeliverB = func(b []byte) { toB = append(toB, append([]byte(nil), b...)) }
	sa, sb := p.connect(t)
	p.onDeliverB = nil
	// Some traffic, so that b has seen an authenticated packet and dropped
	// its handshake state.
	sf, err := sa.OpenFlow([]byte("x"), flow.PriorityImmediate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.Write([]byte("hello"), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	p.pump()
	if sb.hs != nil {
		t.Fatal("responder kept its handshake state after the first packet")
	}
	for _, b := range toB { // every startup datagram again, IIKeying included
		p.b.receive(p.now, p.addrA, b)
		for p.b.work(p.now) {
		}
	}
	p.pump()
	if sb.err != nil || len(p.b.order) != 1 || len(p.b.accepted) != 0 || p.b.stats.HandshakesAccepted != 1 {
		t.Fatalf("late IIKeying: err %v, %d open, %d accepted", sb.err, len(p.b.order), p.b.stats.HandshakesAccepted)
	}
	handshakeFrom := func(id int) *Session {
		var err error
		p.a, err = newEngine(Config{Identity: rtmfptest.Identity(id), Rand: rtmfptest.Rand(byte(10 + id)), Now: func() time.Time { return p.now }})
		if err != nil {
			t.Fatal(err)
		}
		epdRaw := flashcrypto.CanonicalEPD(p.b.id.PeerID())
		epd, _ := flashcrypto.ParseEPD(epdRaw)
		s, err := p.a.startInitiator(p.now, epdRaw, epd, []netip.AddrPort{p.addrB})
		if err != nil {
			t.Fatal(err)
		}
		p.pump()
		return s
	}
	// Another certificate from the same address: refused.
	drops := p.b.stats.Dropped[DropHandshake]
	if s := handshakeFrom(2); s.state == stateOpen || p.b.stats.Dropped[DropHandshake] == drops || sb.err != nil {
		t.Fatalf("other certificate: state %d, drops %d -> %d, old session err %v", s.state, drops, p.b.stats.Dropped[DropHandshake], sb.err)
	}
	// The same certificate (a restarted peer): replaces the session.
	if s := handshakeFrom(0); s.state != stateOpen || sb.err != ErrReplaced || len(p.b.order) != 1 || p.b.order[0] == sb {
		t.Fatalf("same certificate: state %d, old session err %v, %d open", s.state, sb.err, len(p.b.order))
	}
	if len(p.b.byAddr) != 1 || p.b.byAddr[p.addrA] != p.b.order[0] || len(p.b.bySKIC) != 1 {
		t.Fatalf("indexes: %d by address, %d by SKIC", len(p.b.byAddr), len(p.b.bySKIC))
	}
}

// BenchmarkIdleLoopPass is one pass of the endpoint's loop (timeout, flush,
// nextDeadline) over 10,000 idle sessions whose keepalives are spread over
// the period, advancing 1 ms per pass: about one session is due each time,
// so the cost must not depend on the other 9,999. (Nobody answers: after
// its keepalive each session retransmits the Ping on its backed-off RTO;
// the limits are set so that none gives up.)
func BenchmarkIdleLoopPass(b *testing.B) {
	now := time.Unix(1_000_000, 0)
	e, err := newEngine(Config{Identity: rtmfptest.Identity(0), Rand: rtmfptest.Rand(1), Now: func() time.Time { return now },
		RetransmitLimit: 1 << 62, IdleLimit: 1 << 62})
	if err != nil {
		b.Fatal(err)
	}
	const n = 10000
	addIdleSessions(e, &now, n, DefaultKeepalivePeriod/n)
	sent := 0
	send := func(netip.AddrPort, []byte) { sent++ }
	e.flush(now, send)
	e.visits = 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		now = now.Add(time.Millisecond)
		e.timeout(now)
		e.flush(now, send)
		_ = e.nextDeadline(now)
	}
	b.ReportMetric(float64(e.visits)/float64(b.N), "visits/pass")
	b.ReportMetric(float64(sent)/float64(b.N), "pkts/pass")
}
