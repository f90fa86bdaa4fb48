package playout

import (
	"fmt"
	"math"
	"time"
)

// Level is one stream's speech level as the GUI shows it.
type Level struct {
	// DBFS is the smoothed RMS level in dB relative to full scale: a
	// full-scale square wave reads 0, a full-scale sine -3.01, digital
	// silence MinLevelDBFS.
	DBFS float64
	// Speaking turns on when DBFS reaches SpeakingOnDBFS and off after it
	// has stayed below SpeakingOffDBFS for SpeakingHold; in between it
	// keeps its state, so a tile does not flicker on every syllable.
	Speaking bool
}

// MinLevelDBFS is the floor reported for silence.
const MinLevelDBFS = -100.0

// fullScalePower is the mean square of a full-scale square wave.
const fullScalePower = 32768.0 * 32768.0

// levelMeter smooths frame power and applies the speaking hysteresis.
//
// Smoothing is a one-pole filter on power (not on dB, which would
// over-weight quiet frames), with a fast attack so that speech shows
// promptly and a slow release so that the level does not drop between
// words.
type levelMeter struct {
	attack, release float64 // per-frame filter coefficients
	onDB, offDB     float64
	holdFrames      int

	power    float64 // smoothed mean square
	speaking bool
	below    int // consecutive frames under offDB
}

func newLevelMeter(cfg MixerConfig, frame time.Duration) levelMeter {
	coef := func(tau time.Duration) float64 {
		return 1 - math.Exp(-float64(frame)/float64(tau))
	}
	return levelMeter{
		attack:     coef(cfg.LevelAttack),
		release:    coef(cfg.LevelRelease),
		onDB:       cfg.SpeakingOnDBFS,
		offDB:      cfg.SpeakingOffDBFS,
		holdFrames: max(1, int((cfg.SpeakingHold+frame-1)/frame)),
	}
}

func (m *levelMeter) reset() {
	m.power, m.speaking, m.below = 0, false, 0
}

func sumSquares(pcm []int16) int64 {
	var sum int64
	for _, s := range pcm {
		sum += int64(s) * int64(s)
	}
	return sum
}

// framePower feeds one frame given its sum of squares over n samples
// (n = 0 for a frame of silence).
func (m *levelMeter) framePower(sum int64, n int) {
	var p float64
	if n > 0 {
		p = float64(sum) / float64(n)
	}
	a := m.release
	if p > m.power {
		a = m.attack
	}
	m.power += a * (p - m.power)

	db := m.dbfs()
	switch {
	case db >= m.onDB:
		m.speaking, m.below = true, 0
	case db < m.offDB:
		if m.speaking {
			m.below++
			if m.below >= m.holdFrames {
				m.speaking, m.below = false, 0
			}
		}
	default:
		m.below = 0
	}
}

func (m *levelMeter) dbfs() float64 {
	if m.power <= 0 {
		return MinLevelDBFS
	}
	return max(10*math.Log10(m.power/fullScalePower), MinLevelDBFS)
}

func (m *levelMeter) level() Level { return Level{DBFS: m.dbfs(), Speaking: m.speaking} }

// LevelMeter measures one stream's speech level outside a Mixer: the
// microphone's level for a meter in the settings and for the local tile's
// speaking highlight. Not safe for concurrent use.
type LevelMeter struct {
	m levelMeter
}

// NewLevelMeter returns a meter for frames of the given duration, tuned by
// cfg's level fields (zero fields take the Mixer's defaults).
func NewLevelMeter(cfg MixerConfig, frame time.Duration) (*LevelMeter, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if frame <= 0 {
		return nil, fmt.Errorf("%w: frame of %v", ErrConfig, frame)
	}
	return &LevelMeter{m: newLevelMeter(cfg, frame)}, nil
}

// Feed measures one frame and returns the level after it.
func (l *LevelMeter) Feed(pcm []int16) Level {
	l.m.framePower(sumSquares(pcm), len(pcm))
	return l.m.level()
}

// Silence feeds one frame of silence (a muted or absent source) and
// returns the level after it.
func (l *LevelMeter) Silence() Level {
	l.m.framePower(0, 0)
	return l.m.level()
}
