package video

import (
	"errors"
	"image"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/blackjack/webcam"
)

// Frame is one captured picture.
type Frame struct {
	// Image is I420. It belongs to the capture loop and is valid only until
	// the deliver callback returns: copy it to keep it.
	Image *image.YCbCr
	Time  time.Time // when the frame was taken off the device
	Seq   uint64    // 0, 1, 2, … over delivered frames
}

// Stats counts what the capture loop saw.
type Stats struct {
	Delivered uint64 // frames handed to the callback
	Bad       uint64 // frames dropped because they did not convert (torn MJPEG, short YUYV)
}

// device is the part of *webcam.Webcam the capture loop uses; tests supply a
// fake that replays recorded frames.
type device interface {
	WaitForFrame(timeoutMillis uint32) error
	GetFrame() ([]byte, uint32, error)
	ReleaseFrame(index uint32) error
	Close() error
}

// pollMillis bounds how long the loop waits for a frame before it checks for
// Close again, and so how long Close may block.
const pollMillis = 100

// Camera is an open, streaming camera.
type Camera struct {
	// Constant after Open.
	path string
	mode Choice
	now  func() time.Time
	dev  device
	conv *Converter

	loop *Lifecycle
	err  error // the loop's fatal error; written before the loop's Done is closed

	delivered, bad atomic.Uint64
}

func newCamera(cfg Config, dev device, mode Choice) *Camera {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	conv, _ := NewConverter(mode.Format, mode.Size, cfg.Out) // mode.Format checked by Open
	return &Camera{
		path: cfg.Path, mode: mode, now: now, dev: dev, conv: conv,
		loop: NewLifecycle(&DeviceError{Path: cfg.Path, Err: ErrClosed}, ErrStarted),
	}
}

// Mode is the format, capture size and requested rate in use.
func (c *Camera) Mode() Choice { return c.mode }

// Path is the device node.
func (c *Camera) Path() string { return c.path }

// Stats returns the loop's counters.
func (c *Camera) Stats() Stats {
	return Stats{Delivered: c.delivered.Load(), Bad: c.bad.Load()}
}

// Start runs the capture loop on its own goroutine, calling deliver for each
// frame on that goroutine. deliver must return quickly (copy the image into
// a pooled buffer and signal) and must not call Close.
func (c *Camera) Start(deliver func(Frame)) error {
	return c.loop.Start(func(stop <-chan struct{}) { c.run(stop, deliver) })
}

// Done is closed when the capture loop has ended, by Close or by a device
// error (see Err).
func (c *Camera) Done() <-chan struct{} { return c.loop.Done() }

// Err returns the error that ended the capture loop (for example the camera
// was unplugged: ErrCameraNotFound), or nil. Valid after Done is closed.
func (c *Camera) Err() error {
	select {
	case <-c.loop.Done():
		return c.err
	default:
		return nil
	}
}

// Close stops the capture loop, waits for it to exit and closes the device.
// It is safe to call more than once.
func (c *Camera) Close() error {
	if !c.loop.Close() {
		return nil
	}
	if err := c.dev.Close(); err != nil {
		return deviceError(c.path, "close", err)
	}
	return nil
}

func (c *Camera) run(stop <-chan struct{}, deliver func(Frame)) {
	var seq uint64
	for {
		select {
		case <-stop:
			return
		default:
		}
		err := c.dev.WaitForFrame(pollMillis)
		var timeout *webcam.Timeout
		if errors.As(err, &timeout) || errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			c.err = deviceError(c.path, "wait for frame", err)
			return
		}
		select {
		case <-stop:
			return // closed while waiting: do not dequeue another frame
		default:
		}
		raw, index, err := c.dev.GetFrame()
		if errors.Is(err, syscall.EAGAIN) {
			continue
		}
		if err != nil {
			c.err = deviceError(c.path, "dequeue frame", err)
			return
		}
		t := c.now()
		// raw is the driver's mmap buffer: convert before handing it back.
		img, cerr := c.conv.Convert(raw)
		if err := c.dev.ReleaseFrame(index); err != nil {
			c.err = deviceError(c.path, "requeue frame", err)
			return
		}
		if cerr != nil {
			c.bad.Add(1)
			continue
		}
		deliver(Frame{Image: img, Time: t, Seq: seq})
		seq++
		c.delivered.Add(1)
	}
}
