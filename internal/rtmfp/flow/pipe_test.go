package flow

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"
)

// TestTransferLossy sends 10 MB through a link that drops, reorders and
// duplicates packets, and checks that every message arrives byte-exact and in
// order, with every receipt delivered exactly once.
func TestTransferLossy(t *testing.T) {
	for _, tc := range []struct {
		name          string
		seed          uint64
		loss, dup     float64
		jitter        time.Duration
		ackLoss       float64
		maxMsg, total int
	}{
		{"clean", 1, 0, 0, 0, 0, 40000, 2 << 20},
		{"lossy", 2, 0.05, 0.02, 10 * time.Millisecond, 0.05, 60000, 10 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSender(SendConfig{ID: 3, Metadata: []byte("TC\x04\x01")})
			r := NewReceiver(RecvConfig{ID: 3, Metadata: []byte("TC\x04\x01"), BufferCapacity: 1 << 20})
			p := newPipe(t, tc.seed, s, r)
			p.loss, p.dup, p.jitter, p.ackLoss, p.reorder = tc.loss, tc.dup, tc.jitter, tc.ackLoss, 0.03
			p.cwnd = 256 << 10
			gen := rand.New(rand.NewPCG(tc.seed, 7))
			var sent [][]byte
			var receipts []*Receipt
			total := 0
			for total < tc.total {
				n := gen.IntN(tc.maxMsg)
				m := make([]byte, n)
				for i := range m {
					m[i] = byte(gen.Uint32())
				}
				sent = append(sent, m)
				total += n
			}
			next := 0
			ok := p.runUntil(10*time.Minute, func() bool {
				// Keep about 1 MiB queued, as an application would.
				for next < len(sent) && s.Buffered() < 1<<20 {
					rc, err := s.Write(p.now, sent[next], WriteOptions{})
					if err != nil {
						t.Fatal(err)
					}
					receipts = append(receipts, rc)
					next++
				}
				return next == len(sent) && len(p.delivered) == len(sent) && s.Buffered() == 0
			})
			if !ok {
				t.Fatalf("delivered %d of %d messages by %v; sender %+v receiver %+v", len(p.delivered), len(sent), p.now.Sub(t0), s.Stats(), r.Stats())
			}
			for i := range sent {
				if !bytes.Equal(sent[i], p.delivered[i]) {
					t.Fatalf("message %d: got %d bytes, want %d (first difference)", i, len(p.delivered[i]), len(sent[i]))
				}
				if !receipts[i].Delivered() || receipts[i].Abandoned() {
					t.Fatalf("receipt %d not delivered", i)
				}
				select {
				case <-receipts[i].Done():
				default:
					t.Fatalf("receipt %d Done not closed", i)
				}
			}
			st := s.Stats()
			if st.Delivered != uint64(len(sent)) || st.Abandoned != 0 {
				t.Fatalf("stats %+v", st)
			}
			if tc.loss > 0 && st.Retransmitted == 0 {
				t.Fatalf("no retransmissions on a lossy link: %+v", st)
			}
			t.Logf("%s: %d messages, %d bytes in %v virtual; %d packets; sender %+v; receiver %+v", tc.name, len(sent), total, p.now.Sub(t0), p.packets, st, r.Stats())
		})
	}
}

// TestHoldClosesWindowAndProbes: a receiver on hold fills its buffer, the
// window closes to zero, the sender stops and sends Buffer Probes with
// backoff; releasing the hold reopens the window through a probe's ack and
// everything arrives.
func TestHoldClosesWindowAndProbes(t *testing.T) {
	s := NewSender(SendConfig{ID: 1})
	r := NewReceiver(RecvConfig{ID: 1, BufferCapacity: 16 << 10, Order: OrderHold})
	p := newPipe(t, 3, s, r)
	var sent [][]byte
	for i := range 60 {
		m := msgOf(1500, byte(i))
		sent = append(sent, m)
		s.Write(p.now, m, WriteOptions{})
	}
	p.runUntil(5*time.Second, func() bool { return false })
	if s.Window() != 0 || s.Outstanding() != 0 {
		t.Fatalf("window %d outstanding %d after 5 s on hold", s.Window(), s.Outstanding())
	}
	// Before the first ack the sender may assume InitialPeerWindow; after
	// it, nothing more goes into a full buffer.
	if cb := s.Stats().ChunkBytes; cb > InitialPeerWindow+packetBudget {
		t.Fatalf("sent %d chunk bytes into a held 16 KiB buffer", cb)
	}
	// Probes after 1 s, then ×√2: at about 1, 2.41, 4.41 s after the window closed.
	if p.probes < 2 || p.probes > 4 {
		t.Fatalf("%d probes in 5 s", p.probes)
	}
	before := len(p.delivered)
	r.SetOrder(p.now, OrderSequence)
	if !p.runUntil(30*time.Second, func() bool { return len(p.delivered) == len(sent) }) {
		t.Fatalf("delivered %d of %d after the hold", len(p.delivered), len(sent))
	}
	for i := range sent {
		if !bytes.Equal(sent[i], p.delivered[i]) {
			t.Fatalf("message %d differs", i)
		}
	}
	if before != 0 {
		t.Fatal("delivered during hold")
	}
	t.Logf("probes %d; sender %+v; receiver %+v", p.probes, s.Stats(), r.Stats())
}
