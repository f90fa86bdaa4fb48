package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/wire"
)

// Forwarder sends the FIHello of an introduction another node began:
// *rendezvous.Server.
type Forwarder interface {
	ForwardIntroduction(target flashcrypto.PeerID, epd []byte, from netip.AddrPort, tag []byte) error
}

// Node is one rendezvous server's membership in a cluster: it implements
// rendezvous.Directory over NATS.
type Node struct {
	cfg Config // constant after New
	id  nodeID // constant after New
	ctr counters

	// Set by Start, constant after.
	nc  *nats.Conn
	fw  Forwarder
	sub *nats.Subscription

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // loop, store worker, forwarder

	epoch    atomic.Uint64 // NATS disconnections, from NATS's handler
	connSig  chan struct{} // the connection changed (cap 1)
	storeSig chan struct{} // store work may be done (cap 1)
	fwdQ     chan outIntro // introductions to publish

	mu        sync.Mutex
	kv        jetstream.KeyValue // nil while the bucket is not set up
	markerTTL time.Duration      // purge markers expire (0: the bucket cannot)
	online    bool               // kv set and watched: remote is current
	loaded    bool               // the watch delivered the bucket's contents
	local     map[flashcrypto.PeerID]*localEntry
	queue     []flashcrypto.PeerID // local entries to store (localEntry.queued)
	purges    []purge              // other nodes' keys to purge
	remote    map[flashcrypto.PeerID]*remoteEntry
	nodes     map[nodeID]*nodeState
	rtt       time.Duration
	started   bool
	closed    bool
}

// localEntry is a peer of this node's server.
type localEntry struct {
	value  []byte // encoded entry; nil once unregistered (to purge)
	rev    uint64 // revision of our last put, 0 if none stands
	queued bool   // in Node.queue
	busy   bool   // the store worker is writing it
}

// remoteEntry is a peer another node holds, as the bucket says.
type remoteEntry struct {
	node   nodeID
	rev    uint64
	addrs  []byte // encoded addresses (parseEntry checked them)
	intros tokenBucket
}

// nodeState is another node, alive while its heartbeats come.
type nodeState struct {
	seen time.Time // arrival of its last heartbeat (or first entry)
}

// purge is a key of a dead node to remove, if still at rev (0: any).
type purge struct {
	key string
	rev uint64
}

// outIntro is an introduction for node to complete.
type outIntro struct {
	node nodeID
	msg  []byte
}

// fwdQueue bounds the introductions waiting for the NATS connection.
const fwdQueue = 1024

// opTimeout bounds one key-value operation.
const opTimeout = 5 * time.Second

// markerTTL is how long a purge marker stays in the bucket: long enough
// for every watching node to see it (RFC-less: JetStream's per-message
// TTL, NATS server 2.11 or later).
const markerTTL = time.Minute

var _ rendezvous.Directory = (*Node)(nil)

// New returns a node for cfg. It does nothing until Start.
func New(cfg Config) (*Node, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, fmt.Errorf("cluster: node ID: %w", err)
	}
	n := &Node{
		cfg:      cfg,
		id:       nodeID(binary.BigEndian.Uint64(b[:])),
		connSig:  make(chan struct{}, 1),
		storeSig: make(chan struct{}, 1),
		fwdQ:     make(chan outIntro, fwdQueue),
		local:    make(map[flashcrypto.PeerID]*localEntry),
		remote:   make(map[flashcrypto.PeerID]*remoteEntry),
		nodes:    make(map[nodeID]*nodeState),
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	return n, nil
}

// ID is the node's identifier in the bucket's keys and in subjects.
func (n *Node) ID() string { return n.id.String() }

// Start connects to NATS and begins sharing. It returns at once even when
// no NATS server answers: the node keeps trying, and until it succeeds
// its server introduces only its own peers. fw sends the FIHellos of
// introductions other nodes begin.
func (n *Node) Start(fw Forwarder) error {
	n.mu.Lock()
	if n.closed || n.started {
		n.mu.Unlock()
		return ErrClosed
	}
	n.started = true
	n.fw = fw
	n.mu.Unlock()
	// A disconnection counts (epoch): a reconnection that follows it
	// before the loop looks must still rebuild the directory.
	changed := func(lost bool) {
		if lost {
			n.epoch.Add(1)
		}
		select {
		case n.connSig <- struct{}{}:
		default:
		}
	}
	opts := []nats.Option{
		nats.Name(n.cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.RetryOnFailedConnect(true),
		// Nothing is worth sending late: introductions are retried by
		// the initiator, the directory is rewritten on reconnect.
		nats.ReconnectBufSize(-1),
		// A NATS server that vanished without closing the connection
		// is noticed within the node TTL.
		nats.PingInterval(n.cfg.NodeTTL / 4),
		nats.MaxPingsOutstanding(2),
		nats.ConnectHandler(func(*nats.Conn) { changed(false) }),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			changed(false)
			n.cfg.Logger.Info("cluster: NATS reachable again: rebuilding the directory", "nats", nc.ConnectedUrlRedacted())
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			changed(true)
			if n.ctx.Err() == nil { // not our own Close
				n.cfg.Logger.Warn("cluster: NATS unreachable: introducing this node's own peers only", "err", errText(err))
			}
		}),
	}
	nc, err := nats.Connect(joinURLs(n.cfg.URLs), append(opts, n.cfg.Options...)...)
	if err != nil {
		return fmt.Errorf("cluster: NATS %s: %w", joinURLs(n.cfg.URLs), err)
	}
	sub, err := nc.Subscribe(n.introSubject(n.id), n.onIntro)
	if err != nil {
		nc.Close()
		return fmt.Errorf("cluster: subscribe: %w", err)
	}
	n.nc, n.sub = nc, sub
	if !nc.IsConnected() {
		n.cfg.Logger.Warn("cluster: NATS unreachable: introducing this node's own peers only, retrying", "nats", joinURLs(n.cfg.URLs))
	}
	n.wg.Add(2 + storeWorkers)
	go n.loop()
	go n.forwardLoop()
	for range storeWorkers {
		go n.storeLoop()
	}
	n.cfg.Logger.Info("cluster node", "node", n.id.String(), "bucket", n.cfg.Bucket, "node_ttl", n.cfg.NodeTTL.String())
	return nil
}

// closeFlush bounds the removal of this node's entries at Close.
const closeFlush = 3 * time.Second

// Close removes this node's entries and heartbeat from the bucket (within
// a few seconds: a node that cannot reach NATS leaves them to expire with
// its heartbeat), stops the node's goroutines and closes the NATS
// connection. Close the rendezvous server first, so that no peer
// registers meanwhile.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return ErrClosed
	}
	n.closed = true
	started := n.started
	n.mu.Unlock()
	n.cancel()
	if !started {
		return nil
	}
	n.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), closeFlush)
	defer cancel()
	n.mu.Lock()
	kv := n.kv
	for id, le := range n.local {
		le.value = nil
		n.enqueueLocked(id, le)
	}
	n.online = false
	n.mu.Unlock()
	if kv != nil && n.nc.IsConnected() {
		n.drainStore(ctx)
		_ = kv.Purge(ctx, nodeKey(n.id), n.purgeOpts(0)...)
	}
	_ = n.sub.Unsubscribe()
	n.nc.Close()
	n.cfg.Logger.Info("cluster node stopped", "node", n.id.String())
	return nil
}

// Register implements rendezvous.Directory: the entry is written to the
// bucket by the store worker.
func (n *Node) Register(id flashcrypto.PeerID, observed netip.AddrPort, reported []netip.AddrPort) {
	v := appendEntry(nil, n.id, observed, reported)
	n.mu.Lock()
	le := n.local[id]
	if le == nil {
		le = &localEntry{}
		n.local[id] = le
	}
	if bytes.Equal(le.value, v) {
		n.mu.Unlock()
		return
	}
	le.value = v
	n.enqueueLocked(id, le)
	n.mu.Unlock()
	n.signalStore()
}

// Unregister implements rendezvous.Directory.
func (n *Node) Unregister(id flashcrypto.PeerID) {
	n.mu.Lock()
	le := n.local[id]
	if le == nil {
		n.mu.Unlock()
		return
	}
	le.value = nil
	if le.rev == 0 && !le.busy {
		if !le.queued {
			delete(n.local, id) // never written
		}
		n.mu.Unlock()
		return
	}
	n.enqueueLocked(id, le)
	n.mu.Unlock()
	n.signalStore()
}

func (n *Node) enqueueLocked(id flashcrypto.PeerID, le *localEntry) {
	if !le.queued {
		le.queued = true
		n.queue = append(n.queue, id)
	}
}

func (n *Node) signalStore() {
	select {
	case n.storeSig <- struct{}{}:
	default:
	}
}

// Introduce implements rendezvous.Directory: it looks the target up in
// the directory of other nodes' peers and queues the introduction for the
// node holding it. It never blocks: a full queue drops the FIHello (the
// Redirect still goes), and the initiator's next IHello tries again.
func (n *Node) Introduce(target flashcrypto.PeerID, epd []byte, from netip.AddrPort, tag []byte) ([]wire.Address, error) {
	m := intro{target: target, from: from, tag: tag, epd: epd}
	if !m.fits() || !from.IsValid() {
		n.ctr.drop(DropBadMessage)
		return nil, rendezvous.ErrNoTarget
	}
	now := n.cfg.Now()
	n.mu.Lock()
	if !n.online {
		n.mu.Unlock()
		n.ctr.lookupsOffline.Add(1)
		return nil, rendezvous.ErrNoTarget
	}
	re := n.remote[target]
	if re == nil {
		n.mu.Unlock()
		n.ctr.lookupMisses.Add(1)
		return nil, rendezvous.ErrNoTarget
	}
	if !re.intros.allow(now, n.cfg.IntroductionRate, n.cfg.IntroductionBurst) {
		n.mu.Unlock()
		n.ctr.drop(DropIntroRate)
		return nil, rendezvous.ErrIntroRate
	}
	addrs := decodeAddrs(re.addrs)
	node := re.node
	n.mu.Unlock()
	n.ctr.lookupHits.Add(1)
	select {
	case n.fwdQ <- outIntro{node: node, msg: m.append(make([]byte, 0, 64+len(tag)+len(epd)))}:
	default:
		n.ctr.drop(DropQueueFull)
	}
	return addrs, nil
}

// Lookup returns the addresses of a peer another node holds, without
// asking that node to forward anything: the server answers an IHello too
// small to pay for the target's RHello with a Redirect alone
// (rendezvous.DirectoryLookup).
func (n *Node) Lookup(target flashcrypto.PeerID) ([]wire.Address, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	re := n.remote[target]
	if !n.online || re == nil {
		return nil, rendezvous.ErrNoTarget
	}
	return decodeAddrs(re.addrs), nil
}

// introSubject is where node receives introductions to complete.
func (n *Node) introSubject(node nodeID) string {
	return n.cfg.Bucket + ".intro." + node.String()
}

// forwardLoop publishes queued introductions until Close.
func (n *Node) forwardLoop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case m := <-n.fwdQ:
			if err := n.nc.Publish(n.introSubject(m.node), m.msg); err != nil {
				n.ctr.drop(DropNATS)
				continue
			}
			n.ctr.introsOut.Add(1)
		}
	}
}

// onIntro completes an introduction another node began (NATS's
// subscription goroutine).
func (n *Node) onIntro(msg *nats.Msg) {
	m, err := parseIntro(msg.Data)
	if err != nil {
		n.ctr.drop(DropBadMessage)
		return
	}
	n.ctr.introsIn.Add(1)
	switch err := n.fw.ForwardIntroduction(m.target, m.epd, m.from, m.tag); {
	case errors.Is(err, rendezvous.ErrIntroRate):
		n.ctr.drop(DropIntroRate)
	case errors.Is(err, rendezvous.ErrNoTarget):
		n.ctr.drop(DropNoTarget)
	case err != nil:
		n.cfg.Logger.Debug("cluster: forward", "target", m.target.String(), "err", err)
	default:
		n.ctr.fihellos.Add(1)
	}
}

func joinURLs(urls []string) string {
	var b bytes.Buffer
	for i, u := range urls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(u)
	}
	return b.String()
}

func errText(err error) string {
	if err == nil {
		return "connection closed"
	}
	return err.Error()
}

// tokenBucket is the introduction limiter of one remote target, advanced
// by the caller's clock (as rendezvous's): burst tokens, rate per second.
type tokenBucket struct {
	tokens float64
	last   int64 // UnixNano of the last use; 0: never used
}

func (b *tokenBucket) allow(now time.Time, rate, burst float64) bool {
	if rate < 0 {
		return true
	}
	t := now.UnixNano()
	if b.last == 0 {
		b.tokens = burst
	} else if dt := t - b.last; dt > 0 {
		b.tokens = min(burst, b.tokens+float64(dt)/1e9*rate)
	}
	b.last = t
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
