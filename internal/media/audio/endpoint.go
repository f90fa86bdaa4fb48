package audio

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"unsafe"

	"github.com/gen2brain/malgo"
)

// devicePeriods is how many 10 ms periods the backend buffers. Three keep
// PulseAudio from underrunning on a busy two-core machine while adding only
// 30 ms of latency.
const devicePeriods = 3

// malgoEndpoint is one initialized and started miniaudio device.
type malgoEndpoint struct {
	ctx     *Context
	dev     *malgo.Device
	stop    chan struct{} // capacity 1; signaled by the stop callback
	closing atomic.Bool   // set before a deliberate stop, so it is not news
	pin     runtime.Pinner
	id      *malgo.DeviceID // pinned while the device exists; nil for the default
}

// openMalgo opens and starts a device of kind at 48 kHz mono int16 with
// 10 ms periods; data runs on the audio thread.
//
// The whole open runs under the context's lock: miniaudio's PulseAudio
// backend drives the context's one pa_mainloop while initializing a device
// and while listing devices, and two threads in it at once abort the
// process (libpulse asserts the loop is passive).
func openMalgo(ctx *Context, kind DeviceKind, id DeviceID, data malgo.DataProc) (*malgoEndpoint, error) {
	ctx.mu.Lock()
	defer ctx.mu.Unlock()
	if ctx.closed {
		return nil, ErrClosed
	}
	e := &malgoEndpoint{ctx: ctx, stop: make(chan struct{}, 1)}
	cfg := malgo.DefaultDeviceConfig(kind.malgo())
	cfg.SampleRate = SampleRate
	cfg.PeriodSizeInFrames = FrameSamples
	cfg.Periods = devicePeriods
	cfg.PerformanceProfile = malgo.LowLatency
	sub := malgo.SubConfig{Format: malgo.FormatS16, Channels: Channels}
	if !id.IsDefault() {
		mid, err := id.malgo()
		if err != nil {
			return nil, err
		}
		// miniaudio reads the ID through a pointer in the C config; the
		// pin makes passing Go memory there legal under the cgo rules.
		e.id = &mid
		e.pin.Pin(e.id)
		sub.DeviceID = unsafe.Pointer(e.id)
	}
	if kind == Microphone {
		cfg.Capture = sub
		cfg.Pulse.StreamNameCapture = "camchat microphone"
	} else {
		cfg.Playback = sub
		cfg.Pulse.StreamNamePlayback = "camchat"
	}
	dev, err := malgo.InitDevice(ctx.mctx.Context, cfg, malgo.DeviceCallbacks{
		Data: data,
		Stop: e.onStop,
	})
	if err != nil {
		e.pin.Unpin()
		return nil, fmt.Errorf("audio: open %s %s: %w: %w", kind.noun(), id.display(), ErrNoDevice, err)
	}
	e.dev = dev
	if err := e.checkFormat(kind); err != nil {
		e.uninit()
		return nil, err
	}
	if err := dev.Start(); err != nil {
		e.uninit()
		return nil, fmt.Errorf("audio: start %s %s: %w", kind.noun(), id.display(), err)
	}
	return e, nil
}

// checkFormat confirms that miniaudio converts to the format asked for;
// the callbacks index samples on that assumption.
func (e *malgoEndpoint) checkFormat(kind DeviceKind) error {
	format, channels := e.dev.PlaybackFormat(), e.dev.PlaybackChannels()
	if kind == Microphone {
		format, channels = e.dev.CaptureFormat(), e.dev.CaptureChannels()
	}
	if format != malgo.FormatS16 || channels != Channels || e.dev.SampleRate() != SampleRate {
		return fmt.Errorf("%w: format %d, %d channels, %d Hz", ErrFormat, format, channels, e.dev.SampleRate())
	}
	return nil
}

// onStop runs on a backend thread; it only signals.
func (e *malgoEndpoint) onStop() {
	if e.closing.Load() {
		return
	}
	select {
	case e.stop <- struct{}{}:
	default:
	}
}

func (e *malgoEndpoint) stopped() <-chan struct{} { return e.stop }

func (e *malgoEndpoint) running() bool { return e.dev.IsStarted() }

// close stops and frees the device, under the context's lock like every
// other call into miniaudio that may touch the context.
func (e *malgoEndpoint) close() {
	e.ctx.mu.Lock()
	defer e.ctx.mu.Unlock()
	e.uninit()
}

// uninit needs the context's lock held.
//
// It stops the device before uninitializing it. ma_device_uninit (miniaudio
// 0.11.23) no longer stops a started device: it marks it uninitialized and
// joins the worker thread, counting on the backend to wake that thread. The
// PulseAudio worker sleeps in pa_mainloop_iterate, which wakes only for
// stream traffic, so for a stream whose device was unplugged the join
// never returns. ma_device_stop wakes the loop (pa_mainloop_wakeup) first.
func (e *malgoEndpoint) uninit() {
	e.closing.Store(true)
	if e.dev != nil {
		if e.dev.IsStarted() {
			e.dev.Stop()
		}
		e.dev.Uninit()
		e.dev = nil
	}
	e.pin.Unpin()
}

// display is an ID for error messages.
func (id DeviceID) display() string {
	if id.IsDefault() {
		return "(default)"
	}
	return string(id)
}
