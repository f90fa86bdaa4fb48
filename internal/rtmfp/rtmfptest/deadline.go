package rtmfptest

import (
	"sync"
	"time"
)

// deadline turns a settable point in time into a channel that is closed
// when the time passes, so that a blocked reader can wait for it in a
// select (durably blocking under testing/synctest, unlike a sync.Cond).
type deadline struct {
	mu      sync.Mutex
	gen     uint64 // bumped by set, so a stale timer callback does nothing
	timer   *time.Timer
	done    chan struct{} // closed when the deadline has passed
	expired bool
}

func newDeadline() *deadline {
	return &deadline{done: make(chan struct{})}
}

// set arms the deadline for t; the zero time means none. A reader already
// waiting on the old channel keeps waiting on it: it stays open unless the
// new deadline has already passed.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.expired {
		d.done = make(chan struct{})
		d.expired = false
	}
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		close(d.done)
		d.expired = true
		return
	}
	gen := d.gen
	d.timer = time.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.gen == gen && !d.expired {
			close(d.done)
			d.expired = true
		}
	})
}

// wait returns the channel closed when the current deadline passes.
func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.done
}

func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}
