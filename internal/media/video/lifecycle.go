package video

import "sync"

// Lifecycle is the start-once, close-once state of a camera's frame
// goroutine, shared by the cameras with Camera's Start/Close shape (Camera
// here, synth.Camera). Start may be called once; Close any number of times,
// before or after Start, from any goroutine.
type Lifecycle struct {
	errClosed, errStarted error // what Start returns after Close, or twice

	mu      sync.Mutex // guards started and closed
	started bool
	closed  bool

	stop chan struct{} // closed by Close to stop the goroutine
	done chan struct{} // closed when the goroutine has returned, or by Close if it never ran
}

// NewLifecycle returns a lifecycle whose Start fails with errClosed once
// closed and with errStarted when called a second time.
func NewLifecycle(errClosed, errStarted error) *Lifecycle {
	return &Lifecycle{
		errClosed: errClosed, errStarted: errStarted,
		stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// Start calls run on a new goroutine and closes Done when it returns. run
// must return promptly once stop is closed.
func (l *Lifecycle) Start(run func(stop <-chan struct{})) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return l.errClosed
	case l.started:
		return l.errStarted
	}
	l.started = true
	go func() {
		defer close(l.done)
		run(l.stop)
	}()
	return nil
}

// Done is closed when the goroutine has returned, or by Close if Start was
// never called.
func (l *Lifecycle) Done() <-chan struct{} { return l.done }

// Close stops the goroutine and waits for it to return. It reports whether
// this was the first Close, so that the caller releases its resources once.
func (l *Lifecycle) Close() bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return false
	}
	l.closed = true
	started := l.started
	l.mu.Unlock()
	close(l.stop)
	if started {
		<-l.done
	} else {
		close(l.done)
	}
	return true
}
