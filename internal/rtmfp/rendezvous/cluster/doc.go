// Package cluster lets several rendezvous servers (package rendezvous)
// share one peer directory over NATS, so that a client registered on any
// node can be introduced to an initiator whose IHello reached any other
// (RFC 7016 §3.5.1.4–§3.5.1.6). It implements rendezvous.Directory.
//
// # The directory
//
// A JetStream key-value bucket (memory storage, history 1) holds one key
// per introducible peer, "p.<peer ID>": the node that holds the peer's
// session and the peer's addresses, encoded as a Redirect carries them
// (codec.go). Each node writes its own peers' keys when they register
// (setPeerInfo) or move, and purges them when their session ends. Every
// node watches the whole bucket and keeps the other nodes' peers in
// memory, so looking a peer up costs no NATS round trip and an IHello for
// an unknown peer ID costs nothing beyond this node.
//
// Expiry follows the node, not the peer: each node rewrites its own key
// "n.<node ID>" every NodeTTL/4, and a node not heard from for NodeTTL is
// taken for dead: every other node forgets its peers at once, and the live
// node with the lowest ID purges its keys (only at the revisions the dead
// node wrote, so a peer that reconnected elsewhere keeps its new entry).
// A per-peer TTL would have to be refreshed for every idle peer (100,000
// peers with a 60 s TTL are thousands of writes a second, each delivered
// to every node); heartbeats cost one write per node per period whatever
// the number of peers. Purge markers expire after a minute (JetStream's
// per-message TTL, NATS server 2.11 or later), so peers that come and go
// leave nothing behind.
//
// # Introductions across nodes
//
// The node that receives an IHello for a peer another node holds answers
// the initiator with a Redirect carrying the target's addresses (from its
// own socket, under its own 3× answer budget) and publishes the IHello on
// the holding node's subject "<bucket>.intro.<node ID>" (core NATS, at
// most once); that node sends the FIHello through the target's session,
// since only its packets pass the target's NAT
// (rendezvous.Server.ForwardIntroduction). No node relays anything else.
//
// # Without NATS
//
// The node connects in the background and reconnects forever. While NATS
// is unreachable the node forgets the other nodes' peers (nothing says
// whether they are still there) and its server keeps introducing its own.
// When NATS comes back, the node opens (or creates) the bucket again,
// rewrites every entry of its own (the server may have lost them) and
// reloads the rest: the directory is rebuilt. Nodes that took it for dead
// meanwhile see its heartbeat and entries again.
//
// # Limits
//
// Every value and message read from NATS is parsed strictly; what does not
// parse is dropped and counted. The node receiving IHellos applies a
// per-target introduction rate to the Redirects it sends; the node holding
// the target applies the server's per-target rate to every FIHello it
// sends, whichever node began the introduction, so a target's limit holds
// across the cluster. The other limits (startup packets per source,
// sessions, the 3× answer budget) protect one node's socket and CPU and
// stay per node. The in-memory directory is bounded (Config.MaxEntries).
//
// # Goroutine model
//
// Goroutines, started by Start and ended by Close: the loop (follows
// the NATS connection, applies the watch's changes, heartbeats, sweeps
// dead nodes, measures the round trip), eight store workers (write and
// purge keys, each entry by one worker at a time) and the forwarder
// (publishes introductions from a bounded queue). NATS's own goroutines run the introduction
// subscription's callback, which calls the Forwarder. Register,
// Unregister and Introduce only take the node's mutex and signal; they are
// called with the rendezvous server's lock held or on an endpoint's loop,
// and never block. Lock order: rendezvous.Server's lock, then Node.mu.
package cluster
