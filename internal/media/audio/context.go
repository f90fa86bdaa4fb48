package audio

import (
	"fmt"
	"sync"

	"github.com/gen2brain/malgo"
)

// Context is an initialized miniaudio context: one backend, its device list
// and the devices opened through it. Close it after every Capture and
// Playback opened from it is closed.
type Context struct {
	mode    Mode                    // constant
	backend Backend                 // constant; read back after init
	mctx    *malgo.AllocatedContext // constant until Close

	// mu serializes every miniaudio call that may touch the context:
	// listing, opening, starting and closing devices, and Close. The
	// PulseAudio backend shares one main loop per context between them.
	mu      sync.Mutex
	closed  bool // guarded by mu
	streams int  // guarded by mu; open Captures and Playbacks
}

// NewContext initializes a context in the given mode and reads back the
// backend miniaudio chose.
func NewContext(mode Mode) (*Context, error) {
	mctx, err := malgo.InitContext(mode.backends(), malgo.ContextConfig{}, nil)
	if err != nil {
		return nil, fmt.Errorf("audio: init %s context: %w", mode, err)
	}
	b, err := contextBackend(mctx)
	if err != nil {
		mctx.Uninit()
		mctx.Free()
		return nil, fmt.Errorf("audio: init %s context: %w", mode, err)
	}
	if mode == ModeNull && b != BackendNull {
		mctx.Uninit()
		mctx.Free()
		return nil, fmt.Errorf("audio: init null context: miniaudio chose the %s backend", b)
	}
	return &Context{mode: mode, backend: b, mctx: mctx}, nil
}

// Mode returns the mode the context was created with.
func (c *Context) Mode() Mode { return c.mode }

// Backend returns the backend miniaudio initialized, read from the context
// itself rather than assumed from the request.
func (c *Context) Backend() Backend { return c.backend }

// Devices lists the devices of one kind. Exactly one is normally marked
// default; a backend that cannot tell marks none.
func (c *Context) Devices(kind DeviceKind) ([]DeviceInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	infos, err := c.mctx.Devices(kind.malgo())
	if err != nil {
		return nil, fmt.Errorf("audio: list %ss: %w", kind.noun(), err)
	}
	out := make([]DeviceInfo, len(infos))
	for i := range infos {
		out[i] = DeviceInfo{
			ID:        deviceIDFromMalgo(infos[i].ID),
			Name:      infos[i].Name(),
			Kind:      kind,
			IsDefault: infos[i].IsDefault != 0,
		}
	}
	return out, nil
}

// describe finds id (or the default, for DefaultDevice) in the device list.
// A device that is not listed is described by its ID alone.
func (c *Context) describe(kind DeviceKind, id DeviceID) DeviceInfo {
	devs, err := c.Devices(kind)
	if err == nil {
		for _, d := range devs {
			if (id.IsDefault() && d.IsDefault) || (!id.IsDefault() && d.ID == id) {
				return d
			}
		}
	}
	return DeviceInfo{ID: id, Kind: kind, IsDefault: id.IsDefault()}
}

// addStream counts a Capture or Playback opened (+1) or closed (-1).
func (c *Context) addStream(n int) {
	c.mu.Lock()
	c.streams += n
	c.mu.Unlock()
}

// Close uninitializes the context. It refuses (ErrBusy) while a Capture or
// Playback opened from it is still open: miniaudio's devices point into the
// context, and uninitializing it under them is undefined behaviour.
func (c *Context) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	if c.streams > 0 {
		return fmt.Errorf("audio: close context with %d devices open: %w", c.streams, ErrBusy)
	}
	c.closed = true
	err := c.mctx.Uninit()
	c.mctx.Free()
	if err != nil {
		return fmt.Errorf("audio: close context: %w", err)
	}
	return nil
}
