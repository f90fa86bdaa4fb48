package rtmfptest

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// The model takes time as an argument, so these tests drive it with
// explicit instants: exact and deterministic, no clock.

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

var modelDst = netip.MustParseAddrPort("192.0.2.1:1935")

func seqPayload(i, size int) []byte {
	b := make([]byte, max(size, 4))
	binary.BigEndian.PutUint32(b, uint32(i))
	return b
}

type departure struct {
	seq int
	at  time.Time
}

// drain pops everything from m in due order and returns (seq, due).
func drain(m *impairModel) []departure {
	return popUntil(m, time.Time{}, nil)
}

// popUntil pops the datagrams due by t (everything if t is zero) and
// appends them to out.
func popUntil(m *impairModel, t time.Time, out []departure) []departure {
	for {
		due, ok := m.next()
		if !ok || (!t.IsZero() && due.After(t)) {
			return out
		}
		s, ok := m.pop(due)
		if !ok {
			panic("head not due at its own due time")
		}
		out = append(out, departure{int(binary.BigEndian.Uint32((*s.buf)[:s.n])), s.due})
		m.putBuf(s.buf)
	}
}

// feed enters n datagrams of the given size every gap from t0, popping
// what is due as time goes, and returns every departure.
func feed(m *impairModel, n, size int, gap time.Duration) []departure {
	var out []departure
	for i := range n {
		at := t0.Add(time.Duration(i) * gap)
		out = popUntil(m, at, out)
		m.enter(at, seqPayload(i, size), modelDst)
	}
	return popUntil(m, time.Time{}, out)
}

func TestImpairModelRateQueue(t *testing.T) {
	// 1000-byte payloads every 4 ms into 1 Mbit/s: on the wire 1028 bytes,
	// 8.224 ms each, so the queue grows by 4.224 ms per datagram until the
	// 100 ms limit.
	m := newImpairModel(Impairment{Delay: 20 * time.Millisecond, Rate: 1 * Mbps, QueueDelay: 100 * time.Millisecond}, 1)
	const n = 200
	for i := range n {
		m.enter(t0.Add(time.Duration(i)*4*time.Millisecond), seqPayload(i, 1000), modelDst)
		if i == 10 {
			st := m.stats(t0.Add(40 * time.Millisecond))
			// Datagram 10 waits 10·4.224 ms and is then serialized.
			if want := 10*4224*time.Microsecond + 8224*time.Microsecond; st.QueueWait != want {
				t.Errorf("queue wait after datagram 10 is %v, want %v", st.QueueWait, want)
			}
			if want := queuedBytes(st.QueueWait, Mbps); st.QueuedBytes != want || want < 5000 {
				t.Errorf("queued bytes %d, want %d", st.QueuedBytes, want)
			}
		}
	}
	out := drain(m)
	st := m.stats(t0.Add(time.Hour))
	ser := 8224 * time.Microsecond
	for i, d := range out {
		if i > 0 && d.seq <= out[i-1].seq {
			t.Fatalf("departure %d is datagram %d after %d: not FIFO", i, d.seq, out[i-1].seq)
		}
		if i > 0 {
			if gap := d.at.Sub(out[i-1].at); gap < ser {
				t.Fatalf("datagrams %d and %d leave %v apart, less than the serialization time %v", out[i-1].seq, d.seq, gap, ser)
			}
		}
		// Back to back: the queue never empties, so departure i is
		// exactly i+1 serializations after the first arrival, plus the delay.
		if want := t0.Add(time.Duration(i+1)*ser + 20*time.Millisecond); !d.at.Equal(want) {
			t.Fatalf("departure %d (datagram %d) at %v, want %v", i, d.seq, d.at.Sub(t0), want.Sub(t0))
		}
	}
	if st.In != n || st.Out != uint64(len(out)) || st.QueueFull != n-uint64(len(out)) || st.Lost != 0 {
		t.Errorf("counters %v", st)
	}
	// 800 ms of arrivals, served at 8.224 ms each, plus the 100 ms buffer.
	if len(out) < 106 || len(out) > 111 {
		t.Errorf("%d datagrams carried, want about (800+100)/8.224 = 109", len(out))
	}
	if st.QueueDelay.Max > 100*time.Millisecond || st.QueueDelay.Max < 95*time.Millisecond {
		t.Errorf("max queue delay %v, want just under the 100ms limit", st.QueueDelay.Max)
	}
	if st.QueueDelay.P50 < 80*time.Millisecond {
		t.Errorf("median queue delay %v: the queue should stand near full", st.QueueDelay.P50)
	}
}

func TestImpairModelQueueBytes(t *testing.T) {
	// A 5000-byte limit holds four 1028-byte datagrams (the one being
	// serialized counts): a burst of 20 keeps the first 4.
	m := newImpairModel(Impairment{Rate: 1 * Mbps, QueueBytes: 5000}, 1)
	for i := range 20 {
		m.enter(t0, seqPayload(i, 1000), modelDst)
	}
	out := drain(m)
	if len(out) != 4 || out[3].seq != 3 {
		t.Fatalf("carried %v, want datagrams 0..3", out)
	}
	if st := m.stats(t0); st.QueueFull != 16 || st.QueuedBytes > 5000 || st.QueuedBytes < 4*1028 {
		t.Errorf("counters %v queued %d", st, st.QueuedBytes)
	}
	// IPv6 headers are 20 bytes longer.
	m6 := newImpairModel(Impairment{Rate: 1 * Mbps}, 1)
	m6.enter(t0, make([]byte, 1000), netip.MustParseAddrPort("[2001:db8::1]:1935"))
	if due, _ := m6.next(); due.Sub(t0) != 8384*time.Microsecond {
		t.Errorf("1000-byte IPv6 datagram serialized in %v, want 8.384ms", due.Sub(t0))
	}
}

func TestImpairModelDefaultQueue(t *testing.T) {
	m := newImpairModel(Impairment{Rate: 100 * Kbps}, 1)
	for i := range 100 {
		m.enter(t0, seqPayload(i, 100), modelDst)
	}
	// 128 bytes at 100 kbit/s take 10.24 ms: datagrams 0..24 wait at
	// most 250 ms.
	if st := m.stats(t0); st.InFlight != 25 || st.QueueDelay.Max > DefaultQueueDelay {
		t.Errorf("default queue kept %d datagrams, max wait %v; want 25 within %v", st.InFlight, st.QueueDelay.Max, DefaultQueueDelay)
	}
}

func TestImpairModelLossIsSeeded(t *testing.T) {
	const n = 20000
	lost := func(seed uint64) []int {
		m := newImpairModel(Impairment{Loss: 0.03, Reorder: 0.01, Jitter: time.Millisecond}, seed)
		got := make(map[int]bool)
		for _, d := range feed(m, n, 10, time.Millisecond) {
			got[d.seq] = true
		}
		var l []int
		for i := range n {
			if !got[i] {
				l = append(l, i)
			}
		}
		if st := m.stats(t0); st.Lost != uint64(len(l)) {
			t.Errorf("counted %d lost, %d missing", st.Lost, len(l))
		}
		return l
	}
	a, b, c := lost(7), lost(7), lost(8)
	if !equalInts(a, b) {
		t.Error("the same seed lost different datagrams")
	}
	if equalInts(a, c) {
		t.Error("different seeds lost the same datagrams")
	}
	// The losses are the loss generator's draws, whatever the other
	// decisions drew.
	r := rand.New(rand.NewPCG(7, streamLoss))
	var want []int
	for i := range n {
		if r.Float64() < 0.03 {
			want = append(want, i)
		}
	}
	if !equalInts(a, want) {
		t.Error("losses are not the loss stream's draws")
	}
	checkBinomial(t, "lost", len(a), n, 0.03)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkBinomial fails if k successes in n trials of probability p are more
// than 4.5 standard deviations from the mean (about 1 in 150,000 by chance).
func checkBinomial(t *testing.T, what string, k, n int, p float64) {
	t.Helper()
	mean, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
	if math.Abs(float64(k)-mean) > 4.5*sd {
		t.Errorf("%s %d of %d, want %.0f ± %.0f", what, k, n, mean, 4.5*sd)
	}
}

func TestImpairModelJitterKeepsOrder(t *testing.T) {
	const amp = 20 * time.Millisecond
	m := newImpairModel(Impairment{Delay: 50 * time.Millisecond, Jitter: amp}, 3)
	// A dense flow (1 ms apart, far denser than the jitter) for 20 s.
	const n = 20000
	out := feed(m, n, 100, time.Millisecond)
	if len(out) != n {
		t.Fatalf("%d of %d left", len(out), n)
	}
	var sum, sq float64
	lo, hi := time.Hour, time.Duration(0)
	for i, d := range out {
		if d.seq != i {
			t.Fatalf("departure %d is datagram %d: jitter reordered", i, d.seq)
		}
		delay := d.at.Sub(t0.Add(time.Duration(i) * time.Millisecond))
		lo, hi = min(lo, delay), max(hi, delay)
		off := float64(delay - 50*time.Millisecond)
		sum += off
		sq += off * off
	}
	mean := time.Duration(sum / n)
	sd := time.Duration(math.Sqrt(sq/n - (sum/n)*(sum/n)))
	t.Logf("delay %v..%v, offset mean %v sd %v (model: 0, %v)", lo, hi, mean, sd, time.Duration(math.Round(float64(amp)*math.Sqrt2/3)))
	if lo < 30*time.Millisecond || hi > 70*time.Millisecond {
		t.Errorf("delay range %v..%v outside 50ms ± 20ms", lo, hi)
	}
	if lo > 33*time.Millisecond || hi < 67*time.Millisecond {
		t.Errorf("delay range %v..%v does not cover most of 50ms ± 20ms", lo, hi)
	}
	// 20 s is 250 segments of 80 ms: the mean is near 0 and the standard
	// deviation near Jitter·√2/3 = 9.4 ms.
	if mean < -3*time.Millisecond || mean > 3*time.Millisecond {
		t.Errorf("mean offset %v, want about 0", mean)
	}
	if sd < 7*time.Millisecond || sd > 12*time.Millisecond {
		t.Errorf("offset sd %v, want about 9.4ms", sd)
	}
}

func TestJitterWalkSlope(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var w jitterWalk
	amp := 10 * time.Millisecond
	prev := t0.Add(-time.Hour)
	at := t0
	for i := range 200000 {
		if i == 100000 {
			amp = 3 * time.Millisecond // a smaller amplitude from here on
		}
		if i%5000 == 0 {
			at = at.Add(time.Second) // idle gaps
		}
		at = at.Add(time.Duration(r.Int64N(int64(300 * time.Microsecond))))
		off := w.offset(at, amp, r)
		if off < -amp || off > amp {
			t.Fatalf("offset %v outside ±%v", off, amp)
		}
		arr := at.Add(off)
		// Slope at most 1/2: the arrival moves at least half as fast as t.
		if arr.Before(prev) {
			t.Fatalf("step %d: a later departure arrives %v earlier", i, prev.Sub(arr))
		}
		prev = arr
	}
}

func TestImpairModelReorder(t *testing.T) {
	m := newImpairModel(Impairment{Delay: 10 * time.Millisecond, Reorder: 0.1}, 5)
	const n = 5000
	out := feed(m, n, 100, time.Millisecond)
	if len(out) != n {
		t.Fatalf("%d of %d left", len(out), n)
	}
	// Each reordered datagram leaves right after its successor, at the
	// same instant: the order is 0 1 3 2 4 …
	swaps := 0
	for i := 0; i < n; i++ {
		if out[i].seq == i {
			continue
		}
		if i+1 >= n || out[i].seq != i+1 || out[i+1].seq != i || !out[i+1].at.Equal(out[i].at) {
			t.Fatalf("departures %d..%d: %v, want a swap of neighbours", i, i+1, out[i:min(i+2, n)])
		}
		swaps++
		i++
	}
	st := m.stats(t0)
	if uint64(swaps) != st.Reordered {
		t.Errorf("%d swaps seen, %d counted", swaps, st.Reordered)
	}
	// A datagram overtaken cannot be held itself, so the rate is a little
	// under 10 %.
	checkBinomial(t, "reordered", swaps, n, 0.1*0.9)

	// With nothing after it, a held datagram leaves alone, reorderWait late.
	m = newImpairModel(Impairment{Delay: 10 * time.Millisecond, Reorder: 1}, 5)
	m.enter(t0, seqPayload(0, 10), modelDst)
	if due, _ := m.next(); due.Sub(t0) != 10*time.Millisecond+reorderWait {
		t.Errorf("lone held datagram due after %v, want %v", due.Sub(t0), 10*time.Millisecond+reorderWait)
	}
	if st := m.stats(t0); st.Reordered != 0 {
		t.Errorf("lone datagram counted as reordered")
	}
}

func TestImpairModelDuplicate(t *testing.T) {
	m := newImpairModel(Impairment{Delay: 5 * time.Millisecond, Duplicate: 0.05}, 9)
	const n = 5000
	out := feed(m, n, 100, time.Millisecond)
	st := m.stats(t0)
	if uint64(len(out)) != n+st.Duplicated || st.Out != uint64(len(out)) {
		t.Fatalf("%d left, %d duplicated, counters %v", len(out), st.Duplicated, st)
	}
	dups := 0
	for i := 1; i < len(out); i++ {
		if out[i].seq == out[i-1].seq {
			dups++
			if !out[i].at.Equal(out[i-1].at) {
				t.Errorf("duplicate of %d leaves %v after the original", out[i].seq, out[i].at.Sub(out[i-1].at))
			}
		} else if out[i].seq != out[i-1].seq+1 {
			t.Fatalf("datagram %d after %d", out[i].seq, out[i-1].seq)
		}
	}
	if uint64(dups) != st.Duplicated {
		t.Errorf("%d adjacent copies, %d counted", dups, st.Duplicated)
	}
	checkBinomial(t, "duplicated", dups, n, 0.05)
}

func TestImpairModelShorterDelayKeepsOrder(t *testing.T) {
	m := newImpairModel(Impairment{Delay: 100 * time.Millisecond}, 1)
	m.enter(t0, seqPayload(0, 10), modelDst)
	m.setImpairment(Impairment{Delay: 10 * time.Millisecond})
	m.enter(t0.Add(time.Millisecond), seqPayload(1, 10), modelDst)
	out := drain(m)
	if out[0].seq != 0 || !out[1].at.Equal(out[0].at) {
		t.Errorf("after the delay dropped: %v, want datagram 1 to wait for datagram 0", out)
	}
}

func TestImpairModelInFlightLimit(t *testing.T) {
	m := newImpairModel(Impairment{Delay: time.Second}, 1)
	for i := range maxInFlight + 100 {
		m.enter(t0, seqPayload(i, 10), modelDst)
	}
	if st := m.stats(t0); st.InFlight > maxInFlight || st.Overflow < 100 {
		t.Errorf("in flight %d, overflow %d", st.InFlight, st.Overflow)
	}
}

func TestDelayHistogram(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	var h delayHistogram
	var ds []time.Duration
	for range 50000 {
		d := time.Duration(r.ExpFloat64() * float64(20*time.Millisecond))
		h.record(d)
		ds = append(ds, d)
	}
	for _, p := range []float64{1, 50, 95, 99, 100} {
		want := Percentile(ds, p)
		got := h.percentile(p)
		// The bucket's upper end: at most 1/32 above, never below.
		if got < want.Truncate(time.Microsecond) || float64(got) > float64(want)*(1+1.0/32)+float64(time.Microsecond) {
			t.Errorf("p%v = %v, exact %v", p, got, want)
		}
	}
	if h.stats().Max != Percentile(ds, 100) {
		t.Errorf("max %v, want %v", h.stats().Max, Percentile(ds, 100))
	}
	for us := uint64(0); us < 1<<20; us += 1 + us/7 {
		i := histIndex(us)
		if histUpper(i) < us || (i > 0 && histUpper(i-1) >= us) {
			t.Fatalf("%d µs in bucket %d of range ..%d", us, i, histUpper(i))
		}
	}
}
