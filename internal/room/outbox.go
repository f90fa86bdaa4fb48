package room

import (
	"context"
	"errors"

	"camchat/internal/rtmfp/tc"
)

// outboxLen bounds the data messages waiting for one member.
const outboxLen = 64

var errOutboxFull = errors.New("too many messages waiting for this member")

// outbox sends one member's data messages (state, chat, goodbye) in order,
// on a goroutine of its own, each bounded by sendTimeout: messages to one
// member never overtake each other, and a stalled member delays nobody
// else. It stops when the member is dropped; what is still queued then is
// dropped with it.
type outbox struct {
	q    chan outMsg
	quit chan struct{}
}

type outMsg struct {
	dm   tc.DataMessage
	done func(error) // called once sent or given up; may be nil
}

// startOutbox starts m's outbox. r.mu is held.
func (r *Room) startOutbox(m *member) {
	o := &outbox{q: make(chan outMsg, outboxLen), quit: make(chan struct{})}
	m.out = o
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			select {
			case <-o.quit:
				return
			case <-r.ctx.Done():
				return
			case msg := <-o.q:
				ctx, cancel := context.WithTimeout(r.ctx, sendTimeout)
				err := r.pub.SendTo(ctx, m.id, msg.dm)
				cancel()
				if msg.done != nil {
					msg.done(err)
				}
			}
		}
	}()
}

// send queues dm for m. r.mu is held. done (if set) learns the outcome; it
// runs on the outbox's goroutine, or at once if the outbox is full or the
// member is gone.
func (m *member) send(dm tc.DataMessage, done func(error)) {
	if m.out == nil || m.state == StateLeft {
		if done != nil {
			go done(ErrNotMember)
		}
		return
	}
	select {
	case m.out.q <- outMsg{dm: dm, done: done}:
	default:
		if done != nil {
			go done(errOutboxFull)
		}
	}
}

// stop ends the outbox. r.mu is held.
func (o *outbox) stop() {
	select {
	case <-o.quit:
	default:
		close(o.quit)
	}
}
