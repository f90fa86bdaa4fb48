package audio

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// fakeSystem is a sound system with devices that can vanish, driven in
// virtual time. Each open device runs a goroutine that counts a callback
// every 10 ms, as an audio thread would.
type fakeSystem struct {
	t        *testing.T
	progress atomic.Uint64

	mu      sync.Mutex
	pause   time.Duration       // guarded by mu; for devices opened from now on
	devices map[DeviceID]string // guarded by mu; listed devices by ID
	def     DeviceID            // guarded by mu; the default device's ID
	opened  []*fakeEndpoint     // guarded by mu; in order of opening
}

type fakeEndpoint struct {
	id      DeviceID
	stop    chan struct{}
	dead    chan struct{} // closed to make callbacks cease
	quit    chan struct{} // closed by close
	done    chan struct{} // closed when the callback goroutine ended
	started atomic.Bool
	closed  atomic.Bool
}

func (e *fakeEndpoint) stopped() <-chan struct{} { return e.stop }
func (e *fakeEndpoint) running() bool            { return e.started.Load() }
func (e *fakeEndpoint) close() {
	e.closed.Store(true)
	close(e.quit)
	<-e.done
}

// kill makes the device's callbacks cease without any notification.
func (e *fakeEndpoint) kill() { close(e.dead) }

func newFakeSystem(t *testing.T) *fakeSystem {
	return &fakeSystem{t: t, devices: map[DeviceID]string{"aa": "Built-in Microphone", "bb": "USB Mic"}, def: "aa"}
}

func (s *fakeSystem) ops() deviceOps {
	return deviceOps{
		kind: Microphone,
		open: func(id DeviceID) (endpoint, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if id.IsDefault() {
				id = s.def
			}
			if _, ok := s.devices[id]; !ok {
				return nil, ErrNoDevice
			}
			e := &fakeEndpoint{id: id, stop: make(chan struct{}, 1), dead: make(chan struct{}),
				quit: make(chan struct{}), done: make(chan struct{})}
			e.started.Store(true)
			pause := s.pause
			go func() {
				defer close(e.done)
				if pause > 0 {
					s.progress.Add(1)
					select {
					case <-time.After(pause):
					case <-e.quit:
						return
					}
				}
				tk := time.NewTicker(FrameDuration)
				defer tk.Stop()
				for {
					select {
					case <-e.quit:
						return
					case <-e.dead:
						<-e.quit
						return
					case <-tk.C:
						s.progress.Add(1)
					}
				}
			}()
			s.opened = append(s.opened, e)
			return e, nil
		},
		describe: func(id DeviceID) DeviceInfo {
			s.mu.Lock()
			defer s.mu.Unlock()
			if id.IsDefault() {
				id = s.def
			}
			return DeviceInfo{ID: id, Name: s.devices[id], Kind: Microphone, IsDefault: id == s.def}
		},
		list: func() ([]DeviceInfo, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			var out []DeviceInfo
			for id, name := range s.devices {
				out = append(out, DeviceInfo{ID: id, Name: name, Kind: Microphone, IsDefault: id == s.def})
			}
			return out, nil
		},
		progress: s.progress.Load,
	}
}

func (s *fakeSystem) endpoint(i int) *fakeEndpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.opened) {
		s.t.Fatalf("endpoint %d not opened (%d so far)", i, len(s.opened))
	}
	return s.opened[i]
}

func (s *fakeSystem) unplug(id DeviceID) {
	s.mu.Lock()
	delete(s.devices, id)
	s.mu.Unlock()
}

// start starts a watcher of device on the fake system.
func (s *fakeSystem) start(t *testing.T, device DeviceID) *watcher {
	t.Helper()
	w, err := startWatcher(s.ops(), WatchConfig{}, device)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// waitEvent returns the next event and the virtual time it took.
func waitEvent(t *testing.T, w *watcher, limit time.Duration) (Event, time.Duration) {
	t.Helper()
	start := time.Now()
	select {
	case e := <-w.events:
		return e, time.Since(start)
	case <-time.After(limit):
		t.Fatalf("no event within %v", limit)
	}
	return Event{}, 0
}

// noEvent fails if an event is waiting; what starts the failure message.
func noEvent(t *testing.T, w *watcher, what string) {
	t.Helper()
	select {
	case e := <-w.events:
		t.Fatalf("%s %+v", what, e)
	default:
	}
}

func TestWatcherStalledDeviceSwitchesToDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newFakeSystem(t)
		w := s.start(t, "bb")
		defer w.stop()
		if d := w.device(); d.Name != "USB Mic" || d.IsDefault {
			t.Fatalf("device %+v, want USB Mic", d)
		}
		time.Sleep(time.Second)
		// PulseAudio kills a stream that has nowhere to go; miniaudio
		// says nothing and the callbacks just stop.
		s.endpoint(0).kill()
		ev, took := waitEvent(t, w, 5*time.Second)
		if ev.Kind != EventSwitched || ev.Reason != LossStalled || ev.Device != Microphone {
			t.Fatalf("event %+v", ev)
		}
		const want = "Microphone USB Mic was disconnected: switched to the default microphone"
		if ev.Message != want {
			t.Fatalf("message %q, want %q", ev.Message, want)
		}
		// Detected after 500 ms without a callback, checked every 100 ms.
		if took < 500*time.Millisecond || took > 600*time.Millisecond {
			t.Fatalf("stall noticed after %v, want 500–600 ms", took)
		}
		if ev.Lost.ID != "bb" || ev.Now.ID != "aa" || !ev.Now.IsDefault || ev.Now.Name != "Built-in Microphone" {
			t.Fatalf("lost %+v now %+v", ev.Lost, ev.Now)
		}
		if !s.endpoint(0).closed.Load() || s.endpoint(1).id != "aa" {
			t.Fatal("the lost device was not closed and replaced by the default")
		}
		before := s.progress.Load()
		// Off the 10 ms grid, so that the count does not depend on which
		// of two goroutines due at the same instant runs first.
		time.Sleep(time.Second + 5*time.Millisecond)
		if got := s.progress.Load() - before; got != 100 {
			t.Fatalf("%d callbacks in the 1.005 s after the switch, want 100", got)
		}
		if d := w.device(); d.ID != "aa" {
			t.Fatalf("device after switch %+v", d)
		}
		noEvent(t, w, "extra event")
	})
}

func TestWatcherRemovedDeviceSwitchesToDefault(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newFakeSystem(t)
		w := s.start(t, "bb")
		defer w.stop()
		time.Sleep(2500 * time.Millisecond)
		// PulseAudio moves the stream of a removed sink to the default:
		// callbacks go on, only the device list tells.
		s.unplug("bb")
		ev, took := waitEvent(t, w, 5*time.Second)
		if ev.Kind != EventSwitched || ev.Reason != LossRemoved || ev.Now.ID != "aa" {
			t.Fatalf("event %+v", ev)
		}
		// The list is checked every second; the last check was at 2 s.
		if took != 500*time.Millisecond {
			t.Fatalf("removal noticed after %v, want 500 ms (next presence check)", took)
		}
		// The default device is not looked up by ID, so no second event.
		time.Sleep(3 * time.Second)
		noEvent(t, w, "extra event")
	})
}

func TestWatcherStopNotification(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newFakeSystem(t)
		w := s.start(t, DefaultDevice)
		defer w.stop()
		time.Sleep(time.Second)
		// A suspend notification: the device still runs, nothing to do.
		s.endpoint(0).stop <- struct{}{}
		synctest.Wait()
		time.Sleep(time.Second)
		noEvent(t, w, "event for a suspended but running device:")
		// A real stop: the backend stopped the device.
		e0 := s.endpoint(0)
		e0.started.Store(false)
		e0.kill()
		e0.stop <- struct{}{}
		ev, took := waitEvent(t, w, time.Second)
		if ev.Reason != LossStopped || took != 0 {
			t.Fatalf("event %+v after %v, want LossStopped at once", ev, took)
		}
		if ev.Message != "Microphone Built-in Microphone was disconnected: switched to the default microphone" {
			t.Fatalf("message %q", ev.Message)
		}
	})
}

func TestWatcherNoDeviceThenRecovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newFakeSystem(t)
		w := s.start(t, "bb")
		defer w.stop()
		time.Sleep(time.Second)
		s.unplug("aa")
		s.unplug("bb")
		s.endpoint(0).kill()
		ev, _ := waitEvent(t, w, 5*time.Second)
		if ev.Kind != EventUnavailable || !errors.Is(ev.Err, ErrNoDevice) {
			t.Fatalf("event %+v", ev)
		}
		const want = "Microphone USB Mic was disconnected and no other microphone could be opened: connect one or pick another in the settings"
		if ev.Message != want {
			t.Fatalf("message %q, want %q", ev.Message, want)
		}
		if d := w.device(); d != (DeviceInfo{}) {
			t.Fatalf("device while none is open: %+v", d)
		}
		time.Sleep(1500 * time.Millisecond)
		s.mu.Lock()
		s.devices["cc"] = "Headset"
		s.def = "cc"
		s.mu.Unlock()
		ev, took := waitEvent(t, w, 5*time.Second)
		if ev.Kind != EventSwitched || ev.Now.ID != "cc" || took > time.Second {
			t.Fatalf("recovery event %+v after %v", ev, took)
		}
		if ev.Message != "Microphone Headset is available again: using it as the default microphone" {
			t.Fatalf("message %q", ev.Message)
		}
	})
}

func TestWatcherStopClosesDevice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newFakeSystem(t)
		w := s.start(t, DefaultDevice)
		time.Sleep(100 * time.Millisecond)
		w.stop()
		if !s.endpoint(0).closed.Load() {
			t.Fatal("stop left the device open")
		}
		w.stop() // idempotent
		if _, err := startWatcher(s.ops(), WatchConfig{}, "zz"); !errors.Is(err, ErrNoDevice) {
			t.Fatalf("opening a missing device: %v", err)
		}
	})
}

func TestWatchConfigTicks(t *testing.T) {
	c := WatchConfig{}.withDefaults()
	if c.Tick != 100*time.Millisecond || c.StallAfter != 500*time.Millisecond || c.PresenceEvery != time.Second {
		t.Fatalf("defaults %+v", c)
	}
	if c.ticks(500*time.Millisecond) != 5 || c.ticks(510*time.Millisecond) != 6 || c.ticks(time.Millisecond) != 1 {
		t.Fatal("ticks rounding")
	}
}

// A device that fills once and then waits two seconds (an idle PulseAudio
// null sink) is slow to start, not lost; one that stops after running is.
func TestWatcherSlowStartIsNotAStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newFakeSystem(t)
		s.pause = 2 * time.Second
		w := s.start(t, DefaultDevice)
		defer w.stop()
		time.Sleep(3 * time.Second)
		noEvent(t, w, "event for a slow start:")
		if got := s.progress.Load(); got < 90 {
			t.Fatalf("%d callbacks, want the device running after its pause", got)
		}
		s.endpoint(0).kill()
		ev, took := waitEvent(t, w, 2*time.Second)
		if ev.Reason != LossStalled || took < 500*time.Millisecond || took > 600*time.Millisecond {
			t.Fatalf("event %+v after %v, want a stall after 500–600 ms", ev, took)
		}
	})
}
