package rtmfp

import (
	"context"
	"fmt"
	"io"
	"time"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/wire"
)

// Re-exported flow types, so that users of the transport need not import
// package flow.
type (
	Priority     = flow.Priority
	WriteOptions = flow.WriteOptions
	Receipt      = flow.Receipt
	Order        = flow.Order
)

// SendBufferLimit is how many bytes of messages a send flow queues before
// Write blocks until acknowledgements make room.
const SendBufferLimit = 1 << 20

// SendFlow is the sending end of a flow (RFC 7016 §3.6.2). Its methods are
// safe for concurrent use.
type SendFlow struct {
	s       *Session
	f       *flow.Sender // guarded by the engine mutex
	pri     flow.Priority
	returns chan *RecvFlow // flows the far end associated to this one
	space   chan struct{}  // signalled when acknowledgements free room
}

func (sf *SendFlow) wakeWriters() {
	select {
	case sf.space <- struct{}{}:
	default:
	}
}

// ID is the flow's ID in this session.
func (sf *SendFlow) ID() wire.FlowID { return sf.f.ID() }

// Write queues one message. It copies msg. It blocks while the flow holds
// more than SendBufferLimit bytes not yet acknowledged or abandoned (unless
// the message has a deadline, which bounds the queue by itself), and fails
// once the flow or session has ended.
func (sf *SendFlow) Write(msg []byte, opts WriteOptions) (*Receipt, error) {
	return sf.WriteContext(context.Background(), msg, opts)
}

// WriteContext is Write, except that it waits for room in the send buffer
// only until ctx ends: it then returns ctx's error and queues nothing (nor
// does it queue anything when ctx has ended already). A media sender gives
// it a short deadline, or checks Buffered first, so that a stalled peer
// costs it a skipped frame rather than a blocked pipeline.
func (sf *SendFlow) WriteContext(ctx context.Context, msg []byte, opts WriteOptions) (*Receipt, error) {
	e := sf.s.e
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e.mu.Lock()
		if err := sf.s.errLocked(); err != nil {
			e.mu.Unlock()
			return nil, err
		}
		if sf.f.Buffered() < SendBufferLimit || opts.StartBy > 0 || opts.FinishBy > 0 {
			now := e.cfg.Now()
			rc, err := sf.f.Write(now, msg, opts)
			sf.s.trimAt = now.Add(flowTrimDelay)
			e.touch(sf.s)
			if sf.f.Buffered() < SendBufferLimit {
				sf.wakeWriters() // room for another waiting writer too
			}
			e.mu.Unlock()
			if err != nil {
				return nil, fmt.Errorf("rtmfp: write flow %d: %w", sf.f.ID(), err)
			}
			e.wake()
			return rc, nil
		}
		e.mu.Unlock()
		select {
		case <-sf.space:
		case <-sf.s.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Buffered returns the bytes of messages written to the flow and not yet
// acknowledged or abandoned: what Write compares with SendBufferLimit.
func (sf *SendFlow) Buffered() int {
	sf.s.e.mu.Lock()
	defer sf.s.e.mu.Unlock()
	return sf.f.Buffered()
}

// Close ends the flow after its queued messages (FIN, RFC 7016 §3.6.2.3.2).
func (sf *SendFlow) Close() error {
	e := sf.s.e
	e.mu.Lock()
	sf.f.Close(e.cfg.Now())
	e.touch(sf.s)
	e.mu.Unlock()
	e.wake()
	return nil
}

// SetPriority changes the flow's priority.
func (sf *SendFlow) SetPriority(p Priority) {
	e := sf.s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if !p.Valid() || p == sf.pri {
		return
	}
	sf.s.flows.reprioritize(sf, p)
	e.touch(sf.s)
	e.wake()
}

// Stats returns the flow's counters.
func (sf *SendFlow) Stats() flow.SendStats {
	sf.s.e.mu.Lock()
	defer sf.s.e.mu.Unlock()
	return sf.f.Stats()
}

// Exception reports the code of a Flow Exception Report from the receiver.
func (sf *SendFlow) Exception() (uint64, bool) {
	sf.s.e.mu.Lock()
	defer sf.s.e.mu.Unlock()
	return sf.f.Exception()
}

// AcceptReturn waits for a flow that the far end opens in return to this one.
func (sf *SendFlow) AcceptReturn(ctx context.Context) (*RecvFlow, error) {
	select {
	case rf := <-sf.returns:
		return rf, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-sf.s.done:
		select {
		case rf := <-sf.returns:
			return rf, nil
		default:
		}
		return nil, sf.s.Err()
	}
}

// RecvFlow is the receiving end of a flow (RFC 7016 §3.6.3). Its methods are
// safe for concurrent use.
type RecvFlow struct {
	s      *Session
	r      *flow.Receiver // guarded by the engine mutex
	parent *SendFlow      // the flow of ours it returns to, if any
	notify chan struct{}  // signalled when data arrives or the flow ends
	ready  func()         // SetReadyFunc; guarded by the engine mutex
	cost   int            // charged to the session's receive memory for the flow itself
}

func (rf *RecvFlow) wake() {
	select {
	case rf.notify <- struct{}{}:
	default:
	}
	if rf.ready != nil {
		rf.ready()
	}
}

// SetReadyFunc registers fn to be called whenever the flow may have become
// readable: a message arrived, the sender finished, or the flow or its
// session ended. A Read after the call then returns without waiting (a Read
// with an ended context does not wait at all). If the flow is readable
// already, fn is called before SetReadyFunc returns. nil unregisters.
//
// fn runs with the endpoint's lock held, usually on the endpoint's loop: it
// must not block and must not call methods of this package; it typically
// queues the flow for a goroutine of the caller. With it, a server need not
// keep a goroutine parked in Read for every idle peer.
func (rf *RecvFlow) SetReadyFunc(fn func()) {
	e := rf.s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	rf.ready = fn
	if fn != nil && rf.readableLocked() {
		fn()
	}
}

// readableLocked reports whether Read would return without waiting.
func (rf *RecvFlow) readableLocked() bool {
	if rf.s.doneClosed || rf.r.Complete() || rf.r.Ready() > 0 {
		return true
	}
	st := rf.r.State()
	return st == flow.RecvClosed || st == flow.RecvRejected
}

// ID is the flow's ID as the sender numbered it.
func (rf *RecvFlow) ID() wire.FlowID { return rf.r.ID() }

// Metadata is the flow's metadata as the sender gave it.
func (rf *RecvFlow) Metadata() []byte { return rf.r.Metadata() }

// Parent is the send flow of ours that this flow returns to, or nil.
func (rf *RecvFlow) Parent() *SendFlow { return rf.parent }

// Read returns the next message. It returns io.EOF after the sender closed
// the flow and every message was read, and the session's error (or
// ErrFlowClosed) when the session ended first.
func (rf *RecvFlow) Read(ctx context.Context) ([]byte, error) {
	msg, _, err := rf.ReadMessage(ctx)
	return msg, err
}

// ReadAppend is Read that appends the message to dst and returns the
// extended slice: with a reused dst it does not allocate, which matters to
// a receiver of bulk data (the copy into a new slice and its garbage
// collection cost it 5–8 % of its CPU in BenchmarkCPUPerByte).
func (rf *RecvFlow) ReadAppend(ctx context.Context, dst []byte) ([]byte, error) {
	out, _, err := rf.readMessage(ctx, dst, true)
	return out, err
}

// ReadMessage is Read that also returns when the message arrived: the time
// (on Config.Now's clock) at which the transport made it available, not the
// time of this call. That is when the packet that completed the message was
// received or, in sequence order (the default), when everything before the
// message was delivered or abandoned, whichever is later: the arrival of the
// packet that filled the last gap before it, or of the forward sequence
// number that passed it. A message held by OrderHold arrives when SetOrder
// releases it. A jitter buffer takes this time, since the application may
// read late.
func (rf *RecvFlow) ReadMessage(ctx context.Context) (data []byte, arrived time.Time, err error) {
	return rf.readMessage(ctx, nil, false)
}

// readMessage reads the next message into a new slice, or appended to dst
// when appendTo is set.
func (rf *RecvFlow) readMessage(ctx context.Context, dst []byte, appendTo bool) (data []byte, arrived time.Time, err error) {
	e := rf.s.e
	for {
		e.mu.Lock()
		arrived = rf.r.NextArrival()
		var msg []byte
		var ok bool
		if appendTo {
			msg, ok = rf.r.AppendNext(dst)
		} else {
			msg, ok = rf.r.Read()
		}
		complete := rf.r.Complete()
		state := rf.r.State()
		err := rf.s.err
		ended := rf.s.doneClosed
		if ok {
			trimWas := rf.s.trimAt
			if rf.s.state == stateOpen {
				rf.s.trimAt = e.cfg.Now().Add(flowTrimDelay)
			}
			e.touch(rf.s)
			// The loop must run if the window reopened (an immediate
			// acknowledgement is due) or if the session had no trim
			// deadline; a trim deadline only moved later needs no
			// wake-up (the loop then wakes early and looks again), nor
			// does anything else a Read changes. In a bulk transfer
			// this saves a wake-up per message.
			if _, imm := rf.r.AckDue(); imm || trimWas.IsZero() {
				e.wake()
			}
		}
		e.mu.Unlock()
		switch {
		case ok:
			return msg, arrived, nil
		case complete:
			return dst, time.Time{}, io.EOF
		case ended || state == flow.RecvClosed || state == flow.RecvRejected:
			if err == nil {
				err = ErrFlowClosed
			}
			return dst, time.Time{}, err
		}
		select {
		case <-rf.notify:
		case <-rf.s.done:
		case <-ctx.Done():
			return dst, time.Time{}, ctx.Err()
		}
	}
}

// Reject refuses the flow: the sender receives a Flow Exception Report with
// code (RFC 7016 §3.6.3.5).
func (rf *RecvFlow) Reject(code uint64) {
	e := rf.s.e
	e.mu.Lock()
	rf.r.Reject(e.cfg.Now(), code)
	e.touch(rf.s)
	e.mu.Unlock()
	e.wake()
}

// SetOrder sets the delivery order (sequence, network, or hold).
func (rf *RecvFlow) SetOrder(o Order) {
	e := rf.s.e
	e.mu.Lock()
	rf.r.SetOrder(e.cfg.Now(), o)
	e.touch(rf.s)
	e.mu.Unlock()
	e.wake()
}

// SetBufferCapacity sets the flow's receive buffer, the window advertised
// to the sender (RFC 7016 §3.6.3.5), in place of Config.RecvBufferCapacity:
// a flow that carries only commands can take a small one, which also
// bounds what a sender may make it hold behind a gap. 0 selects the
// configured capacity.
func (rf *RecvFlow) SetBufferCapacity(n int) {
	e := rf.s.e
	e.mu.Lock()
	if n <= 0 {
		n = e.cfg.RecvBufferCapacity
	}
	rf.r.SetBufferCapacity(n)
	e.touch(rf.s)
	e.mu.Unlock()
	e.wake()
}

// Stats returns the flow's counters.
func (rf *RecvFlow) Stats() flow.RecvStats {
	rf.s.e.mu.Lock()
	defer rf.s.e.mu.Unlock()
	return rf.r.Stats()
}

// OpenReturnFlow opens a send flow associated to this one (RFC 7016
// §3.6.2.1: the return flow association option).
func (rf *RecvFlow) OpenReturnFlow(metadata []byte, pri Priority) (*SendFlow, error) {
	return rf.s.openFlow(metadata, pri, true, rf.r.ID())
}
