package tc

import (
	"context"
	"errors"
	"io"
	"sync"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flow"
)

// inboxLen bounds the messages a NetStream holds for its reader. When it is
// full the flow readers stop reading, the transport's receive buffers fill
// and the far end's window closes: back pressure, nothing is dropped.
const inboxLen = 64

// maxStreamFlows bounds the receive flows one NetStream accepts (a publisher
// opens three); more are rejected, so a peer cannot make us start goroutines
// without end.
const maxStreamFlows = 8

// ReceiveStats are a NetStream's receive counters.
type ReceiveStats struct {
	Flows     int    // receive flows open now
	Messages  uint64 // messages delivered to Read
	Malformed uint64 // messages that did not parse, dropped
	Late      uint64 // coded frames that arrived after newer ones on a network-order flow, dropped
	Syncs     uint64 // flow sync barriers completed (RFC 7425 §5.2)
}

// streamReceiver is the receiving half of one NetStream: one goroutine per
// receive flow reads TC messages, applies flow synchronisation and hands
// the messages to Read through a bounded inbox.
type streamReceiver struct {
	id     StreamID
	lim    Limits
	inbox  chan StreamMessage
	ctx    context.Context // ends the flow readers
	cancel context.CancelFunc
	wg     *sync.WaitGroup // the owner's; Close waits on it
	done   chan struct{}   // closed by fail
	// endWhenIdle: a peer stream ends (io.EOF) once every flow the
	// publisher opened has ended.
	endWhenIdle bool

	mu       sync.Mutex // guards the fields below
	err      error
	endErr   error // with endWhenIdle: the error to end with once idle
	ended    bool
	flows    int
	everOpen bool
	barriers SyncBarriers[*flowReader]
	stats    ReceiveStats
}

func newStreamReceiver(parent context.Context, id StreamID, lim Limits, wg *sync.WaitGroup) *streamReceiver {
	ctx, cancel := context.WithCancel(parent)
	return &streamReceiver{id: id, lim: lim, inbox: make(chan StreamMessage, inboxLen),
		ctx: ctx, cancel: cancel, wg: wg, done: make(chan struct{})}
}

// flowReader is one receive flow of the stream.
type flowReader struct {
	rf      *rtmfp.RecvFlow
	release chan struct{} // a held flow waits here for its barrier
	network bool          // delivering in network order
	last    [2]Timestamp  // newest coded audio, video timestamp delivered
	seen    [2]bool
}

// add starts reading rf, whose TC metadata is md. It reports false (and
// rejects rf) when the stream has ended or has too many flows.
func (r *streamReceiver) add(rf *rtmfp.RecvFlow, md FlowMetadata) bool {
	r.mu.Lock()
	if r.ended || r.endErr != nil || r.flows >= maxStreamFlows {
		r.mu.Unlock()
		rf.Reject(0)
		return false
	}
	r.flows++
	r.everOpen = true
	r.stats.Flows = r.flows
	r.mu.Unlock()
	fr := &flowReader{rf: rf, release: make(chan struct{}, 1)}
	// The sender's receive intent (RFC 7425 §5.1.1): media that tolerates
	// reordering is delivered as soon as it is whole.
	if md.Intent == IntentNetworkOrder {
		fr.network = true
		rf.SetOrder(flow.OrderNetwork)
	}
	r.wg.Add(1)
	go r.read(fr)
	return true
}

func (r *streamReceiver) read(fr *flowReader) {
	defer r.wg.Done()
	var end error
	defer func() { r.flowEnded(fr, end) }()
	for {
		b, arrived, err := fr.rf.ReadMessage(r.ctx)
		if err != nil {
			end = err
			return
		}
		sm, err := parseStreamMessage(b, r.lim)
		if err != nil {
			r.count(func(s *ReceiveStats) { s.Malformed++ })
			continue
		}
		sm.Arrived = arrived
		if sm.Type == TypeUserControl && sm.Control.Event == EventFlowSync {
			fs, err := ParseFlowSync(sm.Control)
			if err != nil {
				r.count(func(s *ReceiveStats) { s.Malformed++ })
				continue
			}
			if !r.arrive(fs, fr) {
				// Held at the barrier: stop reading this flow (the
				// transport buffers behind it) until the others arrive.
				select {
				case <-fr.release:
				case <-r.ctx.Done():
					return
				}
			}
			continue
		}
		if fr.network && fr.late(sm) {
			r.count(func(s *ReceiveStats) { s.Late++ })
			continue
		}
		select {
		case r.inbox <- sm:
			r.count(func(s *ReceiveStats) { s.Messages++ })
		case <-r.ctx.Done():
			return
		}
	}
}

// arrive records fr at a barrier and releases the flows it frees. It
// reports whether fr may go on at once.
func (r *streamReceiver) arrive(fs FlowSync, fr *flowReader) bool {
	r.mu.Lock()
	release, complete := r.barriers.Arrive(fs, fr)
	if complete {
		r.stats.Syncs++
	}
	r.mu.Unlock()
	for _, h := range release {
		select {
		case h.release <- struct{}{}:
		default:
		}
	}
	return complete
}

// late reports whether sm is a coded frame older than one already delivered
// on this network-order flow; such frames are useless and dropped, while
// commands, data and sequence headers are always delivered (rtmfp-cpp
// shouldAlwaysDeliver). Audio carrying a sequence number (AudioExt) is
// always delivered too: the player's jitter buffer puts it back in order
// and knows whether it is still in time.
func (fr *flowReader) late(sm StreamMessage) bool {
	var i int
	switch sm.Type {
	case TypeAudio:
		if sm.Audio.SequenceSpecial() || sm.Audio.Ext.Present {
			return false
		}
	case TypeVideo:
		if sm.Video.SequenceSpecial() {
			return false
		}
		i = 1
	default:
		return false
	}
	if fr.seen[i] && sm.Timestamp.Before(fr.last[i]) {
		return true
	}
	fr.seen[i], fr.last[i] = true, sm.Timestamp
	return false
}

// flowEnded forgets a flow that ended with why (io.EOF when the sender
// closed it, the session's error, or nil when the stream is closing).
func (r *streamReceiver) flowEnded(fr *flowReader, why error) {
	r.mu.Lock()
	r.barriers.Forget(fr)
	r.flows--
	r.stats.Flows = r.flows
	idle := r.endWhenIdle && r.flows == 0
	err := r.endErr
	r.mu.Unlock()
	if idle {
		if err == nil {
			err = why
		}
		if err == nil || errors.Is(err, context.Canceled) {
			err = io.EOF
		}
		r.fail(err)
	}
}

// endIfIdle records that no more flows will come (the session ended, with
// err) and ends the stream now if no flow is open; otherwise the last flow
// to end does, after its messages were read.
func (r *streamReceiver) endIfIdle(err error) {
	r.mu.Lock()
	r.endWhenIdle = true
	r.endErr = err
	idle := r.flows == 0
	r.mu.Unlock()
	if idle {
		r.fail(err)
	}
}

func (r *streamReceiver) count(f func(*ReceiveStats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// fail ends the stream's receive side with err (the first one wins); Read
// returns the messages already queued, then err.
func (r *streamReceiver) fail(err error) {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return
	}
	r.ended = true
	r.err = err
	r.mu.Unlock()
	close(r.done)
	r.cancel()
}

func (r *streamReceiver) readMsg(ctx context.Context) (StreamMessage, error) {
	select {
	case m := <-r.inbox:
		return m, nil
	default:
	}
	select {
	case m := <-r.inbox:
		return m, nil
	case <-r.done:
		select {
		case m := <-r.inbox:
			return m, nil
		default:
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		return StreamMessage{}, r.err
	case <-ctx.Done():
		return StreamMessage{}, ctx.Err()
	}
}

func (r *streamReceiver) statsNow() ReceiveStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}
