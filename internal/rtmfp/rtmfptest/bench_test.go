package rtmfptest

import (
	"net/netip"
	"testing"
	"time"
)

// BenchmarkPlainLink writes and reads one 1200-byte datagram per op over a
// perfect link (delivered synchronously inside WriteTo).
func BenchmarkPlainLink(b *testing.B) {
	n, _, _, ca, cb := pair(b, Config{})
	defer n.Close()
	msg := make([]byte, 1200)
	buf := make([]byte, 1500)
	dst := cb.LocalAddrPort()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ca.WriteToUDPAddrPort(msg, dst); err != nil {
			b.Fatal(err)
		}
		if _, _, err := cb.ReadFromUDPAddrPort(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkt/s")
}

// pipelined streams b.N datagrams from ca to cb with up to window in
// flight, so timers and scheduling are part of the cost.
func pipelined(b *testing.B, ca, cb *Conn, dst netip.AddrPort) {
	const window = 512
	credits := make(chan struct{}, window)
	for range window {
		credits <- struct{}{}
	}
	msg := make([]byte, 1200)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 1500)
		for range b.N {
			if _, _, err := cb.ReadFromUDPAddrPort(buf); err != nil {
				b.Error(err)
				break
			}
			credits <- struct{}{}
		}
		close(done)
	}()
	for range b.N {
		<-credits
		if _, err := ca.WriteToUDPAddrPort(msg, dst); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkt/s")
}

// BenchmarkDelayedLink streams through a link with 1 ms delay and jitter,
// on the real clock.
func BenchmarkDelayedLink(b *testing.B) {
	n, ha, hb, ca, cb := pair(b, Config{RecvQueue: 1024})
	defer n.Close()
	n.Link(ha, hb).SetConditions(LinkConditions{Delay: time.Millisecond, Jitter: 100 * time.Microsecond, KeepOrder: true})
	pipelined(b, ca, cb, cb.LocalAddrPort())
}

// BenchmarkThroughNAT streams from a public host to a host behind a NAT
// (inbound translation and filtering on every datagram) over a perfect path.
func BenchmarkThroughNAT(b *testing.B) {
	n := NewNetwork(Config{RecvQueue: 1024})
	defer n.Close()
	nat := must(n.AddNAT(NATConfig{Name: "nat", Public: []netip.Addr{ip("203.0.113.1")}}))
	h := must(nat.AddHost("h", ip("10.0.0.2")))
	s := must(n.AddHost("s", ip("198.51.100.1")))
	hc := must(h.Listen(ap("10.0.0.2:5000")))
	sc := must(s.Listen(ap("198.51.100.1:1000")))
	must(hc.WriteToUDPAddrPort([]byte("open"), sc.LocalAddrPort()))
	_, pub := must2(sc.ReadFromUDPAddrPort(make([]byte, 10)))
	pipelined(b, sc, hc, pub)
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}
