package playout

import "time"

// JitterStats is a snapshot of a JitterBuffer's counters. Every accepted
// packet ends up in exactly one of Decoded, DroppedCatchUp, Flushed or
// Buffered; every sequence number the playout passes is Decoded,
// DroppedCatchUp or missing (FEC-recovered, concealed or skipped).
type JitterStats struct {
	// CurrentDelay is how far behind the fastest recent transit the frame
	// played at the last tick was; TargetDelay is where the buffer is
	// steering it.
	CurrentDelay, TargetDelay time.Duration
	// Buffered is the number of packets waiting.
	Buffered int

	Received   uint64 // packets pushed, including everything dropped below
	Duplicates uint64 // copies of a packet already buffered or played
	Late       uint64 // arrived after their playout slot
	Rejected   uint64 // payload larger than MaxPayload
	Resyncs    uint64 // sequence number jumped out of the ring: restarted
	Flushed    uint64 // buffered packets discarded by a resync or Reset

	Decoded   uint64 // ActionDecode ticks
	FEC       uint64 // ActionFEC ticks
	Concealed uint64 // ActionConceal ticks for a missing packet (not stretches)
	// Lost counts sequence numbers whose slot passed without the packet
	// and that have not turned up since (a later arrival counts as Late
	// instead).
	Lost uint64
	// Skipped counts missing sequence numbers passed without a tick of
	// their own: a gap jumped over while catching up, or when playout
	// resumes after idling.
	Skipped uint64

	DroppedCatchUp uint64 // packets skipped to reduce delay
	// Stretched counts frames inserted to raise the delay, including
	// concealments taken back because the packet turned up after a stall.
	Stretched uint64
	Forced    uint64 // drops or inserts made on non-quiet frames after ForceAfter
	Rebuffers uint64 // times the buffer went idle after ConcealLimit
}
