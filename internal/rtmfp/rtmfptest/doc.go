// Package rtmfptest is a simulated lossy IP network for testing the RTMFP
// transport (RFC 7016) and everything above it without real sockets: UDP
// sockets that implement net.PacketConn, hosts with IPv4 and IPv6
// addresses, links with delay, jitter, loss, reordering, duplication, MTU
// and a bandwidth bottleneck with a drop-tail queue, and NATs with the
// mapping and filtering behaviors of RFC 4787 that RTMFP's hole punching
// (RFC 7016 §3.5.1.5, FIHello and Redirect) and address mobility
// (RFC 7016 §3.5.4.2) must cope with.
//
// # Model
//
// A Network holds a public realm (an address space). Hosts and NATs live in
// a realm; each NAT has a private realm of its own for the hosts (and NATs)
// behind it. A datagram written by a socket travels:
//
//	same realm:   src uplink -> link(src, dst) -> dst downlink -> socket
//	leaving NAT:  host uplink -> NAT (map, rewrite source) -> on from the NAT
//	into NAT:     ... -> NAT downlink -> NAT (filter, rewrite dest) -> host downlink -> socket
//
// Every arrow is a Link with its own LinkConditions and Counters, so a test
// can shape a peer's access link (Host.Uplink, NAT.Uplink) or the path
// between two sites (Network.Link, Network.SetPath). Links start perfect
// except node-to-node links, which start with Config.DefaultLink.
// Conditions can be changed at any time. NAT decisions (mapping creation,
// expiry, filtering) are taken at the datagram's virtual arrival at the NAT.
//
// Randomness comes only from Config.Seed: each link draws from its own
// generator seeded from the seed and the link's name, so the same seed and
// the same traffic on a link give the same losses, jitter, reorderings and
// duplicates, whatever other links do. Events due at one virtual instant
// run in the order they were scheduled; but two goroutines acting at the
// same instant (say, a writer and a delivery) may interleave either way, as
// on a real machine, so tests that need a byte-identical run keep such
// instants apart (jitter of ns resolution does) or use one writer per link.
//
// NATs can be nested (a home NAT behind a carrier-grade NAT); hosts behind
// the same NAT reach each other directly; a NAT hairpins datagrams sent to
// its own public address. Host.Rebind moves a host to a new address with its
// sockets (address mobility); NAT.FlushMappings and NAT.Rebind change the
// public endpoint peers see.
//
// Nothing is dropped silently: every drop is counted by reason (see
// DropReason) on the link, NAT, host or socket where it happened and on the
// Network. Bandwidth-limited links also record each datagram's queueing
// delay (Link.QueueDelays, Percentile). Config.Trace sees every send,
// delivery and drop; Link.Intercept can drop, corrupt or truncate chosen
// datagrams.
//
// # Time and goroutines
//
// The network has no goroutine of its own. Deliveries are events in one
// heap, driven by a single time.AfterFunc timer that, when it fires, runs
// every due event in (time, order of scheduling) order under the network's
// mutex. Delay computations chain from the scheduled time, not from the
// moment a callback happens to run, so delays are exact.
//
// Under testing/synctest, create the Network inside the bubble: its timers
// then run on the bubble's virtual clock, and because a blocked
// ReadFrom waits in a select on channels (the receive queue, Close and the
// read deadline, never a sync.Cond or mutex), a test whose goroutines are all
// reading or sleeping lets virtual time jump straight to the next delivery.
// When the test function returns, pending timers are simply abandoned; no
// goroutine of the network is left behind. Goroutines of the test blocked in
// ReadFrom are: close their sockets, or defer Network.Close, which closes
// every socket, so that the bubble can end. Outside synctest the same code
// runs on the real clock (the package Example does so).
//
// Trace and Intercept callbacks run with the network's lock held, in the
// goroutine that wrote the datagram or in a timer callback; they must not
// call back into the network.
//
// WriteTo never blocks: it copies the datagram and schedules it. Each socket
// has a bounded receive queue (Config.RecvQueue); a datagram arriving at a
// full queue is dropped and counted, as the kernel would.
//
// # Real sockets
//
// ImpairConn puts a real UDP socket behind an Impairment in each direction
// (delay, wandering jitter that keeps order, seeded loss, reordering,
// duplication, a rate with a drop-tail queue), in real time: a userspace
// netem for end-to-end tests, benchmarks and demos (ParseImpairment reads
// the same settings from a command-line flag). Each direction is a model
// that takes the time as an argument (tested like the simulated network,
// without a clock) and a scheduler goroutine that sends or releases
// datagrams at their due time; ImpairStats count what it did, including
// the standing queue of the bottleneck and how late the scheduler woke.
// Relay forwards between clients and one upstream address with both
// directions impaired, for programs whose socket cannot be wrapped.
package rtmfptest
