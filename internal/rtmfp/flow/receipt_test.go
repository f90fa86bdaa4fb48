package flow

import (
	"sync"
	"testing"
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
