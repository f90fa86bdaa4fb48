package audio

import (
	"sync"
	"sync/atomic"
	"time"
)

// WatchConfig sets how a Capture or Playback notices a lost device.
// Zero fields take the defaults.
type WatchConfig struct {
	// Tick is how often the watcher looks at the device (default 100 ms).
	Tick time.Duration
	// StallAfter is how long the device may deliver no callback before it
	// counts as lost (default 500 ms, fifty periods: longer than any
	// scheduling hiccup, short enough that a user hears only a short gap).
	StallAfter time.Duration
	// PresenceEvery is how often a device chosen by ID is looked up in the
	// device list, and how often an unavailable stream retries the default
	// device (default 1 s; each look-up asks the sound server for its list).
	PresenceEvery time.Duration
}

func (c WatchConfig) withDefaults() WatchConfig {
	if c.Tick <= 0 {
		c.Tick = 100 * time.Millisecond
	}
	if c.StallAfter <= 0 {
		c.StallAfter = 500 * time.Millisecond
	}
	if c.PresenceEvery <= 0 {
		c.PresenceEvery = time.Second
	}
	return c
}

// ticks converts a duration to whole ticks, at least one.
func (c WatchConfig) ticks(d time.Duration) int {
	n := int((d + c.Tick - 1) / c.Tick)
	if n < 1 {
		n = 1
	}
	return n
}

// endpoint is one open device as the watcher sees it.
type endpoint interface {
	// stopped is signaled when the backend reports that the device stopped.
	stopped() <-chan struct{}
	// running reports whether the backend still has the device started.
	// PulseAudio also sends the stop notification when a sink is merely
	// suspended, and then the device is still running.
	running() bool
	// close stops the device and waits for its audio thread.
	close()
}

// deviceOps is what the watcher needs from the backend; the real one wraps
// malgo, tests supply fakes.
type deviceOps struct {
	kind     DeviceKind
	open     func(id DeviceID) (endpoint, error)
	describe func(id DeviceID) DeviceInfo
	list     func() ([]DeviceInfo, error)
	progress func() uint64 // data callbacks so far, across endpoints
}

// watcher owns the open device of one Capture or Playback.
type watcher struct {
	ops    deviceOps    // constant
	cfg    WatchConfig  // constant
	events chan Event   // constant; sent to without blocking
	lost   atomic.Int64 // events dropped because nobody read them

	quit chan struct{} // closed by stop
	done chan struct{} // closed when run returns

	mu   sync.Mutex
	info DeviceInfo // guarded by mu; the device in use (zero when none)

	// Owned by the run goroutine (set before it starts).
	cur    endpoint
	chosen DeviceID // the ID cur was opened with
}

// eventQueue is how many events wait for a reader before the oldest news is
// dropped; device changes are rare, so a few suffice.
const eventQueue = 8

// startWatcher opens id and starts watching it. The error is the open's.
func startWatcher(ops deviceOps, cfg WatchConfig, id DeviceID) (*watcher, error) {
	ep, err := ops.open(id)
	if err != nil {
		return nil, err
	}
	w := &watcher{
		ops:    ops,
		cfg:    cfg.withDefaults(),
		events: make(chan Event, eventQueue),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		cur:    ep,
		chosen: id,
		info:   ops.describe(id),
	}
	go w.run()
	return w, nil
}

// device returns the device in use.
func (w *watcher) device() DeviceInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.info
}

func (w *watcher) setDevice(d DeviceInfo) {
	w.mu.Lock()
	w.info = d
	w.mu.Unlock()
}

// stop ends the watcher, closes the device and waits.
func (w *watcher) stop() {
	select {
	case <-w.quit:
	default:
		close(w.quit)
	}
	<-w.done
}

func (w *watcher) emit(e Event) {
	select {
	case w.events <- e:
	default:
		w.lost.Add(1)
	}
}

func (w *watcher) run() {
	defer close(w.done)
	defer func() {
		if w.cur != nil {
			w.cur.close()
		}
	}()
	ticker := time.NewTicker(w.cfg.Tick)
	defer ticker.Stop()
	stallTicks := w.cfg.ticks(w.cfg.StallAfter)
	presenceTicks := w.cfg.ticks(w.cfg.PresenceEvery)

	// The stall check arms only once the device has called back armAfter
	// times since it was opened. A PulseAudio null sink (the "Dummy
	// Output" of a machine without sound hardware) renders two seconds
	// ahead when idle, so a new stream gets its first fill and then
	// nothing for up to two seconds; without the arming that would read
	// as a stall, and reopening would only start the wait again.
	const armAfter = 3
	var opened, last uint64 // progress at the last (re)open and last tick
	idle := 0               // ticks without a callback
	reset := func() {
		opened = w.ops.progress()
		last, idle = opened, 0
	}
	reset()
	tick := 0
	for {
		var stopped <-chan struct{}
		if w.cur != nil {
			stopped = w.cur.stopped()
		}
		select {
		case <-w.quit:
			return
		case <-stopped:
			if w.cur.running() {
				continue
			}
			w.replace(LossStopped)
			reset()
		case <-ticker.C:
			tick++
			if w.cur == nil {
				if tick%presenceTicks == 0 {
					w.retry()
					reset()
				}
				continue
			}
			if p := w.ops.progress(); p != last {
				last, idle = p, 0
			} else if idle++; idle >= stallTicks && last-opened >= armAfter {
				w.replace(LossStalled)
				reset()
				continue
			}
			if !w.chosen.IsDefault() && tick%presenceTicks == 0 && !w.listed(w.chosen) {
				w.replace(LossRemoved)
				reset()
			}
		}
	}
}

// listed reports whether id is in the device list. A failed listing says
// nothing about the device, so it counts as listed.
func (w *watcher) listed(id DeviceID) bool {
	devs, err := w.ops.list()
	if err != nil {
		return true
	}
	for _, d := range devs {
		if d.ID == id {
			return true
		}
	}
	return false
}

// replace closes the lost device and opens the default in its place.
func (w *watcher) replace(why LossReason) {
	lost := w.device()
	w.cur.close()
	w.cur = nil
	ep, err := w.ops.open(DefaultDevice)
	if err != nil {
		w.setDevice(DeviceInfo{})
		w.emit(Event{
			Kind: EventUnavailable, Device: w.ops.kind, Lost: lost, Reason: why, Err: err,
			Message: unavailableMessage(w.ops.kind, lost),
		})
		return
	}
	w.cur, w.chosen = ep, DefaultDevice
	now := w.ops.describe(DefaultDevice)
	w.setDevice(now)
	w.emit(Event{
		Kind: EventSwitched, Device: w.ops.kind, Lost: lost, Now: now, Reason: why,
		Message: switchedMessage(w.ops.kind, lost),
	})
}

// retry tries the default device again after EventUnavailable.
func (w *watcher) retry() {
	ep, err := w.ops.open(DefaultDevice)
	if err != nil {
		return
	}
	w.cur, w.chosen = ep, DefaultDevice
	now := w.ops.describe(DefaultDevice)
	w.setDevice(now)
	w.emit(Event{
		Kind: EventSwitched, Device: w.ops.kind, Now: now, Reason: LossNone,
		Message: recoveredMessage(w.ops.kind, now),
	})
}
