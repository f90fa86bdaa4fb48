package playout

import "time"

// PlayoutClock is a position on the sender's media clock: the capture
// timestamp of the audio reaching the listener's ears. Valid is false when
// no audio is playing, so there is nothing to sync to.
type PlayoutClock struct {
	Timestamp time.Duration
	Valid     bool
}

// defaultMaxGap bounds extrapolation of the audio clock: past it the
// audio has stopped (quiet or idle) rather than merely not ticked yet.
const defaultMaxGap = 100 * time.Millisecond

// AudioClock derives the playout clock from the frames the audio device
// plays. The device hears a sample OutputLatency after it is written (its
// buffering), and between ticks the clock runs on with wall time.
//
// The zero value is ready to use (no output latency, 100 ms MaxGap). It is
// owned by the audio output goroutine; hand PlayoutClock values to the
// video side.
type AudioClock struct {
	// OutputLatency is the device's delay from write to sound.
	OutputLatency time.Duration
	// MaxGap is how long after the last Played the clock stays valid
	// (default 100 ms).
	MaxGap time.Duration

	ts    time.Duration
	at    time.Time
	valid bool
	hold  bool // the current frame is inserted filler: the clock stands still
}

// Played records that a frame whose first sample was captured at ts (the
// jitter buffer's Frame.Timestamp) was written to the device at at.
// Call it for decoded, FEC and concealed frames; use Held for stretched
// ones, and neither for quiet ones.
func (c *AudioClock) Played(ts time.Duration, at time.Time) {
	c.ts, c.at, c.valid, c.hold = ts, at, true, false
}

// Held records that a stretched frame (Frame.Stretched) was written at at,
// in front of the frame captured at ts: the filler stands for no capture
// time, so the clock stays at ts until the next frame instead of running
// ahead and jumping back.
func (c *AudioClock) Held(ts time.Duration, at time.Time) {
	c.ts, c.at, c.valid, c.hold = ts, at, true, true
}

// Reset forgets the clock: the stream stopped.
func (c *AudioClock) Reset() { c.valid = false }

// At returns the capture timestamp being heard at now.
func (c *AudioClock) At(now time.Time) PlayoutClock {
	if !c.valid {
		return PlayoutClock{}
	}
	maxGap := c.MaxGap
	if maxGap == 0 {
		maxGap = defaultMaxGap
	}
	since := now.Sub(c.at)
	if since > maxGap {
		return PlayoutClock{}
	}
	since = max(since, 0)
	if c.hold {
		since = 0
	}
	return PlayoutClock{Timestamp: satSub(c.ts+since, c.OutputLatency), Valid: true}
}
