package rtmfp

import (
	"camchat/internal/rtmfp/rtmfptest"
	"context"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/wire"
)

// BenchmarkFlowThroughputLoopback moves a reliable flow over real UDP on
// 127.0.0.1 with HMAC and session sequence numbers on (the default between
// camchat peers). Run with -cpu 1 for the one-core figure.
func BenchmarkFlowThroughputLoopback(b *testing.B) {
	listen := func() net.PacketConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Skip("no loopback UDP:", err)
		}
		_ = c.SetReadBuffer(4 << 20)
		_ = c.SetWriteBuffer(4 << 20)
		return c
	}
	ca, cb := listen(), listen()
	epA, err := NewEndpoint(ca, Config{Identity: rtmfptest.Identity(0)})
	if err != nil {
		b.Fatal(err)
	}
	defer epA.Close()
	epB, err := NewEndpoint(cb, Config{Identity: rtmfptest.Identity(1)})
	if err != nil {
		b.Fatal(err)
	}
	defer epB.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acc := make(chan *Session, 1)
	go func() { s, _ := epB.Accept(ctx); acc <- s }()
	sa, err := epA.Connect(ctx, flashcrypto.CanonicalEPD(epB.PeerID()), epB.LocalAddr())
	if err != nil {
		b.Fatal(err)
	}
	sb := <-acc
	if n := sa.Negotiated(); !n.HMACSend || !n.SSEQSend {
		b.Fatalf("protections off: %+v", n)
	}
	f, err := sa.OpenFlow([]byte("bulk"), flow.PriorityBulk)
	if err != nil {
		b.Fatal(err)
	}
	const msgSize = 64 << 10
	msg := make([]byte, msgSize)
	// Warm up and accept the flow.
	if _, err := f.Write(msg, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	rf, err := sb.AcceptFlow(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := rf.Read(ctx); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(msgSize)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < b.N; i++ {
			if _, err := f.Write(msg, WriteOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	for i := 0; i < b.N; i++ {
		if _, err := rf.Read(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	wg.Wait()
	st := sa.Stats()
	b.ReportMetric(float64(st.Retransmits)/float64(b.N), "retx/op")
}

// BenchmarkResponderHandshake measures the responder's side of a handshake:
// an IIKeying in, the public-key computation, the session and the RIKeying
// out. The initiator's work is not timed.
func BenchmarkResponderHandshake(b *testing.B) {
	for _, g := range []flashcrypto.Group{flashcrypto.Group2, flashcrypto.Group14} {
		b.Run(g.String(), func(b *testing.B) {
			groups := []flashcrypto.Group{g}
			idA, err := flashcrypto.NewStaticIdentity(rtmfptest.Rand(31), groups, flashcrypto.CertOptions{})
			if err != nil {
				b.Fatal(err)
			}
			idB, err := flashcrypto.NewStaticIdentity(rtmfptest.Rand(32), groups, flashcrypto.CertOptions{})
			if err != nil {
				b.Fatal(err)
			}
			p := newMemPair(b, idA, idB)
			// Admission out of the way: every handshake comes from one
			// address, beyond a peer's keying budget after 128 of them.
			off := PrefixLimits{Sessions: -1, Pending: -1, KeyingRate: -1, KeyingBurst: -1}
			p.b.adm = newAdmission(Admission{MaxSessions: -1, Source: off, Net: off, Site: off})
			epdRaw := flashcrypto.CanonicalEPD(idB.PeerID())
			epd, _ := flashcrypto.ParseEPD(epdRaw)
			sendA, sendB := p.capture(p.addrA), p.capture(p.addrB)
			b.ReportAllocs()
			b.ResetTimer()
			var timed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				// IHello → RHello → IIKeying, untimed.
				p.q = p.q[:0]
				s, err := p.a.startInitiator(p.now, epdRaw, epd, []netip.AddrPort{p.addrB})
				if err != nil {
					b.Fatal(err)
				}
				p.a.flush(p.now, sendA)
				ih := p.q[0]
				p.q = p.q[:0]
				p.b.receive(p.now, ih.from, ih.b)
				p.b.flush(p.now, sendB)
				rh := p.q[0]
				p.q = p.q[:0]
				p.a.receive(p.now, rh.from, rh.b)
				for p.a.work(p.now) { // the initiator's key agreement
				}
				p.a.flush(p.now, sendA)
				ik := p.q[0]
				p.q = p.q[:0]
				b.StartTimer()
				t0 := time.Now()
				p.b.receive(p.now, ik.from, ik.b)
				for p.b.work(p.now) {
				}
				p.b.flush(p.now, sendB)
				timed += time.Since(t0)
				b.StopTimer()
				if len(p.q) != 1 || len(p.b.accepted) != 1 {
					b.Fatalf("no RIKeying (%d datagrams)", len(p.q))
				}
				// Forget both ends so the next round starts afresh.
				p.b.accepted[0].abort(p.now, ErrSessionAborted, false)
				p.b.accepted = p.b.accepted[:0]
				s.abort(p.now, ErrSessionAborted, false)
				p.a.out, p.b.out = p.a.out[:0], p.b.out[:0]
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N)/timed.Seconds(), "handshakes/s")
		})
	}
}

// BenchmarkSteadyStateDataPath runs a flow between two engines in memory and
// counts the allocations per data packet sent and received (one op = one
// round of sending what the window allows, delivering it, and returning the
// acknowledgements).
func BenchmarkSteadyStateDataPath(b *testing.B) {
	p := newMemPair(b, rtmfptest.Identity(0), rtmfptest.Identity(1))
	const msgSize = 4 << 20
	p.b.cfg.MaxRecvMessage = msgSize // larger than the 1 MiB window
	sa, sb := p.connect(b)
	f, err := sa.OpenFlow([]byte("bulk"), flow.PriorityBulk)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, msgSize)
	var rf *RecvFlow
	buf := make([]byte, 0, msgSize)
	dataPkts := 0
	p.onDeliverB = func(d []byte) {
		if len(d) > 600 {
			dataPkts++
		}
	}
	round := func() {
		if f.f.Buffered() < msgSize {
			if _, err := f.Write(msg, WriteOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		p.advance(time.Millisecond)
		p.pump()
		if rf == nil {
			select {
			case rf = <-sb.flows.acceptQ:
			default:
			}
		}
		if rf != nil {
			for {
				out, ok := rf.r.AppendNext(buf[:0])
				if !ok {
					break
				}
				buf = out
			}
		}
	}
	for i := 0; i < 200; i++ { // warm up: open the window, fill pools
		round()
	}
	var ms0, ms1 runtime.MemStats
	dataPkts = 0
	b.ReportAllocs()
	b.ResetTimer()
	runtime.ReadMemStats(&ms0)
	for i := 0; i < b.N; i++ {
		round()
	}
	runtime.ReadMemStats(&ms1)
	b.StopTimer()
	if dataPkts == 0 {
		b.Fatal("no data packets")
	}
	b.ReportMetric(float64(dataPkts)/float64(b.N), "pkts/op")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(dataPkts), "allocs/pkt")
	_ = wire.MaxHeaderLength
}
