package rtmfptest

import (
	"net"
	"testing"
	"time"
)

// BenchmarkImpairModel is the model's CPU cost per datagram: enter and
// leave, with every step on (1200-byte datagrams, 100 µs apart, into
// 200 Mbit/s with delay, jitter, 1 % loss, reordering and duplication).
func BenchmarkImpairModel(b *testing.B) {
	m := newImpairModel(Impairment{
		Delay: 20 * time.Millisecond, Jitter: 5 * time.Millisecond,
		Loss: 0.01, Reorder: 0.01, Duplicate: 0.01, Rate: 200 * Mbps,
	}, 1)
	msg := make([]byte, 1200)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(100 * time.Microsecond)
		m.enter(now, msg, modelDst)
		for {
			s, ok := m.pop(now)
			if !ok {
				break
			}
			m.putBuf(s.buf)
		}
	}
	if st := m.stats(now); st.QueueFull != 0 || st.Out < st.In*9/10 {
		b.Fatalf("the model did not carry the flow: %v", st)
	}
}

// BenchmarkImpairedConnPingPong bounces a 1200-byte datagram between two
// loopback sockets; "impaired" puts one side behind an ImpairedConn whose
// two directions go through their schedulers (1 µs of delay each way), so
// the difference to "plain" is the per-datagram cost of the two hand-offs,
// including the timer wake-ups. Steady state allocates nothing.
func BenchmarkImpairedConnPingPong(b *testing.B) {
	for _, impaired := range []bool{false, true} {
		name := "plain"
		if impaired {
			name = "impaired"
		}
		b.Run(name, func(b *testing.B) {
			ua, cb := listenLoopback(b), listenLoopback(b)
			defer cb.Close()
			var a interface {
				net.PacketConn
				udpAddrPortConn
			} = ua
			if impaired {
				a = ImpairConn(ua, Impairment{Delay: time.Microsecond}, Impairment{Delay: time.Microsecond}, 1)
			}
			defer a.Close()
			msg := make([]byte, 1200)
			buf := make([]byte, 2048)
			dstB, dstA := addrOf(cb), addrOf(ua)
			round := func() {
				if _, err := a.WriteToUDPAddrPort(msg, dstB); err != nil {
					b.Fatal(err)
				}
				if _, _, err := cb.ReadFromUDPAddrPort(buf); err != nil {
					b.Fatal(err)
				}
				if _, err := cb.WriteToUDPAddrPort(msg, dstA); err != nil {
					b.Fatal(err)
				}
				if _, _, err := a.ReadFromUDPAddrPort(buf); err != nil {
					b.Fatal(err)
				}
			}
			for range 100 {
				round() // warm the buffers and rings
			}
			b.SetBytes(2 * int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				round()
			}
		})
	}
}
