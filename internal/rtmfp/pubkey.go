package rtmfp

import (
	"io"
	"net/netip"
	"sync"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/wire"
)

// Public-key work off the engine's lock. A Diffie-Hellman computation takes
// from 0.1 ms (group 2) to several ms (group 16); under the engine's mutex
// it would stall every application call (a Write, a Stats) and every
// session's packets for that long, so a handshake joining a call would be
// heard in its audio. The engine queues the computation as a pkJob (with
// the state it decided on), the Endpoint's key worker runs it with no lock
// held, and the engine applies the result, checking first that the
// session still wants it. Sans-I/O tests run the three steps at once
// (engine.work).
//
// The responder's key agreement (RFC 7016 §3.5.1.2, RFC 7425 §4.6) and the
// initiator's (§3.5.1.1: the shared secret of a static responder key when
// the RHello arrives, or of an ephemeral one with the RIKeying) are jobs;
// nothing else in a handshake costs more than a hash.

type pkKind uint8

const (
	pkRespond  pkKind = iota // responder: an IIKeying passed its checks
	pkInitiate               // initiator: an RHello selected a responder
	pkComplete               // initiator: the RIKeying arrived
)

// pkJob is one public-key computation: its inputs, set under the engine's
// lock, and its outputs, set by compute with no lock held.
type pkJob struct {
	kind pkKind
	s    *Session // pkInitiate, pkComplete

	// Inputs.
	resp   keyingJob         // pkRespond
	cert   *flashcrypto.Cert // pkRespond (parsed), pkInitiate
	from   netip.AddrPort    // pkInitiate: the RHello's source
	cookie []byte            // pkInitiate
	skrc   []byte            // pkComplete
	rsid   wire.SessionID    // pkComplete: the responder's session ID
	in     *flashcrypto.Initiator

	// Outputs.
	est *flashcrypto.Established
	err error
}

// pkComputeHook, when set (by tests), runs at the start of every compute.
var pkComputeHook func()

// compute runs the job's public-key work; it touches no engine state.
func (j *pkJob) compute(id *flashcrypto.Identity, policy flashcrypto.Policy, rand io.Reader) {
	if pkComputeHook != nil {
		pkComputeHook()
	}
	switch j.kind {
	case pkRespond:
		j.skrc, j.est, j.err = flashcrypto.Respond(id, j.cert, j.resp.skic, policy, rand)
	case pkInitiate:
		j.in, j.err = flashcrypto.NewInitiator(id, j.cert, policy, rand)
	case pkComplete:
		j.est, j.err = j.in.Complete(j.skrc)
	}
}

// lockedReader serializes reads of the engine's randomness, which the key
// worker uses while the loop and application calls may use it too.
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(b)
}

// queueJob queues a public-key job and wakes the loop.
func (e *engine) queueJob(j *pkJob) {
	e.pkQ = append(e.pkQ, j)
	e.wake()
}

// takeJob removes the next job from the queue (nil: none).
func (e *engine) takeJob() *pkJob {
	if len(e.pkQ) == 0 || e.closed {
		return nil
	}
	j := e.pkQ[0]
	copy(e.pkQ, e.pkQ[1:])
	e.pkQ[len(e.pkQ)-1] = nil
	e.pkQ = e.pkQ[:len(e.pkQ)-1]
	return j
}

// finishJob applies a computed job.
func (e *engine) finishJob(now time.Time, j *pkJob) {
	if e.closed {
		return
	}
	switch j.kind {
	case pkRespond:
		e.finishResponder(now, j)
	case pkInitiate:
		j.s.finishInitiate(now, j)
	case pkComplete:
		j.s.finishComplete(now, j)
	}
}

// work runs at most one queued public-key job at once (take, compute,
// finish) and reports whether more are queued: the sans-I/O form of what
// the Endpoint's key worker does.
func (e *engine) work(now time.Time) bool {
	j := e.takeJob()
	if j == nil {
		return false
	}
	j.compute(e.id, e.policy, e.rand)
	e.finishJob(now, j)
	return len(e.pkQ) > 0
}

// pendingResponders counts the queued responder jobs.
func (e *engine) pendingResponders() int {
	n := 0
	for _, j := range e.pkQ {
		if j.kind == pkRespond {
			n++
		}
	}
	return n
}
