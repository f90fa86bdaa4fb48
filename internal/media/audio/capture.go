package audio

import (
	"sync"
	"sync/atomic"
)

// CaptureConfig chooses and tunes a microphone.
type CaptureConfig struct {
	// Device is the microphone to open; DefaultDevice opens the default.
	Device DeviceID
	// Queue is how many frames wait for the consumer before new ones are
	// dropped (default 32, i.e. 320 ms).
	Queue int
	// Watch tunes lost-device detection.
	Watch WatchConfig
}

// CaptureStats counts what the audio thread did. All fields only grow.
type CaptureStats struct {
	Callbacks     uint64 // data callbacks from the backend
	Frames        uint64 // frames handed to the consumer
	Dropped       uint64 // frames lost: no free buffer or the queue was full
	EventsDropped uint64 // events nobody read in time
}

// Capture records 10 ms frames from a microphone.
type Capture struct {
	ctx    *Context    // constant
	frames chan *Frame // constant; closed by Close after the device is gone
	pool   framePool   // constant

	// Updated by the audio thread, read by anyone.
	callbacks atomic.Uint64
	delivered atomic.Uint64
	dropped   atomic.Uint64
	seq       atomic.Uint64 // Seq of the next frame

	w         *watcher // constant after OpenCapture
	closeOnce sync.Once
}

// OpenCapture opens and starts a microphone. Frames start arriving on
// Frames at once.
func (c *Context) OpenCapture(cfg CaptureConfig) (*Capture, error) {
	if cfg.Queue <= 0 {
		cfg.Queue = 32
	}
	cp := &Capture{
		ctx:    c,
		frames: make(chan *Frame, cfg.Queue),
		// One frame being filled, the queue, and a few in the consumer's
		// hands (an encoder holds two for a 20 ms packet).
		pool: newFramePool(cfg.Queue + 4),
	}
	w, err := startWatcher(deviceOps{
		kind: Microphone,
		open: func(id DeviceID) (endpoint, error) {
			a := &assembler{c: cp}
			ep, err := openMalgo(c, Microphone, id, a.data)
			if err != nil {
				return nil, err
			}
			return &captureEndpoint{malgoEndpoint: ep, a: a}, nil
		},
		describe: func(id DeviceID) DeviceInfo { return c.describe(Microphone, id) },
		list:     func() ([]DeviceInfo, error) { return c.Devices(Microphone) },
		progress: cp.callbacks.Load,
	}, cfg.Watch, cfg.Device)
	if err != nil {
		return nil, err
	}
	cp.w = w
	c.addStream(1)
	return cp, nil
}

// Frames delivers captured frames in order. Hand each back with Release.
// The channel is closed by Close.
func (cp *Capture) Frames() <-chan *Frame { return cp.frames }

// Release returns a frame to the pool. The frame must not be used after.
func (cp *Capture) Release(f *Frame) { cp.pool.put(f) }

// Events reports lost devices and the switch to the default.
func (cp *Capture) Events() <-chan Event { return cp.w.events }

// Device describes the microphone in use (zero while none is).
func (cp *Capture) Device() DeviceInfo { return cp.w.device() }

// Stats returns the counters.
func (cp *Capture) Stats() CaptureStats {
	return CaptureStats{
		Callbacks:     cp.callbacks.Load(),
		Frames:        cp.delivered.Load(),
		Dropped:       cp.dropped.Load(),
		EventsDropped: uint64(cp.w.lost.Load()),
	}
}

// Close stops the microphone, waits for the audio thread and closes Frames.
func (cp *Capture) Close() error {
	cp.closeOnce.Do(func() {
		cp.w.stop()
		close(cp.frames)
		cp.ctx.addStream(-1)
	})
	return nil
}

// publish hands a full frame to the consumer or drops it.
func (cp *Capture) publish(f *Frame, real bool) {
	seq := cp.seq.Add(1) - 1
	if !real {
		cp.dropped.Add(1)
		return
	}
	f.Seq = seq
	select {
	case cp.frames <- f:
		cp.delivered.Add(1)
	default:
		cp.pool.put(f)
		cp.dropped.Add(1)
	}
}

// assembler cuts one device's callback buffers into 10 ms frames. Each
// endpoint has its own, so that a device switch never shares the partial
// frame between two audio threads.
type assembler struct {
	c *Capture
	// cur is the frame being filled. The audio thread owns it; it is atomic
	// only so that the watcher can take it back after the device closed
	// (miniaudio's thread join is invisible to Go's memory model).
	cur     atomic.Pointer[Frame]
	fill    int   // samples in cur; audio thread only
	discard Frame // filled instead of a pooled frame when none is free
}

// data is the malgo data callback: it runs on the audio thread, copies and
// never blocks or allocates.
func (a *assembler) data(_, in []byte, _ uint32) {
	a.c.callbacks.Add(1)
	for len(in) >= 2 {
		f := a.cur.Load()
		if f == nil {
			if f = a.c.pool.get(); f == nil {
				f = &a.discard
			}
			a.cur.Store(f)
			a.fill = 0
		}
		n := min(FrameSamples-a.fill, len(in)/2)
		dst := f.Samples[a.fill : a.fill+n]
		for i := range dst {
			dst[i] = int16(uint16(in[2*i]) | uint16(in[2*i+1])<<8)
		}
		in = in[2*n:]
		a.fill += n
		if a.fill == FrameSamples {
			a.cur.Store(nil)
			a.c.publish(f, f != &a.discard)
		}
	}
}

// reclaim returns the partial frame to the pool once the device is closed.
func (a *assembler) reclaim() {
	if f := a.cur.Swap(nil); f != nil && f != &a.discard {
		a.c.pool.put(f)
	}
}

type captureEndpoint struct {
	*malgoEndpoint
	a *assembler
}

func (e *captureEndpoint) close() {
	e.malgoEndpoint.close()
	e.a.reclaim()
}
