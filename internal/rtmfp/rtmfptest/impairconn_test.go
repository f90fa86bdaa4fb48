package rtmfptest

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// These tests run over real UDP on loopback in real time: their bounds are
// loose enough for a loaded two-core machine and the race detector, and
// each takes well under two seconds.

func listenLoopback(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Skip("no loopback UDP:", err)
	}
	_ = c.SetReadBuffer(4 << 20)
	_ = c.SetWriteBuffer(4 << 20)
	return c
}

func addrOf(c net.PacketConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

// arrival is one datagram received: its sequence number and when.
type arrival struct {
	seq  int
	size int
	at   time.Time
}

// receiveAll reads c until stop is called (or it is closed) and returns
// what arrived, in order.
func receiveAll(t testing.TB, c interface {
	ReadFromUDPAddrPort([]byte) (int, netip.AddrPort, error)
	SetReadDeadline(time.Time) error
}) (stop func() []arrival) {
	var (
		mu   sync.Mutex
		got  []arrival
		quit = make(chan struct{})
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			n, _, err := c.ReadFromUDPAddrPort(buf)
			now := time.Now()
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					select {
					case <-quit:
						return
					default:
						continue
					}
				}
				return
			}
			mu.Lock()
			got = append(got, arrival{seq: int(binary.BigEndian.Uint32(buf)), size: n, at: now})
			mu.Unlock()
		}
	}()
	return func() []arrival {
		close(quit)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

// sendSeq writes n numbered datagrams of size bytes to dst, gap apart
// (gap 0: as fast as possible, in bursts of 50 so loopback keeps up), and
// returns when each was written.
func sendSeq(t testing.TB, c net.PacketConn, dst netip.AddrPort, n, size int, gap time.Duration) []time.Time {
	t.Helper()
	w := c.(interface {
		WriteToUDPAddrPort([]byte, netip.AddrPort) (int, error)
	})
	sent := make([]time.Time, n)
	start := time.Now()
	for i := range n {
		if gap > 0 {
			if d := time.Until(start.Add(time.Duration(i) * gap)); d > 0 {
				time.Sleep(d)
			}
		} else if i%50 == 49 {
			time.Sleep(time.Millisecond)
		}
		sent[i] = time.Now()
		if _, err := w.WriteToUDPAddrPort(seqPayload(i, size), dst); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	return sent
}

func delays(sent []time.Time, got []arrival) []time.Duration {
	var ds []time.Duration
	for _, a := range got {
		ds = append(ds, a.at.Sub(sent[a.seq]))
	}
	return ds
}

func TestImpairedConnDelay(t *testing.T) {
	ca, cb := listenLoopback(t), listenLoopback(t)
	a := ImpairConn(ca, Impairment{Delay: 30 * time.Millisecond}, Impairment{Delay: 20 * time.Millisecond}, 1)
	defer a.Close()
	defer cb.Close()

	// Uplink: a writes, plain b reads. Downlink: plain b writes, a reads.
	stopB, stopA := receiveAll(t, cb), receiveAll(t, a)
	const n = 100
	var sentUp, sentDown []time.Time
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); sentUp = sendSeq(t, a, addrOf(cb), n, 200, 5*time.Millisecond) }()
	go func() { defer wg.Done(); sentDown = sendSeq(t, cb, addrOf(ca), n, 200, 5*time.Millisecond) }()
	wg.Wait()
	time.Sleep(100 * time.Millisecond)
	gotUp, gotDown := stopB(), stopA()

	for _, c := range []struct {
		name string
		want time.Duration
		got  []arrival
		sent []time.Time
	}{{"uplink", 30 * time.Millisecond, gotUp, sentUp}, {"downlink", 20 * time.Millisecond, gotDown, sentDown}} {
		if len(c.got) != n {
			t.Errorf("%s: %d of %d arrived", c.name, len(c.got), n)
			continue
		}
		ds := delays(c.sent, c.got)
		p50, p99 := Percentile(ds, 50), Percentile(ds, 99)
		t.Logf("%s %v: one-way delay min %v p50 %v p99 %v max %v", c.name, c.want, Percentile(ds, 0), p50, p99, Percentile(ds, 100))
		if lo := Percentile(ds, 0); lo < c.want {
			t.Errorf("%s: a datagram arrived after %v, before the %v delay", c.name, lo, c.want)
		}
		if p50 > c.want+5*time.Millisecond {
			t.Errorf("%s: median delay %v, want within 5ms of %v", c.name, p50, c.want)
		}
		for i, g := range c.got {
			if g.seq != i {
				t.Fatalf("%s: datagram %d arrived in place %d", c.name, g.seq, i)
			}
		}
	}
	up, down := a.Stats()
	t.Logf("scheduler lateness: uplink %v; downlink %v", up.Late, down.Late)
	if up.In != n || up.Out != n || down.In != n || down.Out != n || up.BytesOut != 200*n || down.BytesIn != 200*n {
		t.Errorf("counters: up %v, down %v", up, down)
	}
}

func TestImpairedConnJitter(t *testing.T) {
	for _, reorder := range []float64{0, 0.05} {
		ca, cb := listenLoopback(t), listenLoopback(t)
		imp := Impairment{Delay: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, Reorder: reorder}
		a := ImpairConn(ca, imp, Impairment{}, 2)
		stop := receiveAll(t, cb)
		// One datagram a millisecond: far denser than the jitter.
		const n = 500
		sent := sendSeq(t, a, addrOf(cb), n, 100, time.Millisecond)
		time.Sleep(80 * time.Millisecond)
		got := stop()
		a.Close()
		cb.Close()
		up, _ := a.Stats()
		if len(got) != n {
			t.Fatalf("reorder %v: %d of %d arrived", reorder, len(got), n)
		}
		// A datagram is late when a higher number arrived before it.
		late, highest := 0, -1
		for _, g := range got {
			if g.seq < highest {
				late++
			}
			highest = max(highest, g.seq)
		}
		ds := delays(sent, got)
		t.Logf("reorder %v: delay min %v p10 %v p50 %v p90 %v max %v; %d late, %d reordered",
			reorder, Percentile(ds, 0), Percentile(ds, 10), Percentile(ds, 50), Percentile(ds, 90), Percentile(ds, 100), late, up.Reordered)
		if reorder == 0 && late != 0 {
			t.Errorf("jitter reordered %d datagrams", late)
		}
		// Loopback keeps order, so what arrives late is exactly what the
		// uplink reordered.
		if uint64(late) != up.Reordered {
			t.Errorf("%d arrived late, %d counted as reordered", late, up.Reordered)
		}
		if reorder > 0 {
			checkBinomial(t, "reordered", late, n, reorder*(1-reorder))
		}
		if lo := Percentile(ds, 0); lo < 10*time.Millisecond {
			t.Errorf("delay %v under Delay-Jitter", lo)
		}
		// The delay wanders over most of its ±10 ms range in half a second.
		if spread := Percentile(ds, 90) - Percentile(ds, 10); spread < 4*time.Millisecond {
			t.Errorf("p90-p10 delay spread %v: jitter barely applied", spread)
		}
	}
}

func TestImpairedConnLoss(t *testing.T) {
	ca, cb := listenLoopback(t), listenLoopback(t)
	const seed = 11
	a := ImpairConn(ca, Impairment{Loss: 0.03}, Impairment{}, seed)
	stop := receiveAll(t, cb)
	const n = 3000
	sendSeq(t, a, addrOf(cb), n, 50, 0)
	time.Sleep(50 * time.Millisecond)
	got := stop()
	a.Close()
	cb.Close()
	up, _ := a.Stats()
	var lost []int
	next := 0
	for _, g := range got {
		for ; next < g.seq; next++ {
			lost = append(lost, next)
		}
		next = g.seq + 1
	}
	for ; next < n; next++ {
		lost = append(lost, next)
	}
	t.Logf("lost %d of %d: %v", len(lost), n, up)
	if uint64(len(lost)) != up.Lost || up.Out != uint64(len(got)) {
		t.Errorf("%d missing, %d counted lost, %d out, %d arrived", len(lost), up.Lost, up.Out, len(got))
	}
	checkBinomial(t, "lost", len(lost), n, 0.03)
	// The seed fixes which datagrams are lost.
	m := newImpairModel(Impairment{Loss: 0.03}, seed)
	var want []int
	for i := range n {
		if m.lossRng.Float64() < 0.03 {
			want = append(want, i)
		}
	}
	if !slices.Equal(lost, want) {
		t.Errorf("lost %v…, the seed predicts %v…", lost[:min(5, len(lost))], want[:min(5, len(want))])
	}
}

func TestImpairedConnRate(t *testing.T) {
	ca, cb := listenLoopback(t), listenLoopback(t)
	const rate = 800 * Kbps
	a := ImpairConn(ca, Impairment{Rate: rate, QueueDelay: 100 * time.Millisecond}, Impairment{}, 3)
	stop := receiveAll(t, cb)
	// 1000-byte datagrams at 2 Mbit/s for 1.2 s: 2.5 times the rate.
	const n, size = 300, 1000
	start := time.Now()
	sendSeq(t, a, addrOf(cb), n, size, 4*time.Millisecond)
	up, _ := a.Stats()
	time.Sleep(150 * time.Millisecond)
	got := stop()
	a.Close()
	cb.Close()
	final, _ := a.Stats()
	// Throughput once the queue stands full, from 0.2 s to 1.1 s, in bits
	// on the wire (payload and 28 bytes of headers).
	var bits float64
	from, to := start.Add(200*time.Millisecond), start.Add(1100*time.Millisecond)
	for _, g := range got {
		if !g.at.Before(from) && g.at.Before(to) {
			bits += float64(8 * (g.size + 28))
		}
	}
	thr := bits / to.Sub(from).Seconds()
	t.Logf("throughput %.0f bit/s of %d; %v; queue then %v (%d bytes)", thr, rate, final, up.QueueWait, up.QueuedBytes)
	if thr < 0.9*float64(rate) || thr > 1.1*float64(rate) {
		t.Errorf("throughput %.0f bit/s, want %d ± 10%%", thr, rate)
	}
	if final.QueueFull == 0 || final.In != n || final.Out+final.QueueFull != n || uint64(len(got)) != final.Out {
		t.Errorf("counters %v, %d arrived", final, len(got))
	}
	// The queue stands near its 100 ms limit and never exceeds it.
	if final.QueueDelay.P50 < 70*time.Millisecond || final.QueueDelay.Max > 100*time.Millisecond {
		t.Errorf("queue delay %v, want it near and under 100ms", final.QueueDelay)
	}
	if up.QueueWait < 50*time.Millisecond || up.QueuedBytes < 5000 {
		t.Errorf("standing queue at the end of sending %v (%d bytes), want near 100ms", up.QueueWait, up.QueuedBytes)
	}
}

func TestImpairedConnDuplicate(t *testing.T) {
	ca, cb := listenLoopback(t), listenLoopback(t)
	a := ImpairConn(ca, Impairment{Duplicate: 0.1}, Impairment{}, 4)
	stop := receiveAll(t, cb)
	const n = 1000
	sendSeq(t, a, addrOf(cb), n, 50, 0)
	time.Sleep(50 * time.Millisecond)
	got := stop()
	a.Close()
	cb.Close()
	up, _ := a.Stats()
	dups := 0
	for i := 1; i < len(got); i++ {
		if got[i].seq == got[i-1].seq {
			dups++
		}
	}
	if len(got) != n+dups || uint64(dups) != up.Duplicated || up.Out != uint64(len(got)) {
		t.Errorf("%d arrived, %d adjacent copies, %v", len(got), dups, up)
	}
	checkBinomial(t, "duplicated", dups, n, 0.1)
}

func TestImpairedConnDeadlines(t *testing.T) {
	ca, cb := listenLoopback(t), listenLoopback(t)
	defer cb.Close()
	a := ImpairConn(ca, Impairment{}, Impairment{Delay: 10 * time.Millisecond}, 5)
	defer a.Close()
	buf := make([]byte, 64)
	start := time.Now()
	_ = a.SetReadDeadline(start.Add(30 * time.Millisecond))
	_, _, err := a.ReadFrom(buf)
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past the deadline: %v", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond || d > 500*time.Millisecond {
		t.Errorf("deadline of 30ms returned after %v", d)
	}
	// The socket's own deadline is untouched: after clearing ours, a
	// datagram arrives.
	_ = a.SetReadDeadline(time.Time{})
	if _, err := cb.WriteToUDPAddrPort([]byte("hello"), addrOf(ca)); err != nil {
		t.Fatal(err)
	}
	n, from, err := a.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "hello" || from != addrOf(cb) {
		t.Fatalf("read %q from %v: %v", buf[:n], from, err)
	}
	_ = a.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := a.WriteTo(buf[:1], cb.LocalAddr()); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("write past the deadline: %v", err)
	}
}

func TestImpairedConnClose(t *testing.T) {
	before := runtime.NumGoroutine()
	ca, cb := listenLoopback(t), listenLoopback(t)
	defer cb.Close()
	a := ImpairConn(ca, Impairment{Delay: 50 * time.Millisecond, Jitter: 5 * time.Millisecond},
		Impairment{Delay: 50 * time.Millisecond}, 6)
	readErr := make(chan error, 1)
	go func() {
		_, _, err := a.ReadFrom(make([]byte, 64))
		readErr <- err
	}()
	stop := receiveAll(t, cb)
	// Downlink datagrams in flight at Close are discarded; uplink ones,
	// already on the network, still arrive.
	for i := range 3 {
		_, _ = cb.WriteToUDPAddrPort(seqPayload(i, 10), addrOf(ca))
	}
	sendSeq(t, a, addrOf(cb), 5, 10, 0)
	time.Sleep(10 * time.Millisecond)
	start := time.Now()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if err := <-readErr; !errors.Is(err, net.ErrClosed) {
		t.Errorf("blocked read ended with %v, want net.ErrClosed", err)
	}
	time.Sleep(20 * time.Millisecond)
	got := stop()
	if len(got) != 5 {
		t.Errorf("%d of the 5 datagrams written before Close arrived", len(got))
	}
	if took < 20*time.Millisecond || took > time.Second {
		t.Errorf("Close took %v, want it to wait for the uplink (about 40ms)", took)
	}
	if _, err := ca.WriteToUDPAddrPort([]byte("x"), addrOf(cb)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the socket is still open after Close: %v", err)
	}
	if err := a.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	if _, err := a.WriteTo([]byte("x"), cb.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after Close: %v", err)
	}
	_, down := a.Stats()
	if down.In != 3 || down.Discarded != 3 {
		t.Errorf("downlink %v: want the 3 datagrams in flight discarded", down)
	}
	// Every goroutine has ended.
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", g, before, buf[:runtime.Stack(buf, true)])
	}
}
