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

// BenchmarkImpairedConnLateness measures timing precision: one datagram
// per millisecond (a busy flow), or one per 20 ms (an audio stream, the
// scheduler sleeping in between), through 20 ms of delay. It reports how late
// the schedulers handed datagrams on compared with their due time (late-*)
// and how much later than sent+20ms the receiver got them (e2e-extra-*:
// that adds the socket and the receiver's wake-up). Nothing is ever early.
func BenchmarkImpairedConnLateness(b *testing.B) {
	for _, gap := range []time.Duration{time.Millisecond, 20 * time.Millisecond} {
		b.Run(gap.String(), func(b *testing.B) { benchLateness(b, gap) })
	}
}

func benchLateness(b *testing.B, gap time.Duration) {
	ca, cb := listenLoopback(b), listenLoopback(b)
	const delay = 20 * time.Millisecond
	a := ImpairConn(ca, Impairment{Delay: delay}, Impairment{}, 1)
	stop := receiveAll(b, cb)
	dst := addrOf(cb)
	var sent []time.Time
	for i := 0; b.Loop(); i++ {
		sent = append(sent, time.Now())
		if _, err := a.WriteToUDPAddrPort(seqPayload(i, 200), dst); err != nil {
			b.Fatal(err)
		}
		time.Sleep(gap)
	}
	time.Sleep(delay + 50*time.Millisecond)
	got := stop()
	a.Close()
	cb.Close()
	up, _ := a.Stats()
	var extra []time.Duration
	for _, g := range got {
		extra = append(extra, g.at.Sub(sent[g.seq])-delay)
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(up.Late.P50), "late-p50-µs")
	b.ReportMetric(us(up.Late.P99), "late-p99-µs")
	b.ReportMetric(us(up.Late.Max), "late-max-µs")
	b.ReportMetric(us(Percentile(extra, 50)), "e2e-extra-p50-µs")
	b.ReportMetric(us(Percentile(extra, 99)), "e2e-extra-p99-µs")
	if Percentile(extra, 0) < 0 {
		b.Errorf("a datagram arrived %v early", -Percentile(extra, 0))
	}
}
