package rendezvous

import (
	"container/list"
	"net/netip"
)

// maxSeenAddrs bounds the addresses the limiter remembers from session
// packets alone, or from IHellos not (yet) admitted (seenTable). It is
// small on purpose: an entry only lets a peer that moved be answered with
// its mobility check (RFC 7016 §3.5.4.2), or an unpadded IHello be
// answered at its retransmission, which the peer's next packet asks for
// again if a flood evicted it.
const maxSeenAddrs = 4096

// seenTable is a least-recently-used table of the amplification accounts
// of addresses that sent session packets (non-zero session ID), or
// IHellos that were not admitted (too small to be answered, or over a
// bucket), and are not in the source table. Such datagrams are not
// authenticated before they reach the transport, so anyone can send them
// from any address: they must not earn a place in the source table, whose
// fullness decides startup admission. This table never decides admission;
// when full it forgets its least recently used entry.
type seenTable struct {
	max   int
	byKey map[netip.AddrPort]*list.Element // of *seenEntry
	order list.List                        // front: most recently used
}

type seenEntry struct {
	key netip.AddrPort
	st  addrState
}

func newSeenTable(max int) *seenTable {
	return &seenTable{max: max, byKey: make(map[netip.AddrPort]*list.Element)}
}

// get returns a's account, or nil, without touching its age.
func (t *seenTable) get(a netip.AddrPort) *addrState {
	if e := t.byKey[a]; e != nil {
		return &e.Value.(*seenEntry).st
	}
	return nil
}

// touch returns a's account, creating it (and evicting the least recently
// used entry when full), and makes it the most recently used.
func (t *seenTable) touch(a netip.AddrPort) *addrState {
	if e := t.byKey[a]; e != nil {
		t.order.MoveToFront(e)
		return &e.Value.(*seenEntry).st
	}
	if t.order.Len() >= t.max {
		// Full: the oldest entry becomes a's, without allocating (a
		// flood of garbage from new addresses lands here).
		old := t.order.Back()
		s := old.Value.(*seenEntry)
		delete(t.byKey, s.key)
		*s = seenEntry{key: a}
		t.byKey[a] = old
		t.order.MoveToFront(old)
		return &s.st
	}
	e := t.order.PushFront(&seenEntry{key: a})
	t.byKey[a] = e
	return &e.Value.(*seenEntry).st
}

// remove forgets a.
func (t *seenTable) remove(a netip.AddrPort) {
	if e := t.byKey[a]; e != nil {
		delete(t.byKey, a)
		t.order.Remove(e)
	}
}

// len is the number of entries.
func (t *seenTable) len() int { return t.order.Len() }

// removeIf forgets every entry for which expired is true.
func (t *seenTable) removeIf(expired func(*addrState) bool) {
	for e := t.order.Front(); e != nil; {
		next := e.Next()
		if s := e.Value.(*seenEntry); expired(&s.st) {
			delete(t.byKey, s.key)
			t.order.Remove(e)
		}
		e = next
	}
}
