package playout

import (
	"fmt"
	"time"
)

// Audio format shared by every part of the package.
const (
	// SampleRate is the PCM rate of decoded audio, in Hz.
	SampleRate = 48000
	// FrameDuration20 and FrameDuration10 are the two supported frame
	// durations; 20 ms is the default (Opus's sweet spot for voice).
	FrameDuration20 = 20 * time.Millisecond
	FrameDuration10 = 10 * time.Millisecond
)

// SamplesPerFrame returns the number of mono samples in one frame of d.
func SamplesPerFrame(d time.Duration) int { return int(int64(d) * SampleRate / int64(time.Second)) }

// JitterConfig tunes a JitterBuffer. The zero value of every field selects
// its default.
type JitterConfig struct {
	// FrameDuration is the audio carried by one packet: 20 ms (default) or
	// 10 ms.
	FrameDuration time.Duration
	// MinDelay and MaxDelay clamp the target delay (defaults 20 ms and
	// 200 ms). The delay is counted above the fastest transit seen in the
	// window, so MinDelay is the cushion kept even on a perfect network.
	MinDelay, MaxDelay time.Duration
	// Percentile of relative arrival delay that the target follows
	// (default 0.95: about one packet in twenty may arrive too late).
	Percentile float64
	// Window is the span of recent packets the delay statistics cover
	// (default 3 s, that is 150 packets of 20 ms). Longer is steadier but
	// slower to come back down after a delay spike.
	Window time.Duration
	// MaxPayload is the largest payload accepted (default 1500 bytes; an
	// Opus packet is at most 1275).
	MaxPayload int
	// ForceAfter bounds how long the buffer waits for a quiet frame before
	// it drops or inserts a frame anyway (default 1 s, longer than most
	// stretches of speech without a pause).
	ForceAfter time.Duration
	// ConcealLimit bounds concealment with an empty buffer (default
	// 200 ms). Past it the sender is taken to have paused: the buffer
	// plays quiet and rebuffers to the target delay when packets resume.
	ConcealLimit time.Duration
}

// slotCount is the ring size: sequence numbers from the next one to play up
// to slotCount-1 ahead can be held. 64 covers 1.28 s of 20 ms frames,
// well past the 200 ms maximum delay, and matches the 64-bit history
// bitmaps.
const slotCount = 64

func (c JitterConfig) withDefaults() (JitterConfig, error) {
	if c.FrameDuration == 0 {
		c.FrameDuration = FrameDuration20
	}
	if c.MinDelay == 0 {
		c.MinDelay = 20 * time.Millisecond
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = 200 * time.Millisecond
	}
	if c.Percentile == 0 {
		c.Percentile = 0.95
	}
	if c.Window == 0 {
		c.Window = 3 * time.Second
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = 1500
	}
	if c.ForceAfter == 0 {
		c.ForceAfter = time.Second
	}
	if c.ConcealLimit == 0 {
		c.ConcealLimit = 200 * time.Millisecond
	}
	switch {
	case c.FrameDuration != FrameDuration20 && c.FrameDuration != FrameDuration10:
		return c, fmt.Errorf("%w: frame duration %v (want 10ms or 20ms)", ErrConfig, c.FrameDuration)
	case c.MinDelay < 0 || c.MaxDelay < c.MinDelay:
		return c, fmt.Errorf("%w: delay bounds %v..%v", ErrConfig, c.MinDelay, c.MaxDelay)
	case c.MaxDelay > time.Duration(slotCount/2)*c.FrameDuration:
		return c, fmt.Errorf("%w: max delay %v exceeds the %d-packet ring", ErrConfig, c.MaxDelay, slotCount)
	case c.Percentile <= 0 || c.Percentile > 1:
		return c, fmt.Errorf("%w: percentile %v", ErrConfig, c.Percentile)
	case c.Window < c.FrameDuration || c.Window > time.Minute:
		return c, fmt.Errorf("%w: window %v", ErrConfig, c.Window)
	case c.MaxPayload < 0 || c.MaxPayload > 1<<16:
		return c, fmt.Errorf("%w: max payload %d", ErrConfig, c.MaxPayload)
	case c.ForceAfter < 0:
		return c, fmt.Errorf("%w: force after %v", ErrConfig, c.ForceAfter)
	case c.ConcealLimit < c.FrameDuration || c.ConcealLimit > time.Duration(slotCount-4)*c.FrameDuration:
		// Concealment while idle is undone from the 64-bit history, so
		// the run must fit in it.
		return c, fmt.Errorf("%w: conceal limit %v", ErrConfig, c.ConcealLimit)
	}
	return c, nil
}
