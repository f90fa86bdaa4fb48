package cluster

import (
	"bufio"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// DropReason says why the node discarded a message, an entry or an
// introduction. Every drop is counted (Stats.Dropped).
type DropReason int

const (
	DropBadMessage    DropReason = iota // introduction message (or IHello) that does not parse or fit
	DropBadEntry                        // bucket key or value that does not parse
	DropDirectoryFull                   // entry beyond Config.MaxEntries
	DropIntroRate                       // introduction to a target over its rate
	DropNoTarget                        // introduction for a peer not (or no longer) held here
	DropQueueFull                       // introduction while the publish queue is full
	DropNATS                            // introduction the NATS client refused (disconnected)
	NumDropReasons
)

var dropNames = [NumDropReasons]string{
	"bad_message", "bad_entry", "directory_full", "intro_rate", "no_target", "queue_full", "nats",
}

// String is the reason's name in metrics labels.
func (r DropReason) String() string {
	if r < 0 || r >= NumDropReasons {
		return "unknown"
	}
	return dropNames[r]
}

// counters are the node's monotonic figures, updated without a lock.
type counters struct {
	lookupHits, lookupMisses, lookupsOffline atomic.Uint64
	introsOut, introsIn, fihellos            atomic.Uint64
	puts, purges, storeErrors, setupErrors   atomic.Uint64
	disconnects, rebuilds, nodesLost         atomic.Uint64
	dropped                                  [NumDropReasons]atomic.Uint64
}

func (c *counters) drop(r DropReason) { c.dropped[r].Add(1) }

// Stats are the node's figures.
type Stats struct {
	Connected bool          // NATS connected and the directory watched
	Loaded    bool          // the directory's contents were all received
	Nodes     int           // other live nodes
	Local     int           // this node's peers in the directory
	Remote    int           // other nodes' peers known here
	Pending   int           // writes and purges waiting
	RTT       time.Duration // last round trip to the NATS server

	LookupHits     uint64 // IHellos for another node's peer, found
	LookupMisses   uint64 // IHellos for a peer no node holds
	LookupsOffline uint64 // IHellos for an unknown peer while NATS was unreachable
	IntrosOut      uint64 // introductions sent to the node holding the target
	IntrosIn       uint64 // introductions received from other nodes
	FIHellos       uint64 // of IntrosIn, FIHellos sent to a peer here
	Puts, Purges   uint64 // bucket writes
	StoreErrors    uint64 // bucket operations that failed
	SetupErrors    uint64 // bucket set-ups that failed
	Disconnects    uint64 // losses of the directory (NATS unreachable)
	Rebuilds       uint64 // directory set-ups (the first one included)
	NodesLost      uint64 // nodes taken for dead or gone
	Dropped        [NumDropReasons]uint64
}

// Stats returns the node's figures.
func (n *Node) Stats() Stats {
	var s Stats
	n.mu.Lock()
	s.Connected, s.Loaded = n.online, n.loaded
	s.Nodes, s.Local, s.Remote = len(n.nodes), len(n.local), len(n.remote)
	s.Pending = len(n.queue) + len(n.purges)
	s.RTT = n.rtt
	n.mu.Unlock()
	c := &n.ctr
	s.LookupHits, s.LookupMisses, s.LookupsOffline = c.lookupHits.Load(), c.lookupMisses.Load(), c.lookupsOffline.Load()
	s.IntrosOut, s.IntrosIn, s.FIHellos = c.introsOut.Load(), c.introsIn.Load(), c.fihellos.Load()
	s.Puts, s.Purges, s.StoreErrors, s.SetupErrors = c.puts.Load(), c.purges.Load(), c.storeErrors.Load(), c.setupErrors.Load()
	s.Disconnects, s.Rebuilds, s.NodesLost = c.disconnects.Load(), c.rebuilds.Load(), c.nodesLost.Load()
	for i := range s.Dropped {
		s.Dropped[i] = c.dropped[i].Load()
	}
	return s
}

// WriteMetrics writes the node's figures in the Prometheus text format
// (version 0.0.4), to follow the server's (rendezvous.Server.WriteMetrics).
func (n *Node) WriteMetrics(w io.Writer) error {
	s := n.Stats()
	bw := bufio.NewWriter(w)
	metric := func(name, typ, help string) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	metric("rendezvous_cluster_connected", "gauge", "1 while NATS is reachable and the directory watched.")
	fmt.Fprintf(bw, "rendezvous_cluster_connected %d\n", b2i(s.Connected))
	metric("rendezvous_cluster_nodes", "gauge", "Other live nodes.")
	fmt.Fprintf(bw, "rendezvous_cluster_nodes %d\n", s.Nodes)
	metric("rendezvous_cluster_directory_entries", "gauge", "Peers in the directory, by holder.")
	fmt.Fprintf(bw, "rendezvous_cluster_directory_entries{node=\"local\"} %d\n", s.Local)
	fmt.Fprintf(bw, "rendezvous_cluster_directory_entries{node=\"remote\"} %d\n", s.Remote)
	metric("rendezvous_cluster_pending_operations", "gauge", "Directory writes and purges waiting.")
	fmt.Fprintf(bw, "rendezvous_cluster_pending_operations %d\n", s.Pending)
	metric("rendezvous_cluster_nats_rtt_seconds", "gauge", "Last round trip to the NATS server.")
	fmt.Fprintf(bw, "rendezvous_cluster_nats_rtt_seconds %g\n", s.RTT.Seconds())
	metric("rendezvous_cluster_lookups_total", "counter", "IHellos for peers this server does not hold, by result.")
	fmt.Fprintf(bw, "rendezvous_cluster_lookups_total{result=\"hit\"} %d\n", s.LookupHits)
	fmt.Fprintf(bw, "rendezvous_cluster_lookups_total{result=\"miss\"} %d\n", s.LookupMisses)
	fmt.Fprintf(bw, "rendezvous_cluster_lookups_total{result=\"offline\"} %d\n", s.LookupsOffline)
	metric("rendezvous_cluster_introductions_total", "counter", "Introductions forwarded between nodes, by direction; fihello: sent to a peer here.")
	fmt.Fprintf(bw, "rendezvous_cluster_introductions_total{dir=\"out\"} %d\n", s.IntrosOut)
	fmt.Fprintf(bw, "rendezvous_cluster_introductions_total{dir=\"in\"} %d\n", s.IntrosIn)
	fmt.Fprintf(bw, "rendezvous_cluster_introductions_total{dir=\"fihello\"} %d\n", s.FIHellos)
	metric("rendezvous_cluster_store_operations_total", "counter", "Directory operations, by kind.")
	fmt.Fprintf(bw, "rendezvous_cluster_store_operations_total{op=\"put\"} %d\n", s.Puts)
	fmt.Fprintf(bw, "rendezvous_cluster_store_operations_total{op=\"purge\"} %d\n", s.Purges)
	fmt.Fprintf(bw, "rendezvous_cluster_store_operations_total{op=\"error\"} %d\n", s.StoreErrors)
	metric("rendezvous_cluster_disconnects_total", "counter", "Times the directory was lost (NATS unreachable).")
	fmt.Fprintf(bw, "rendezvous_cluster_disconnects_total %d\n", s.Disconnects)
	metric("rendezvous_cluster_rebuilds_total", "counter", "Directory set-ups, the first included.")
	fmt.Fprintf(bw, "rendezvous_cluster_rebuilds_total %d\n", s.Rebuilds)
	metric("rendezvous_cluster_nodes_lost_total", "counter", "Nodes taken for dead or gone.")
	fmt.Fprintf(bw, "rendezvous_cluster_nodes_lost_total %d\n", s.NodesLost)
	metric("rendezvous_cluster_dropped_total", "counter", "Messages, entries and introductions dropped, by reason.")
	for r := DropReason(0); r < NumDropReasons; r++ {
		fmt.Fprintf(bw, "rendezvous_cluster_dropped_total{reason=%q} %d\n", r.String(), s.Dropped[r])
	}
	return bw.Flush()
}
