package synth

import (
	"fmt"
	"math"
	"time"
)

// SampleRate is the synthetic microphone's rate (camchat's audio rate).
const SampleRate = 48000

// Click shape: a 1 ms burst at 4 kHz whose first sample is its peak, so its
// onset is the first sample over the detection threshold.
const (
	clickSamples = SampleRate / 1000
	clickHz      = 4000
)

// MicConfig sets up a synthetic microphone.
type MicConfig struct {
	ToneHz     float64       // continuous tone; 0 means 440 Hz
	ToneLevel  float64       // tone amplitude, fraction of full scale; 0 means 0.1
	ClickLevel float64       // click peak; 0 means 0.85 (tone + click stays below full scale)
	ClickEvery time.Duration // 0 means 500 ms; must be a whole number of samples
	// Start is the time of sample 0 (the capture clock when reading began).
	Start time.Time
	// Epoch: clicks fall on the first sample at or after each multiple of
	// ClickEvery since Epoch; zero means the Unix epoch.
	Epoch time.Time
	// Talk and Pause, when both are set, make the tone speech-like: on for
	// Talk, silent for Pause, repeating from sample 0 (the clicks go on
	// through the pauses). Real speech pauses, and a receiver's jitter
	// buffer changes its delay in those pauses only; zero keeps the tone
	// continuous.
	Talk, Pause time.Duration
}

// Mic produces 48 kHz mono int16: a tone plus a click track whose timing
// encodes the clock. Not safe for concurrent use.
type Mic struct {
	cfg         MicConfig
	period      int64 // samples between clicks
	firstClick  int64 // sample index of the first click
	pos         int64 // index of the next sample Read produces
	tone, click float64
	toneStep    float64 // radians per sample
	talk, cycle int64   // samples of tone, and of tone plus pause (0: continuous)
}

// NewMic checks the config and places the first click.
func NewMic(cfg MicConfig) (*Mic, error) {
	if cfg.ToneHz == 0 {
		cfg.ToneHz = 440
	}
	if cfg.ToneLevel == 0 {
		cfg.ToneLevel = 0.1
	}
	if cfg.ClickLevel == 0 {
		cfg.ClickLevel = 0.85
	}
	if cfg.ClickEvery == 0 {
		cfg.ClickEvery = 500 * time.Millisecond
	}
	if cfg.Epoch.IsZero() {
		cfg.Epoch = time.Unix(0, 0)
	}
	if cfg.ToneHz < 0 || cfg.ToneHz >= SampleRate/2 || cfg.ToneLevel < 0 || cfg.ClickLevel < 0 ||
		cfg.ToneLevel+cfg.ClickLevel > 1 {
		return nil, fmt.Errorf("%w: tone %g Hz level %g, click level %g", ErrBadConfig, cfg.ToneHz, cfg.ToneLevel, cfg.ClickLevel)
	}
	period := int64(cfg.ClickEvery) * SampleRate
	if period%int64(time.Second) != 0 || cfg.ClickEvery < 10*time.Millisecond {
		return nil, fmt.Errorf("%w: click period %v is not a whole number of samples of at least 10 ms", ErrBadConfig, cfg.ClickEvery)
	}
	m := &Mic{cfg: cfg, period: period / int64(time.Second)}
	m.firstClick = firstSampleAtOrAfter(ClickPhaseLeft(cfg.Start, cfg.Epoch, cfg.ClickEvery))
	m.tone = cfg.ToneLevel * math.MaxInt16
	m.click = cfg.ClickLevel * math.MaxInt16
	m.toneStep = 2 * math.Pi * cfg.ToneHz / SampleRate
	if cfg.Talk < 0 || cfg.Pause < 0 {
		return nil, fmt.Errorf("%w: talk %v, pause %v", ErrBadConfig, cfg.Talk, cfg.Pause)
	}
	if cfg.Talk > 0 && cfg.Pause > 0 {
		m.talk = int64(cfg.Talk) * SampleRate / int64(time.Second)
		m.cycle = m.talk + int64(cfg.Pause)*SampleRate/int64(time.Second)
	}
	return m, nil
}

// ClickPhaseLeft is the time from t to the next click boundary (0 when t is
// on one).
func ClickPhaseLeft(t, epoch time.Time, every time.Duration) time.Duration {
	ph := t.Sub(epoch) % every
	if ph < 0 {
		ph += every
	}
	if ph == 0 {
		return 0
	}
	return every - ph
}

// firstSampleAtOrAfter is the index of the first sample whose time is at or
// after d from sample 0: ceil(d × rate).
func firstSampleAtOrAfter(d time.Duration) int64 {
	n := int64(d) * SampleRate
	s := n / int64(time.Second)
	if n%int64(time.Second) != 0 {
		s++
	}
	return s
}

// ClickPeriod is the number of samples between clicks.
func (m *Mic) ClickPeriod() int64 { return m.period }

// FirstClick is the sample index of the first click.
func (m *Mic) FirstClick() int64 { return m.firstClick }

// Pos is the index of the next sample Read will produce.
func (m *Mic) Pos() int64 { return m.pos }

// Read fills buf with the next len(buf) samples; it never fails.
func (m *Mic) Read(buf []int16) (int, error) {
	for i := range buf {
		n := m.pos + int64(i)
		// The tone's phase is a function of the absolute index, so chunk
		// sizes do not change the output.
		var v float64
		if m.cycle == 0 || n%m.cycle < m.talk {
			v = m.tone * math.Sin(float64(n)*m.toneStep)
		}
		if k := n - m.firstClick; k >= 0 {
			if j := k % m.period; j < clickSamples {
				env := 1 - float64(j)/clickSamples
				v += m.click * env * math.Cos(2*math.Pi*clickHz*float64(j)/SampleRate)
			}
		}
		buf[i] = int16(math.Round(v))
	}
	m.pos += int64(len(buf))
	return len(buf), nil
}

// ClickThreshold is the level FindClicks detects: half of full scale, far
// above the tone and below the click peak even after lossy coding.
const ClickThreshold = math.MaxInt16 / 2

// FindClicks returns the sample positions of click onsets in received audio:
// each is the first sample whose magnitude reaches ClickThreshold after at
// least minGap samples below it (minGap 0 means 100 ms), so the ringing of
// one click is not counted twice.
func FindClicks(samples []int16, minGap int) []int {
	if minGap <= 0 {
		minGap = SampleRate / 10
	}
	var out []int
	quiet := minGap // samples since the last loud one; start armed
	for i, s := range samples {
		a := int(s)
		if a < 0 {
			a = -a
		}
		if a >= ClickThreshold {
			if quiet >= minGap {
				out = append(out, i)
			}
			quiet = 0
			continue
		}
		quiet++
	}
	return out
}

// ClickDelay is the audio delay measured from a click heard at time heard
// (the playout time of its onset sample): how long after the latest click
// boundary of the sender's clock it arrived. Delays of a click period or
// more alias; the period (500 ms) is above any delay a call tolerates.
func ClickDelay(heard, epoch time.Time, every time.Duration) time.Duration {
	d := heard.Sub(epoch) % every
	if d < 0 {
		d += every
	}
	return d
}
