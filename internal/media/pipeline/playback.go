package pipeline

import (
	"fmt"
	"sync"
	"time"

	"camchat/internal/media/playout"
)

// EchoReference takes every frame that goes to the speaker: the AudioSender
// of the local peer, whose echo canceller removes it from the microphone.
type EchoReference interface {
	FarEnd(frame []int16)
}

// PlaybackConfig sets up a Playback.
type PlaybackConfig struct {
	// Mixer tunes the mixer's level meters; FrameSamples is always
	// FrameSamples (10 ms).
	Mixer playout.MixerConfig
	// Echo, when set, receives every mixed frame as the far-end reference.
	Echo EchoReference
	// Tap, when set, receives each slot's 10 ms frame as it goes into the
	// mix (before volume and mute), on the goroutine calling ReadFrame,
	// with the Playback's lock held: it must return at once and must not
	// call the Playback. The frame is valid only during the call. A
	// headless participant measures each peer's delay from it.
	Tap func(slot int, frame []int16, now time.Time)
}

// PlaybackStats counts what a Playback did.
type PlaybackStats struct {
	Frames     uint64 // 10 ms frames mixed
	PullErrors uint64 // frames a receiver failed to produce (silence used)
}

// Playback mixes up to playout.MaxStreams AudioReceivers into 10 ms output
// frames for the speaker and hands the same frames to the echo canceller.
type Playback struct {
	echo EchoReference                                // constant
	tap  func(slot int, frame []int16, now time.Time) // constant

	// Guarded by mu.
	mu    sync.Mutex
	mixer *playout.Mixer
	recv  [playout.MaxStreams]*AudioReceiver
	bufs  [playout.MaxStreams][FrameSamples]int16
	in    [playout.MaxStreams][]int16
	stats PlaybackStats
}

// NewPlayback creates a Playback with every slot empty.
func NewPlayback(cfg PlaybackConfig) (*Playback, error) {
	mc := cfg.Mixer
	mc.FrameSamples = FrameSamples
	m, err := playout.NewMixer(mc)
	if err != nil {
		return nil, fmt.Errorf("pipeline: playback: %w", err)
	}
	return &Playback{echo: cfg.Echo, tap: cfg.Tap, mixer: m}, nil
}

// Attach puts r in slot (0..playout.MaxStreams-1), replacing whatever was
// there; the slot's volume, mute and level start afresh. A nil r empties
// the slot.
func (p *Playback) Attach(slot int, r *AudioReceiver) error {
	if slot < 0 || slot >= playout.MaxStreams {
		return fmt.Errorf("%w: %d", ErrSlot, slot)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.recv[slot] = r
	return p.mixer.Reset(slot)
}

// ReadFrame mixes the next 10 ms for the device tick at now into out
// (FrameSamples long) and passes it to the echo reference. It always fills
// out (silence when nobody talks).
func (p *Playback) ReadFrame(now time.Time, out []int16) error {
	if len(out) != FrameSamples {
		return fmt.Errorf("%w: %d samples, want %d", ErrFrameSize, len(out), FrameSamples)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Frames++
	for i, r := range p.recv {
		p.in[i] = nil
		if r == nil {
			continue
		}
		ok, err := r.Pull(now, p.bufs[i][:])
		if err != nil {
			p.stats.PullErrors++
			continue
		}
		if ok {
			p.in[i] = p.bufs[i][:]
			if p.tap != nil {
				p.tap(i, p.in[i], now)
			}
		}
	}
	if err := p.mixer.Mix(out, p.in); err != nil {
		return fmt.Errorf("pipeline: playback: %w", err)
	}
	if p.echo != nil {
		p.echo.FarEnd(out)
	}
	return nil
}

// SetVolume sets slot's volume, 0..playout.MaxVolume.
func (p *Playback) SetVolume(slot int, v float64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mixer.SetVolume(slot, v)
}

// SetMuted mutes or unmutes slot.
func (p *Playback) SetMuted(slot int, muted bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mixer.SetMuted(slot, muted)
}

// Levels returns every slot's speech level, for the GUI.
func (p *Playback) Levels() [playout.MaxStreams]playout.Level {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mixer.Levels()
}

// Stats returns a snapshot of the counters.
func (p *Playback) Stats() PlaybackStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}
