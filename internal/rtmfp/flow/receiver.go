package flow

import (
	"math"
	"sort"
	"time"

	"camchat/internal/rtmfp/wire"
)

// Receive flow constants (rtmfp-cpp params.hpp unless noted).
const (
	// DefaultBufferCapacity is a receive flow's buffer when RecvConfig
	// leaves it 0 (rtmfp-cpp INITIAL_RECV_BUFFER).
	DefaultBufferCapacity = 64 << 10
	// FragmentOverhead is what each buffered fragment counts beyond its
	// data (rtmfp-cpp FRAGMENT_SIZE_BIAS), so that empty fragments still
	// consume the window.
	FragmentOverhead = 64
	// DelayedAck is how long an acknowledgement may wait for company
	// (RFC 7016 §3.6.3.4; rtmfp-cpp DELACK_ALARM_PERIOD).
	DelayedAck = 200 * time.Millisecond
	// RecvLinger is how long a complete receive flow keeps acknowledging
	// before its ID is forgotten (rtmfp-cpp RF_COMPLETE_LINGER_PERIOD, the
	// maximum segment lifetime).
	RecvLinger = 120 * time.Second
	// RejectLinger is how long a rejected receive flow keeps answering
	// with its exception report before its ID is forgotten, enough for the
	// sender to hear of it and for fragments in flight to drain. A sender
	// that never sends FIN cannot keep a rejected flow alive past it; what
	// it sends later is refused as data for an unknown flow.
	RejectLinger = 10 * time.Second
	// DefaultMaxRanges caps the received-sequence ranges (gaps + 1) a
	// receive flow keeps; fragments that would need more are dropped and
	// counted. An honest sender rarely has more than a few dozen holes.
	DefaultMaxRanges = 1024
	// MaxSeqAhead is how far above the cumulative ack a sequence number may
	// be; chunks beyond are dropped as hostile.
	MaxSeqAhead = 1 << 24
	// OutOfOrderSlack is how far beyond the buffer capacity a fragment that
	// arrives behind a gap may still be kept. An honest sender has at most
	// the advertised window in flight plus the fragment that crossed it
	// (it sends while less than the window is outstanding), so behind a
	// loss it fills at most the capacity and one fragment; two leave room
	// for an acknowledgement overtaken by an older one.
	OutOfOrderSlack = 2 * (MaxFragment + FragmentOverhead)
	// obligatoryAckAfter: an ack goes immediately after this many packets
	// with user data (rtmfp-cpp OBLIGATORY_ACK_AFTER).
	obligatoryAckAfter = 2
)

// Order is a receive flow's delivery order (rtmfp-cpp ReceiveOrder).
type Order uint8

// Delivery orders.
const (
	OrderSequence Order = iota // in sequence order, skipping abandoned gaps
	OrderNetwork               // each message as soon as it is whole
	OrderHold                  // nothing delivered until the order changes
)

// RecvState is the state of a receive flow (rtmfp-cpp RecvFlow::State).
type RecvState uint8

// Receive flow states.
const (
	RecvOpen           RecvState = iota
	RecvRejected                 // Reject was called; every ack is preceded by an exception report, for RejectLinger
	RecvCompleteLinger           // FIN seen with no gaps; still acknowledging for RecvLinger
	RecvClosed                   // the session may forget the flow ID
)

func (s RecvState) String() string {
	switch s {
	case RecvOpen:
		return "open"
	case RecvRejected:
		return "rejected"
	case RecvCompleteLinger:
		return "complete-linger"
	case RecvClosed:
		return "closed"
	}
	return "RecvState(invalid)"
}

// RecvConfig describes a new receive flow, as its first User Data chunk's
// options announced it.
type RecvConfig struct {
	ID           wire.FlowID
	Metadata     []byte // copied
	Associated   bool
	AssociatedID wire.FlowID // the local send flow this flow returns to
	// BufferCapacity is the receive buffer in bytes; 0 selects
	// DefaultBufferCapacity, negative means 0 (nothing may be sent).
	BufferCapacity int
	// WindowLimit caps the advertised window; 0 means no limit.
	WindowLimit int
	// MaxBuffered is the most memory held (the pooled buffers' capacity
	// plus FragmentOverhead per fragment and message) before fragments are
	// dropped; 0 selects 2·BufferCapacity + DefaultBufferCapacity, following
	// SetBufferCapacity. It bounds what a sender that ignores the window can
	// make the receiver hold, and so the largest message. Twice the window
	// is what an honest sender filling the window can take, since a pooled
	// buffer is less than twice its data.
	MaxBuffered int
	// MaxRanges caps the received-sequence ranges; 0 selects
	// DefaultMaxRanges.
	MaxRanges int
	Order     Order
	// Budget, if not nil, is charged with everything the flow holds
	// (Held), and a fragment that does not fit it is dropped: the
	// session's budget, inside the endpoint's.
	Budget *MemoryBudget
}

// RecvStats counts a receive flow's work.
type RecvStats struct {
	Chunks     uint64 // User Data and Next User Data chunks offered
	Duplicates uint64 // chunks for sequence numbers already seen
	Abandoned  uint64 // chunks with ABN
	Messages   uint64 // messages delivered (made ready for Read)
	Bytes      uint64 // message bytes delivered
	Discarded  uint64 // fragments of messages that can never complete
	AcksSent   uint64
	Truncated  uint64 // acks that left ranges out to fit

	DroppedMalformed uint64 // FSN above the sequence number, sequence number 0, a FIN that contradicts what was seen
	DroppedAfterFIN  uint64 // data above the final sequence number
	DroppedJump      uint64 // sequence number more than MaxSeqAhead above the cumulative ack
	DroppedRanges    uint64 // would need more than MaxRanges ranges
	DroppedBuffer    uint64 // would exceed MaxBuffered
	DroppedWindow    uint64 // behind a gap and beyond the buffer capacity (OutOfOrderSlack)
	DroppedBudget    uint64 // would exceed the MemoryBudget
	DroppedClosed    uint64 // arrived after the flow closed
}

// rfrag is a buffered fragment.
type rfrag struct {
	seq wire.SeqNum
	fra wire.Fragment
	buf *[]byte
}

func (f *rfrag) data() []byte { return *f.buf }

// readyMsg is a whole message waiting for Read.
type readyMsg struct {
	buf *[]byte
	// arrived is the now of the call that made the message deliverable
	// (see NextArrival).
	arrived time.Time
}

// Receiver is the receive side of one flow (RFC 7016 §3.6.3). It is owned by
// one session loop; see the package doc.
type Receiver struct {
	id           wire.FlowID
	metadata     []byte
	associated   bool
	associatedID wire.FlowID
	state        RecvState
	order        Order
	capacity     int
	limit        int
	maxBuffered  int
	maxRanges    int
	budget       *MemoryBudget

	set      seqSet
	frags    []rfrag // undelivered fragments, ascending; frags[fh:] are live
	fh       int
	ready    ring[readyMsg]
	buffered int // FragmentOverhead + data per fragment and per ready message (the window)
	held     int // FragmentOverhead + pooled buffer capacity, likewise (the memory bound)

	// runStart..runLast: the front begin fragment and the last fragment
	// known contiguous after it (see tryDelivery).
	runStart, runLast wire.SeqNum

	fsn      wire.SeqNum
	finSeen  bool
	finalSeq wire.SeqNum

	// Acknowledgement state (RFC 7016 §3.6.3.4).
	shouldAck   bool
	ackNow      bool
	ackSince    time.Time
	prevBlocks  uint64 // window in the last ack sent; 0 before any
	dataPackets int
	lastNow     time.Time // now of the latest call that took one (OnData, SetOrder, ...)

	exceptionCode uint64
	reported      bool // the exception report went out at least once
	lingerEnd     time.Time

	stats RecvStats
}

// NewReceiver returns an open receive flow.
func NewReceiver(cfg RecvConfig) *Receiver {
	r := &Receiver{
		id:           cfg.ID,
		metadata:     append([]byte(nil), cfg.Metadata...),
		associated:   cfg.Associated,
		associatedID: cfg.AssociatedID,
		order:        cfg.Order,
		maxRanges:    cfg.MaxRanges,
		maxBuffered:  cfg.MaxBuffered,
		budget:       cfg.Budget,
	}
	r.setCapacity(cfg.BufferCapacity)
	r.limit = cfg.WindowLimit
	if r.limit <= 0 {
		r.limit = math.MaxInt
	}
	if r.maxRanges <= 0 {
		r.maxRanges = DefaultMaxRanges
	}
	r.maxRanges = max(r.maxRanges, 2)
	r.set.reset()
	return r
}

func (r *Receiver) setCapacity(n int) {
	switch {
	case n == 0:
		n = DefaultBufferCapacity
	case n < 0:
		n = 0
	}
	r.capacity = n
}

func (r *Receiver) maxHeld() int {
	if r.maxBuffered > 0 {
		return r.maxBuffered
	}
	return 2*r.capacity + DefaultBufferCapacity
}

// ID returns the flow ID.
func (r *Receiver) ID() wire.FlowID { return r.id }

// Metadata returns the flow's metadata.
func (r *Receiver) Metadata() []byte { return r.metadata }

// Association returns the local send flow this flow returns to, if any.
func (r *Receiver) Association() (wire.FlowID, bool) { return r.associatedID, r.associated }

// State returns the flow's state.
func (r *Receiver) State() RecvState { return r.state }

// Stats returns the counters.
func (r *Receiver) Stats() RecvStats { return r.stats }

// CumulativeAck returns the highest sequence number up to which everything
// was received or abandoned.
func (r *Receiver) CumulativeAck() wire.SeqNum { return r.set.cum() }

// ForwardSeq returns the highest forward sequence number seen.
func (r *Receiver) ForwardSeq() wire.SeqNum { return r.fsn }

// Buffered returns the bytes held: fragments and messages not yet read, each
// with FragmentOverhead.
func (r *Receiver) Buffered() int { return r.buffered }

// Held returns the memory the buffered fragments and messages take: their
// pooled buffers' capacity, each with FragmentOverhead. MaxBuffered bounds it.
func (r *Receiver) Held() int { return r.held }

// OnData applies one User Data or Next User Data chunk: sequence number seq,
// forward sequence number fsn, flags and data as the session decoded them. It
// returns whether an acknowledgement must go immediately (RFC 7016 §3.6.3.4
// as rtmfp-cpp RecvFlow::onData applies it) rather than within DelayedAck.
// Malformed or hostile chunks are dropped and counted, never acknowledged.
func (r *Receiver) OnData(now time.Time, seq, fsn wire.SeqNum, flags wire.UserDataFlags, data []byte) (ackNow bool) {
	r.stats.Chunks++
	r.lastNow = now
	if r.state == RecvClosed {
		r.stats.DroppedClosed++
		return false
	}
	switch {
	case seq == 0 || fsn > seq:
		r.stats.DroppedMalformed++
		return false
	case r.finSeen && seq > r.finalSeq:
		r.stats.DroppedAfterFIN++
		return false
	case seq > r.set.cum() && seq-r.set.cum() > MaxSeqAhead:
		r.stats.DroppedJump++
		return false
	case flags.Final() && (r.finSeen && seq != r.finalSeq || !r.finSeen && r.set.top() > seq):
		// A second, different FIN, or a FIN below data already seen.
		r.stats.DroppedMalformed++
		return false
	}
	fresh := !r.set.contains(seq)
	abandoned := flags.Abandoned()
	cum := max(fsn, r.set.cum())
	keep := fresh && !abandoned && r.state == RecvOpen && seq > cum
	if keep {
		// Memory is checked before anything is recorded: a fragment
		// dropped here is not acknowledged, and an honest sender sends it
		// again.
		cost := bufCap(len(data)) + FragmentOverhead
		switch {
		case r.held+cost > r.maxHeld():
			r.stats.DroppedBuffer++
			return false
		case seq > cum+1 && r.buffered+len(data)+FragmentOverhead > r.capacity+OutOfOrderSlack:
			// Behind a gap, only what the window let the sender send is
			// kept; data in sequence may go beyond it, up to MaxBuffered,
			// for a message larger than the window.
			r.stats.DroppedWindow++
			return false
		case r.budget != nil && !r.budget.Fits(cost):
			r.stats.DroppedBudget++
			return false
		}
	}
	preCount := r.set.count()
	// The set takes 0..fsn first: merging never adds ranges.
	if fsn > r.fsn {
		r.fsn = fsn
	}
	r.set.add(0, fsn, r.maxRanges)
	if fresh && !r.set.add(seq, seq, r.maxRanges) {
		r.stats.DroppedRanges++
		return r.shouldAck && r.ackNow
	}
	// RFC 7016 §3.6.3.4: acknowledge at once when the window was nearly
	// closed, the chunk was abandoned or a duplicate, or there are gaps.
	ackNow = r.prevBlocks < 2 || abandoned || preCount != 1 || !fresh
	if !fresh {
		r.stats.Duplicates++
	}
	if abandoned {
		r.stats.Abandoned++
	}
	if fresh && flags.Final() && !r.finSeen {
		r.finSeen, r.finalSeq = true, seq
		ackNow = true
	}
	hint := -1
	if keep {
		hint = r.insert(seq, flags.Fragment(), data)
	}
	if r.finSeen && r.state < RecvCompleteLinger && r.set.count() == 1 {
		r.state = RecvCompleteLinger
		r.lingerEnd = now.Add(RecvLinger)
		ackNow = true
	}
	r.tryDelivery(hint)
	if preCount != r.set.count() || r.state != RecvOpen {
		ackNow = true
	}
	return r.scheduleAck(now, ackNow)
}

// scheduleAck notes that an ack is due, at once if now is set. It returns
// whether an immediate ack is pending.
func (r *Receiver) scheduleAck(now time.Time, immediate bool) bool {
	if !r.shouldAck {
		r.shouldAck, r.ackSince = true, now
	}
	if immediate {
		r.ackNow = true
	}
	return r.ackNow
}

// OnDataPacket is called once for each received packet that carried user data
// for this flow, after its chunks. The second such packet since the last ack
// makes the ack immediate (RFC 7016 §3.6.3.4; rtmfp-cpp OBLIGATORY_ACK_AFTER).
func (r *Receiver) OnDataPacket() (ackNow bool) {
	r.dataPackets++
	if r.dataPackets >= obligatoryAckAfter && r.shouldAck {
		r.ackNow = true
	}
	return r.ackNow && r.shouldAck
}

// OnBufferProbe answers a Buffer Probe with an immediate ack (RFC 7016
// §3.6.3.5).
func (r *Receiver) OnBufferProbe(now time.Time) {
	r.lastNow = now
	r.scheduleAck(now, true)
}

// AckDue reports whether an ack is owed, and whether it must go immediately
// (first in the next packet) rather than by AckDeadline.
func (r *Receiver) AckDue() (due bool, immediate bool) { return r.shouldAck, r.shouldAck && r.ackNow }

// AckDeadline returns when a delayed ack must go (DelayedAck after the first
// unacknowledged chunk), or zero when none is owed.
func (r *Receiver) AckDeadline() time.Time {
	if !r.shouldAck {
		return time.Time{}
	}
	return r.ackSince.Add(DelayedAck)
}

// Reject refuses the flow at now (RFC 7016 §3.6.3.7): buffered data is
// dropped, nothing more is delivered, and every ack is preceded by a Flow
// Exception Report carrying code. RejectLinger after the report first went
// out, the flow closes and the session may forget it.
func (r *Receiver) Reject(now time.Time, code uint64) {
	if r.state != RecvOpen {
		return
	}
	r.lastNow = now
	r.state = RecvRejected
	r.exceptionCode = code
	r.lingerEnd = now.Add(RejectLinger)
	r.dropBuffered()
	r.scheduleAck(now, true)
}

// addHeld changes the memory held by n bytes, in the budget too.
func (r *Receiver) addHeld(n int) {
	r.held += n
	if r.budget != nil {
		r.budget.Charge(n)
	}
}

// DropFragments discards the fragments of messages not yet whole, which
// can no longer complete once the session under the flow ended; whole
// messages stay for Read.
func (r *Receiver) DropFragments() {
	for i := r.fh; i < len(r.frags); i++ {
		f := &r.frags[i]
		r.buffered -= len(f.data()) + FragmentOverhead
		r.addHeld(-(cap(*f.buf) + FragmentOverhead))
		putBuf(f.buf)
		*f = rfrag{}
	}
	r.frags, r.fh = r.frags[:0], 0
}

func (r *Receiver) dropBuffered() {
	for i := r.fh; i < len(r.frags); i++ {
		putBuf(r.frags[i].buf)
		r.frags[i] = rfrag{}
	}
	r.frags, r.fh = r.frags[:0], 0
	for r.ready.len() > 0 {
		putBuf(r.ready.front().buf)
		r.ready.popFront()
	}
	r.buffered = 0
	r.addHeld(-r.held)
}

// SetOrder changes the delivery order at now; leaving OrderHold delivers
// what became deliverable, with now as its arrival time.
func (r *Receiver) SetOrder(now time.Time, o Order) {
	r.lastNow = now
	was := r.order
	r.order = o
	if was == OrderHold && o != OrderHold {
		r.tryDelivery(-1)
		r.scheduleAck(now, true)
	}
}

// Order returns the delivery order.
func (r *Receiver) Order() Order { return r.order }

// SetBufferCapacity changes the buffer (0 selects the default) and sends a
// fresh window at once (rtmfp-cpp setBufferCapacity).
func (r *Receiver) SetBufferCapacity(n int) {
	r.setCapacity(n)
	r.scheduleAck(r.lastNow, true)
}

// SetWindowLimit caps the advertised window (0: no limit).
func (r *Receiver) SetWindowLimit(n int) {
	if n <= 0 {
		n = math.MaxInt
	}
	r.limit = n
	r.scheduleAck(r.lastNow, true)
}

// Complete reports whether the flow is finished for the application: FIN
// was seen, everything up to it arrived or was abandoned, and every message
// was read or discarded.
func (r *Receiver) Complete() bool {
	return r.finSeen && r.set.cum() >= r.finalSeq && r.fh == len(r.frags) && r.ready.len() == 0
}

// NextDeadline returns the end of the linger (complete or rejected), or zero.
func (r *Receiver) NextDeadline() time.Time {
	if r.state == RecvCompleteLinger || r.state == RecvRejected {
		return r.lingerEnd
	}
	return time.Time{}
}

// OnDeadline closes a lingering flow (complete or rejected) whose time has
// come.
func (r *Receiver) OnDeadline(now time.Time) {
	if r.state != RecvCompleteLinger && r.state != RecvRejected || now.Before(r.lingerEnd) {
		return
	}
	if r.state == RecvRejected && !r.reported {
		// The report has not gone out yet (no room in any packet so
		// far): linger on from now rather than vanish unannounced.
		r.lingerEnd = now.Add(RejectLinger)
		return
	}
	r.state = RecvClosed
	r.shouldAck, r.ackNow = false, false
}

// insert buffers a fresh fragment and returns its index, or -1.
func (r *Receiver) insert(seq wire.SeqNum, fra wire.Fragment, data []byte) int {
	live := r.frags[r.fh:]
	i := len(live)
	if i > 0 && live[i-1].seq > seq {
		i = sort.Search(len(live), func(k int) bool { return live[k].seq > seq })
	}
	buf := getBuf(len(data))
	copy(*buf, data)
	if r.fh > 0 && len(r.frags) == cap(r.frags) {
		// Compact rather than grow.
		n := copy(r.frags, r.frags[r.fh:])
		clear(r.frags[n:])
		r.frags, r.fh = r.frags[:n], 0
	}
	r.frags = append(r.frags, rfrag{})
	at := r.fh + i
	copy(r.frags[at+1:], r.frags[at:])
	r.frags[at] = rfrag{seq: seq, fra: fra, buf: buf}
	r.buffered += len(data) + FragmentOverhead
	r.addHeld(cap(*buf) + FragmentOverhead)
	return at
}
