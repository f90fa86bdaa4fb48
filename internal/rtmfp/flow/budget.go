package flow

// MemoryBudget counts and bounds the memory a group of receive flows holds:
// their fragments and the messages waiting to be read, as Receiver.Held
// counts them, plus whatever the owner charges for the flows themselves. A
// session's flows share one whose parent is the endpoint's, so a fragment is
// kept only if it fits every budget up the chain; one that does not is
// dropped (RecvStats.DroppedBudget) and the budget that refused it notes it
// for its owner (TakeRefused), which decides what to close.
//
// Per-flow limits (MaxBuffered, the window) bound one flow; a far end that
// opens many flows, or many sessions, meets these. A budget is not safe for
// concurrent use: the owner of the receivers guards it.
type MemoryBudget struct {
	limit   int
	parent  *MemoryBudget
	held    int
	peak    int
	refused int // refusals since the last TakeRefused
}

// NewMemoryBudget returns a budget of limit bytes (≤ 0: unlimited, counting
// only) inside parent (nil: none).
func NewMemoryBudget(limit int, parent *MemoryBudget) *MemoryBudget {
	return &MemoryBudget{limit: limit, parent: parent}
}

// Limit returns the budget's own limit (≤ 0: none).
func (b *MemoryBudget) Limit() int { return b.limit }

// Held returns the bytes charged to the budget now.
func (b *MemoryBudget) Held() int { return b.held }

// Peak returns the most bytes ever charged at once.
func (b *MemoryBudget) Peak() int { return b.peak }

// Charge adds n bytes (n < 0 gives back) to the budget and its parents,
// whether or not they fit.
func (b *MemoryBudget) Charge(n int) {
	for a := b; a != nil; a = a.parent {
		a.held += n
		a.peak = max(a.peak, a.held)
	}
}

// Fits reports whether n more bytes fit in the budget and every parent. The
// first budget up the chain that has no room is marked as having refused.
func (b *MemoryBudget) Fits(n int) bool {
	for a := b; a != nil; a = a.parent {
		if a.limit > 0 && a.held+n > a.limit {
			a.refused++
			return false
		}
	}
	return true
}

// TakeRefused returns how many times the budget's own limit refused
// something since the last call, and clears the count.
func (b *MemoryBudget) TakeRefused() int {
	r := b.refused
	b.refused = 0
	return r
}

// Detach takes the budget out of its parent, giving back there all it
// holds: the group ended (a session closed), and what its flows still hold
// (messages the application may yet read) is no longer the parent's.
func (b *MemoryBudget) Detach() {
	for a := b.parent; a != nil; a = a.parent {
		a.held -= b.held
	}
	b.parent = nil
}
