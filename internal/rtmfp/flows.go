package rtmfp

import (
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/wire"
)

// MaxMetadata is the largest flow metadata accepted (rtmfp-cpp refuses to
// open flows with more than 512 bytes); a received flow with more is
// rejected.
const MaxMetadata = 512

// MaxRecvFlows bounds the receive flows a session keeps (open, lingering or
// rejected and still reporting it). Every packet's work loops over them, so
// a far end that opens flows without end would otherwise grow our memory
// and per-packet cost without bound; beyond the bound a new flow is
// rejected without being stored, like one that finds the accept queue full.
// A call needs a handful per peer.
const MaxRecvFlows = 256

// maxRejectQ bounds the exception reports for unstored flows waiting for
// the next packet; more are dropped (the sender retransmits and asks again).
const maxRejectQ = 64

// minDataRoom is the least room worth starting a User Data chunk for.
const minDataRoom = 32

// obligatoryAckAfter: the second packet with user data since the last
// acknowledgement is acknowledged at once (rtmfp-cpp OBLIGATORY_ACK_AFTER).
const obligatoryAckAfter = 2

// flows is a session's flow table and the glue between the session's packets
// and package flow's state machines (RFC 7016 §3.6). Guarded by the engine
// mutex, like the rest of the session.
type flows struct {
	nextID wire.FlowID
	send   map[wire.FlowID]*SendFlow
	recv   map[wire.FlowID]*RecvFlow
	byPri  [8][]*SendFlow // open send flows by priority, round-robin order
	rr     [8]uint32

	acceptQ chan *RecvFlow // unassociated incoming flows

	// per received packet
	touched  []*RecvFlow // flows that got user data in this packet
	acked    bool        // some acknowledgement was applied
	preOut   cc.ByteCount
	ackedSum cc.ByteCount
	rejectQ  []wire.FlowException

	// rxDataPackets counts the packets with user data since the last
	// acknowledgement; the second makes every owed acknowledgement
	// immediate (session-wide, as rtmfp-cpp Session::onPacketAfterChunks
	// counts m_rx_data_packets).
	rxDataPackets int

	// counters of send flows already forgotten
	closedRetransmits, closedAbandoned uint64
	traceAbandoned                     uint64 // abandoned() at the last TraceAcked
}

func (f *flows) init(queue int) {
	f.send = make(map[wire.FlowID]*SendFlow)
	f.recv = make(map[wire.FlowID]*RecvFlow)
	f.acceptQ = make(chan *RecvFlow, queue)
}

func (f *flows) count() int { return len(f.send) + len(f.recv) }

// endAll ends every flow with an exception when the session ends
// (RFC 7016 §3.5.5): pending messages are abandoned and readers wake up.
func (f *flows) endAll() {
	for _, sf := range f.send {
		sf.f.OnException(0)
		sf.wakeWriters()
	}
	for _, rf := range f.recv {
		rf.wake()
	}
}

// outstanding is the data in flight over all send flows.
func (f *flows) outstanding() cc.ByteCount {
	var n cc.ByteCount
	for _, sf := range f.send {
		n += sf.f.Outstanding()
	}
	return n
}

// highestWanting is the highest priority of a flow with something to send.
func (f *flows) highestWanting(now time.Time) (flow.Priority, bool) {
	for p := 7; p >= 0; p-- {
		for _, sf := range f.byPri[p] {
			if sf.f.WantsToSend(now) {
				return flow.Priority(p), true
			}
		}
	}
	return 0, false
}

// appendData fills the packet with user data: priority pri first, round robin
// among its flows, then, with lower, lower priorities while room remains.
// It returns the chunk bytes and the number of chunks appended, and whether
// any is time-critical.
func (f *flows) appendData(b []byte, now time.Time, tsn cc.TSN, pri flow.Priority, lower bool, limit int) (out []byte, sent int, chunks uint64, tc bool) {
	for p := int(pri); p >= 0; p-- {
		if p < int(pri) && !lower {
			break
		}
		l := f.byPri[p]
		n := len(l)
		for i := 0; i < n; i++ {
			room := limit - len(b)
			if room < minDataRoom {
				return b, sent, chunks, tc
			}
			k := (int(f.rr[p]) + i) % n
			sf := l[k]
			if !sf.f.WantsToSend(now) {
				continue
			}
			c0, _ := sf.f.Transmissions()
			var k2 int
			var t bool
			b, k2, t = sf.f.AppendData(b, now, tsn, room)
			if k2 > 0 {
				c1, _ := sf.f.Transmissions()
				sent += k2
				chunks += c1 - c0
				tc = tc || t
				f.rr[p] = uint32((k + 1) % n)
			}
		}
	}
	return b, sent, chunks, tc
}

// appendAcks appends every acknowledgement owed, as many as fit in the
// packet; with onlyImmediate, only if one of them must go at once.
//
// Acknowledgements go together, for every flow of the session, as
// rtmfp-cpp Session::sendAcks sends its whole m_ackFlows list: the far
// end's loss detection is per session (a fragment sent before one that was
// acknowledged gets a NAK, RFC 7016 §3.6.2.5), so acknowledging one flow
// at once while another's acknowledgement waits for its delayed-ack timer
// would make the sender declare the waiting flow's fragments lost.
func (f *flows) appendAcks(b []byte, now time.Time, onlyImmediate bool) []byte {
	if !onlyImmediate || f.immediateAckDue() {
		all := true
		for _, rf := range f.recv {
			if due, _ := rf.r.AckDue(); !due {
				continue
			}
			room := MaxPacket + wire.MaxHeaderLength - len(b)
			if room < 8 {
				all = false
				break
			}
			b = rf.r.AppendAck(b, room)
			if due, _ := rf.r.AckDue(); due {
				all = false
			}
		}
		if all {
			f.rxDataPackets = 0
		}
	}
	for _, x := range f.rejectQ {
		if len(b)+x.Length() > MaxPacket+wire.MaxHeaderLength {
			break
		}
		b = x.Append(b)
	}
	f.rejectQ = f.rejectQ[:0]
	return b
}

// immediateAckDue reports whether an acknowledgement must go now: some
// flow asks for one (RFC 7016 §3.6.3.4), or this is the second packet with
// user data since the last acknowledgement (rtmfp-cpp
// OBLIGATORY_ACK_AFTER).
func (f *flows) immediateAckDue() bool {
	for _, rf := range f.recv {
		if due, imm := rf.r.AckDue(); due && (imm || f.rxDataPackets >= obligatoryAckAfter) {
			return true
		}
	}
	return false
}

// ackDue reports whether some acknowledgement must go by now (immediately, or
// its 200 ms delayed-ack timer ran out).
func (f *flows) ackDue(now time.Time) bool {
	for _, rf := range f.recv {
		due, imm := rf.r.AckDue()
		if due && (imm || !now.Before(rf.r.AckDeadline())) {
			return true
		}
	}
	return len(f.rejectQ) > 0
}

// deadline is the earliest flow timer: delayed acks, message deadlines,
// buffer probes, lingering.
func (f *flows) deadline(now time.Time, s *Session) time.Time {
	var d time.Time
	for _, rf := range f.recv {
		if due, imm := rf.r.AckDue(); due {
			if imm {
				d = earliest(d, now)
			} else {
				d = earliest(d, rf.r.AckDeadline())
			}
		}
		d = earliest(d, rf.r.NextDeadline())
	}
	erto := s.cc.ERTO()
	for _, sf := range f.send {
		d = earliest(d, sf.f.NextDeadline())
		d = earliest(d, sf.f.NextBufferProbe(erto))
	}
	// Data waiting only for pacing.
	if s.state == stateOpen {
		if p, ok := f.highestWanting(now); ok && s.cc.CanSend(f.outstanding()+s.reserveFor(now, p)) {
			if t := s.cc.NextSendTimeAt(now, s.reserveFor(now, p) == 0); t.After(now) {
				d = earliest(d, t)
			}
		}
	}
	// The headroom rule lifts when the higher priority falls silent.
	for _, at := range s.priSentAt {
		if t := s.e.fromEpoch(at); !t.IsZero() && now.Sub(t) < cc.TimeCriticalTimeout {
			d = earliest(d, t.Add(cc.TimeCriticalTimeout))
		}
	}
	return d
}

// onTimer runs the flows' deadlines and buffer probes and forgets closed flows.
func (f *flows) onTimer(now time.Time, s *Session) {
	had := f.count()
	defer f.noteIdle(now, s, had)
	erto := s.cc.ERTO()
	for id, sf := range f.send {
		if d := sf.f.NextDeadline(); !d.IsZero() && !d.After(now) {
			sf.f.OnDeadline(now)
			sf.wakeWriters()
		}
		if d := sf.f.NextBufferProbe(erto); !d.IsZero() && !d.After(now) {
			s.control = wire.BufferProbe{FlowID: id}.Append(s.control)
			sf.f.OnBufferProbeSent(now, erto)
		}
		if sf.f.State() == flow.SendClosed {
			f.removeSend(sf)
		}
	}
	for id, rf := range f.recv {
		if d := rf.r.NextDeadline(); !d.IsZero() && !d.After(now) {
			rf.r.OnDeadline(now)
		}
		if rf.r.State() == flow.RecvClosed {
			delete(f.recv, id)
			s.recvMem.Charge(-rf.cost)
			rf.wake()
		}
	}
}

// noteIdle starts the idle period when the last flow went away (the idle
// limit counts from then; RFC 7016 §3.5.2.2).
func (f *flows) noteIdle(now time.Time, s *Session, had int) {
	if had > 0 && f.count() == 0 {
		s.lastIdle = now
	}
}

// trim gives back the queue storage of every flow with nothing queued.
func (f *flows) trim() {
	for _, sf := range f.send {
		sf.f.Trim()
	}
	for _, rf := range f.recv {
		rf.r.Trim()
	}
}

func (f *flows) removeSend(sf *SendFlow) {
	if _, ok := f.send[sf.f.ID()]; !ok {
		return
	}
	st := sf.f.Stats()
	f.closedRetransmits += st.Retransmitted
	f.closedAbandoned += st.Abandoned
	delete(f.send, sf.f.ID())
	f.unlink(sf)
}

// unlink takes sf out of its priority list.
func (f *flows) unlink(sf *SendFlow) {
	p := sf.pri
	for i, o := range f.byPri[p] {
		if o == sf {
			f.byPri[p] = append(f.byPri[p][:i], f.byPri[p][i+1:]...)
			break
		}
	}
	if n := len(f.byPri[p]); n > 0 {
		f.rr[p] %= uint32(n)
	} else {
		f.rr[p] = 0
	}
}

// reprioritize moves sf to priority p.
func (f *flows) reprioritize(sf *SendFlow, p flow.Priority) {
	_, linked := f.send[sf.f.ID()]
	if linked {
		f.unlink(sf)
	}
	sf.pri = p
	sf.f.SetPriority(p)
	if linked {
		f.byPri[p] = append(f.byPri[p], sf)
	}
}

func (f *flows) addSend(sf *SendFlow) {
	f.send[sf.f.ID()] = sf
	f.byPri[sf.pri] = append(f.byPri[sf.pri], sf)
}

// retransmitted is the data chunks sent again over all send flows (for the
// tracer).
func (f *flows) retransmitted() uint64 {
	var n uint64
	for _, sf := range f.send {
		n += sf.f.Stats().Retransmitted
	}
	return n
}

// abandoned is the messages abandoned over all send flows (for the tracer).
func (f *flows) abandoned() uint64 {
	n := f.closedAbandoned
	for _, sf := range f.send {
		n += sf.f.Stats().Abandoned
	}
	return n
}

// onTimeout declares every outstanding fragment lost and returns how many
// transmissions that was.
func (f *flows) onTimeout(now time.Time) (lost uint64) {
	for _, sf := range f.send {
		_, l0 := sf.f.Transmissions()
		sf.f.OnTimeout(now)
		_, l1 := sf.f.Transmissions()
		lost += l1 - l0
	}
	return lost
}

func (f *flows) beginPacket() {
	f.touched = f.touched[:0]
	f.acked = false
	f.ackedSum = 0
	f.preOut = -1
}

// endPacket runs after all chunks of a packet: the per-packet ack rules of the
// receivers and, if acknowledgements arrived, the NAK pass and the congestion
// window update (RFC 7016 §3.6.2.4–§3.6.2.5; rtmfp-cpp onPacketAfterChunks).
func (f *flows) endPacket(now time.Time, s *Session) {
	if len(f.touched) > 0 || f.acked {
		s.trimAt = now.Add(flowTrimDelay)
	}
	if len(f.touched) > 0 {
		f.rxDataPackets++
	}
	for _, rf := range f.touched {
		rf.r.OnDataPacket()
		rf.wake()
	}
	if !f.acked {
		return
	}
	var highest cc.TSN
	for _, sf := range f.send {
		highest = max(highest, sf.f.MaxAckedTSN())
	}
	var info cc.AckInfo
	info.PreAckOutstanding = f.preOut
	info.Acked = f.ackedSum
	var lost uint64
	for _, sf := range f.send {
		_, l0 := sf.f.Transmissions()
		rep := sf.f.ApplyNAKs(highest)
		_, l1 := sf.f.Transmissions()
		lost += l1 - l0
		info.AnyNAKs = info.AnyNAKs || rep.AnyNAKs
		info.AnyLoss = info.AnyLoss || rep.AnyLoss
		info.Lost += rep.LostBytes
	}
	if lost > 0 {
		s.meter.at(s.e.interval(now)).lost += uint32(lost)
	}
	info.Outstanding = f.outstanding()
	info.OtherSessionTC = s.e.otherSessionTC(now)
	s.cc.OnAck(now, info)
	if s.e.cfg.Tracer != nil {
		ab := f.abandoned()
		rate, _ := s.cc.PacingRate()
		s.e.trace(TraceEvent{Time: now, Kind: TraceAcked, Session: s, Bytes: int(info.Acked), Lost: int(info.Lost), Count: int(lost),
			Abandoned: int(ab - f.traceAbandoned), CWND: s.cc.CWND(), Outstanding: info.Outstanding, PacingRate: rate})
		f.traceAbandoned = ab
	}
	if info.Outstanding > 0 {
		s.rtoAt = now.Add(s.cc.ERTO())
	} else if !s.keepaliveOut {
		s.rtoAt = time.Time{}
	}
	had := f.count()
	for _, sf := range f.send {
		if sf.f.State() == flow.SendClosed {
			f.removeSend(sf)
		}
	}
	f.noteIdle(now, s, had)
}

// onUserData applies one User Data fragment (RFC 7016 §3.6.3.1), creating the
// receive flow on its first fragment.
func (s *Session) onUserData(now time.Time, c wire.UserData) {
	f := &s.flows
	rf := f.recv[c.FlowID]
	if rf == nil {
		rf = s.newRecvFlow(now, c)
		if rf == nil {
			return
		}
	}
	rf.r.OnData(now, c.SeqNum, c.FSN(), c.Flags, c.Data)
	for _, t := range f.touched {
		if t == rf {
			return
		}
	}
	f.touched = append(f.touched, rf)
}

// newRecvFlow opens a receive flow from its first fragment's options: it
// must carry metadata, no unknown mandatory option and, if it returns a flow
// of ours, one that is open; otherwise it is rejected (RFC 7016 §3.6.3.1;
// rtmfp-cpp Session::onUserData).
func (s *Session) newRecvFlow(now time.Time, c wire.UserData) *RecvFlow {
	f := &s.flows
	reject := func(code uint64) *RecvFlow {
		if len(f.rejectQ) < maxRejectQ {
			f.rejectQ = append(f.rejectQ, wire.FlowException{FlowID: c.FlowID, Code: code})
		}
		return nil
	}
	if !c.Flags.Options() && len(c.Options) == 0 {
		return reject(0)
	}
	opts, err := wire.ParseFlowOptions(c.Options)
	if err != nil || !opts.HasMetadata || opts.UnknownMandatory || len(opts.Metadata) > MaxMetadata {
		s.e.drop(DropMalformed)
		s.stats.Dropped[DropMalformed]++
		return reject(0)
	}
	if len(f.recv) >= MaxRecvFlows {
		s.e.drop(DropTooManyFlows)
		s.stats.Dropped[DropTooManyFlows]++
		return reject(0)
	}
	cost := recvFlowCost + len(opts.Metadata)
	if !s.recvMem.Fits(cost) {
		return reject(0) // counted, and the session closed, by enforceRecvMemory
	}
	var parent *SendFlow
	if opts.HasReturnAssociation {
		parent = f.send[opts.ReturnAssociation]
		if parent == nil || parent.f.State() == flow.SendRejected || parent.f.State() == flow.SendClosed {
			return reject(0)
		}
	}
	rf := &RecvFlow{
		s: s,
		r: flow.NewReceiver(flow.RecvConfig{
			ID:             c.FlowID,
			Metadata:       opts.Metadata, // NewReceiver copies it
			Associated:     opts.HasReturnAssociation,
			AssociatedID:   opts.ReturnAssociation,
			BufferCapacity: s.e.cfg.RecvBufferCapacity,
			// An honest sender keeps at most the window in flight, plus
			// one message larger than it trickling in (flow's one-block
			// minimum window); pooled buffers can take twice the data.
			MaxBuffered: 2 * (s.e.cfg.RecvBufferCapacity + s.e.cfg.MaxRecvMessage),
			Budget:      s.recvMem,
		}),
		notify: make(chan struct{}, 1),
		parent: parent,
		cost:   cost,
	}
	q := f.acceptQ
	if parent != nil {
		q = parent.returns
	}
	select {
	case q <- rf:
	default:
		return reject(0) // nobody accepts flows fast enough
	}
	f.recv[c.FlowID] = rf
	s.recvMem.Charge(cost)
	return rf
}

func (s *Session) onAckRanges(now time.Time, ack wire.AckRanges, it wire.AckRangeIter) bool {
	sf := s.flows.send[ack.FlowID]
	if sf == nil {
		return false
	}
	s.beforeAck()
	acked, _ := sf.f.OnAck(now, ack, it)
	s.flows.ackedSum += acked
	s.flows.acked = true
	if acked > 0 {
		sf.wakeWriters()
	}
	return true
}

func (s *Session) onAckBitmap(now time.Time, ack wire.AckBitmap) bool {
	sf := s.flows.send[ack.FlowID]
	if sf == nil {
		return false
	}
	s.beforeAck()
	acked, _ := sf.f.OnAckBitmap(now, ack)
	s.flows.ackedSum += acked
	s.flows.acked = true
	if acked > 0 {
		sf.wakeWriters()
	}
	return true
}

// beforeAck records the outstanding data before the packet's first ack.
func (s *Session) beforeAck() {
	if s.flows.preOut < 0 {
		s.flows.preOut = s.flows.outstanding()
	}
}

func (s *Session) onBufferProbe(now time.Time, id wire.FlowID) {
	if rf := s.flows.recv[id]; rf != nil {
		rf.r.OnBufferProbe(now)
	}
}

func (s *Session) onFlowException(id wire.FlowID, code uint64) {
	if sf := s.flows.send[id]; sf != nil {
		sf.f.OnException(code)
		sf.wakeWriters()
	}
}
