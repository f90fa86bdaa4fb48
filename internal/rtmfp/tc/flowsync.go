package tc

// MaxSyncBarriers bounds the flow sync barriers open at once, so that a
// peer cannot make a receiver remember sync IDs without end. When a new
// barrier would exceed it, the oldest one is released.
const MaxSyncBarriers = 16

// SyncBarriers is the receive side of flow synchronisation (RFC 7425 §5.2,
// rtmfp-cpp FlowSyncManager): the flows of one NetStream each carry a
// FlowSync event with the same sync ID and the number of flows; a flow that
// reaches the barrier is held (delivers nothing more) until all have
// reached it. F identifies a flow (a receive flow handle or ID).
//
// It is plain state with no clock and no goroutine; its owner (the
// NetConnection's loop) calls it for each FlowSync message a flow delivers.
// The zero value is ready to use.
type SyncBarriers[F comparable] struct {
	order    []uint32       // sync IDs of open barriers, oldest first
	barriers map[uint32][]F // flows held at each barrier
}

// Arrive records that flow f delivered s. When f completes the barrier it
// returns the flows held there, to be released, and true (f itself is not
// held and not in the list). Otherwise f must now be held and Arrive returns
// false, plus the flows of an older barrier that had to be dropped to make
// room (usually none), which must be released too.
func (b *SyncBarriers[F]) Arrive(s FlowSync, f F) (release []F, complete bool) {
	held := b.barriers[s.SyncID]
	for _, h := range held {
		if h == f {
			// The same flow twice at one barrier (a flow delivering
			// in network order is not held): count it once.
			return nil, false
		}
	}
	if uint64(s.Count) <= uint64(len(held))+1 {
		b.remove(s.SyncID)
		return held, true
	}
	if b.barriers == nil {
		b.barriers = make(map[uint32][]F)
	}
	if len(held) == 0 {
		if len(b.order) >= MaxSyncBarriers {
			oldest := b.order[0]
			release = b.barriers[oldest]
			b.remove(oldest)
		}
		b.order = append(b.order, s.SyncID)
	}
	b.barriers[s.SyncID] = append(held, f)
	return release, false
}

// Forget removes flow f from every barrier (the flow closed). When that
// leaves a barrier empty the barrier is dropped.
func (b *SyncBarriers[F]) Forget(f F) {
	for _, id := range append([]uint32(nil), b.order...) {
		held := b.barriers[id]
		out := held[:0]
		for _, h := range held {
			if h != f {
				out = append(out, h)
			}
		}
		if len(out) == 0 {
			b.remove(id)
		} else {
			b.barriers[id] = out
		}
	}
}

// Held returns the number of flows held at barrier id.
func (b *SyncBarriers[F]) Held(id uint32) int { return len(b.barriers[id]) }

// Open returns the number of open barriers.
func (b *SyncBarriers[F]) Open() int { return len(b.order) }

func (b *SyncBarriers[F]) remove(id uint32) {
	delete(b.barriers, id)
	for i, o := range b.order {
		if o == id {
			b.order = append(b.order[:i], b.order[i+1:]...)
			break
		}
	}
}
