package cluster

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"camchat/internal/rtmfp/flashcrypto"
)

// The store workers write this node's entries to the bucket and purge
// the keys of dead nodes, off the server's goroutines. A peer's entry is
// queued once however often it changes while waiting, and is written with
// its latest value by one worker at a time (localEntry.busy). Several
// workers keep several writes in flight: each waits for its
// acknowledgement, and one at a time wrote about 5,000 entries a second,
// which is how fast a node can rewrite its entries after NATS lost them.

// storeWorkers is the number of store workers.
const storeWorkers = 8

// storeLoop runs one store worker until Close.
func (n *Node) storeLoop() {
	defer n.wg.Done()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-n.storeSig:
		}
		n.drainStore(n.ctx)
	}
}

// drainStore does the queued work until none is left, the bucket is gone
// or an operation fails (retried at the next heartbeat).
func (n *Node) drainStore(ctx context.Context) {
	for ctx.Err() == nil {
		n.mu.Lock()
		kv := n.kv
		if kv == nil {
			n.mu.Unlock()
			return
		}
		if len(n.queue) > 0 {
			id := n.queue[0]
			n.queue = n.queue[1:]
			le := n.local[id]
			if le == nil || !le.queued {
				n.mu.Unlock()
				continue
			}
			if le.busy {
				// Another worker writes it: it takes it again after.
				n.queue = append(n.queue, id)
				n.mu.Unlock()
				return
			}
			le.queued, le.busy = false, true
			value, rev := le.value, le.rev
			more := len(n.queue) > 0 || len(n.purges) > 0
			n.mu.Unlock()
			if more {
				n.signalStore() // another worker takes the next
			}
			err := n.storeLocal(ctx, kv, id, le, value, rev)
			if err != nil {
				n.ctr.storeErrors.Add(1)
				n.cfg.Logger.Debug("cluster: store", "peer", id.String(), "err", err)
				return
			}
			continue
		}
		if len(n.purges) > 0 {
			p := n.purges[0]
			n.purges = n.purges[1:]
			more := len(n.purges) > 0
			n.mu.Unlock()
			if more {
				n.signalStore()
			}
			err := kv.Purge(ctx, p.key, n.purgeOpts(p.rev)...)
			if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
				n.ctr.storeErrors.Add(1)
				if !n.nc.IsConnected() {
					return
				}
				continue // a newer revision: not the dead node's any more
			}
			if err == nil {
				n.ctr.purges.Add(1)
			}
			continue
		}
		n.mu.Unlock()
		return
	}
}

// storeLocal writes (or purges) one local entry as it was when taken from
// the queue, then requeues it if it changed meanwhile or the write failed.
func (n *Node) storeLocal(ctx context.Context, kv jetstream.KeyValue, id flashcrypto.PeerID, le *localEntry, value []byte, rev uint64) error {
	opCtx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var err error
	var newRev uint64
	if value != nil {
		newRev, err = kv.Put(opCtx, peerKey(id), value)
		if err == nil {
			n.ctr.puts.Add(1)
		}
	} else if rev != 0 {
		err = kv.Purge(opCtx, peerKey(id), n.purgeOpts(rev)...)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			err = nil // another node registered the peer since: theirs now
		}
		if err == nil {
			n.ctr.purges.Add(1)
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	le.busy = false
	if le.queued {
		n.signalStore() // changed meanwhile, or skipped while busy
	}
	if err != nil {
		n.enqueueLocked(id, le)
		return err
	}
	if value != nil {
		le.rev = newRev
	} else {
		le.rev = 0
	}
	switch {
	case le.queued:
	case le.value == nil && le.rev != 0:
		n.enqueueLocked(id, le) // unregistered during the put
	case le.value == nil && n.local[id] == le:
		delete(n.local, id)
	}
	return nil
}

// purgeOpts makes a purge conditional on rev (0: any) and lets its marker
// expire when the bucket allows it.
func (n *Node) purgeOpts(rev uint64) []jetstream.KVDeleteOpt {
	var o []jetstream.KVDeleteOpt
	if rev != 0 {
		o = append(o, jetstream.LastRevision(rev))
	}
	n.mu.Lock()
	ttl := n.markerTTL
	n.mu.Unlock()
	if ttl > 0 {
		o = append(o, jetstream.PurgeTTL(ttl))
	}
	return o
}
