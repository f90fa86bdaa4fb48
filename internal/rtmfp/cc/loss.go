package cc

// FragmentRef is the caller's opaque name for one transmission of a user
// data fragment (for example an index into its flow's send queue). The
// LossDetector hands it back when the fragment is declared lost.
type FragmentRef uint64

// Slot names a fragment held by a LossDetector; Sent returns it and Acked
// takes it. A slot is never reused for another fragment, so a stale slot
// (already acknowledged or lost) is harmless.
type Slot uint64

// LostFragment is one fragment the loss rule gave up on.
type LostFragment struct {
	Ref       FragmentRef
	Size      ByteCount
	Abandoned bool // it was sent as an abandoned (ABN) fragment
}

// NAKReport is the outcome of one NAK pass (LossDetector.AfterAcks).
type NAKReport struct {
	// AnyNAKs: some outstanding fragment that carried data got a NAK; the
	// controller then neither grows nor decays the window.
	AnyNAKs bool
	// AnyLoss: some fragment that carried data reached NAKsForLoss, a
	// congestion signal.
	AnyLoss bool
	// LostBytes counts every fragment declared lost in this pass,
	// abandoned ones included, since they all leave the outstanding data.
	LostBytes ByteCount
}

type outstandingFrag struct {
	tsn       TSN
	ref       FragmentRef
	size      ByteCount
	naks      uint8
	abandoned bool
	live      bool
}

// LossDetector is the session-wide list of outstanding fragments in
// transmission order, with the negative-acknowledgement rule of RFC 7016
// §3.6.2.5 keyed by transmission sequence numbers:
//
//   - every data packet gets the next TSN; every fragment in it is recorded
//     with that TSN (Sent);
//   - an acknowledged fragment leaves the list, and the highest TSN among
//     acknowledged fragments is remembered (Acked);
//   - after the acknowledgements of one received packet are processed
//     (AfterAcks), every fragment still outstanding that was sent in a packet
//     with TSN ≤ that highest TSN gets one NAK: a later packet got through,
//     so this one was probably lost. The third NAK declares it lost. Three
//     rather than one tolerates a little reordering.
//
// It is a ring of slots indexed by Slot; removal leaves a hole that is
// reclaimed when the oldest fragment leaves. The ring doubles when full and
// is otherwise reused, so the steady state allocates nothing.
type LossDetector struct {
	// Owned by the session loop.
	ring        []outstandingFrag // len is a power of two
	head, tail  Slot              // live entries are in [head, tail)
	count       int               // live entries
	outstanding ByteCount
	maxAcked    TSN
}

// Sent records a fragment of size bytes sent in the packet numbered tsn.
// TSNs must not decrease from one call to the next (fragments of one packet
// share a TSN). abandoned marks a fragment sent as ABN, whose loss is not a
// congestion signal.
func (d *LossDetector) Sent(tsn TSN, ref FragmentRef, size ByteCount, abandoned bool) Slot {
	if int(d.tail-d.head) == len(d.ring) {
		d.grow()
	}
	s := d.tail
	d.ring[d.index(s)] = outstandingFrag{tsn: tsn, ref: ref, size: size, abandoned: abandoned, live: true}
	d.tail++
	d.count++
	d.outstanding += size
	return s
}

// Acked removes the fragment in slot s, acknowledged by the far end. It
// reports the fragment's size, and ok = false if the slot was no longer
// outstanding (already acknowledged, or declared lost).
func (d *LossDetector) Acked(s Slot) (size ByteCount, ok bool) {
	if s < d.head || s >= d.tail {
		return 0, false
	}
	f := &d.ring[d.index(s)]
	if !f.live {
		return 0, false
	}
	if f.tsn > d.maxAcked {
		d.maxAcked = f.tsn
	}
	size = f.size
	d.remove(f)
	d.compact()
	return size, true
}

// AfterAcks runs the NAK pass once per received packet that carried
// acknowledgements, after all of its Acked calls. Fragments declared lost are
// appended to lost (pass lost[:0] of a reused slice to stay allocation-free)
// and leave the outstanding data.
func (d *LossDetector) AfterAcks(lost []LostFragment) (NAKReport, []LostFragment) {
	var rep NAKReport
	for s := d.head; s < d.tail; s++ {
		f := &d.ring[d.index(s)]
		if !f.live {
			continue
		}
		if f.tsn > d.maxAcked {
			break // transmission order: every later fragment is newer still
		}
		f.naks++
		if !f.abandoned {
			rep.AnyNAKs = true
		}
		if f.naks >= NAKsForLoss {
			if !f.abandoned {
				rep.AnyLoss = true
			}
			rep.LostBytes += f.size
			lost = append(lost, LostFragment{Ref: f.ref, Size: f.size, Abandoned: f.abandoned})
			d.remove(f)
		}
	}
	d.compact()
	return rep, lost
}

// Timeout declares every outstanding fragment lost, as a retransmission
// timeout does (RFC 7016 §3.5.2.2), appending them to lost in transmission
// order, and empties the detector.
func (d *LossDetector) Timeout(lost []LostFragment) []LostFragment {
	for s := d.head; s < d.tail; s++ {
		f := &d.ring[d.index(s)]
		if f.live {
			lost = append(lost, LostFragment{Ref: f.ref, Size: f.size, Abandoned: f.abandoned})
			d.remove(f)
		}
	}
	d.head = d.tail
	return lost
}

// Outstanding is the sum of the sizes of the fragments in flight.
func (d *LossDetector) Outstanding() ByteCount { return d.outstanding }

// Len is the number of fragments in flight.
func (d *LossDetector) Len() int { return d.count }

// MaxAckedTSN is the highest TSN of any fragment acknowledged so far.
func (d *LossDetector) MaxAckedTSN() TSN { return d.maxAcked }

// NAKs reports how many NAKs the fragment in slot s has collected, and
// whether it is still outstanding.
func (d *LossDetector) NAKs(s Slot) (int, bool) {
	if s < d.head || s >= d.tail || !d.ring[d.index(s)].live {
		return 0, false
	}
	return int(d.ring[d.index(s)].naks), true
}

func (d *LossDetector) index(s Slot) int { return int(s) & (len(d.ring) - 1) }

func (d *LossDetector) remove(f *outstandingFrag) {
	f.live = false
	d.count--
	d.outstanding -= f.size
}

// compact advances head past the holes at the front of the ring.
func (d *LossDetector) compact() {
	for d.head < d.tail && !d.ring[d.index(d.head)].live {
		d.head++
	}
}

func (d *LossDetector) grow() {
	n := 2 * len(d.ring)
	if n == 0 {
		n = 64
	}
	ring := make([]outstandingFrag, n)
	for s := d.head; s < d.tail; s++ {
		ring[int(s)&(n-1)] = d.ring[d.index(s)]
	}
	d.ring = ring
}
