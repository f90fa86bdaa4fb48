package rtmfp

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
)

// TestVanishedPeerWithinTenSeconds: with the timers a call uses
// (KeepalivePeriod 2 s, RetransmitLimit 6 s), a session whose far end
// vanishes (a crash: every packet to and from it lost) ends with
// ErrRetransmitLimit within 10 s, for either role, whether the session is
// sending media or idle, at any moment of the keepalive cycle (the far end
// vanishes at eight points 250 ms apart), over a 300 ms round trip; and a
// session with a live far end survives.
func TestVanishedPeerWithinTenSeconds(t *testing.T) {
	const (
		keepalive = 2 * time.Second
		limit     = 6 * time.Second
		bound     = 10 * time.Second
	)
	for _, tc := range []struct {
		name      string
		responder bool // the responder notices (the initiator vanishes)
		sending   bool // the noticing end sends media when the far end vanishes
	}{
		{"initiator sending", false, true},
		{"responder sending", true, true},
		{"initiator idle", false, false},
		{"responder idle", true, false},
	} {
		// While sending, the limit runs from the first packet after the
		// last acknowledgement: about the limit plus a round trip. While
		// idle, a keepalive goes a period after the last packet (the
		// responder's one MRTO later), and the limit runs from it.
		want := limit + 500*time.Millisecond
		if !tc.sending {
			want = keepalive + limit + time.Second
		}
		if want > bound {
			t.Fatalf("expected bound %v is over %v", want, bound)
		}
		t.Run(tc.name, func(t *testing.T) {
			var worst time.Duration
			for phase := range 8 {
				el := vanishAfter(t, tc.responder, tc.sending, keepalive, limit, time.Duration(phase)*250*time.Millisecond)
				if el > want || el < limit-200*time.Millisecond {
					t.Errorf("vanished at phase %d: noticed after %v, want %v..%v", phase, el, limit, want)
				}
				worst = max(worst, el)
			}
			t.Logf("noticed after at most %v", worst)
		})
	}
}

// vanishAfter runs a session for 30 s plus phase, makes the far end vanish
// and returns how long the near end took to end the session.
func vanishAfter(t *testing.T, responder, sending bool, keepalive, limit, phase time.Duration) (el time.Duration) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 6, DefaultLink: rtmfptest.LinkConditions{
			Delay: 150 * time.Millisecond, Jitter: 5 * time.Millisecond,
		}})
		defer n.Close()
		cfg := func(c *Config) { c.KeepalivePeriod, c.RetransmitLimit = keepalive, limit }
		a := newPeer(t, n, "a", "10.0.0.1", 0, cfg)
		b := newPeer(t, n, "b", "10.0.0.2", 1, cfg)
		sa, sb := connectPair(t, a, b)
		near, far, farPeer := sa, sb, b
		if responder {
			near, far, farPeer = sb, sa, a
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// Flows both ways, as in a call; the far end drains its own.
		f, err := near.OpenFlow([]byte("media"), flow.PriorityPriority)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte("start"), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		rf, err := far.AcceptFlow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				if _, err := rf.Read(ctx); err != nil {
					return
				}
			}
		}()
		stop := make(chan struct{})
		sent := make(chan struct{})
		if sending {
			// 50 frames a second of 1000 bytes, each given 300 ms.
			go func() {
				defer close(sent)
				msg := make([]byte, 1000)
				for {
					select {
					case <-stop:
						return
					case <-near.Done():
						return
					case <-time.After(20 * time.Millisecond):
					}
					if _, err := f.Write(msg, WriteOptions{FinishBy: 300 * time.Millisecond}); err != nil {
						return
					}
				}
			}()
		} else {
			close(sent)
		}
		// Alive: the tight timers do not end a healthy session.
		time.Sleep(30*time.Second + phase)
		if near.Err() != nil || far.Err() != nil {
			t.Fatalf("healthy session ended: %v / %v", near.Err(), far.Err())
		}
		// The far end crashes.
		gone := rtmfptest.LinkConditions{Loss: 1}
		farPeer.host.Uplink().SetConditions(gone)
		farPeer.host.Downlink().SetConditions(gone)
		vanished := time.Now()
		select {
		case <-near.Done():
		case <-time.After(time.Minute):
			t.Fatal("the vanished far end was not noticed within a minute")
		}
		el = time.Since(vanished)
		close(stop)
		<-sent
		if !errors.Is(near.Err(), ErrRetransmitLimit) {
			t.Fatalf("session ended with %v", near.Err())
		}
	})
	return el
}
