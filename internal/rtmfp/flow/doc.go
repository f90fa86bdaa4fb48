// Package flow holds the sans-I/O state machines of one RTMFP send flow and
// one receive flow (RFC 7016 §3.6): messages, fragments, sequence numbers,
// the forward sequence number, acknowledgements, flow control, partial
// reliability (abandonment) and delivery order.
//
// The session (package rtmfp) owns everything that is per session: packet
// assembly and budgets, transmission sequence numbers (TSNs), the congestion
// window (package cc), the delayed-ack and retransmission timers and the flow
// ID table. This package owns everything that is per flow. Nothing here reads a
// clock, sleeps, starts a goroutine or touches a socket: every call that
// depends on time takes now, and every timer is a deadline the session reads.
//
// # Sender (RFC 7016 §3.6.2)
//
//	s := flow.NewSender(flow.SendConfig{ID: 1, Metadata: md, Priority: flow.PriorityRoutine})
//	rc, err := s.Write(now, msg, flow.WriteOptions{FinishBy: 2 * time.Second})
//	// building a packet with TSN tsn and room for budget bytes of chunks:
//	if s.WantsToSend(now) { pkt, n, tc = s.AppendData(pkt, now, tsn, budget) }
//	// a Data Ack Ranges chunk for s arrived:
//	acked, ok := s.OnAck(now, ack, it); highest = max(highest, s.MaxAckedTSN())
//	// after all chunks of that packet: rep := s.ApplyNAKs(highest)
//	// retransmission timeout: lost := s.OnTimeout(now)
//	// timers: s.NextDeadline() → s.OnDeadline(now);
//	//         s.NextBufferProbe(erto) → send wire.BufferProbe, s.OnBufferProbeSent(now, erto)
//
// Messages are copied into pooled buffers at Write and cut into fragments
// lazily, when first sent, sized to the room left in the packet and to at
// most MaxFragment bytes minus the startup options (so a retransmission always
// fits a full-size packet). Each fragment takes the next sequence number,
// starting at 1. Fragments of one message carry the FRA bits begin, middle and
// end, or whole. Consecutive sequence numbers in one packet use Next User Data
// chunks. The first chunk of the flow in every packet carries the startup
// options (metadata, return association, marker) until the first ack arrives
// (RFC 7016 §3.6).
//
// New data is sent only while the bytes in flight are below the receiver's
// advertised window. Retransmissions go before new data. A zero window starts
// a persist timer for Buffer Probes: first after max(1 s, ERTO), then ×√2 up
// to 60 s (never below ERTO). Acknowledged fragments leave the flight;
// ApplyNAKs applies the 3-NAK rule (RFC 7016 §3.6.2.5) and OnTimeout the
// timeout rule to this flow's fragments; lost fragments are queued for
// retransmission. One refinement over rtmfp-cpp: an ack for a fragment that
// was sent more than once does not raise MaxAckedTSN (Karn's rule), since it
// may acknowledge the older transmission, and crediting the newer TSN would
// NAK everything sent in between (a storm of spurious retransmissions on a
// path that reorders).
//
// A message is abandoned when its StartBy or FinishBy time passes, when its
// Parent receipt is abandoned, when Receipt.Abandon is called, when a fragment
// of a NoRetransmit message is lost, or when the receiver rejects the flow.
// Abandoned fragments not yet acknowledged are sent once more with ABN and no
// data (as rtmfp-cpp does, departing from §3.6.2.3) and the forward sequence
// number (FSN, the sequence number just before the oldest fragment that is
// neither acknowledged nor abandoned) moves past them. Each Receipt resolves
// exactly once, delivered or abandoned.
//
// Close marks the last sequence number FIN (an empty, already-abandoned message
// carries it if everything was already cut into fragments). States: Open →
// Closing → (everything acknowledged) CompleteLinger for 130 s → Closed.
// A Flow Exception Report (OnException) abandons every message and moves to
// Rejected; an ABN|FIN fragment still closes the flow at the receiver, then
// CompleteLinger and Closed follow.
//
// # Receiver (RFC 7016 §3.6.3)
//
//	r := flow.NewReceiver(flow.RecvConfig{ID: id, Metadata: md})
//	ackNow := r.OnData(now, seq, fsn, flags, data) // per User Data / Next User Data chunk
//	ackNow = r.OnDataPacket() || ackNow              // once per packet that carried user data for r
//	if due, immediate := r.AckDue(); due && (immediate || !now.Before(r.AckDeadline())) {
//		pkt = r.AppendAck(pkt, budget)
//	}
//	buf, ok := r.AppendNext(buf[:0]) // or msg, ok := r.Read()
//
// The receiver keeps the set of received sequence numbers as ranges (bounded
// by MaxRanges), marks 0..FSN received (discarding partial messages below it),
// reassembles fragments, detects duplicates and delivers messages in sequence
// order (skipping abandoned gaps), in network order (each message as soon as it
// is whole) or holds them. The advertised window is min(capacity − buffered,
// limit) rounded up to 1024-byte blocks, never 0 unless the capacity is 0 or
// delivery is on hold. Acks are Data Ack Ranges chunks (preceded by a Flow
// Exception Report after Reject); when a chunk does not fit its budget, ranges
// are dropped from the lowest up, keeping the newest (rtmfp-cpp keeps the
// lowest; the newest drive the sender's loss detection). An ack is due within
// 200 ms, or immediately on the rules of RFC 7016 §3.6.3.2 as rtmfp-cpp applies
// them (RFC 7016 §3.6.2.4–§3.6.3.4). Hostile or malformed input (FSN above the sequence
// number, data after FIN, jumps too far ahead, too many ranges, more memory
// held than MaxBuffered, by default twice the window plus 64 KiB counting the
// pooled buffers' real size, data behind a gap beyond the buffer capacity
// and OutOfOrderSlack, more than the MemoryBudget the flow shares with its
// session and endpoint) is dropped and counted in RecvStats, never a
// panic. A FIN with no
// gaps moves to CompleteLinger for 120 s, then Closed.
//
// # Exported API
//
//	type Priority uint8 // PriorityRoutine(0) … PriorityFlashOverride(7)
//	func (p Priority) TimeCritical() bool                     // p >= PriorityPriority(4)
//	func (p Priority) Valid() bool
//	type WriteOptions struct{ StartBy, FinishBy time.Duration; NoRetransmit bool; Parent *Receipt }
//	type Receipt struct{ … }                                  // safe for concurrent use
//	func (r *Receipt) Done() <-chan struct{}
//	func (r *Receipt) Delivered() bool
//	func (r *Receipt) Abandoned() bool
//	func (r *Receipt) Resolved() bool
//	func (r *Receipt) Abandon()
//
//	type SendConfig struct{ ID wire.FlowID; Metadata []byte; Associated bool; AssociatedID wire.FlowID; Priority Priority }
//	type SendState uint8 // SendOpen, SendClosing, SendCompleteLinger, SendClosed, SendRejected
//	func NewSender(cfg SendConfig) *Sender
//	func (s *Sender) ID() wire.FlowID
//	func (s *Sender) Write(now time.Time, msg []byte, opts WriteOptions) (*Receipt, error) // ErrClosed after Close/reject; ErrTooLarge
//	func (s *Sender) Close(now time.Time)
//	func (s *Sender) Priority() Priority
//	func (s *Sender) SetPriority(p Priority)
//	func (s *Sender) WantsToSend(now time.Time) bool
//	func (s *Sender) AppendData(dst []byte, now time.Time, tsn cc.TSN, budget int) (out []byte, sentBytes int, tc bool)
//	func (s *Sender) OnAck(now time.Time, ack wire.AckRanges, it wire.AckRangeIter) (acked cc.ByteCount, ok bool)
//	func (s *Sender) OnAckBitmap(now time.Time, ack wire.AckBitmap) (acked cc.ByteCount, ok bool) // cumulative only
//	func (s *Sender) MaxAckedTSN() cc.TSN                    // highest TSN of any fragment of s acknowledged
//	func (s *Sender) ApplyNAKs(highest cc.TSN) cc.NAKReport
//	func (s *Sender) OnTimeout(now time.Time) (lost cc.ByteCount)
//	func (s *Sender) OnException(code uint64)
//	func (s *Sender) Exception() (code uint64, ok bool)
//	func (s *Sender) Outstanding() cc.ByteCount              // bytes in flight (chunk bytes, as rtmfp-cpp counts)
//	func (s *Sender) Buffered() int                          // message bytes queued and not yet resolved
//	func (s *Sender) Unsent() int                            // message bytes not yet sent once
//	func (s *Sender) Transmissions() (sent, lost uint64)     // chunks sent, and declared lost
//	func (s *Sender) Window() int                            // the receiver's last advertised window in bytes
//	func (s *Sender) NextDeadline() time.Time                // StartBy/FinishBy expiry or linger end; zero = none
//	func (s *Sender) OnDeadline(now time.Time)
//	func (s *Sender) NextBufferProbe(erto time.Duration) time.Time // zero = no probe pending
//	func (s *Sender) OnBufferProbeSent(now time.Time, erto time.Duration)
//	func (s *Sender) State() SendState
//	func (s *Sender) Stats() SendStats
//
//	const MaxFragment, MaxMessage, InitialPeerWindow, SendLinger, PersistInitial, PersistMax
//	const DefaultBufferCapacity, FragmentOverhead, DelayedAck, RecvLinger, RejectLinger, DefaultMaxRanges, MaxSeqAhead
//	var ErrClosed, ErrTooLarge
//
//	type Order uint8 // OrderSequence (default), OrderNetwork, OrderHold
//	type RecvState uint8 // RecvOpen, RecvRejected, RecvCompleteLinger, RecvClosed
//	type RecvConfig struct{ ID wire.FlowID; Metadata []byte; Associated bool; AssociatedID wire.FlowID;
//		BufferCapacity int; WindowLimit int; MaxBuffered int; MaxRanges int; Order Order }
//	func NewReceiver(cfg RecvConfig) *Receiver
//	func (r *Receiver) ID() wire.FlowID
//	func (r *Receiver) Metadata() []byte
//	func (r *Receiver) Association() (wire.FlowID, bool)
//	func (r *Receiver) OnData(now time.Time, seq, fsn wire.SeqNum, flags wire.UserDataFlags, data []byte) (ackNow bool)
//	func (r *Receiver) OnDataPacket() (ackNow bool)
//	func (r *Receiver) OnBufferProbe(now time.Time)
//	func (r *Receiver) AckDue() (due bool, immediate bool)
//	func (r *Receiver) AckDeadline() time.Time               // when a delayed ack must go; zero = none due
//	func (r *Receiver) AppendAck(dst []byte, budget int) []byte // unchanged dst when it does not fit
//	func (r *Receiver) Read() (msg []byte, ok bool)           // a fresh copy
//	func (r *Receiver) AppendNext(dst []byte) (out []byte, ok bool)
//	func (r *Receiver) Ready() int                           // whole messages waiting for Read
//	func (r *Receiver) NextArrival() time.Time               // when the next of them became deliverable; zero = none
//	func (r *Receiver) Buffered() int                        // bytes held, FragmentOverhead per fragment (the window)
//	func (r *Receiver) Held() int                            // pooled memory held (the MaxBuffered bound)
//	func (r *Receiver) Complete() bool                       // FIN seen and every message read or discarded
//	func (r *Receiver) SetOrder(now time.Time, o Order); Order() Order
//	func (r *Receiver) SetBufferCapacity(n int); SetWindowLimit(n int)
//	func (r *Receiver) Reject(now time.Time, code uint64)
//	func (r *Receiver) CumulativeAck() wire.SeqNum; ForwardSeq() wire.SeqNum
//	func (r *Receiver) NextDeadline() time.Time              // linger end; zero = none
//	func (r *Receiver) OnDeadline(now time.Time)
//	func (r *Receiver) State() RecvState
//	func (r *Receiver) Stats() RecvStats
//	func (r *Receiver) DropFragments()                       // the session ended: partial messages go
//	type MemoryBudget struct{ … }                            // shared by a session's flows, inside the endpoint's
//	func NewMemoryBudget(limit int, parent *MemoryBudget) *MemoryBudget
//	func (b *MemoryBudget) Held() int; Peak() int; Limit() int
//	func (b *MemoryBudget) Charge(n int); Fits(n int) bool; TakeRefused() int; Detach()
//
// Goroutine model: none. A Sender or Receiver belongs to one session and is
// used from that session's loop only; no method of either is safe for
// concurrent use. Receipt is the exception: its methods may be called from
// any goroutine (Abandon takes effect at the sender's next call). Steady-state
// calls (AppendData, OnAck, ApplyNAKs, OnData, AppendAck, AppendNext) do not
// allocate; Write allocates its Receipt and Read its copy.
package flow
