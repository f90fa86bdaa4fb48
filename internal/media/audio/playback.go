package audio

import (
	"sync"
	"sync/atomic"
)

// Source supplies frames to a Playback.
type Source interface {
	// ReadFrame fills dst with the next 10 ms and reports whether a frame
	// was ready. It runs on the audio thread: it must return at once and
	// must not allocate; when nothing is ready it returns false and the
	// device plays silence.
	ReadFrame(dst *[FrameSamples]int16) bool
}

// PlaybackConfig chooses a speaker and what it plays.
type PlaybackConfig struct {
	// Device is the speaker to open; DefaultDevice opens the default.
	Device DeviceID
	// Source supplies the frames. Required.
	Source Source
	// Watch tunes lost-device detection.
	Watch WatchConfig
}

// PlaybackStats counts what the audio thread did. All fields only grow.
type PlaybackStats struct {
	Callbacks     uint64 // data callbacks from the backend
	Frames        uint64 // frames taken from the source
	Underruns     uint64 // frames played as silence because none was ready
	EventsDropped uint64 // events nobody read in time
}

// Playback plays 10 ms frames from a Source on a speaker.
type Playback struct {
	ctx *Context // constant
	src Source   // constant

	// Updated by the audio thread, read by anyone.
	callbacks atomic.Uint64
	played    atomic.Uint64
	underruns atomic.Uint64

	w         *watcher // constant after OpenPlayback
	closeOnce sync.Once
}

// OpenPlayback opens and starts a speaker.
func (c *Context) OpenPlayback(cfg PlaybackConfig) (*Playback, error) {
	if cfg.Source == nil {
		return nil, ErrNoSource
	}
	pb := &Playback{ctx: c, src: cfg.Source}
	w, err := startWatcher(deviceOps{
		kind: Speaker,
		open: func(id DeviceID) (endpoint, error) {
			pl := &player{p: pb, pos: FrameSamples}
			return openMalgo(c, Speaker, id, pl.data)
		},
		describe: func(id DeviceID) DeviceInfo { return c.describe(Speaker, id) },
		list:     func() ([]DeviceInfo, error) { return c.Devices(Speaker) },
		progress: pb.callbacks.Load,
	}, cfg.Watch, cfg.Device)
	if err != nil {
		return nil, err
	}
	pb.w = w
	c.addStream(1)
	return pb, nil
}

// Events reports lost devices and the switch to the default.
func (pb *Playback) Events() <-chan Event { return pb.w.events }

// Device describes the speaker in use (zero while none is).
func (pb *Playback) Device() DeviceInfo { return pb.w.device() }

// Stats returns the counters.
func (pb *Playback) Stats() PlaybackStats {
	return PlaybackStats{
		Callbacks:     pb.callbacks.Load(),
		Frames:        pb.played.Load(),
		Underruns:     pb.underruns.Load(),
		EventsDropped: uint64(pb.w.lost.Load()),
	}
}

// Close stops the speaker and waits for the audio thread.
func (pb *Playback) Close() error {
	pb.closeOnce.Do(func() {
		pb.w.stop()
		pb.ctx.addStream(-1)
	})
	return nil
}

// player feeds one device's callback buffers from the source, a frame at a
// time. Each endpoint has its own.
type player struct {
	p   *Playback
	buf [FrameSamples]int16 // the frame being played; audio thread only
	pos int                 // next sample of buf; FrameSamples when used up
}

// data is the malgo data callback: it runs on the audio thread and never
// blocks or allocates.
func (pl *player) data(out, _ []byte, _ uint32) {
	pl.p.callbacks.Add(1)
	for len(out) >= 2 {
		if pl.pos == FrameSamples {
			if pl.p.src.ReadFrame(&pl.buf) {
				pl.p.played.Add(1)
			} else {
				pl.buf = [FrameSamples]int16{}
				pl.p.underruns.Add(1)
			}
			pl.pos = 0
		}
		n := min(FrameSamples-pl.pos, len(out)/2)
		for i, s := range pl.buf[pl.pos : pl.pos+n] {
			out[2*i] = byte(s)
			out[2*i+1] = byte(uint16(s) >> 8)
		}
		out = out[2*n:]
		pl.pos += n
	}
}
