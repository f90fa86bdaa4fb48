package rtmfp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/wire"
)

func TestSessionCloseClosesBothEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 15 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		fa, err := sa.OpenFlow([]byte("m"), flow.PriorityRoutine)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fa.Write([]byte("x"), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		rb, err := sb.AcceptFlow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		sa.Close()
		<-sa.Done()
		<-sb.Done()
		if el := time.Since(start); el > 20*time.Millisecond {
			t.Errorf("far end saw the close after %v", el)
		}
		if !errors.Is(sa.Err(), ErrSessionClosed) || !errors.Is(sb.Err(), ErrSessionClosed) {
			t.Fatalf("errors %v / %v", sa.Err(), sb.Err())
		}
		if _, err := fa.Write([]byte("y"), WriteOptions{}); err == nil {
			t.Fatal("write after close succeeded")
		}
		// The receive flow delivers what arrived, then ends with the error.
		if m, err := rb.Read(context.Background()); err == nil && string(m) == "x" {
			if _, err := rb.Read(context.Background()); !errors.Is(err, ErrSessionClosed) {
				t.Fatalf("read after close: %v", err)
			}
		} else if !errors.Is(err, ErrSessionClosed) {
			t.Fatalf("read after close: %v", err)
		}
		// Close Ack ends the near close; the far end lingers 19 s.
		time.Sleep(100 * time.Millisecond)
		if got := a.ep.Stats().Sessions; got != 0 {
			t.Fatalf("closing end still has %d sessions", got)
		}
		if got := b.ep.Stats().Sessions; got != 1 {
			t.Fatalf("far end has %d sessions while lingering", got)
		}
		time.Sleep(FarCloseLinger)
		if got := b.ep.Stats().Sessions; got != 0 {
			t.Fatalf("far end has %d sessions after the linger", got)
		}
	})
}

func TestSessionAbortClosesBothEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 15 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		sb.Abort()
		<-sa.Done()
		if !errors.Is(sa.Err(), ErrSessionAborted) || !errors.Is(sb.Err(), ErrSessionAborted) {
			t.Fatalf("errors %v / %v", sa.Err(), sb.Err())
		}
	})
}

func TestKeepaliveNoticesVanishedPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 25 * time.Millisecond}})
		defer n.Close()
		cfg := func(c *Config) { c.KeepalivePeriod = 5 * time.Second; c.RetransmitLimit = 10 * time.Second }
		a := newPeer(t, n, "a", "10.0.0.1", 0, cfg)
		b := newPeer(t, n, "b", "10.0.0.2", 1, cfg)
		sa, _ := connectPair(t, a, b)
		// Keepalives keep an idle session up.
		time.Sleep(time.Minute)
		if sa.Err() != nil {
			t.Fatalf("idle session died: %v", sa.Err())
		}
		// b vanishes without a word: everything it would send is lost.
		b.host.Uplink().SetConditions(rtmfptest.LinkConditions{Loss: 1})
		b.host.Downlink().SetConditions(rtmfptest.LinkConditions{Loss: 1})
		gone := time.Now()
		<-sa.Done()
		el := time.Since(gone)
		if !errors.Is(sa.Err(), ErrRetransmitLimit) {
			t.Fatalf("err %v", sa.Err())
		}
		// Keepalive after at most 5 s of silence, then the 10 s limit, checked
		// at the next retransmission timeout (at most ERTO later).
		if el < 10*time.Second || el > 5*time.Second+10*time.Second+3*time.Second {
			t.Fatalf("noticed after %v", el)
		}
		t.Logf("vanished peer noticed after %v (keepalive 5 s, retransmit limit 10 s)", el)
	})
}

// TestSetKeepalivePeriod: a session's keepalive can be changed after it
// opened (a server's "set keepalive" event): with 2 s instead of the
// endpoint's 60 s, a vanished peer is noticed within 2 s + the limit.
func TestSetKeepalivePeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 2, DefaultLink: rtmfptest.LinkConditions{Delay: 25 * time.Millisecond}})
		defer n.Close()
		cfg := func(c *Config) { c.KeepalivePeriod = time.Minute; c.RetransmitLimit = 10 * time.Second }
		a := newPeer(t, n, "a", "10.0.0.1", 0, cfg)
		b := newPeer(t, n, "b", "10.0.0.2", 1, cfg)
		sa, _ := connectPair(t, a, b)
		sa.SetKeepalivePeriod(2 * time.Second)
		if got := sa.KeepalivePeriod(); got != 2*time.Second {
			t.Fatalf("keepalive %v", got)
		}
		b.host.Uplink().SetConditions(rtmfptest.LinkConditions{Loss: 1})
		b.host.Downlink().SetConditions(rtmfptest.LinkConditions{Loss: 1})
		gone := time.Now()
		<-sa.Done()
		if el := time.Since(gone); el < 10*time.Second || el > 2*time.Second+10*time.Second+3*time.Second {
			t.Fatalf("noticed after %v", el)
		}
		// New sessions take the endpoint's default, which can change too.
		a.ep.SetKeepalivePeriod(0)
		if a.ep.e.keepalive != MinTimerPeriod {
			t.Fatalf("endpoint default %v, want the floor %v", a.ep.e.keepalive, MinTimerPeriod)
		}
	})
}

func TestSessionMobility(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 4, DefaultLink: rtmfptest.LinkConditions{Delay: 20 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		var moves []netip.AddrPort // appended under the endpoint's lock
		sb.SetFarAddrFunc(func(ap netip.AddrPort) { moves = append(moves, ap) })
		fa, err := sa.OpenFlow([]byte("m"), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		const total = 300
		go func() {
			for i := 0; i < total; i++ {
				var m [100]byte
				binary.BigEndian.PutUint32(m[:], uint32(i))
				if _, err := fa.Write(m[:], WriteOptions{}); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(20 * time.Millisecond)
				if i == total/2 {
					if err := a.host.Rebind(netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.9.9.9")); err != nil {
						t.Error(err)
					}
				}
			}
		}()
		rb, err := sb.AcceptFlow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < total; i++ {
			m, err := rb.Read(context.Background())
			if err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if got := binary.BigEndian.Uint32(m); got != uint32(i) {
				t.Fatalf("message %d is %d", i, got)
			}
		}
		if got, want := sb.FarAddr(), netip.MustParseAddrPort("10.9.9.9:1935"); got != want {
			t.Fatalf("far address %v, want %v", got, want)
		}
		b.ep.e.mu.Lock()
		got := append([]netip.AddrPort(nil), moves...)
		b.ep.e.mu.Unlock()
		if len(got) != 1 || got[0] != netip.MustParseAddrPort("10.9.9.9:1935") {
			t.Fatalf("far address changes %v, want one to 10.9.9.9:1935", got)
		}
		if sa.Err() != nil || sb.Err() != nil {
			t.Fatal(sa.Err(), sb.Err())
		}
	})
}

// TestIntroduction: A reaches B by peer ID through S, as with a rendezvous
// server (RFC 7016 §3.5.1.4–§3.5.1.6): S's unmatched-IHello hook sends a
// Redirect to A and an FIHello to B; B answers A directly.
func TestIntroduction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 9, DefaultLink: rtmfptest.LinkConditions{Delay: 20 * time.Millisecond}})
		defer n.Close()
		var srv *peer
		var toB *Session
		ready := make(chan struct{})
		var intros int
		srv = newPeer(t, n, "s", "10.0.0.100", 2, func(c *Config) {
			c.OnUnmatchedIHello = func(u UnmatchedIHello) {
				<-ready
				epd, err := flashcrypto.ParseEPD(u.EPD)
				if err != nil || !epd.HasFingerprint || epd.Fingerprint != toB.FarPeerID() {
					return
				}
				intros++
				_ = srv.ep.Redirect(u.From, u.Tag, wire.Address{AddrPort: toB.FarAddr(), Origin: wire.OriginObserved})
				_ = toB.ForwardIHello(u.EPD, u.From, u.Tag)
			}
		})
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, func(c *Config) { c.FIHelloMode = FIHelloSendRHello })
		sbs, _ := connectPair(t, b, srv)
		_ = sbs
		toBs, err := srv.ep.Connect(context.Background(), b.epd(), b.addr) // reuses the open session
		if err != nil {
			t.Fatal(err)
		}
		toB = toBs
		close(ready)
		var sbA *Session
		acc := make(chan struct{})
		go func() {
			defer close(acc)
			sbA, _ = b.ep.Accept(context.Background())
		}()
		sa, err := a.ep.Connect(context.Background(), b.epd(), srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		<-acc
		if sa.FarAddr() != b.addr {
			t.Fatalf("A's session goes to %v, want B at %v", sa.FarAddr(), b.addr)
		}
		if sa.FarPeerID() != b.ep.PeerID() || sbA == nil || sbA.FarPeerID() != a.ep.PeerID() {
			t.Fatal("wrong peers")
		}
		if sa.NearNonce() != sbA.FarNonce() {
			t.Fatal("nonces")
		}
		if intros < 1 || a.ep.Stats().Redirects < 1 {
			t.Fatalf("introductions %d, redirects %d", intros, a.ep.Stats().Redirects)
		}
	})
}

// TestReliableFlowUnderLoss moves 10 MB byte-exact and in order over a path
// with 10% loss, reordering and duplication.
func TestReliableFlowUnderLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 11, DefaultLink: rtmfptest.LinkConditions{
			Delay: 20 * time.Millisecond, Jitter: 2 * time.Millisecond,
			Loss: 0.1, Reorder: 0.05, ReorderDelay: 5 * time.Millisecond, Duplicate: 0.05,
		}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		fa, err := sa.OpenFlow([]byte("bulk"), flow.PriorityBulk)
		if err != nil {
			t.Fatal(err)
		}
		const size = 10 << 20
		src := make([]byte, size)
		for i := range src {
			src[i] = byte(i*7 + i>>11)
		}
		start := time.Now()
		go func() {
			for off := 0; off < size; off += 16 << 10 {
				if _, err := fa.Write(src[off:min(off+16<<10, size)], WriteOptions{}); err != nil {
					t.Error(err)
					return
				}
			}
			fa.Close()
		}()
		rb, err := sb.AcceptFlow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 0, size)
		for len(got) < size {
			m, err := rb.Read(context.Background())
			if err != nil {
				t.Fatalf("after %d bytes: %v", len(got), err)
			}
			got = append(got, m...)
		}
		if !bytes.Equal(got, src) {
			t.Fatal("data differs")
		}
		el := time.Since(start)
		st := sa.Stats()
		t.Logf("10 MB in %v virtual (%.2f Mbit/s), retransmits %d, timeouts %d, srtt %v, drops at b %v",
			el, float64(size*8)/el.Seconds()/1e6, st.Retransmits, st.Timeouts, st.SRTT, b.ep.Stats())
		if st.Retransmits == 0 {
			t.Fatal("no retransmissions on a lossy path")
		}
	})
}

// TestDeadlineAbandonment: messages past their deadline are abandoned, never
// delivered late, and the receiver's cumulative acknowledgement moves past
// them.
func TestDeadlineAbandonment(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 12, DefaultLink: rtmfptest.LinkConditions{Delay: 20 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		fa, err := sa.OpenFlow([]byte("audio"), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		const finishBy = 300 * time.Millisecond
		const total = 200
		// From message 50 to 100 the path loses everything for a second.
		link := n.Link(a.host, b.host)
		var receipts []*Receipt
		written := make(chan struct{})
		go func() {
			defer close(written)
			for i := 0; i < total; i++ {
				if i == 50 {
					link.Update(func(c *rtmfptest.LinkConditions) { c.Loss = 1 })
				}
				if i == 100 {
					link.Update(func(c *rtmfptest.LinkConditions) { c.Loss = 0 })
				}
				var m [160]byte
				binary.BigEndian.PutUint32(m[:], uint32(i))
				binary.BigEndian.PutUint64(m[4:], uint64(time.Now().UnixNano()))
				rc, err := fa.Write(m[:], WriteOptions{FinishBy: finishBy})
				if err != nil {
					t.Error(err)
					return
				}
				receipts = append(receipts, rc)
				time.Sleep(20 * time.Millisecond)
			}
		}()
		rb, err := sb.AcceptFlow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		seen := map[uint32]bool{}
		last := -1
		for len(seen) < total {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			m, err := rb.Read(ctx)
			cancel()
			if err != nil {
				break
			}
			i := binary.BigEndian.Uint32(m)
			sent := time.Unix(0, int64(binary.BigEndian.Uint64(m[4:])))
			if late := time.Since(sent); late > finishBy+20*time.Millisecond {
				t.Fatalf("message %d delivered %v after it was written", i, late)
			}
			if int(i) <= last {
				t.Fatalf("message %d after %d", i, last)
			}
			last = int(i)
			seen[i] = true
		}
		<-written
		abandoned := 0
		for _, rc := range receipts {
			<-rc.Done()
			if rc.Abandoned() {
				abandoned++
			}
		}
		// Every message is delivered or abandoned, never both: a receipt
		// does not report as abandoned a message the reader got.
		if len(seen)+abandoned != total || abandoned < 40 || !seen[total-1] {
			t.Fatalf("delivered %d, abandoned %d of %d", len(seen), abandoned, total)
		}
		sb.e.mu.Lock()
		cum := rb.r.CumulativeAck()
		sb.e.mu.Unlock()
		if got := fa.Stats().Fragments; cum != wire.SeqNum(got) {
			t.Fatalf("receiver's cumulative ack %d, sender used %d sequence numbers", cum, got)
		}
		t.Logf("delivered %d, abandoned %d, cumulative ack %d", len(seen), abandoned, cum)
	})
}

// TestTimeCriticalReverse: while b receives time-critical data from a, its
// packets to c carry TCR, so c's session gives up fastgrow (RFC 7016
// §3.5.2.1).
func TestTimeCriticalReverse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		c := newPeer(t, n, "c", "10.0.0.3", 2, nil)
		sab, _ := connectPair(t, a, b)
		sbc, scb := connectPair(t, b, c)
		fastgrow := func() bool {
			c.ep.e.mu.Lock()
			defer c.ep.e.mu.Unlock()
			return scb.cc.FastGrowAllowed(time.Now(), false)
		}
		fbc, _ := sbc.OpenFlow([]byte("bulk"), flow.PriorityBulk)
		fbc.Write([]byte("x"), WriteOptions{})
		time.Sleep(100 * time.Millisecond)
		if !fastgrow() {
			t.Fatal("fastgrow forbidden before any time-critical data")
		}
		fab, _ := sab.OpenFlow([]byte("audio"), flow.PriorityImmediate)
		fab.Write([]byte("tc"), WriteOptions{})
		time.Sleep(50 * time.Millisecond) // a's TC data reaches b
		fbc.Write([]byte("y"), WriteOptions{})
		time.Sleep(50 * time.Millisecond) // b's packet to c carries TCR
		if fastgrow() {
			t.Fatal("c still allowed to fastgrow after TCR")
		}
		time.Sleep(2 * time.Second)
		fbc.Write([]byte("z"), WriteOptions{})
		time.Sleep(50 * time.Millisecond)
		if !fastgrow() {
			t.Fatal("TCR outlived the 800 ms time-critical timeout")
		}
	})
}

// TestConcurrentConnectsShareOneSession: two Connects to the same peer end
// in one session.
func TestConcurrentConnectsShareOneSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		var s1, s2 *Session
		var e1, e2 error
		done := make(chan struct{})
		go func() { defer close(done); s1, e1 = a.ep.Connect(context.Background(), b.epd(), b.addr) }()
		go b.ep.Accept(context.Background())
		s2, e2 = a.ep.Connect(context.Background(), b.epd(), b.addr)
		<-done
		if e1 != nil || e2 != nil || s1 != s2 {
			t.Fatalf("sessions %p %p, errors %v %v", s1, s2, e1, e2)
		}
		time.Sleep(time.Second)
		if got := b.ep.Stats().HandshakesAccepted; got != 1 {
			t.Fatalf("b accepted %d sessions", got)
		}
	})
}
