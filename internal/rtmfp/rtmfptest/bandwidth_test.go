package rtmfptest

import (
	"testing"
	"testing/synctest"
	"time"
)

// overload sends 1000-byte datagrams every 4 ms (2 Mbit/s) for 3 s through
// a 1 Mbit/s bottleneck and returns what arrived and the link.
func overload(t *testing.T, c LinkConditions) ([]rx, *Link, time.Time) {
	n, a, b, ca, cb := pair(t, Config{Seed: 1})
	t.Cleanup(func() { n.Close() })
	l := n.Link(a, b)
	l.SetConditions(c)
	done := collect(t, cb)
	start := time.Now()
	for i := range 750 {
		must(ca.WriteTo(seqPacket(i, 1000), cb.LocalAddr()))
		time.Sleep(4 * time.Millisecond)
	}
	time.Sleep(time.Second)
	return done(), l, start
}

func TestBandwidthQueueDelayLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got, l, start := overload(t, LinkConditions{
			Delay: 20 * time.Millisecond, Rate: 1 * Mbps, QueueDelay: 100 * time.Millisecond,
		})
		s := l.Stats()
		qd := l.QueueDelays()
		t.Logf("1 Mbit/s, 100 ms queue: %v; queue delay p50 %v p99 %v max %v",
			s, Percentile(qd, 50), Percentile(qd, 99), l.MaxQueueDelay())

		// 1000 bytes at 1 Mbit/s serialize in exactly 8 ms; the link runs
		// flat out from t=0, so in any full second after the queue fills
		// exactly 125 datagrams (125 000 bytes) come out.
		var bytesIn int
		for _, r := range got {
			if d := r.at.Sub(start); d >= time.Second && d < 2*time.Second {
				bytesIn += len(r.payload)
			}
		}
		if bytesIn != 125000 {
			t.Errorf("carried %d bytes in second 1..2, want 125000", bytesIn)
		}
		// Accepted datagrams: the transmitter is busy until at most
		// 2996 ms + 100 ms + 8 ms, one datagram per 8 ms.
		if len(got) < 385 || len(got) > 388 {
			t.Errorf("delivered %d datagrams, want 385..388", len(got))
		}
		if s.Sent != 750 || s.Delivered != uint64(len(got)) || s.Dropped[DropQueueFull] != 750-uint64(len(got)) {
			t.Errorf("link stats %v", s)
		}
		// The queue grows by 4 ms per datagram (arrivals every 4 ms, service
		// every 8 ms) until it reaches the limit, and no datagram waits
		// longer than the limit.
		for i := 1; i < 25; i++ {
			if qd[i] != time.Duration(4*i)*time.Millisecond {
				t.Fatalf("queue delay of datagram %d is %v, want %dms", i, qd[i], 4*i)
			}
		}
		if m := l.MaxQueueDelay(); m > 100*time.Millisecond || m < 96*time.Millisecond {
			t.Errorf("max queue delay %v, want 96..100ms", m)
		}
		if p := Percentile(qd, 50); p < 90*time.Millisecond {
			t.Errorf("median queue delay %v: the queue should stay near full", p)
		}
		// One-way delay = queueing + 8 ms serialization + 20 ms propagation.
		for _, r := range got {
			i := seqOf(r.payload)
			d := r.at.Sub(start.Add(time.Duration(4*i) * time.Millisecond))
			if d < 28*time.Millisecond || d > 128*time.Millisecond {
				t.Fatalf("datagram %d one-way delay %v outside 28..128ms", i, d)
			}
		}
		// Delivery order is FIFO.
		for i := 1; i < len(got); i++ {
			if seqOf(got[i].payload) <= seqOf(got[i-1].payload) {
				t.Fatalf("reordered at %d", i)
			}
		}
	})
}

func TestBandwidthQueueBytesLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 12 500 bytes at 1 Mbit/s is 100 ms of queue. With 1000-byte
		// datagrams, 12 fit (including the one being serialized), so the
		// longest wait before serialization is 11 × 8 ms less the part of
		// the current datagram already sent.
		got, l, _ := overload(t, LinkConditions{Rate: 1 * Mbps, QueueBytes: 12500})
		m := l.MaxQueueDelay()
		t.Logf("1 Mbit/s, 12500-byte queue: delivered %d, max queue delay %v", len(got), m)
		if m > 88*time.Millisecond || m < 80*time.Millisecond {
			t.Errorf("max queue delay %v, want 80..88ms", m)
		}
		if s := l.Stats(); s.Dropped[DropQueueFull] != 750-uint64(len(got)) || len(got) < 380 || len(got) > 388 {
			t.Errorf("delivered %d, link stats %v", len(got), s)
		}
	})
}

func TestBandwidthChangeAtRunTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, a, b, ca, cb := pair(t, Config{})
		defer n.Close()
		l := n.Link(a, b)
		l.SetConditions(LinkConditions{Rate: 1 * Mbps, QueueDelay: 100 * time.Millisecond})
		done := collect(t, cb)
		// 1 Mbit/s offered to a 1 Mbit/s link: no queue.
		for i := range 100 {
			must(ca.WriteTo(seqPacket(i, 1000), cb.LocalAddr()))
			time.Sleep(8 * time.Millisecond)
		}
		l.Update(func(c *LinkConditions) { c.Rate = 500 * Kbps })
		for i := 100; i < 200; i++ {
			must(ca.WriteTo(seqPacket(i, 1000), cb.LocalAddr()))
			time.Sleep(8 * time.Millisecond)
		}
		// A full 100 ms queue at 500 kbit/s holds 6250 bytes, plus the
		// datagram being serialized.
		if q := l.QueuedBytes(); q < 6000 || q > 7250 {
			t.Errorf("%d bytes queued at the limit, want 6000..7250", q)
		}
		time.Sleep(time.Second)
		if q := l.QueuedBytes(); q != 0 {
			t.Errorf("%d bytes still queued after draining", q)
		}
		got := done()
		qd := l.QueueDelays()
		if m := Percentile(qd[:100], 100); m != 0 {
			t.Errorf("queue delay %v at a matched rate", m)
		}
		// At half the rate the queue grows 8 ms per datagram until it hits
		// the 100 ms limit; then every other datagram is dropped.
		if qd[112] != 96*time.Millisecond {
			t.Errorf("queue delay after 12 datagrams at 500 kbit/s is %v, want 96ms", qd[112])
		}
		if s := l.Stats(); s.Dropped[DropQueueFull] < 40 || s.Dropped[DropQueueFull] > 46 || len(got) != 200-int(s.Dropped[DropQueueFull]) {
			t.Errorf("delivered %d, stats %v", len(got), s)
		}
	})
}
