package flow

import (
	"sync"
	"sync/atomic"
	"time"
)

// WriteOptions are the partial-reliability settings of one message (rtmfp-cpp
// WriteReceipt; RFC 7016 §3.6.2.3 lets a sender abandon a message at will).
type WriteOptions struct {
	// StartBy abandons the message if no fragment of it was sent within
	// this time of Write. 0 means no limit.
	StartBy time.Duration
	// FinishBy abandons the message if it was not fully acknowledged
	// within this time of Write. 0 means no limit.
	FinishBy time.Duration
	// NoRetransmit sends each fragment at most once: a lost fragment
	// abandons the message.
	NoRetransmit bool
	// Parent abandons this message when Parent is abandoned, e.g. a
	// predicted video frame chained to the frame it depends on.
	Parent *Receipt
}

// Receipt reports the fate of one message written to a Sender. It resolves
// exactly once: delivered (every fragment acknowledged) or abandoned. A
// message given up (deadline, Abandon, abandoned parent) after all of it
// was sent resolves by the far end's answer: delivered if it all arrives,
// abandoned when a fragment is declared lost; its children are abandoned
// at once either way. Its methods are safe for concurrent use from any
// goroutine.
type Receipt struct {
	state       atomic.Uint32 // receiptPending, receiptDelivered or receiptAbandoned
	abandonWant atomic.Bool   // Abandon was called; the sender acts on it next call
	given       atomic.Bool   // the sender gave up sending it (its fate may still be pending)

	mu   sync.Mutex    // guards done
	done chan struct{} // created on demand by Done; closed on resolution
}

const (
	receiptPending uint32 = iota
	receiptDelivered
	receiptAbandoned
)

// abandonEpoch counts Receipt.Abandon calls process-wide, so that a Sender
// rescans its queue for explicitly abandoned messages, and for children of
// abandoned parents, only when some receipt may have changed.
var abandonEpoch atomic.Uint64

// closedChan is returned by Done for receipts resolved before anyone asked.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Done returns a channel closed when the receipt resolves.
func (r *Receipt) Done() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done == nil {
		if r.state.Load() != receiptPending {
			return closedChan
		}
		r.done = make(chan struct{})
	}
	return r.done
}

// Delivered reports whether every fragment of the message was acknowledged.
func (r *Receipt) Delivered() bool { return r.state.Load() == receiptDelivered }

// Abandoned reports whether the message was abandoned.
func (r *Receipt) Abandoned() bool { return r.state.Load() == receiptAbandoned }

// Resolved reports whether the message was delivered or abandoned.
func (r *Receipt) Resolved() bool { return r.state.Load() != receiptPending }

// Abandon asks for the message to be abandoned unless it is already
// delivered. It takes effect at the sender's next call; a message whose last
// fragment is acknowledged before then is delivered instead.
func (r *Receipt) Abandon() {
	if r.state.Load() != receiptPending || r.abandonWant.Swap(true) {
		return
	}
	abandonEpoch.Add(1)
}

// abandoning reports whether the receipt is abandoned, asked to be, or
// given up by its sender while its fate is pending; a child message
// follows any of them.
func (r *Receipt) abandoning() bool {
	return r.state.Load() == receiptAbandoned || r.given.Load() || (r.abandonWant.Load() && r.state.Load() == receiptPending)
}

// giveUp records that the sender stopped sending the message; children
// waiting on it rescan.
func (r *Receipt) giveUp() {
	if !r.given.Swap(true) {
		abandonEpoch.Add(1)
	}
}

// resolve moves the receipt to its final state once; it reports whether this
// call did it.
func (r *Receipt) resolve(state uint32) bool {
	if !r.state.CompareAndSwap(receiptPending, state) {
		return false
	}
	if state == receiptAbandoned {
		// Children elsewhere may be waiting for this.
		abandonEpoch.Add(1)
	}
	r.mu.Lock()
	if r.done != nil {
		close(r.done)
	}
	r.mu.Unlock()
	return true
}
