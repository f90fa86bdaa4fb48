package playout

import (
	"fmt"
	"math"
	"math/bits"
	"time"
)

// JitterBuffer reorders one remote audio stream and paces it out to the
// audio device, one frame per playout tick.
//
// Delay model. Each packet's transit offset is its arrival time minus its
// capture timestamp. The smallest offset over the recent window is the
// reference: a frame played exactly that long after capture would have
// needed a perfect network. The delay of a tick (CurrentDelay) is how much
// later than that reference the frame played at this tick goes out; the
// target is the 95th percentile of the packets' delays relative to the
// reference, clamped to [MinDelay, MaxDelay]. A packet is on time exactly
// when its relative delay does not exceed the current delay, so holding the
// current delay at or above the target lets about 95% of packets through.
//
// Control. The current delay only changes when the buffer inserts a frame
// (+1 frame) or drops one (-1 frame); otherwise both the device clock and
// the sender's timestamps advance one frame per tick. The buffer inserts a
// frame when the delay is below the target and drops one when it is at
// least a frame above, so the delay settles in [target, target+frame).
// Both happen at quiet frames only, unless the wish has been unmet for
// ForceAfter.
//
// Lifecycle. The buffer starts idle and plays quiet until the first packet
// has waited for the target delay. When the buffer runs dry it conceals,
// and after ConcealLimit of concealment with nothing buffered it takes the
// sender to have paused: it undoes those blind concealments in its loss
// accounting, plays quiet, and rebuffers when packets resume.
//
// Memory. Payloads are copied into a ring of 64 fixed buffers allocated by
// NewJitterBuffer; Push and Pop allocate nothing.
type JitterBuffer struct {
	// Constant after NewJitterBuffer.
	cfg         JitterConfig
	frame       time.Duration
	forceTicks  int
	concealRuns int
	mem         []byte

	// Owned by the single goroutine calling Push, Pop and Stats.
	slots [slotCount]jbSlot
	count int // packets held in slots
	win   delayWindow
	// behindRate is the recent share of packets that arrived after their
	// successor (addDelay).
	behindRate float64

	haveEpoch bool
	epoch     time.Time // first arrival; arrival times are offsets from it

	state     jbState
	next      SeqNum // next sequence number to play (fresh: lowest held)
	highest   SeqNum // highest sequence number held (meaningful when count > 0)
	lastTs    time.Duration
	lastQuiet bool

	// History of the 64 sequence numbers before next: bit i describes
	// next-1-i. played: decoded or dropped (a copy is a duplicate);
	// missing: passed without the packet while a later one was known (an
	// arrival is late, otherwise it is lost); blind: concealed with
	// nothing buffered, so possibly never sent. Blind entries become
	// missing when a later packet arrives, and are undone when the
	// buffer goes idle.
	histPlayed, histMissing, histBlind uint64
	lostFinal                          uint64 // missing entries that aged out of the history

	wantDir   int // +1 insert, -1 drop, 0 content
	wantTicks int // consecutive ticks with the same wish
	blindRun  int // consecutive concealments with an empty buffer

	stats JitterStats
}

type jbState uint8

const (
	jbFresh   jbState = iota // no history: next is the lowest packet held
	jbPlaying                // paced playout
	jbIdle                   // history kept, waiting to rebuffer
)

type jbSlot struct {
	used  bool
	quiet bool
	seq   SeqNum
	ts    time.Duration
	n     int
	buf   []byte // fixed window into JitterBuffer.mem
}

// NewJitterBuffer returns an empty buffer configured by cfg (zero fields
// take their defaults).
func NewJitterBuffer(cfg JitterConfig) (*JitterBuffer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &JitterBuffer{
		cfg:         cfg,
		frame:       cfg.FrameDuration,
		forceTicks:  int(cfg.ForceAfter / cfg.FrameDuration),
		concealRuns: int(cfg.ConcealLimit / cfg.FrameDuration),
		mem:         make([]byte, slotCount*cfg.MaxPayload),
		win:         newDelayWindow(int(cfg.Window/cfg.FrameDuration), cfg.Percentile),
	}
	for i := range b.slots {
		b.slots[i].buf = b.mem[i*cfg.MaxPayload : (i+1)*cfg.MaxPayload : (i+1)*cfg.MaxPayload]
	}
	return b, nil
}

// Config returns the configuration in effect, defaults filled in.
func (b *JitterBuffer) Config() JitterConfig { return b.cfg }

func (b *JitterBuffer) slot(s SeqNum) *jbSlot { return &b.slots[int(s)%slotCount] }

// Push stores a packet that arrived at now. The payload is copied. Late
// and duplicate packets are counted and dropped; an oversized payload is
// counted and reported with ErrPayloadTooLarge. A sequence number too far
// ahead of playout to fit the ring means the stream jumped: the buffer
// flushes and restarts from that packet.
func (b *JitterBuffer) Push(p Packet, now time.Time) (PushResult, error) {
	if len(p.Payload) > b.cfg.MaxPayload {
		b.stats.Rejected++
		return Rejected, fmt.Errorf("%w: %d bytes, limit %d", ErrPayloadTooLarge, len(p.Payload), b.cfg.MaxPayload)
	}
	b.stats.Received++
	if !b.haveEpoch {
		b.haveEpoch, b.epoch = true, now
	}
	offset := satSub(now.Sub(b.epoch), p.Timestamp)

	if b.state == jbFresh && b.count == 0 {
		b.next, b.highest = p.Seq, p.Seq
	}
	d := b.next.Distance(p.Seq)
	if d < 0 {
		if b.state == jbFresh {
			// Nothing played yet: an earlier packet simply becomes the
			// first one, as long as the ring can span it.
			if p.Seq.Distance(b.highest) >= slotCount {
				b.stats.Late++
				b.addDelay(offset, p.Seq)
				return Late, nil
			}
			b.next, d = p.Seq, 0
		} else {
			age := -d - 1
			switch {
			case age < 64 && b.histPlayed>>age&1 == 1:
				b.stats.Duplicates++
				return Duplicate, nil
			case age < 64 && b.histBlind>>age&1 == 1:
				// Playout ran dry and concealed this packet's slot
				// without knowing of anything later: the path stalled
				// rather than lost it. Take the concealment back and
				// play it, which raises the delay by the stall.
				b.rewind(age + 1)
				b.stats.Concealed -= uint64(age + 1)
				b.stats.Stretched += uint64(age + 1)
				d = 0
			default:
				if age < 64 {
					b.histMissing &^= 1 << age
				}
				b.stats.Late++
				b.addDelay(offset, p.Seq)
				return Late, nil
			}
		}
	}
	if d >= slotCount {
		b.resync(p.Seq)
	}
	s := b.slot(p.Seq)
	if s.used {
		// Every held packet lies in [next, next+slotCount), so a used
		// slot holds this very sequence number.
		b.stats.Duplicates++
		return Duplicate, nil
	}
	// The stream goes on, so what was concealed blindly is now known to
	// be missing.
	b.histMissing |= b.histBlind
	b.histBlind = 0
	s.used, s.quiet, s.seq, s.ts = true, p.Quiet, p.Seq, p.Timestamp
	s.n = copy(s.buf, p.Payload)
	if b.count == 0 || b.highest.Before(p.Seq) {
		b.highest = p.Seq
	}
	b.count++
	b.addDelay(offset, p.Seq)
	return Accepted, nil
}

// addDelay feeds the delay statistics with a packet's arrival. A packet
// that arrives after the one following it was lost and sent again (or
// reordered); while such arrivals are rarer than the percentile's tail they
// are left out: the loss is covered by the next packet's in-band FEC (RFC
// 6716 §2.1.7) or by concealment, and following retransmissions, a round
// trip late, would make every call with a few percent of loss carry a
// round trip of buffering. Reordering as common as that is systematic,
// and the delay covers it.
func (b *JitterBuffer) addDelay(offset time.Duration, seq SeqNum) {
	behind := b.arrived(seq + 1)
	r := 0.0
	if behind {
		r = 1
	}
	b.behindRate += (r - b.behindRate) / behindRateFrames
	if behind && b.behindRate < 1-b.cfg.Percentile {
		return
	}
	b.win.add(offset)
}

// behindRateFrames is the memory, in packets, of the rate of packets that
// arrive behind their successor (about 4 s of 20 ms packets).
const behindRateFrames = 200

// arrived reports whether packet seq is held or was played as received.
func (b *JitterBuffer) arrived(seq SeqNum) bool {
	if d := b.next.Distance(seq); d >= 0 {
		s := b.slot(seq)
		return d < slotCount && s.used && s.seq == seq
	} else if age := -d - 1; age < 64 {
		return b.histPlayed>>age&1 == 1
	}
	return false
}

// Reset empties the buffer and forgets the stream's history and timing
// (the peer restarted its audio stream); counters are kept, and the
// discarded packets count as Flushed.
func (b *JitterBuffer) Reset() {
	b.clear(0)
}

// resync restarts at seq because a sequence number jumped further than
// the ring reaches (a restarted sender or a very long stall).
func (b *JitterBuffer) resync(seq SeqNum) {
	b.stats.Resyncs++
	b.clear(seq)
}

func (b *JitterBuffer) clear(seq SeqNum) {
	b.stats.Flushed += uint64(b.count)
	for i := range b.slots {
		b.slots[i].used = false
	}
	b.count = 0
	b.lostFinal += uint64(bits.OnesCount64(b.histMissing))
	b.histPlayed, b.histMissing, b.histBlind = 0, 0, 0
	b.state = jbFresh
	b.next, b.highest = seq, seq
	b.wantDir, b.wantTicks, b.blindRun = 0, 0, 0
	b.lastQuiet = false
	b.win.reset()
}

// targetDelay is the clamped percentile of relative delay.
func (b *JitterBuffer) targetDelay() time.Duration {
	t := b.win.percentile()
	return min(max(t, b.cfg.MinDelay), b.cfg.MaxDelay)
}

// delayOf returns how long after the reference transit a frame captured at
// ts goes out when played at now.
func (b *JitterBuffer) delayOf(now time.Time, ts time.Duration) time.Duration {
	return satSub(satSub(now.Sub(b.epoch), ts), b.win.minOffset())
}

// firstHeld returns the lowest held sequence number at or after next and
// its distance from next.
func (b *JitterBuffer) firstHeld() (*jbSlot, int) {
	if b.count == 0 {
		return nil, 0
	}
	for k := 0; k < slotCount; k++ {
		if s := b.slot(b.next + SeqNum(k)); s.used {
			return s, k
		}
	}
	return nil, 0
}

// expectedTs is the capture timestamp of the frame due at next: its own if
// held, else extrapolated from the nearest later packet, else one frame
// after the last one played.
func (b *JitterBuffer) expectedTs() time.Duration {
	s, k := b.firstHeld()
	if s == nil {
		return b.lastTs + b.frame
	}
	return s.ts - time.Duration(k)*b.frame
}

// Outcomes recorded by advance.
const (
	passPlayed  = iota // decoded or dropped
	passMissing        // missing, a later packet known
	passBlind          // missing, nothing later known
)

// advance moves playout past next, recording what became of its packet.
func (b *JitterBuffer) advance(outcome int) {
	if (b.histMissing|b.histBlind)>>63 == 1 {
		b.lostFinal++
	}
	b.histPlayed <<= 1
	b.histMissing <<= 1
	b.histBlind <<= 1
	switch outcome {
	case passPlayed:
		b.histPlayed |= 1
	case passMissing:
		b.histMissing |= 1
	default:
		b.histBlind |= 1
	}
	b.next++
}

// take removes the packet at next from the ring and advances past it.
func (b *JitterBuffer) take() *jbSlot {
	s := b.slot(b.next)
	s.used = false
	b.count--
	b.lastTs, b.lastQuiet = s.ts, s.quiet
	b.advance(passPlayed)
	return s
}

// Pop returns the instruction for the playout tick at now. Call it once
// per frame from the audio device's clock.
func (b *JitterBuffer) Pop(now time.Time) Frame {
	target := b.targetDelay()
	b.stats.TargetDelay = target
	if b.state != jbPlaying && !b.start(now, target) {
		b.stats.CurrentDelay = 0
		return Frame{Action: ActionQuiet}
	}

	exp := b.expectedTs()
	cur := b.delayOf(now, exp)
	b.stats.CurrentDelay = cur

	dir := 0
	switch {
	case cur < target:
		dir = +1
	case cur >= target+b.frame:
		dir = -1
	}
	if dir != b.wantDir {
		b.wantDir, b.wantTicks = dir, 0
	}
	if dir != 0 {
		b.wantTicks++
	}
	forced := dir != 0 && b.wantTicks > b.forceTicks

	s := b.slot(b.next)
	present := s.used
	switch dir {
	case +1:
		// Insert a frame. With the packet missing the tick would be
		// concealed anyway, and waiting gives it a chance to arrive.
		quiet := b.lastQuiet || (present && s.quiet)
		if !present || quiet || forced {
			if present && !quiet {
				b.stats.Forced++
			}
			b.stats.Stretched++
			b.wantTicks = 0
			return Frame{Action: ActionConceal, Seq: b.next, Timestamp: exp, Stretched: true}
		}
	case -1:
		switch {
		case present && (s.quiet || forced):
			if !s.quiet {
				b.stats.Forced++
			}
			b.take()
			b.stats.DroppedCatchUp++
			b.wantTicks = 0
		case !present && b.count > 0:
			// The packet is missing and a later one is here: skipping
			// the gap costs no audio at all.
			b.lastTs = exp
			b.advance(passMissing)
			b.stats.Skipped++
			b.wantTicks = 0
		}
	}
	return b.play()
}

// start decides whether playout can begin (or resume after idling): the
// earliest held packet must have waited the target delay.
func (b *JitterBuffer) start(now time.Time, target time.Duration) bool {
	s, k := b.firstHeld()
	if s == nil || b.delayOf(now, s.ts) < target {
		return false
	}
	// Resuming after idle: sequence numbers between the last one played
	// and the first one held never arrived.
	for range k {
		b.advance(passMissing)
		b.stats.Skipped++
	}
	b.state = jbPlaying
	b.lastTs = s.ts - b.frame
	b.lastQuiet = s.quiet
	b.wantDir, b.wantTicks, b.blindRun = 0, 0, 0
	return true
}

// play plays the frame at next without changing the delay.
func (b *JitterBuffer) play() Frame {
	if s := b.slot(b.next); s.used {
		seq := b.next
		b.take()
		b.blindRun = 0
		b.stats.Decoded++
		return Frame{Action: ActionDecode, Seq: seq, Timestamp: s.ts, Payload: s.buf[:s.n]}
	}
	exp := b.expectedTs()
	seq := b.next
	if n := b.slot(b.next + 1); n.used {
		b.lastTs = exp
		b.advance(passMissing)
		b.blindRun = 0
		b.stats.FEC++
		return Frame{Action: ActionFEC, Seq: seq, Timestamp: exp, Payload: n.buf[:n.n]}
	}
	if b.count == 0 {
		b.blindRun++
		if b.blindRun > b.concealRuns {
			b.goIdle()
			return Frame{Action: ActionQuiet}
		}
	} else {
		b.blindRun = 0
	}
	b.lastTs = exp
	if b.count == 0 {
		b.advance(passBlind)
	} else {
		b.advance(passMissing)
	}
	b.stats.Concealed++
	return Frame{Action: ActionConceal, Seq: seq, Timestamp: exp}
}

// goIdle stops playout after ConcealLimit of concealment with nothing
// buffered. The blind concealments are taken back from the loss history:
// nothing says those packets were ever sent, and if they do arrive they
// restart playout instead of counting as late.
func (b *JitterBuffer) goIdle() {
	b.rewind(b.blindRun - 1) // sequence numbers advanced blindly
	b.state = jbIdle
	b.blindRun = 0
	b.wantDir, b.wantTicks = 0, 0
	b.stats.Rebuffers++
}

// rewind moves playout back over the last r sequence numbers, all of them
// concealed blindly. Blind entries only ever form the newest run of the
// history (any accepted packet turns them into missing ones), so the r
// newest entries are exactly blind ones.
func (b *JitterBuffer) rewind(r int) {
	b.histPlayed >>= r
	b.histMissing >>= r
	b.histBlind >>= r
	b.next -= SeqNum(r)
	b.blindRun = max(b.blindRun-r, 0)
}

// Stats returns a snapshot of the counters.
func (b *JitterBuffer) Stats() JitterStats {
	st := b.stats
	st.Buffered = b.count
	st.Lost = b.lostFinal + uint64(bits.OnesCount64(b.histMissing))
	st.TargetDelay = b.targetDelay()
	return st
}

// satSub returns a-b, saturating instead of wrapping, because timestamps
// come from the network and may be arbitrary.
func satSub(a, b time.Duration) time.Duration {
	d := a - b
	if (b > 0 && d > a) || (b < 0 && d < a) {
		if b > 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return d
}
