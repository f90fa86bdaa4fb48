package flow

import (
	"math"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/wire"
)

// Send flow constants (rtmfp-cpp params.hpp).
const (
	// MaxFragment is the largest user data fragment: what fits a
	// 1200-byte session packet after the header, the chunk header, the
	// flags and three 10-byte VLUs (rtmfp-cpp MAX_DATA_FRAG_LENGTH).
	// While the startup options ride along, fragments are shorter by
	// their length.
	MaxFragment = int(cc.MSS)
	// InitialPeerWindow is the receive window assumed before the first
	// acknowledgement (rtmfp-cpp INITIAL_RECV_BUFFER).
	InitialPeerWindow = 65536
	// SendLinger is how long a send flow whose every fragment was
	// acknowledged after FIN keeps its flow ID (rtmfp-cpp
	// F_COMPLETE_LINGER_PERIOD: the receiver's 120 s plus 10 s).
	SendLinger = 130 * time.Second
	// PersistInitial is the shortest first Buffer Probe interval after a
	// zero window (RFC 7016 §3.6.2.6; rtmfp-cpp F_PERSIST_INITIAL_PERIOD).
	PersistInitial = time.Second
	// PersistMax caps the Buffer Probe backoff.
	PersistMax = 60 * time.Second
	// persistBackoff is the probe interval growth, about √2.
	persistBackoff = 1.414214
	// MaxMessage is the longest message Write accepts: fragment offsets
	// are 32-bit, and a receiver holds a whole message before delivery.
	MaxMessage = 1 << 30
	// minSplit is the smallest piece a message is cut into to fill the end
	// of a packet: smaller leftovers wait for the next packet, so that a
	// message is not shredded into tiny fragments.
	minSplit = 64
)

// SendState is the state of a send flow (RFC 7016 §3.6.2; rtmfp-cpp
// SendFlow::State).
type SendState uint8

// Send flow states.
const (
	SendOpen           SendState = iota // accepting messages
	SendClosing                         // closed by the application; FIN not yet acknowledged
	SendCompleteLinger                  // every fragment acknowledged after FIN; the ID is kept for SendLinger
	SendClosed                          // gone; the session may forget it
	SendRejected                        // the receiver sent a Flow Exception Report
)

func (s SendState) String() string {
	switch s {
	case SendOpen:
		return "open"
	case SendClosing:
		return "closing"
	case SendCompleteLinger:
		return "complete-linger"
	case SendClosed:
		return "closed"
	case SendRejected:
		return "rejected"
	}
	return "SendState(invalid)"
}

// SendConfig describes a new send flow.
type SendConfig struct {
	ID       wire.FlowID
	Metadata []byte // the flow's metadata option, sent until the first ack
	// Associated marks a return flow: the startup options name
	// AssociatedID, the receive flow it answers (RFC 7016 §2.3.11.1.2).
	Associated   bool
	AssociatedID wire.FlowID
	Priority     Priority
}

// SendStats counts a send flow's work.
type SendStats struct {
	Messages      uint64 // messages written
	MessageBytes  uint64 // bytes written
	Delivered     uint64 // messages fully acknowledged
	Abandoned     uint64 // messages abandoned
	Fragments     uint64 // fragments cut (sequence numbers used)
	DataChunks    uint64 // chunks sent carrying data, first sends and retransmissions
	Retransmitted uint64 // chunks sent carrying data again after a loss
	AbandonChunks uint64 // chunks sent with ABN and no data
	ChunkBytes    uint64 // bytes of all chunks sent
	Lost          uint64 // transmissions declared lost (NAKs or timeout)
	Acks          uint64 // acknowledgement chunks applied
	Probes        uint64 // Buffer Probes sent
}

// message is one Write, in the send queue until it resolved and its every
// fragment left the flight.
type message struct {
	buf      *[]byte // pooled copy; nil once no longer needed
	data     []byte
	receipt  *Receipt
	parent   *Receipt
	startBy  time.Time // zero: no limit
	finishBy time.Time // zero: no limit

	cutOff  int // bytes already cut into fragments
	unacked int // fragments cut and not yet acknowledged
	pending int // fragments cut and still in the fragment ring

	noRetransmit bool
	// fatePending: abandoned with every byte already sent and none lost;
	// the receipt resolves delivered if every fragment is acknowledged,
	// abandoned at the first loss (abandon).
	fatePending bool
	final       bool // its last fragment carries FIN
	finCarrier  bool // an empty message that exists only to carry FIN
	started     bool // a fragment was sent
	lost        bool // a fragment was declared lost
	cut         bool // every byte is in a fragment
	abandoned   bool
	delivered   bool
}

// resolved reports whether the message's receipt has its final state.
func (m *message) resolved() bool { return m.abandoned || m.delivered }

// fragment is one sequence number.
type fragment struct {
	msg      uint64 // message ID
	off, n   int32  // bytes of the message
	size     int32  // bytes of the chunk that carried it last, counted in flight
	tsn      cc.TSN // packet of the last transmission
	fra      wire.Fragment
	fin      bool
	skip     int32 // when acked: this many sequence numbers from here are acked (a hint, at least 1)
	naks     uint8
	txCount  uint8 // transmissions, saturating
	inFlight bool
	acked    bool
	sentABN  bool // sent with ABN; it carries no data again
	released bool // acknowledged or given up: it may leave the ring
}

// flightEntry records one transmission, in transmission order.
type flightEntry struct {
	seq wire.SeqNum
	tsn cc.TSN
}

// Sender is the send side of one flow (RFC 7016 §3.6.2). It is owned by one
// session loop; see the package doc.
type Sender struct {
	id       wire.FlowID
	priority Priority
	opts     []byte // startup options without the marker; nil after the first ack
	state    SendState

	msgs      ring[message] // send queue; msgs.at(0) has ID msgHead
	msgHead   uint64
	sendMsg   uint64 // ID of the first message that may still need new fragments
	frags     ring[fragment]
	fragBase  wire.SeqNum // sequence number of frags.at(0)
	fsnNext   wire.SeqNum // lowest sequence number neither acknowledged nor abandoned
	flight    ring[flightEntry]
	rtx       ring[wire.SeqNum] // lost fragments to send again (data or ABN)
	needFin   bool              // a FIN carrier must be queued at the next safe point
	finQueued bool              // FIN is assigned or queued

	outstanding cc.ByteCount
	maxAckedTSN cc.TSN
	window      int // receiver's advertised buffer in bytes
	buffered    int
	unsent      int // bytes of live messages not yet cut into fragments

	zeroWindow    bool
	zeroSince     time.Time
	lastProbe     time.Time
	probeInterval time.Duration

	nextDL    time.Time // earliest StartBy/FinishBy of a pending message (may be early)
	epoch     uint64    // abandonEpoch at the last scan
	lingerEnd time.Time

	exception     bool
	exceptionCode uint64

	stats SendStats
}

// NewSender returns an open send flow.
func NewSender(cfg SendConfig) *Sender {
	s := &Sender{
		id:       cfg.ID,
		priority: cfg.Priority,
		fragBase: 1,
		fsnNext:  1,
		window:   InitialPeerWindow,
		epoch:    abandonEpoch.Load(),
	}
	// RFC 7016 §2.3.11.1: the metadata option is always present, the
	// return association only on return flows.
	s.opts = wire.AppendMetadataOption(make([]byte, 0, wire.OptionLen(wire.OptionMetadata, len(cfg.Metadata))+wire.MaxVLULength+2), cfg.Metadata)
	if cfg.Associated {
		s.opts = wire.AppendReturnAssociationOption(s.opts, cfg.AssociatedID)
	}
	return s
}

// ID returns the flow ID.
func (s *Sender) ID() wire.FlowID { return s.id }

// Priority returns the flow's priority.
func (s *Sender) Priority() Priority { return s.priority }

// SetPriority changes the flow's priority; out-of-range values are clamped.
func (s *Sender) SetPriority(p Priority) {
	if !p.Valid() {
		p = PriorityFlashOverride
	}
	s.priority = p
}

// State returns the flow's state.
func (s *Sender) State() SendState { return s.state }

// Stats returns the counters.
func (s *Sender) Stats() SendStats { return s.stats }

// Outstanding returns the bytes in flight: the chunk bytes of every
// transmission neither acknowledged nor declared lost.
func (s *Sender) Outstanding() cc.ByteCount { return s.outstanding }

// Buffered returns the bytes of messages written and not yet resolved.
func (s *Sender) Buffered() int { return s.buffered }

// Unsent returns the bytes of messages written and not yet sent once (not
// yet cut into fragments): what waits for the congestion window, the
// receiver's window or pacing. Abandoned messages do not count.
func (s *Sender) Unsent() int { return s.unsent }

// Transmissions returns how many chunks the flow sent (fragments with data
// and ABN fragments, first sends and retransmissions: DataChunks +
// AbandonChunks) and how many of those were declared lost (Lost). The
// session takes differences of them around its calls for its loss figure.
func (s *Sender) Transmissions() (sent, lost uint64) {
	return s.stats.DataChunks + s.stats.AbandonChunks, s.stats.Lost
}

// Window returns the receiver's last advertised buffer in bytes.
func (s *Sender) Window() int { return s.window }

// MaxAckedTSN returns the highest TSN of any fragment of this flow
// acknowledged so far. The session takes the maximum over its flows for the
// NAK rule (ApplyNAKs).
func (s *Sender) MaxAckedTSN() cc.TSN { return s.maxAckedTSN }

// Exception returns the code of the receiver's Flow Exception Report.
func (s *Sender) Exception() (code uint64, ok bool) { return s.exceptionCode, s.exception }

// msg returns the message with ID id, which must be in the queue.
func (s *Sender) msg(id uint64) *message { return s.msgs.at(int(id - s.msgHead)) }

// frag returns the fragment with sequence number seq, which must be in the ring.
func (s *Sender) frag(seq wire.SeqNum) *fragment { return s.frags.at(int(seq - s.fragBase)) }

// nextSeq is the sequence number the next fragment will take.
func (s *Sender) nextSeq() wire.SeqNum { return s.fragBase + wire.SeqNum(s.frags.len()) }

// Write queues a copy of msg. The returned Receipt resolves when the message
// is fully acknowledged or abandoned. Writing to a closed or rejected flow is
// ErrClosed; a message over MaxMessage bytes is ErrTooLarge.
func (s *Sender) Write(now time.Time, msg []byte, opts WriteOptions) (*Receipt, error) {
	if s.state != SendOpen {
		return nil, ErrClosed
	}
	if len(msg) > MaxMessage {
		return nil, ErrTooLarge
	}
	s.refresh(now)
	rc := new(Receipt)
	m := message{receipt: rc, parent: opts.Parent, noRetransmit: opts.NoRetransmit}
	m.buf = getBuf(len(msg))
	m.data = *m.buf
	copy(m.data, msg)
	if opts.StartBy > 0 {
		m.startBy = now.Add(opts.StartBy)
		s.noteDeadline(m.startBy)
	}
	if opts.FinishBy > 0 {
		m.finishBy = now.Add(opts.FinishBy)
		s.noteDeadline(m.finishBy)
	}
	s.stats.Messages++
	s.stats.MessageBytes += uint64(len(msg))
	s.buffered += len(msg)
	s.unsent += len(msg)
	s.msgs.push(m)
	if opts.Parent != nil && opts.Parent.abandoning() {
		s.abandon(s.msgs.back())
	}
	return rc, nil
}

func (s *Sender) noteDeadline(t time.Time) {
	if s.nextDL.IsZero() || t.Before(s.nextDL) {
		s.nextDL = t
	}
}

// Close ends the flow after the queued messages: the last sequence number
// carries FIN (RFC 7016 §3.6.2.7). If every message is already cut into
// fragments, an empty, already-abandoned message carries it.
func (s *Sender) Close(now time.Time) {
	if s.state != SendOpen {
		return
	}
	s.refresh(now)
	if s.nextSeq() == 1 && s.allAbandoned() {
		// Nothing was ever sent: the receiver does not know the flow.
		s.dropAll()
		s.state = SendClosed
		return
	}
	s.state = SendClosing
	s.queueFin()
	s.checkComplete(now)
}

// allAbandoned reports whether every queued message is abandoned.
func (s *Sender) allAbandoned() bool {
	for i := 0; i < s.msgs.len(); i++ {
		if !s.msgs.at(i).abandoned {
			return false
		}
	}
	return true
}

// queueFin gives FIN to the last message if it still has bytes to cut, or
// queues an empty carrier.
func (s *Sender) queueFin() {
	if s.finQueued {
		return
	}
	s.finQueued = true
	if n := s.msgs.len(); n > 0 {
		if last := s.msgs.back(); !last.cut && !last.abandoned {
			last.final = true
			return
		}
	}
	s.needFin = true
	s.flushFin()
}

// flushFin queues the FIN carrier asked for by abandon. It is called only
// where no pointer into the message ring is held, since the push may grow it.
func (s *Sender) flushFin() {
	if !s.needFin {
		return
	}
	s.needFin = false
	s.msgs.push(message{finCarrier: true, final: true, abandoned: true})
}

// OnException applies the receiver's Flow Exception Report (RFC 7016
// §3.6.2.8): every message is abandoned and the flow is Rejected. An ABN|FIN
// fragment still goes out so that the receiver's flow can complete.
func (s *Sender) OnException(code uint64) {
	if s.exception || s.state >= SendCompleteLinger && s.state != SendRejected {
		return
	}
	s.exception, s.exceptionCode = true, code
	for i := 0; i < s.msgs.len(); i++ {
		s.abandonMsg(s.msgs.at(i), false)
	}
	s.flushFin()
	wasOpen := s.state == SendOpen
	s.state = SendRejected
	if s.nextSeq() == 1 {
		s.dropAll()
		s.state = SendClosed
		return
	}
	if wasOpen {
		s.queueFin()
	}
}

// settle resolves a message whose fate was pending.
func (s *Sender) settle(m *message, state uint32) {
	m.fatePending = false
	if state == receiptDelivered {
		m.delivered = true
		s.stats.Delivered++
	} else {
		s.stats.Abandoned++
	}
	m.receipt.resolve(state)
}

// dropAll releases every queued message; receipts still pending are abandoned.
func (s *Sender) dropAll() {
	for s.msgs.len() > 0 {
		m := s.msgs.front()
		s.abandonMsg(m, false)
		s.msgs.popFront()
		s.msgHead++
	}
	s.needFin = false
	s.sendMsg = s.msgHead
	s.fragBase = s.nextSeq()
	s.frags.clear()
	s.flight.clear()
	s.rtx.clear()
	s.outstanding = 0
	s.fsnNext = s.fragBase
}

// abandon gives up on a message: nothing of it is sent again with data,
// its bytes are freed, and its fragments not yet acknowledged go out once
// more with ABN if they are lost (see lose and AppendData). A final message
// not fully cut hands FIN to a carrier.
//
// Its receipt resolves abandoned now, unless every byte was already sent
// and nothing of it was lost: then what is in flight may well arrive (a
// deadline or a new video group often comes while the acknowledgement is
// on its way), and the receipt waits for the far end's answer, delivered
// if every fragment is acknowledged, abandoned at the first loss. A
// receipt must not report as abandoned a message the receiver got.
func (s *Sender) abandon(m *message) {
	s.abandonMsg(m, true)
}

// abandonMsg is abandon; wait allows the receipt to wait for what is in
// flight (a flow that ends, by exception or linger, resolves at once).
func (s *Sender) abandonMsg(m *message, wait bool) {
	if m.abandoned {
		if !wait && m.fatePending {
			s.settle(m, receiptAbandoned)
		}
		return
	}
	m.abandoned = true
	s.unsent -= len(m.data) - m.cutOff
	if !m.delivered {
		s.buffered -= len(m.data)
		if m.receipt != nil {
			m.receipt.giveUp()
		}
		if wait && m.cut && !m.lost && m.unacked > 0 && m.receipt != nil {
			m.fatePending = true
		} else {
			s.stats.Abandoned++
			m.receipt.resolve(receiptAbandoned)
		}
	}
	putBuf(m.buf)
	m.buf, m.data, m.parent = nil, nil, nil
	if m.final && !m.cut {
		m.final = false
		s.needFin = true
	}
}

// refresh applies what time and other goroutines changed: the end of the
// linger, explicit abandonment and abandoned parents (rescanned only when
// some receipt changed), and StartBy/FinishBy expiry.
func (s *Sender) refresh(now time.Time) {
	if s.state == SendCompleteLinger && !now.Before(s.lingerEnd) {
		s.state = SendClosed
		s.dropAll()
		return
	}
	e := abandonEpoch.Load()
	if e != s.epoch || (!s.nextDL.IsZero() && !now.Before(s.nextDL)) {
		s.epoch = e
		s.scan(now)
	}
}

// scan abandons what must be abandoned and recomputes the next deadline.
func (s *Sender) scan(now time.Time) {
	var next time.Time
	note := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	for i := 0; i < s.msgs.len(); i++ {
		m := s.msgs.at(i)
		if m.resolved() {
			continue
		}
		if s.expired(m, now) || m.receipt.abandonWant.Load() || (m.parent != nil && m.parent.abandoning()) {
			s.abandon(m)
			continue
		}
		if !m.started {
			note(m.startBy)
		}
		note(m.finishBy)
	}
	s.nextDL = next
	s.flushFin()
	s.releaseFront()
}

// expired reports whether a message's StartBy or FinishBy passed.
func (s *Sender) expired(m *message, now time.Time) bool {
	if !m.finishBy.IsZero() && !now.Before(m.finishBy) {
		return true
	}
	return !m.started && !m.startBy.IsZero() && !now.Before(m.startBy)
}

// NextDeadline returns when the sender next needs OnDeadline: a message's
// StartBy or FinishBy, or the end of the linger. Zero means none. It may be
// early (a message resolved since), never late.
func (s *Sender) NextDeadline() time.Time {
	t := s.nextDL
	if s.state == SendCompleteLinger && (t.IsZero() || s.lingerEnd.Before(t)) {
		t = s.lingerEnd
	}
	return t
}

// OnDeadline abandons the messages whose deadlines passed and ends the
// linger when its time has come.
func (s *Sender) OnDeadline(now time.Time) {
	s.refresh(now)
	s.checkComplete(now)
}

// NextBufferProbe returns when the next Buffer Probe is due while the
// receiver advertises a zero window, or zero when none is (RFC 7016 §3.6.2.6;
// rtmfp-cpp setPersistTimer: first after max(1 s, ERTO)).
func (s *Sender) NextBufferProbe(erto time.Duration) time.Time {
	if !s.zeroWindow || s.state == SendCompleteLinger || s.state == SendClosed {
		return time.Time{}
	}
	if s.probeInterval == 0 {
		return s.zeroSince.Add(max(PersistInitial, erto))
	}
	return s.lastProbe.Add(s.probeInterval)
}

// OnBufferProbeSent records a Buffer Probe sent at now: the next one waits
// ×√2 longer, at most PersistMax and at least erto (rtmfp-cpp onPersistTimer).
func (s *Sender) OnBufferProbeSent(now time.Time, erto time.Duration) {
	cur := s.probeInterval
	if cur == 0 {
		cur = max(PersistInitial, erto)
	}
	next := time.Duration(math.Min(float64(cur)*persistBackoff, float64(PersistMax)))
	s.probeInterval = max(next, erto)
	s.lastProbe = now
	s.stats.Probes++
}

// checkComplete moves a closing (or rejected) flow whose every fragment was
// acknowledged to the linger.
func (s *Sender) checkComplete(now time.Time) {
	if (s.state != SendClosing && s.state != SendRejected) || s.msgs.len() > 0 || s.needFin {
		return
	}
	s.state = SendCompleteLinger
	s.lingerEnd = now.Add(SendLinger)
}
