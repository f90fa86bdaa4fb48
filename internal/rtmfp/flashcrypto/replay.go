package flashcrypto

// MaxSSEQGap is how far below the highest session sequence number a packet
// may fall and still be accepted (RFC 7425 §4.6.4; rtmfp-cpp MAX_SSEQ_GAP).
const MaxSSEQGap = 32

// replayWindow remembers which session sequence numbers were received.
//
// It reproduces the reference exactly: after receiving s > 32 it marks
// every number in [0, s−32] as seen, so a number n is accepted only if it
// was not received before and (highest ≤ 32 or n > highest − 32). The
// numbers within 32 of the highest are tracked in a bitmap; bit i stands for
// highest − i.
type replayWindow struct {
	highest uint64
	bits    uint64
	any     bool
}

// check reports whether n is acceptable, without recording it.
func (w *replayWindow) check(n uint64) error {
	if !w.any || n > w.highest {
		return nil
	}
	if w.highest > MaxSSEQGap && n <= w.highest-MaxSSEQGap {
		return ErrSequenceTooOld
	}
	if w.bits&(1<<(w.highest-n)) != 0 {
		return ErrReplayed
	}
	return nil
}

// record marks n as received. It must follow a successful check.
func (w *replayWindow) record(n uint64) {
	switch {
	case !w.any:
		w.any, w.highest, w.bits = true, n, 1
	case n > w.highest:
		shift := n - w.highest
		if shift >= 64 {
			w.bits = 0
		} else {
			w.bits <<= shift
		}
		w.bits |= 1
		w.highest = n
	default:
		w.bits |= 1 << (w.highest - n)
	}
}
