package rtmfptest

import (
	"fmt"
	"net/netip"
	"sync"
	"time"
)

// Config configures a Network.
type Config struct {
	// Seed drives every random choice (loss, jitter, reordering,
	// duplication). The same seed and the same traffic give the same run.
	Seed uint64
	// DefaultLink is given to each node-to-node link when it is first
	// used or asked for. Uplinks and downlinks start perfect.
	DefaultLink LinkConditions
	// Trace, if set, is called for every datagram written, queued to a
	// socket or dropped, in virtual-time order. It runs with the network's
	// lock held, in writers' goroutines and timer callbacks: it must not
	// call methods of the network, its links, hosts or sockets, must guard
	// what it writes (Recorder does), and must not modify or retain Payload.
	Trace func(TraceEvent)
	// RecvQueue is each socket's receive queue length in datagrams;
	// 0 means 256. Datagrams arriving at a full queue are dropped
	// (DropRecvQueueFull).
	RecvQueue int
}

// Network is a simulated IP network: a public realm of hosts and NATs, each
// NAT with a private realm of its own. Create it inside the synctest bubble
// that uses it.
type Network struct {
	mu sync.Mutex

	// Constant after NewNetwork.
	seed        uint64
	recvQueue   int
	defaultLink LinkConditions
	trace       func(TraceEvent)

	// Guarded by mu.
	closed bool
	public *realm
	names  map[string]node
	pairs  map[[2]node]*Link
	sched  scheduler
	stats  Counters
}

// NewNetwork returns an empty network.
func NewNetwork(cfg Config) *Network {
	n := &Network{
		seed:        cfg.Seed,
		recvQueue:   cfg.RecvQueue,
		defaultLink: cfg.DefaultLink,
		trace:       cfg.Trace,
		names:       make(map[string]node),
		pairs:       make(map[[2]node]*Link),
	}
	if n.recvQueue <= 0 {
		n.recvQueue = 256
	}
	n.public = newRealm(n, nil)
	return n
}

// packet is a datagram in flight. Its payload is never modified after
// WriteTo copies it, so duplicates share it.
type packet struct {
	src, dst netip.AddrPort
	payload  []byte
}

// node is a Host or a NAT: something with an address in a realm, an uplink
// and a downlink.
type node interface {
	nodeName() string
	nodeRealm() *realm // the realm the node's own address lives in
	uplink() *Link
	downlink() *Link
}

// Node is a *Host or a *NAT, for Network.Link.
type Node interface {
	node
}

// realm is an address space: the public Internet or the inside of a NAT.
// Guarded by Network.mu.
type realm struct {
	net     *Network
	gateway *NAT // nil for the public realm
	nodes   map[netip.Addr]node
}

func newRealm(n *Network, gw *NAT) *realm {
	return &realm{net: n, gateway: gw, nodes: make(map[netip.Addr]node)}
}

// AddHost adds a host with the given addresses (IPv4 and/or IPv6) to the
// public realm.
func (n *Network) AddHost(name string, addrs ...netip.Addr) (*Host, error) {
	return n.public.addHost(name, addrs)
}

// AddNAT adds a NAT whose public address is in the public realm.
func (n *Network) AddNAT(cfg NATConfig) (*NAT, error) {
	return n.public.addNAT(cfg)
}

func (r *realm) claim(name string, addrs []netip.Addr) error {
	n := r.net
	if n.closed {
		return ErrNetworkClosed
	}
	if _, ok := n.names[name]; ok || name == "" {
		return fmt.Errorf("rtmfptest: add %q: %w", name, ErrNameInUse)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("rtmfptest: add %q: no address: %w", name, ErrBadAddress)
	}
	for i, a := range addrs {
		if !a.IsValid() || a.IsUnspecified() || a.Zone() != "" {
			return fmt.Errorf("rtmfptest: add %q: address %v: %w", name, a, ErrBadAddress)
		}
		if _, ok := r.nodes[a.Unmap()]; ok {
			return fmt.Errorf("rtmfptest: add %q: address %v: %w", name, a, ErrAddrInUse)
		}
		for _, b := range addrs[:i] {
			if b.Unmap() == a.Unmap() {
				return fmt.Errorf("rtmfptest: add %q: address %v twice: %w", name, a, ErrAddrInUse)
			}
		}
	}
	return nil
}

// Link returns the directional link from one node to another in the same
// realm (two public hosts, a public host and a NAT, two NATs, or two hosts
// behind the same NAT), creating it with Config.DefaultLink. It panics if
// the nodes are in different realms: a host behind a NAT reaches the outside
// through its own uplink and then the NAT, so shape Host.Uplink, NAT.Uplink
// or the link between the NAT and the other side instead.
func (n *Network) Link(from, to Node) *Link {
	n.mu.Lock()
	defer n.mu.Unlock()
	if from.nodeRealm() != to.nodeRealm() {
		panic(fmt.Sprintf("rtmfptest: no direct link from %s to %s: they are in different realms", from.nodeName(), to.nodeName()))
	}
	return n.pairLink(from, to)
}

// SetPath sets the conditions of the links from a to b and from b to a.
func (n *Network) SetPath(a, b Node, c LinkConditions) {
	n.Link(a, b).SetConditions(c)
	n.Link(b, a).SetConditions(c)
}

func (n *Network) pairLink(from, to node) *Link {
	k := [2]node{from, to}
	l := n.pairs[k]
	if l == nil {
		l = newLink(n, from.nodeName()+"->"+to.nodeName(), n.defaultLink)
		n.pairs[k] = l
	}
	return l
}

// Stats returns totals over the whole network.
func (n *Network) Stats() Counters {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stats
}

// InFlight returns the number of scheduled deliveries not yet made.
func (n *Network) InFlight() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.sched.heap)
}

// Close discards datagrams in flight and closes every socket, waking
// blocked readers. It is safe to call more than once.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	if n.sched.timer != nil {
		n.sched.timer.Stop()
	}
	n.sched.heap = nil
	var conns []*Conn
	for _, nd := range n.names {
		if h, ok := nd.(*Host); ok {
			for _, c := range h.conns {
				conns = append(conns, c)
			}
		}
	}
	n.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	return nil
}

func (n *Network) drop(now time.Time, where string, r DropReason, p *packet) {
	n.stats.Dropped[r]++
	if n.trace != nil {
		n.trace(TraceEvent{Kind: TraceDrop, Time: now, Where: where, Reason: r, Src: p.src, Dst: p.dst, Payload: p.payload})
	}
}

// forward moves p, which is at node `at` (just written by a socket of a
// host, or just translated outbound by a NAT), towards p.dst (n.mu held).
//
// Path from a node to another in the same realm: at's uplink, the pair link,
// the destination's downlink. Leaving a private realm: at's uplink, then the
// NAT translates and forwards from itself in its own realm.
func (n *Network) forward(now time.Time, at node, p packet) {
	r := at.nodeRealm()
	if to, ok := r.nodes[p.dst.Addr()]; ok {
		if to == at {
			// Loopback, or a NAT hairpinning to its own public address.
			n.arrive(now, at, p)
			return
		}
		at.uplink().transmit(now, p, hop{stage: stagePair, at: at, to: to})
		return
	}
	gw := r.gateway
	if gw == nil {
		n.drop(now, at.nodeName(), DropNoRoute, &p)
		return
	}
	at.uplink().transmit(now, p, hop{stage: stageNAT, to: gw})
}

// stage says what a datagram does after the link it is crossing.
type stage uint8

const (
	stagePair   stage = iota // after at's uplink: cross the link from at to to
	stageDown                // after the pair link: cross to's downlink
	stageArrive              // after to's downlink: arrive at to
	stageNAT                 // after at's uplink: leave the realm through NAT to
)

// hop is the rest of a datagram's way within one realm.
type hop struct {
	stage  stage
	at, to node
}

// next continues p's way after a link (n.mu held).
func (n *Network) next(now time.Time, p packet, h hop) {
	switch h.stage {
	case stagePair:
		n.pairLink(h.at, h.to).transmit(now, p, hop{stage: stageDown, to: h.to})
	case stageDown:
		h.to.downlink().transmit(now, p, hop{stage: stageArrive, to: h.to})
	case stageArrive:
		n.arrive(now, h.to, p)
	case stageNAT:
		gw := h.to.(*NAT)
		if gw.outbound(now, &p) {
			n.forward(now, gw, p)
		}
	}
}

// arrive hands p to the node it reached, after that node's downlink.
func (n *Network) arrive(now time.Time, to node, p packet) {
	switch to := to.(type) {
	case *Host:
		to.deliver(now, p)
	case *NAT:
		if !to.inbound(now, &p) {
			return
		}
		inner, ok := to.inside.nodes[p.dst.Addr()]
		if !ok {
			to.stats.Dropped[DropNoRoute]++
			n.drop(now, to.name, DropNoRoute, &p)
			return
		}
		inner.downlink().transmit(now, p, hop{stage: stageArrive, to: inner})
	}
}
