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
	dev     *malgo.Device
	stop    chan struct{} // capacity 1; signaled by the stop callback
	closing atomic.Bool   // set before a deliberate stop, so it is not news
	pin     runtime.Pinner
	id      *malgo.DeviceID // pinned while the device exists; nil for the default
}

// openMalgo opens and starts a device of kind at 48 kHz mono int16 with
// 10 ms periods; data runs on the audio thread.
func openMalgo(ctx *Context, kind DeviceKind, id DeviceID, data malgo.DataProc) (*malgoEndpoint, error) {
	ctx.mu.Lock()
	closed := ctx.closed
	ctx.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	e := &malgoEndpoint{stop: make(chan struct{}, 1)}
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
		e.close()
		return nil, err
	}
	if err := dev.Start(); err != nil {
		e.close()
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

func (e *malgoEndpoint) close() {
	e.closing.Store(true)
	if e.dev != nil {
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
