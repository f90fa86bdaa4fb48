package flow

import (
	"sync"
	"testing"
	"time"
)

// TestReceiptConcurrent: waiters on Done and Abandon callers on other
// goroutines race the sender's acknowledgement; the receipt ends in exactly
// one state and every waiter wakes.
func TestReceiptConcurrent(t *testing.T) {
	for round := range 50 {
		s := NewSender(SendConfig{ID: 1})
		rc, _ := s.Write(at(0), msgOf(10, 0), WriteOptions{})
		s.AppendData(nil, at(0), 1, packetBudget)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { <-rc.Done() })
		}
		var ab sync.WaitGroup
		ab.Go(func() { rc.Abandon() })
		if round%2 == 0 {
			ack(t, s, at(10), 64, 1) // races the Abandon
		}
		ab.Wait()
		s.OnDeadline(at(20)) // applies the Abandon if it came first
		if round%2 == 1 {
			// Abandoned in flight, its fate waits for the far end:
			// the retransmission timeout declares it lost.
			s.OnTimeout(at(30))
		}
		wg.Wait()
		if rc.Delivered() == rc.Abandoned() || !rc.Resolved() {
			t.Fatalf("round %d: delivered %v abandoned %v", round, rc.Delivered(), rc.Abandoned())
		}
		st := s.Stats()
		if st.Delivered+st.Abandoned != 1 {
			t.Fatalf("round %d: stats %+v", round, st)
		}
		if round%2 == 1 && !rc.Abandoned() {
			t.Fatal("unacknowledged message not abandoned")
		}
	}
}

func TestReceiptResolvesOnce(t *testing.T) {
	var r Receipt
	if !r.resolve(receiptDelivered) || r.resolve(receiptAbandoned) || !r.Delivered() || r.Abandoned() {
		t.Fatal("second resolution took effect")
	}
	r.Abandon() // no effect on a delivered receipt
	if r.Abandoned() || r.abandoning() {
		t.Fatal("delivered receipt abandoned")
	}
	select {
	case <-r.Done(): // resolved before Done was first called
	default:
		t.Fatal("Done open")
	}
}

func TestBufPool(t *testing.T) {
	for _, n := range []int{0, 1, 64, 65, 1161, 4096, 4 << 20, 4<<20 + 1} {
		p := getBuf(n)
		if len(*p) != n {
			t.Fatalf("getBuf(%d) len %d", n, len(*p))
		}
		if n <= 4<<20 && (cap(*p) < n || cap(*p)&(cap(*p)-1) != 0) {
			t.Fatalf("getBuf(%d) cap %d not a power-of-two class", n, cap(*p))
		}
		putBuf(p)
	}
	putBuf(nil)
	odd := make([]byte, 100)
	putBuf(&odd) // not a class size: ignored
}

// TestAbandonedInFlightResolvesByAck: a message abandoned (by deadline, by
// Abandon, or by its parent) after every byte of it was sent resolves by
// what the far end acknowledges: delivered if all of it arrives, abandoned
// at the first loss. Its children are abandoned at once either way, and a
// message abandoned before it was all sent resolves abandoned at once.
func TestAbandonedInFlightResolvesByAck(t *testing.T) {
	s := NewSender(SendConfig{ID: 1})
	key, _ := s.Write(at(0), msgOf(1000, 1), WriteOptions{FinishBy: 100 * time.Millisecond})
	s.AppendData(nil, at(0), 1, packetBudget) // all of key in flight
	child, _ := s.Write(at(0), msgOf(10, 2), WriteOptions{Parent: key})
	unsent, _ := s.Write(at(0), msgOf(10, 3), WriteOptions{FinishBy: 100 * time.Millisecond})
	s.OnDeadline(at(150)) // key and unsent expire
	if key.Resolved() {
		t.Fatal("a message in flight resolved before the far end answered")
	}
	if !child.Abandoned() || !unsent.Abandoned() {
		t.Fatalf("child abandoned %v, unsent abandoned %v; want both", child.Abandoned(), unsent.Abandoned())
	}
	ack(t, s, at(160), 64, 1)
	if !key.Delivered() {
		t.Fatalf("acknowledged after its deadline: delivered %v abandoned %v", key.Delivered(), key.Abandoned())
	}
	if st := s.Stats(); st.Delivered != 1 || st.Abandoned != 2 {
		t.Fatalf("stats delivered %d abandoned %d, want 1 and 2", st.Delivered, st.Abandoned)
	}

	// The same, lost instead.
	s2 := NewSender(SendConfig{ID: 1})
	rc, _ := s2.Write(at(0), msgOf(1000, 1), WriteOptions{})
	s2.AppendData(nil, at(0), 1, packetBudget)
	rc.Abandon()
	s2.OnDeadline(at(10))
	if rc.Resolved() {
		t.Fatal("resolved before its fate was known")
	}
	s2.OnTimeout(at(20))
	if !rc.Abandoned() {
		t.Fatal("lost in flight after Abandon: not abandoned")
	}
}
