package playout

import (
	"fmt"
	"time"
)

// MaxStreams is the number of remote streams one Mixer sums: a room holds
// five people, so four remote voices.
const MaxStreams = 4

// MaxVolume is the largest per-stream volume (+6 dB).
const MaxVolume = 2.0

// gainOne is unity gain in the mixer's Q14 fixed point; MaxVolume is
// 2·gainOne, and any int16 times it still fits an int32.
const gainOne = 1 << 14

// MixerConfig tunes a Mixer; zero fields take their defaults.
type MixerConfig struct {
	// FrameSamples is the length of every frame mixed (default 960, 20 ms
	// at 48 kHz; 480 for 10 ms frames).
	FrameSamples int
	// LevelAttack and LevelRelease are the time constants of the level
	// meter (defaults 20 ms and 200 ms).
	LevelAttack, LevelRelease time.Duration
	// SpeakingOnDBFS and SpeakingOffDBFS are the hysteresis thresholds
	// (defaults -42 and -52 dBFS); SpeakingHold is how long the level must
	// stay under the lower one before Speaking clears (default 300 ms).
	SpeakingOnDBFS, SpeakingOffDBFS float64
	SpeakingHold                    time.Duration
}

func (c MixerConfig) withDefaults() (MixerConfig, error) {
	if c.FrameSamples == 0 {
		c.FrameSamples = SamplesPerFrame(FrameDuration20)
	}
	if c.LevelAttack == 0 {
		c.LevelAttack = 20 * time.Millisecond
	}
	if c.LevelRelease == 0 {
		c.LevelRelease = 200 * time.Millisecond
	}
	if c.SpeakingOnDBFS == 0 {
		c.SpeakingOnDBFS = -42
	}
	if c.SpeakingOffDBFS == 0 {
		c.SpeakingOffDBFS = -52
	}
	if c.SpeakingHold == 0 {
		c.SpeakingHold = 300 * time.Millisecond
	}
	switch {
	case c.FrameSamples <= 0 || c.FrameSamples > SampleRate:
		return c, fmt.Errorf("%w: frame of %d samples", ErrConfig, c.FrameSamples)
	case c.LevelAttack < 0 || c.LevelRelease < 0 || c.SpeakingHold < 0:
		return c, fmt.Errorf("%w: negative level timing", ErrConfig)
	case c.SpeakingOffDBFS > c.SpeakingOnDBFS:
		return c, fmt.Errorf("%w: speaking off threshold %v above on threshold %v", ErrConfig, c.SpeakingOffDBFS, c.SpeakingOnDBFS)
	}
	return c, nil
}

// Mixer sums up to MaxStreams decoded remote streams into one output
// frame. Each stream has a volume (0..MaxVolume) and a mute; gain changes
// are ramped across one frame so that moving a slider does not click. The
// sum is accumulated in int32 and brought back to int16 through a soft
// limiter, never by wrapping.
//
// Each stream also has a level meter, fed with the stream as received
// (before volume and mute, so the GUI shows who is talking even if the
// user turned them down).
//
// A Mixer is owned by the audio output goroutine; Levels may be read from
// there and handed to the GUI as values.
type Mixer struct {
	cfg MixerConfig // constant after NewMixer
	acc []int32     // scratch, one frame

	streams [MaxStreams]mixStream
}

type mixStream struct {
	volume float64
	muted  bool
	gain   int32 // Q14 gain applied at the end of the last frame
	meter  levelMeter
}

func (s *mixStream) targetGain() int32 {
	if s.muted {
		return 0
	}
	return int32(s.volume*gainOne + 0.5)
}

// NewMixer returns a mixer with every stream at volume 1, unmuted.
func NewMixer(cfg MixerConfig) (*Mixer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Mixer{cfg: cfg, acc: make([]int32, cfg.FrameSamples)}
	frame := time.Duration(cfg.FrameSamples) * time.Second / SampleRate
	for i := range m.streams {
		m.streams[i] = mixStream{volume: 1, gain: gainOne, meter: newLevelMeter(cfg, frame)}
	}
	return m, nil
}

// Config returns the configuration in effect, defaults filled in.
func (m *Mixer) Config() MixerConfig { return m.cfg }

func (m *Mixer) stream(i int) (*mixStream, error) {
	if i < 0 || i >= MaxStreams {
		return nil, fmt.Errorf("%w: %d", ErrStream, i)
	}
	return &m.streams[i], nil
}

// SetVolume sets stream i's volume: 0 silent, 1 as received, 2 twice the
// amplitude.
func (m *Mixer) SetVolume(i int, v float64) error {
	s, err := m.stream(i)
	if err != nil {
		return err
	}
	if !(v >= 0 && v <= MaxVolume) { // also rejects NaN
		return fmt.Errorf("%w: %v (want 0..%v)", ErrVolume, v, MaxVolume)
	}
	s.volume = v
	return nil
}

// SetMuted mutes or unmutes stream i without forgetting its volume.
func (m *Mixer) SetMuted(i int, muted bool) error {
	s, err := m.stream(i)
	if err != nil {
		return err
	}
	s.muted = muted
	return nil
}

// Reset returns stream i to volume 1, unmuted, level silent: the slot is
// being given to a new peer.
func (m *Mixer) Reset(i int) error {
	s, err := m.stream(i)
	if err != nil {
		return err
	}
	meter := s.meter
	meter.reset()
	*s = mixStream{volume: 1, gain: gainOne, meter: meter}
	return nil
}

// Level returns stream i's current speech level (silent for an index out
// of range).
func (m *Mixer) Level(i int) Level {
	s, err := m.stream(i)
	if err != nil {
		return Level{DBFS: MinLevelDBFS}
	}
	return s.meter.level()
}

// Levels returns every stream's speech level.
func (m *Mixer) Levels() [MaxStreams]Level {
	var l [MaxStreams]Level
	for i := range m.streams {
		l[i] = m.streams[i].meter.level()
	}
	return l
}

// Mix writes the sum of the streams in in to out, which must be one frame
// long. A nil entry is a stream with nothing this frame (absent, or its
// jitter buffer said quiet); it counts as silence for the level meter.
// A non-nil entry must be exactly one frame long.
func (m *Mixer) Mix(out []int16, in [MaxStreams][]int16) error {
	n := m.cfg.FrameSamples
	if len(out) != n {
		return fmt.Errorf("%w: output %d samples, frame is %d", ErrFrameSize, len(out), n)
	}
	for i, pcm := range in {
		if pcm != nil && len(pcm) != n {
			return fmt.Errorf("%w: stream %d has %d samples, frame is %d", ErrFrameSize, i, len(pcm), n)
		}
	}
	acc := m.acc[:n]
	clear(acc)
	for i := range m.streams {
		s := &m.streams[i]
		pcm := in[i]
		g0, g1 := s.gain, s.targetGain()
		s.gain = g1
		if pcm == nil {
			s.meter.framePower(0, 0)
			continue
		}
		pcm = pcm[:n]
		var sum int64
		switch {
		case g0 == 0 && g1 == 0:
			sum = sumSquares(pcm)
		case g0 == g1:
			// One pass does both the meter and the sum.
			for j, v := range pcm {
				x := int32(v)
				sum += int64(x * x)
				acc[j] += x * g1 >> 14
			}
		default:
			// Linear ramp from g0 to g1 over the frame, in Q30 steps.
			g := int64(g0) << 16
			step := (int64(g1-g0) << 16) / int64(n)
			for j, v := range pcm {
				g += step
				sum += int64(v) * int64(v)
				acc[j] += int32(int64(v) * (g >> 16) >> 14)
			}
		}
		s.meter.framePower(sum, n)
	}
	for j, v := range acc {
		out[j] = softClip(v)
	}
	return nil
}
