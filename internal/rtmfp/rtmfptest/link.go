package rtmfptest

import (
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"time"
)

// BitRate is a link rate in bits per second.
type BitRate int64

// Rates.
const (
	BitPerSecond BitRate = 1
	Kbps                 = 1000 * BitPerSecond
	Mbps                 = 1000 * Kbps
)

// LinkConditions describe one direction of a link. The zero value is a
// perfect link: no delay, no loss, unlimited rate and size.
//
// A datagram entering a link goes through these steps in order:
//
//  1. MTU: dropped (DropMTU) if its size exceeds MTU.
//  2. Loss: dropped (DropLoss) with probability Loss.
//  3. Bandwidth: if Rate > 0 it joins a drop-tail FIFO served at Rate; it is
//     dropped (DropQueueFull) if the queue is over QueueBytes or its wait
//     would exceed QueueDelay. It leaves after waiting for the packets ahead
//     of it and for its own serialization time, size*8/Rate.
//  4. Propagation: Delay, plus a uniform random jitter in [0, Jitter) (with
//     KeepOrder the jitter never lets it overtake an earlier datagram),
//     plus a wander in [0, Wander] that drifts smoothly with the time the
//     datagram leaves the queue, as a Wi-Fi path's delay does (piecewise
//     linear between targets drawn every 2·Wander; its slope is at most
//     1/2, so it never reorders).
//  5. Reorder: with probability Reorder it is held back an extra
//     ReorderDelay so that later datagrams overtake it.
//  6. Duplicate: with probability Duplicate a second copy leaves at the
//     same instant, after the original.
//
// Sizes are UDP payload bytes plus HeaderBytes.
type LinkConditions struct {
	Delay     time.Duration // one-way propagation delay
	Jitter    time.Duration // extra delay, uniform in [0, Jitter)
	KeepOrder bool          // jitter never reorders (FIFO); Reorder still applies
	Wander    time.Duration // extra delay drifting smoothly in [0, Wander]

	Loss         float64       // probability in [0, 1] that a datagram is lost
	Reorder      float64       // probability in [0, 1] that a datagram is held back
	ReorderDelay time.Duration // hold-back for Reorder; 0 means max(Delay, 1ms)
	Duplicate    float64       // probability in [0, 1] of one extra copy

	MTU         int // largest datagram carried, in bytes; 0 is unlimited
	HeaderBytes int // bytes added to each payload for MTU and Rate (28 for IPv4+UDP)

	Rate       BitRate       // serialization rate; 0 is unlimited (no queue)
	QueueBytes int           // drop-tail limit on queued bytes; 0 is none
	QueueDelay time.Duration // drop-tail limit on queueing delay; 0 is none
}

func (c *LinkConditions) perfect() bool {
	return *c == LinkConditions{}
}

// maxQueueRecords bounds the memory a long test can spend on queueing
// delay records.
const maxQueueRecords = 1 << 20

// Link is one direction of a path element: a node's uplink or downlink, or
// the path between two nodes in the same realm. Links are created by the
// Network; tests get them from Network.Link, Host.Uplink and so on.
//
// All fields are guarded by net.mu.
type Link struct {
	net  *Network
	name string

	cond LinkConditions
	rng  *rand.Rand

	// Bandwidth queue: the transmitter is busy until busyUntil; backlog
	// holds the departure times and sizes of queued datagrams, oldest first.
	busyUntil    time.Time
	backlog      []queued
	backlogHead  int
	backlogBytes int

	lastArrival time.Time // latest scheduled exit, for KeepOrder
	walk        jitterWalk

	stats       Counters
	queueDelays []time.Duration
	intercept   func(now time.Time, d Datagram) ([]byte, bool)
}

// Datagram is a datagram as an interceptor sees it on a link.
type Datagram struct {
	Src, Dst netip.AddrPort // as on this link (after any NAT on the way)
	Payload  []byte         // shared: never modify it in place
}

// Intercept installs f (nil removes it) to see every datagram entering the
// link, before its conditions apply. f returns the payload to carry on,
// which may be a modified copy (to corrupt or truncate it), and false to
// drop the datagram (DropIntercepted). f runs with the network's lock held
// and must not call methods of the network, its links, hosts or sockets.
func (l *Link) Intercept(f func(now time.Time, d Datagram) (payload []byte, keep bool)) {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	l.intercept = f
}

type queued struct {
	depart time.Time
	size   int
}

func newLink(n *Network, name string, c LinkConditions) *Link {
	h := fnv.New64a()
	h.Write([]byte(name))
	return &Link{
		net:  n,
		name: name,
		cond: c,
		// Each link has its own stream seeded from the network seed and
		// its name, so a link's drops do not depend on how traffic on other
		// links interleaves with it.
		rng: rand.New(rand.NewPCG(n.seed, h.Sum64())),
	}
}

// Name returns the link's name, such as "alice/up", "alice->bob" or "nat/down".
func (l *Link) Name() string { return l.name }

// Conditions returns the link's current conditions.
func (l *Link) Conditions() LinkConditions {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	return l.cond
}

// SetConditions changes the link's conditions from now on. Datagrams
// already in flight keep the schedule they were given; a changed Rate
// applies to datagrams that enter afterwards.
func (l *Link) SetConditions(c LinkConditions) {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	l.cond = c
}

// Update applies f to the link's conditions under the network lock, for
// changing one field at run time: l.Update(func(c *LinkConditions) { c.Loss = 0.1 }).
func (l *Link) Update(f func(c *LinkConditions)) {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	f(&l.cond)
}

// Stats returns the link's counters.
func (l *Link) Stats() Counters {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	return l.stats
}

// QueueDelays returns the queueing delay of every datagram that entered
// the bandwidth queue (Rate > 0), in order of arrival: the time it waited
// before its own serialization began. At most 2^20 are kept.
func (l *Link) QueueDelays() []time.Duration {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	return append([]time.Duration(nil), l.queueDelays...)
}

// MaxQueueDelay returns the largest recorded queueing delay.
func (l *Link) MaxQueueDelay() time.Duration {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	var m time.Duration
	for _, d := range l.queueDelays {
		m = max(m, d)
	}
	return m
}

// QueuedBytes returns the bytes waiting in or being serialized by the
// bandwidth queue at the current time.
func (l *Link) QueuedBytes() int {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	l.drainBacklog(time.Now())
	return l.backlogBytes
}

// ResetStats zeroes the counters and forgets recorded queueing delays.
func (l *Link) ResetStats() {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	l.stats = Counters{}
	l.queueDelays = nil
}

func (l *Link) drainBacklog(now time.Time) {
	for l.backlogHead < len(l.backlog) && !l.backlog[l.backlogHead].depart.After(now) {
		l.backlogBytes -= l.backlog[l.backlogHead].size
		l.backlogHead++
	}
	if l.backlogHead == len(l.backlog) {
		l.backlog, l.backlogHead = l.backlog[:0], 0
	} else if l.backlogHead > 1024 && l.backlogHead*2 > len(l.backlog) {
		n := copy(l.backlog, l.backlog[l.backlogHead:])
		l.backlog, l.backlogHead = l.backlog[:n], 0
	}
}

func (l *Link) drop(now time.Time, r DropReason, p *packet) {
	l.stats.Dropped[r]++
	l.net.drop(now, l.name, r, p)
}

// serialization returns how long size bytes occupy a link of the given rate.
func serialization(size int, rate BitRate) time.Duration {
	return time.Duration(int64(size) * 8 * int64(time.Second) / int64(rate))
}

// transmit carries p across the link entering at now; when it comes out it
// continues with h (n.mu held). A perfect link passes it on at once.
func (l *Link) transmit(now time.Time, p packet, h hop) {
	l.stats.Sent++
	if l.intercept != nil {
		payload, keep := l.intercept(now, Datagram{Src: p.src, Dst: p.dst, Payload: p.payload})
		if !keep {
			l.drop(now, DropIntercepted, &p)
			return
		}
		p.payload = payload
	}
	c := &l.cond
	if c.perfect() {
		l.stats.Delivered++
		l.net.next(now, p, h)
		return
	}
	size := len(p.payload) + c.HeaderBytes
	if c.MTU > 0 && size > c.MTU {
		l.drop(now, DropMTU, &p)
		return
	}
	if c.Loss > 0 && l.rng.Float64() < c.Loss {
		l.drop(now, DropLoss, &p)
		return
	}
	depart := now
	if c.Rate > 0 {
		l.drainBacklog(now)
		wait := max(l.busyUntil.Sub(now), 0)
		if (c.QueueBytes > 0 && l.backlogBytes+size > c.QueueBytes) ||
			(c.QueueDelay > 0 && wait > c.QueueDelay) {
			l.drop(now, DropQueueFull, &p)
			return
		}
		start := now.Add(wait)
		depart = start.Add(serialization(size, c.Rate))
		l.busyUntil = depart
		l.backlog = append(l.backlog, queued{depart: depart, size: size})
		l.backlogBytes += size
		if len(l.queueDelays) < maxQueueRecords {
			l.queueDelays = append(l.queueDelays, wait)
		}
	}
	at := depart.Add(c.Delay)
	if c.Jitter > 0 {
		at = at.Add(time.Duration(l.rng.Int64N(int64(c.Jitter))))
	}
	if c.Wander > 0 {
		// The walk's offset is in [−Wander/2, +Wander/2].
		amp := c.Wander / 2
		at = at.Add(amp + l.walk.offset(depart, amp, l.rng))
	}
	if c.KeepOrder && at.Before(l.lastArrival) {
		at = l.lastArrival
	}
	if at.After(l.lastArrival) {
		l.lastArrival = at
	}
	if c.Reorder > 0 && l.rng.Float64() < c.Reorder {
		hold := c.ReorderDelay
		if hold == 0 {
			hold = max(c.Delay, time.Millisecond)
		}
		at = at.Add(hold)
		l.stats.Reordered++
		l.net.stats.Reordered++
	}
	copies := 1
	if c.Duplicate > 0 && l.rng.Float64() < c.Duplicate {
		copies = 2
		l.stats.Duplicated++
		l.net.stats.Duplicated++
	}
	for range copies {
		if !at.After(now) {
			l.stats.Delivered++
			l.net.next(now, p, h)
			continue
		}
		l.net.schedule(at, l, p, h)
	}
}
