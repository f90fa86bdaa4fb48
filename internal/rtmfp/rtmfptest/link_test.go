package rtmfptest

import (
	"bytes"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func TestDelayIsExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, a, b, ca, cb := pair(t, Config{Seed: 1})
		defer n.Close()
		n.Link(a, b).SetConditions(LinkConditions{Delay: 30 * time.Millisecond})
		a.Uplink().SetConditions(LinkConditions{Delay: 5 * time.Millisecond})
		b.Downlink().SetConditions(LinkConditions{Delay: 2 * time.Millisecond})
		done := collect(t, cb)
		start := time.Now()
		for i := range 3 {
			must(ca.WriteTo(seqPacket(i, 100), cb.LocalAddr()))
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Second)
		got := done()
		if len(got) != 3 {
			t.Fatalf("got %d datagrams, want 3", len(got))
		}
		for i, r := range got {
			if d := r.at.Sub(start); d != time.Duration(37+i)*time.Millisecond {
				t.Errorf("datagram %d arrived after %v, want %dms", i, d, 37+i)
			}
			if r.from != ap("192.0.2.1:1000") || seqOf(r.payload) != i || len(r.payload) != 100 {
				t.Errorf("datagram %d: from %v seq %d len %d", i, r.from, seqOf(r.payload), len(r.payload))
			}
		}
		if s := n.Link(a, b).Stats(); s.Sent != 3 || s.Delivered != 3 || s.TotalDropped() != 0 {
			t.Errorf("link stats %v", s)
		}
		if s := n.Stats(); s.Sent != 3 || s.Delivered != 3 {
			t.Errorf("network stats %v", s)
		}
	})
}

func TestPerfectLinkDeliversAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, _, _, ca, cb := pair(t, Config{})
		defer n.Close()
		start := time.Now()
		must(ca.WriteTo([]byte("hello"), cb.LocalAddr()))
		buf := make([]byte, 3)
		k, from, err := cb.ReadFrom(buf)
		if err != nil || k != 3 || string(buf) != "hel" || from.String() != "192.0.2.1:1000" {
			t.Fatalf("ReadFrom = %d %v %v %q; want truncated hel", k, from, err, buf)
		}
		if time.Since(start) != 0 {
			t.Errorf("took %v", time.Since(start))
		}
	})
}

// oneWayDelays sends count datagrams every gap and returns, per sequence
// number, the one-way delay of each copy that arrived, plus the arrival order.
func oneWayDelays(t *testing.T, cfg Config, c LinkConditions, count int, gap time.Duration) (delays map[int][]time.Duration, order []int, n *Network) {
	n, a, b, ca, cb := pair(t, cfg)
	n.Link(a, b).SetConditions(c)
	done := collect(t, cb)
	sent := make([]time.Time, count)
	for i := range count {
		sent[i] = time.Now()
		must(ca.WriteTo(seqPacket(i, 64), cb.LocalAddr()))
		time.Sleep(gap)
	}
	time.Sleep(10 * time.Second)
	delays = make(map[int][]time.Duration)
	for _, r := range done() {
		i := seqOf(r.payload)
		delays[i] = append(delays[i], r.at.Sub(sent[i]))
		order = append(order, i)
	}
	return delays, order, n
}

func inversions(order []int) int {
	k := 0
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			k++
		}
	}
	return k
}

func TestJitterBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const count = 2000
		c := LinkConditions{Delay: 20 * time.Millisecond, Jitter: 10 * time.Millisecond}
		delays, order, n := oneWayDelays(t, Config{Seed: 7}, c, count, time.Millisecond)
		defer n.Close()
		if len(order) != count {
			t.Fatalf("got %d, want %d", len(order), count)
		}
		var sum, lo, hi time.Duration = 0, time.Hour, 0
		for _, ds := range delays {
			d := ds[0]
			if d < c.Delay || d >= c.Delay+c.Jitter {
				t.Fatalf("delay %v outside [20ms, 30ms)", d)
			}
			sum += d
			lo, hi = min(lo, d), max(hi, d)
		}
		mean := sum / count
		t.Logf("jitter: min %v mean %v max %v inversions %d", lo, mean, hi, inversions(order))
		if mean < 24500*time.Microsecond || mean > 25500*time.Microsecond {
			t.Errorf("mean delay %v, want 25ms ± 0.5ms for uniform jitter", mean)
		}
		if lo > 20100*time.Microsecond || hi < 29900*time.Microsecond {
			t.Errorf("jitter range [%v, %v] does not span [20ms, 30ms)", lo, hi)
		}
		// 1 ms spacing with 10 ms of jitter must reorder a lot.
		if inv := inversions(order); inv < count/10 {
			t.Errorf("only %d inversions with jitter", inv)
		}
	})
}

func TestJitterKeepOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := LinkConditions{Delay: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, KeepOrder: true}
		delays, order, n := oneWayDelays(t, Config{Seed: 7}, c, 1000, time.Millisecond)
		defer n.Close()
		if len(order) != 1000 || inversions(order) != 0 {
			t.Fatalf("got %d datagrams with %d inversions; want 1000 in order", len(order), inversions(order))
		}
		for i, ds := range delays {
			if ds[0] < c.Delay || ds[0] >= c.Delay+c.Jitter {
				t.Fatalf("datagram %d delay %v outside [20ms, 30ms)", i, ds[0])
			}
		}
	})
}

// TestWander: the wander stays in [Delay, Delay+Wander], spans it,
// drifts (consecutive datagrams 1 ms apart differ by at most half a
// millisecond) and never reorders.
func TestWander(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const count = 4000
		c := LinkConditions{Delay: 20 * time.Millisecond, Wander: 20 * time.Millisecond}
		delays, order, n := oneWayDelays(t, Config{Seed: 7}, c, count, time.Millisecond)
		defer n.Close()
		if len(order) != count || inversions(order) != 0 {
			t.Fatalf("got %d datagrams with %d inversions; want %d in order", len(order), inversions(order), count)
		}
		lo, hi, step := time.Hour, time.Duration(0), time.Duration(0)
		for i := range count {
			d := delays[i][0]
			if d < c.Delay || d > c.Delay+c.Wander {
				t.Fatalf("datagram %d delay %v outside [20ms, 40ms]", i, d)
			}
			lo, hi = min(lo, d), max(hi, d)
			if i > 0 {
				step = max(step, (d - delays[i-1][0]).Abs())
			}
		}
		t.Logf("wander: min %v max %v, largest step between datagrams 1 ms apart %v", lo, hi, step)
		if lo > 22*time.Millisecond || hi < 38*time.Millisecond {
			t.Errorf("wander range [%v, %v] does not span [20ms, 40ms]", lo, hi)
		}
		if step > 500*time.Microsecond+time.Microsecond {
			t.Errorf("delay jumped %v between datagrams 1 ms apart: not a drift", step)
		}
	})
}

func lostIndices(t *testing.T, seed uint64, loss float64, count int) []int {
	var lost []int
	synctest.Test(t, func(t *testing.T) {
		delays, _, n := oneWayDelays(t, Config{Seed: seed}, LinkConditions{Delay: 10 * time.Millisecond, Loss: loss}, count, 100*time.Microsecond)
		defer n.Close()
		for i := range count {
			if len(delays[i]) == 0 {
				lost = append(lost, i)
			}
		}
		if s := n.Stats(); s.Dropped[DropLoss] != uint64(len(lost)) {
			t.Errorf("network counts %d losses, receiver saw %d", s.Dropped[DropLoss], len(lost))
		}
	})
	return lost
}

func TestLossRateAndDeterminism(t *testing.T) {
	const count = 10000
	lost1 := lostIndices(t, 42, 0.1, count)
	lost2 := lostIndices(t, 42, 0.1, count)
	lost3 := lostIndices(t, 43, 0.1, count)
	t.Logf("loss 10%%: seed 42 lost %d, seed 43 lost %d of %d", len(lost1), len(lost3), count)
	// Binomial(10000, 0.1): sd 30; ±4 sd.
	for _, l := range [][]int{lost1, lost3} {
		if len(l) < 880 || len(l) > 1120 {
			t.Errorf("lost %d of %d, want 1000 ± 120", len(l), count)
		}
	}
	if !slices.Equal(lost1, lost2) {
		t.Errorf("same seed lost different datagrams: %v... vs %v...", lost1[:10], lost2[:10])
	}
	if slices.Equal(lost1, lost3) {
		t.Error("different seeds lost the same datagrams")
	}
}

func TestDuplicateAndReorder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const count = 5000
		c := LinkConditions{Delay: 10 * time.Millisecond, Duplicate: 0.05, Reorder: 0.02, ReorderDelay: 5 * time.Millisecond}
		delays, order, n := oneWayDelays(t, Config{Seed: 3}, c, count, time.Millisecond)
		defer n.Close()
		var a, b *Host
		for _, nd := range n.names {
			if h := nd.(*Host); h.name == "a" {
				a = h
			} else {
				b = h
			}
		}
		s := n.Link(a, b).Stats()
		t.Logf("link: %v; receiver saw %d datagrams, %d inversions", s, len(order), inversions(order))
		if s.Sent != count || s.Delivered != count+s.Duplicated {
			t.Errorf("link stats %v: want sent %d and delivered = sent + duplicated", s, count)
		}
		if s.Duplicated < 190 || s.Duplicated > 310 {
			t.Errorf("duplicated %d, want 250 ± 60", s.Duplicated)
		}
		if s.Reordered < 60 || s.Reordered > 140 {
			t.Errorf("reordered %d, want 100 ± 40", s.Reordered)
		}
		if len(order) != count+int(s.Duplicated) {
			t.Errorf("receiver saw %d, want %d", len(order), count+int(s.Duplicated))
		}
		var dups, held int
		for i := range count {
			ds := delays[i]
			if len(ds) == 2 {
				dups++
				if ds[0] != ds[1] {
					t.Errorf("copies of %d arrived %v apart", i, ds[1]-ds[0])
				}
			}
			switch ds[0] {
			case 10 * time.Millisecond:
			case 15 * time.Millisecond:
				held++
			default:
				t.Fatalf("datagram %d delay %v, want 10ms or 15ms", i, ds[0])
			}
		}
		if dups != int(s.Duplicated) || held != int(s.Reordered) {
			t.Errorf("receiver saw %d duplicated and %d held back, link says %d and %d", dups, held, s.Duplicated, s.Reordered)
		}
		// A datagram held 5 ms at 1 ms spacing is overtaken by 5 others.
		if inv := inversions(order); inv < held {
			t.Errorf("%d inversions for %d held-back datagrams", inv, held)
		}
	})
}

func TestMTU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, a, b, ca, cb := pair(t, Config{})
		defer n.Close()
		l := n.Link(a, b)
		l.SetConditions(LinkConditions{MTU: 1200, HeaderBytes: 28})
		done := collect(t, cb)
		for _, size := range []int{1, 1172, 1173, 1500, 1000} {
			must(ca.WriteTo(bytes.Repeat([]byte{byte(size)}, size), cb.LocalAddr()))
		}
		time.Sleep(time.Millisecond)
		got := done()
		var sizes []int
		for _, r := range got {
			sizes = append(sizes, len(r.payload))
		}
		if !slices.Equal(sizes, []int{1, 1172, 1000}) {
			t.Errorf("delivered sizes %v, want [1 1172 1000]", sizes)
		}
		if s := l.Stats(); s.Dropped[DropMTU] != 2 || s.Delivered != 3 {
			t.Errorf("link stats %v", s)
		}
		if s := n.Stats(); s.Dropped[DropMTU] != 2 {
			t.Errorf("network stats %v", s)
		}
	})
}

func TestConditionsChangeAtRunTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, a, b, ca, cb := pair(t, Config{Seed: 9})
		defer n.Close()
		l := n.Link(a, b)
		l.SetConditions(LinkConditions{Delay: 10 * time.Millisecond})
		done := collect(t, cb)
		send := func(from, to int) {
			for i := from; i < to; i++ {
				must(ca.WriteTo(seqPacket(i, 10), cb.LocalAddr()))
				time.Sleep(time.Millisecond)
			}
		}
		send(0, 100)
		l.Update(func(c *LinkConditions) { c.Loss = 1 })
		send(100, 200)
		l.Update(func(c *LinkConditions) { c.Loss = 0; c.Delay = 50 * time.Millisecond })
		start := time.Now()
		send(200, 300)
		time.Sleep(time.Second)
		got := done()
		if len(got) != 200 || seqOf(got[99].payload) != 99 || seqOf(got[100].payload) != 200 {
			t.Fatalf("got %d datagrams; want 0..99 and 200..299", len(got))
		}
		if d := got[100].at.Sub(start); d != 50*time.Millisecond {
			t.Errorf("after raising the delay the first datagram took %v, want 50ms", d)
		}
		if s := l.Stats(); s.Dropped[DropLoss] != 100 {
			t.Errorf("link stats %v, want 100 losses", s)
		}
	})
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0, time.Millisecond}, {50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99.5, 100 * time.Millisecond}, {100, 100 * time.Millisecond}} {
		if got := Percentile(ds, c.p); got != c.want {
			t.Errorf("Percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if ds[0] != 100*time.Millisecond {
		t.Error("Percentile modified its input")
	}
	if Percentile(nil, 50) != 0 {
		t.Error("Percentile(nil) != 0")
	}
}
