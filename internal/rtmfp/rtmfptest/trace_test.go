package rtmfptest

import (
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestTraceAndIntercept(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec Recorder
		n := NewNetwork(Config{
			Seed:        2,
			DefaultLink: LinkConditions{Delay: 10 * time.Millisecond, Loss: 0.2},
			Trace:       rec.Record,
		})
		defer n.Close()
		a := must(n.AddHost("a", ip("192.0.2.1")))
		b := must(n.AddHost("b", ip("192.0.2.2")))
		ca := must(a.Listen(ap("192.0.2.1:1")))
		cb := must(b.Listen(ap("192.0.2.2:2")))
		l := n.Link(a, b)
		l.Intercept(func(now time.Time, d Datagram) ([]byte, bool) {
			switch d.Payload[0] {
			case 'X':
				return nil, false
			case 'c':
				p := slices.Clone(d.Payload)
				p[1] ^= 0xff
				return p, true
			}
			return d.Payload, true
		})
		start := time.Now()
		var want []string
		for i := range 100 {
			msg := []byte{"pXc"[i%3], 0x11}
			must(ca.WriteTo(msg, cb.LocalAddr()))
			switch msg[0] {
			case 'p':
				want = append(want, "p\x11")
			case 'c':
				want = append(want, "c\xee")
			}
		}
		time.Sleep(50 * time.Millisecond)
		msgs, _ := recv(t, cb)

		var sent, delivered int
		var lost []string
		intercepted := 0
		for _, e := range rec.Events() {
			switch e.Kind {
			case TraceSend:
				sent++
				if e.Where != "a" || e.Time != start || e.Src != ap("192.0.2.1:1") {
					t.Errorf("send event %v", e)
				}
			case TraceDeliver:
				delivered++
				if e.Where != "b" || e.Time != start.Add(10*time.Millisecond) || e.Dst != ap("192.0.2.2:2") {
					t.Errorf("deliver event %v", e)
				}
			case TraceDrop:
				if e.Where != "a->b" {
					t.Errorf("drop event %v", e)
				}
				switch e.Reason {
				case DropIntercepted:
					intercepted++
				case DropLoss:
					lost = append(lost, string(e.Payload))
				default:
					t.Errorf("drop event %v", e)
				}
			}
		}
		if sent != 100 || intercepted != 33 || delivered != len(msgs) || delivered+len(lost) != 67 {
			t.Fatalf("trace: %d sent, %d intercepted, %d lost, %d delivered (%d read)", sent, intercepted, len(lost), delivered, len(msgs))
		}
		// What was lost is exactly what the receiver misses: remove the
		// traced losses from the expected stream (intercepted datagrams
		// are dropped before loss is drawn, so they never reach the RNG).
		if len(lost) < 5 || len(lost) > 25 {
			t.Errorf("%d of 67 lost at 20%%", len(lost))
		}
		got := 0
		for _, w := range want {
			if got < len(msgs) && msgs[got] == w {
				got++
			}
		}
		if got != len(msgs) {
			t.Errorf("received %q is not a subsequence of the expected (corrupted) stream", msgs)
		}
		if s := l.Stats(); s.Dropped[DropIntercepted] != 33 || int(s.Dropped[DropLoss]) != len(lost) {
			t.Errorf("link stats %v", s)
		}
	})
}

// The whole run, through a NAT and every kind of impairment, is a function
// of the seed.
func TestSameSeedSameTrace(t *testing.T) {
	run := func(seed uint64) []string {
		var out []string
		synctest.Test(t, func(t *testing.T) {
			var rec Recorder
			n := NewNetwork(Config{Seed: seed, Trace: rec.Record, RecvQueue: 8})
			defer n.Close()
			nat := must(n.AddNAT(NATConfig{Name: "nat", Public: []netip.Addr{ip("203.0.113.1")}}))
			h := must(nat.AddHost("h", ip("10.0.0.2")))
			s := must(n.AddHost("s", ip("198.51.100.1")))
			stranger := must(must(n.AddHost("x", ip("198.51.100.66"))).Listen(netip.AddrPort{}))
			bad := LinkConditions{Delay: 15 * time.Millisecond, Jitter: 10 * time.Millisecond, Loss: 0.1,
				Duplicate: 0.1, Reorder: 0.1, Rate: 2 * Mbps, QueueDelay: 30 * time.Millisecond, MTU: 1000}
			nat.Uplink().SetConditions(bad)
			n.SetPath(nat, s, bad)
			hc := must(h.Listen(ap("10.0.0.2:5000")))
			sc := must(s.Listen(ap("198.51.100.1:1000")))
			pub := ap("203.0.113.1:20000")
			for i := range 400 {
				must(hc.WriteToUDPAddrPort(seqPacket(i, 200+i*3), sc.LocalAddrPort()))
				must(sc.WriteToUDPAddrPort(seqPacket(i, 300), pub))
				time.Sleep(time.Millisecond)
				if i%50 == 49 {
					must(stranger.WriteToUDPAddrPort([]byte("knock"), pub))
					recv(t, sc) // drain, so that the receive queues overflow in between
					recv(t, hc)
				}
			}
			time.Sleep(time.Second)
			for _, e := range rec.Events() {
				out = append(out, e.String())
			}
			var reasons [NumDropReasons]bool
			for r, c := range n.Stats().Dropped {
				reasons[r] = c > 0
			}
			for _, r := range []DropReason{DropLoss, DropQueueFull, DropMTU, DropFiltered, DropRecvQueueFull} {
				if !reasons[r] {
					t.Errorf("no %v drops: %v", r, n.Stats())
				}
			}
		})
		return out
	}
	a, b, c := run(11), run(11), run(12)
	if len(a) < 1600 || !slices.Equal(a, b) {
		t.Fatalf("same seed, different traces (%d and %d events)", len(a), len(b))
	}
	if slices.Equal(a, c) {
		t.Error("different seeds, same trace")
	}
}
