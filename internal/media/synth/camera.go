package synth

import (
	"fmt"
	"image"
	"sync/atomic"
	"time"

	"camchat/internal/media/video"
)

// CameraConfig sets up a synthetic camera.
type CameraConfig struct {
	Width, Height int // even, at least MinStampWidth×60
	FPS           int // frames per second, 1..120
	// Now reads the clock for capture times and pacing; nil means time.Now.
	Now func() time.Time
	// Epoch is where stamp times count from; zero means the Unix epoch, so
	// that sender and receiver on synced clocks agree (see StampAge).
	Epoch time.Time
}

// Camera is a synthetic camera delivering the test pattern at a fixed rate,
// with the same Start/Close shape as video.Camera.
type Camera struct {
	// Constant after NewCamera.
	cfg     CameraConfig
	pattern *Pattern

	loop *video.Lifecycle

	// Owned by the capture goroutine.
	img *image.YCbCr

	delivered, skipped atomic.Uint64
}

// NewCamera checks the config and prepares the pattern.
func NewCamera(cfg CameraConfig) (*Camera, error) {
	if cfg.FPS < 1 || cfg.FPS > 120 {
		return nil, fmt.Errorf("%w: %d fps", ErrBadConfig, cfg.FPS)
	}
	p, err := NewPattern(cfg.Width, cfg.Height)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Unix(0, 0)
	}
	return &Camera{cfg: cfg, pattern: p, loop: video.NewLifecycle(ErrClosed, ErrStarted)}, nil
}

// Pattern returns the camera's pattern renderer.
func (c *Camera) Pattern() *Pattern { return c.pattern }

// Stats returns the frames delivered and the frame times skipped because
// the callback ran late (skipped times do not consume frame numbers, so a
// gap in received frame numbers is always loss after the camera).
func (c *Camera) Stats() (delivered, skipped uint64) {
	return c.delivered.Load(), c.skipped.Load()
}

// Start begins delivering frames on a new goroutine: frame n (counting from
// 0) is due at start + n/FPS, stamped with its number and StampTime of its
// capture time. deliver must return quickly and must not call Close; the
// image is valid until it returns.
func (c *Camera) Start(deliver func(video.Frame)) error {
	return c.loop.Start(func(stop <-chan struct{}) { c.run(stop, deliver) })
}

// Close stops the camera and waits for its goroutine. Safe to call twice.
func (c *Camera) Close() error {
	c.loop.Close()
	return nil
}

func (c *Camera) run(stop <-chan struct{}, deliver func(video.Frame)) {
	start := c.cfg.Now()
	due := func(tick int64) time.Time {
		// Exact rational schedule: no accumulated rounding of 1/FPS.
		return start.Add(time.Duration(tick * int64(time.Second) / int64(c.cfg.FPS)))
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	var tick int64
	var seq uint32
	for {
		select {
		case <-stop:
			return
		case <-timer.C:
		}
		select {
		case <-stop: // Close won the race with the timer
			return
		default:
		}
		now := c.cfg.Now()
		c.img = c.pattern.Render(c.img, seq, StampTime(now, c.cfg.Epoch))
		deliver(video.Frame{Image: c.img, Time: now, Seq: uint64(seq)})
		c.delivered.Add(1)
		seq++
		tick++
		// If the callback overran whole frame times, skip them rather than
		// bursting to catch up.
		after := c.cfg.Now()
		for !due(tick + 1).After(after) {
			tick++
			c.skipped.Add(1)
		}
		timer.Reset(due(tick).Sub(after))
	}
}
