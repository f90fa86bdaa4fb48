package playout

import "time"

// Packet is one received audio packet as the jitter buffer sees it.
type Packet struct {
	Seq SeqNum
	// Timestamp is the capture time of the packet's first sample on the
	// sender's media clock. Only differences between timestamps matter.
	Timestamp time.Duration
	// Quiet is the sender's voice-activity verdict (or the receiver's
	// estimate from the payload, for example an Opus DTX or
	// comfort-noise sized packet): true when the frame carries no speech.
	// The buffer drops and inserts frames only at quiet frames, where the
	// change is inaudible.
	Quiet bool
	// Payload is copied into the buffer; the caller keeps ownership.
	Payload []byte
}

// PushResult says what the jitter buffer did with a packet.
type PushResult uint8

const (
	// Accepted: stored for playout.
	Accepted PushResult = iota
	// Duplicate: a copy of a packet already buffered or played; dropped.
	Duplicate
	// Late: its playout slot has passed (it was concealed or recovered
	// from FEC); dropped. Its arrival still feeds the delay statistics.
	Late
	// Rejected: the payload was larger than MaxPayload; dropped.
	Rejected
)

var pushResultNames = [...]string{"accepted", "duplicate", "late", "rejected"}

func (r PushResult) String() string {
	if int(r) < len(pushResultNames) {
		return pushResultNames[r]
	}
	return "PushResult(?)"
}

// Action is what the audio device should do for one playout tick.
type Action uint8

const (
	// ActionQuiet: there is nothing to play (not started yet, or the
	// sender has paused): output silence or comfort noise and leave the
	// decoder alone.
	ActionQuiet Action = iota
	// ActionDecode: decode Frame.Payload normally.
	ActionDecode
	// ActionFEC: the packet for Frame.Seq is missing but the next one is
	// here; decode the in-band forward error correction (Opus LBRR) that
	// Frame.Payload, the next packet, carries for its predecessor. The
	// next packet itself is played on the following tick.
	ActionFEC
	// ActionConceal: run the decoder's packet-loss concealment for one
	// frame. Frame.Stretched tells an inserted frame from a lost one.
	ActionConceal
)

var actionNames = [...]string{"quiet", "decode", "fec", "conceal"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "Action(?)"
}

// Frame is the jitter buffer's instruction for one playout tick.
type Frame struct {
	Action Action
	// Seq and Timestamp name the frame this tick stands for (for
	// ActionQuiet they are zero).
	Seq       SeqNum
	Timestamp time.Duration
	// Payload is the packet to decode (ActionDecode) or the packet whose
	// FEC to decode (ActionFEC). It points into the buffer's own memory
	// and stays valid only until the next Push or Pop.
	Payload []byte
	// Stretched marks a frame inserted to raise the delay; no sequence
	// number was consumed.
	Stretched bool
}
