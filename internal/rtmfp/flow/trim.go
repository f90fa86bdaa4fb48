package flow

import "camchat/internal/rtmfp/wire"

// Trim releases the storage of the sender's queues that are empty (the send
// queue, fragments, flight and retransmission lists), so that an idle flow
// costs little more than its struct; the next Write allocates again. The
// session calls it after a quiet spell, not after every acknowledgement,
// so a flow in steady state keeps its storage and does not allocate.
func (s *Sender) Trim() {
	s.msgs.trim()
	s.frags.trim()
	s.flight.trim()
	s.rtx.trim()
}

// Trim releases the storage of the receiver's empty fragment and message
// queues and of a received-set grown by past gaps (see Sender.Trim).
func (r *Receiver) Trim() {
	if r.fh == len(r.frags) {
		r.frags, r.fh = nil, 0
	}
	r.ready.trim()
	if len(r.set.r) == 1 && cap(r.set.r) > 1 {
		r.set.r = append([]wire.SeqRange(nil), r.set.r[0])
	}
}
