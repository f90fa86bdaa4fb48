package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// loop follows the NATS connection until Close: it sets the directory up
// when connected (again), applies the bucket's changes to the replica,
// sends heartbeats, takes silent nodes for dead and measures the round
// trip to NATS.
func (n *Node) loop() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.NodeTTL / 4)
	defer t.Stop()
	var w jetstream.KeyWatcher
	var updates <-chan jetstream.KeyValueEntry
	var epoch uint64
	down := func() {
		if w != nil {
			stopWatch(w)
			w, updates = nil, nil
		}
		n.goOffline()
	}
	defer func() {
		// Close still needs the bucket, to remove this node's keys.
		if w != nil {
			stopWatch(w)
		}
	}()
	check := func() {
		cur := n.epoch.Load()
		up := n.nc.IsConnected()
		if w != nil && (!up || cur != epoch) {
			down()
		}
		if w == nil && up {
			epoch = cur
			var err error
			if w, err = n.setup(); err != nil {
				n.cfg.Logger.Warn("cluster: directory unavailable: introducing this node's own peers only", "err", err)
				n.ctr.setupErrors.Add(1)
				w = nil
				return
			}
			updates = w.Updates()
			n.signalStore()
		}
	}
	check()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.connSig:
			check()
		case e, ok := <-updates:
			if !ok {
				down()
				continue
			}
			n.apply(e)
		case <-t.C:
			check()
			if w != nil {
				n.heartbeat()
				n.sweep(n.cfg.Now())
				n.signalStore() // retries what failed
			}
			if n.nc.IsConnected() {
				// A PING and its PONG (nats.Conn.RTT waits up to 10 s
				// for a server that hangs; the loop must not).
				t0 := time.Now()
				if err := n.nc.FlushTimeout(n.cfg.NodeTTL / 4); err == nil {
					n.mu.Lock()
					n.rtt = time.Since(t0)
					n.mu.Unlock()
				}
			}
		}
	}
}

// stopWatch ends a watch. The watch's NATS callback may be blocked handing
// over an entry, so the channel is drained until the subscription closes.
func stopWatch(w jetstream.KeyWatcher) {
	ch := w.Updates()
	_ = w.Stop()
	go func() {
		t := time.NewTimer(opTimeout)
		defer t.Stop()
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					return
				}
			case <-t.C:
				return
			}
		}
	}()
}

// goOffline forgets the other nodes' peers: without NATS nothing says
// whether they are still there.
func (n *Node) goOffline() {
	n.mu.Lock()
	was := n.online
	n.online, n.loaded, n.kv = false, false, nil
	clear(n.remote)
	clear(n.nodes)
	n.purges = nil
	n.mu.Unlock()
	if was {
		n.ctr.disconnects.Add(1)
	}
}

// setup opens (or creates) the bucket, announces this node and starts
// watching every key; this node's entries are queued to be written again,
// since the bucket may have lost them (a NATS server that restarted, or
// other nodes that took this one for dead).
func (n *Node) setup() (jetstream.KeyWatcher, error) {
	ctx, cancel := context.WithTimeout(n.ctx, opTimeout)
	defer cancel()
	js, err := jetstream.New(n.nc)
	if err != nil {
		return nil, err
	}
	kv, err := js.KeyValue(ctx, n.cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		// Memory storage: the directory is soft state, rebuilt from the
		// nodes' sessions whenever the NATS server loses it.
		cfg := jetstream.KeyValueConfig{
			Bucket:         n.cfg.Bucket,
			Description:    "camchat rendezvous directory: peer ID to node and addresses",
			History:        1,
			Storage:        jetstream.MemoryStorage,
			LimitMarkerTTL: markerTTL,
		}
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrLimitMarkerTTLNotSupported) {
			// A NATS server before 2.11: purge markers stay (one per
			// peer that left, until the server restarts).
			n.cfg.Logger.Warn("cluster: the NATS server cannot expire purge markers (2.11 or later can)")
			cfg.LimitMarkerTTL = 0
			kv, err = js.CreateKeyValue(ctx, cfg)
		}
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, n.cfg.Bucket)
		}
	}
	if err != nil {
		return nil, err
	}
	st, err := kv.Status(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := kv.Put(ctx, nodeKey(n.id), n.heartbeatValue()); err != nil {
		return nil, err
	}
	w, err := kv.WatchAll(n.ctx)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.kv = kv
	n.markerTTL = 0
	if st.LimitMarkerTTL() > 0 {
		n.markerTTL = markerTTL
	}
	n.online = true
	for id, le := range n.local {
		if le.value != nil {
			n.enqueueLocked(id, le)
		}
	}
	n.mu.Unlock()
	n.ctr.rebuilds.Add(1)
	return w, nil
}

// heartbeatValue is what a node's key holds, for operators (nats kv get):
// nodes only look at when it changes.
func (n *Node) heartbeatValue() []byte {
	n.mu.Lock()
	peers := len(n.local)
	n.mu.Unlock()
	b, _ := json.Marshal(struct {
		Name  string `json:"name"`
		Peers int    `json:"peers"`
	}{n.cfg.Name, peers})
	return b
}

// heartbeat rewrites this node's key.
func (n *Node) heartbeat() {
	n.mu.Lock()
	kv := n.kv
	n.mu.Unlock()
	if kv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.NodeTTL/4)
	defer cancel()
	if _, err := kv.Put(ctx, nodeKey(n.id), n.heartbeatValue()); err != nil {
		n.ctr.storeErrors.Add(1)
		n.cfg.Logger.Debug("cluster: heartbeat", "err", err)
	}
}

// apply brings the replica up to date with one change of the bucket (nil:
// the bucket's contents have all been delivered).
func (n *Node) apply(e jetstream.KeyValueEntry) {
	now := n.cfg.Now()
	if e == nil {
		n.mu.Lock()
		n.loaded = true
		entries, nodes := len(n.remote), len(n.nodes)
		n.mu.Unlock()
		n.cfg.Logger.Info("cluster: directory loaded", "entries", entries, "nodes", nodes)
		return
	}
	peer, node, isPeer, err := parseKey(e.Key())
	if err != nil {
		n.ctr.drop(DropBadEntry)
		return
	}
	put := e.Operation() == jetstream.KeyValuePut
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.online {
		return
	}
	if !isPeer {
		if node == n.id {
			return
		}
		if put {
			ns := n.nodes[node]
			if ns == nil {
				ns = &nodeState{}
				n.nodes[node] = ns
			}
			ns.seen = now
			return
		}
		// The node left in order, or was purged as dead. What it left
		// behind (a node that had no time to purge every entry) is
		// purged by the elected node.
		gone := map[nodeID]bool{node: true}
		elected := n.electedLocked(gone)
		delete(n.nodes, node) // its key is gone already
		n.dropNodesLocked(gone, elected)
		n.signalStore()
		return
	}
	if !put {
		delete(n.remote, peer)
		// Our own entry removed by another node (it took us for dead
		// while our heartbeats were late): write it again.
		if le := n.local[peer]; le != nil && le.value != nil && e.Revision() > le.rev {
			n.enqueueLocked(peer, le)
			n.signalStore()
		}
		return
	}
	owner, addrs, err := parseEntry(e.Value())
	if err != nil {
		n.ctr.drop(DropBadEntry)
		return
	}
	if owner == n.id {
		delete(n.remote, peer) // the newest registration is ours
		return
	}
	re := n.remote[peer]
	if re == nil {
		if len(n.remote) >= n.cfg.MaxEntries {
			n.ctr.drop(DropDirectoryFull)
			return
		}
		re = &remoteEntry{}
		n.remote[peer] = re
	}
	re.node, re.rev, re.addrs = owner, e.Revision(), addrs
	if n.nodes[owner] == nil {
		// Entries may come before the node's heartbeat (or be all that
		// is left of a dead node): it has NodeTTL to show up.
		n.nodes[owner] = &nodeState{seen: now}
	}
}

// sweep takes the nodes not heard from for NodeTTL for dead.
func (n *Node) sweep(now time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	dead := map[nodeID]bool{}
	for id, ns := range n.nodes {
		if now.Sub(ns.seen) > n.cfg.NodeTTL {
			dead[id] = true
		}
	}
	if len(dead) == 0 {
		return
	}
	elected := n.electedLocked(dead)
	n.dropNodesLocked(dead, elected)
	if elected {
		n.signalStore()
	}
}

// electedLocked reports whether this node purges what the nodes in gone
// left: the live node with the lowest ID does, the others only forget.
// Two nodes that disagree purge twice, harmlessly: a purge applies only to
// the revision the gone node wrote.
func (n *Node) electedLocked(gone map[nodeID]bool) bool {
	for id := range n.nodes {
		if id < n.id && !gone[id] {
			return false
		}
	}
	return true
}

// dropNodesLocked forgets the peers of dead nodes, and queues their keys
// for purging when purge is set.
func (n *Node) dropNodesLocked(dead map[nodeID]bool, purge bool) {
	dropped := 0
	for id, re := range n.remote {
		if dead[re.node] {
			delete(n.remote, id)
			dropped++
			if purge {
				n.purges = append(n.purges, purgeOf(peerKey(id), re.rev))
			}
		}
	}
	for id := range dead {
		_, known := n.nodes[id]
		delete(n.nodes, id)
		if purge && known {
			n.purges = append(n.purges, purgeOf(nodeKey(id), 0))
		}
		n.ctr.nodesLost.Add(1)
		n.cfg.Logger.Info("cluster: node gone", "node", id.String(), "entries", dropped)
	}
}

func purgeOf(key string, rev uint64) purge { return purge{key: key, rev: rev} }
