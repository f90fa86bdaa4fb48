package rtmfptest

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// DropReason says why the network discarded a datagram.
type DropReason int

// Drop reasons, used to index Counters.Dropped.
const (
	// DropLoss: random loss on a link (LinkConditions.Loss).
	DropLoss DropReason = iota
	// DropQueueFull: the drop-tail queue of a bandwidth-limited link was full.
	DropQueueFull
	// DropMTU: the datagram was larger than a link's MTU.
	DropMTU
	// DropFiltered: a NAT refused an inbound datagram (no mapping, or the
	// filtering rule did not admit the remote endpoint).
	DropFiltered
	// DropNoListener: the datagram reached its host but no socket was bound
	// to the destination port.
	DropNoListener
	// DropNoRoute: no host or NAT owns the destination address.
	DropNoRoute
	// DropRecvQueueFull: the receiving socket's queue was full.
	DropRecvQueueFull
	// DropIntercepted: a Link.Intercept function discarded the datagram.
	DropIntercepted
	// NumDropReasons is the number of drop reasons.
	NumDropReasons
)

var dropReasonNames = [NumDropReasons]string{
	"loss", "queue-full", "mtu", "filtered", "no-listener", "no-route", "recv-queue-full", "intercepted",
}

func (r DropReason) String() string {
	if r >= 0 && r < NumDropReasons {
		return dropReasonNames[r]
	}
	return fmt.Sprintf("DropReason(%d)", int(r))
}

// Counters count datagrams at one observation point: a link, a NAT, a
// host, a socket or the whole network.
//
//   - Link: Sent = entered the link, Delivered = left it (each duplicate
//     counts), Dropped by DropLoss, DropQueueFull or DropMTU.
//   - NAT: Sent = outbound datagrams translated, Delivered = inbound
//     datagrams admitted, Dropped[DropFiltered], Dropped[DropNoRoute].
//   - Host: Sent = written by its sockets, Delivered = queued to its
//     sockets, Dropped[DropNoListener], Dropped[DropRecvQueueFull].
//   - Conn: Sent = written, Delivered = queued for reading,
//     Dropped[DropRecvQueueFull].
//   - Network: Sent = written by any socket, Delivered = queued to any
//     socket, Dropped = every drop anywhere, by reason.
type Counters struct {
	Sent       uint64
	Delivered  uint64
	Duplicated uint64 // extra copies made by LinkConditions.Duplicate
	Reordered  uint64 // datagrams held back by LinkConditions.Reorder
	Dropped    [NumDropReasons]uint64
}

// TotalDropped sums Dropped over all reasons.
func (c Counters) TotalDropped() uint64 {
	var s uint64
	for _, d := range c.Dropped {
		s += d
	}
	return s
}

func (c Counters) String() string {
	s := fmt.Sprintf("sent=%d delivered=%d dup=%d reordered=%d", c.Sent, c.Delivered, c.Duplicated, c.Reordered)
	for r, d := range c.Dropped {
		if d != 0 {
			s += fmt.Sprintf(" %s=%d", DropReason(r), d)
		}
	}
	return s
}

// Percentile returns the p-th percentile (0 ≤ p ≤ 100, nearest rank) of ds,
// or 0 for an empty slice. ds is not modified.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if p <= 0 {
		return s[0]
	}
	if p >= 100 {
		return s[len(s)-1]
	}
	// Nearest rank: the smallest value with at least p% of values ≤ it.
	rank := int(math.Ceil(p * float64(len(s)) / 100))
	return s[min(max(rank, 1), len(s))-1]
}
