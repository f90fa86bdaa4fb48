package pipeline

import (
	"fmt"
	"sync"
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/playout"
)

// ClockSource reports a peer's audio playout clock: the capture timestamp
// (on that peer's media clock) of the audio being heard at now. An
// AudioReceiver is one; a VideoReceiver syncs to it.
type ClockSource interface {
	PlayoutClock(now time.Time) playout.PlayoutClock
}

// AudioReceiverConfig sets up an AudioReceiver. Zero fields take defaults.
type AudioReceiverConfig struct {
	// Jitter tunes the jitter buffer; FrameDuration is always 20 ms.
	Jitter playout.JitterConfig
	// OutputLatency is the delay from Playback.ReadFrame returning a frame
	// to its sound leaving the speaker (the device's buffering); the
	// playout clock accounts for it.
	OutputLatency time.Duration
}

// AudioReceiverStats counts what an AudioReceiver did.
type AudioReceiverStats struct {
	// Jitter is the jitter buffer's view: delay, late, lost, FEC,
	// concealed, stretched.
	Jitter playout.JitterStats
	// Decoded, FEC and Concealed count 20 ms frames that this receiver
	// decoded normally, rebuilt from the FEC data the next packet carried,
	// or concealed (loss, stretch or a decode error).
	Decoded, FEC, Concealed uint64
	// NoFEC counts lost frames whose next packet was there but carried no
	// FEC data (concealed, and counted in Concealed).
	NoFEC uint64
	// DecodeErrors counts packets the decoder rejected (concealed instead).
	DecodeErrors uint64
	// Rejected counts packets the jitter buffer refused (oversized).
	Rejected uint64
}

// AudioReceiver plays one remote peer's audio: jitter buffer, Opus decoding
// with FEC and concealment, and the playout clock for lip sync. Playback
// pulls 10 ms frames from it; each second pull consumes one 20 ms packet.
type AudioReceiver struct {
	// Guarded by mu.
	mu      sync.Mutex
	closed  bool
	jb      *playout.JitterBuffer
	dec     *codec.OpusDecoder
	clock   playout.AudioClock
	pcm     [codec.OpusMaxFrameSamples]int16 // decoded packet
	half    int                              // next 10 ms half of pcm to play; 2 means pull a packet
	audible bool                             // pcm holds audio (not ActionQuiet)
	ts      time.Duration                    // timestamp of pcm's first sample
	held    bool                             // pcm is a stretch: the clock stands still
	stats   AudioReceiverStats
}

// NewAudioReceiver creates a receiver for one remote peer.
func NewAudioReceiver(cfg AudioReceiverConfig) (*AudioReceiver, error) {
	if cfg.OutputLatency < 0 {
		return nil, fmt.Errorf("%w: output latency %v", ErrConfig, cfg.OutputLatency)
	}
	jc := cfg.Jitter
	jc.FrameDuration = PacketDuration
	jb, err := playout.NewJitterBuffer(jc)
	if err != nil {
		return nil, fmt.Errorf("pipeline: audio receiver: %w", err)
	}
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		return nil, fmt.Errorf("pipeline: audio receiver: %w", err)
	}
	r := &AudioReceiver{jb: jb, dec: dec, half: 2}
	r.clock.OutputLatency = cfg.OutputLatency
	return r, nil
}

// Push gives the receiver a packet that arrived at now. The payload is
// copied. Late and duplicate packets are counted and dropped (that is not an
// error); an oversized payload is counted and reported.
func (r *AudioReceiver) Push(p AudioPacket, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrClosed
	}
	res, err := r.jb.Push(playout.Packet{Seq: p.Seq, Timestamp: p.Timestamp, Quiet: p.Quiet || codec.IsOpusDTX(p.Payload), Payload: p.Payload}, now)
	if res == playout.Rejected {
		r.stats.Rejected++
	}
	if err != nil {
		return fmt.Errorf("pipeline: audio receiver: %w", err)
	}
	return nil
}

// Pull writes the next 10 ms of this peer's audio into out (FrameSamples
// long) for the device tick at now, and reports whether there is any; when
// it returns false the peer is silent (not started, or paused) and out is
// untouched.
func (r *AudioReceiver) Pull(now time.Time, out []int16) (bool, error) {
	if len(out) != FrameSamples {
		return false, fmt.Errorf("%w: %d samples, want %d", ErrFrameSize, len(out), FrameSamples)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false, ErrClosed
	}
	if r.half == 2 {
		r.next(now)
		r.half = 0
	}
	h := r.half
	r.half++
	if !r.audible {
		return false, nil
	}
	copy(out, r.pcm[h*FrameSamples:(h+1)*FrameSamples])
	if r.held {
		r.clock.Held(r.ts, now)
	} else {
		r.clock.Played(r.ts+time.Duration(h)*FrameDuration, now)
	}
	return true, nil
}

// next pulls one 20 ms frame from the jitter buffer and decodes it into pcm.
func (r *AudioReceiver) next(now time.Time) {
	f := r.jb.Pop(now)
	r.audible, r.ts, r.held = f.Action != playout.ActionQuiet, f.Timestamp, f.Stretched
	pcm := r.pcm[:packetSamples]
	switch f.Action {
	case playout.ActionQuiet:
		return
	case playout.ActionDecode:
		n, err := r.dec.Decode(f.Payload, r.pcm[:])
		if err == nil && n == packetSamples {
			r.stats.Decoded++
			return
		}
		// A packet of another duration or a damaged one: conceal its
		// slot rather than drift the clock.
		r.stats.DecodeErrors++
	case playout.ActionFEC:
		// Only a next packet that carries FEC data rebuilds the lost
		// one; asked anyway, libopus conceals, which is not a recovery.
		if !codec.OpusHasFEC(f.Payload) {
			r.stats.NoFEC++
			break
		}
		if _, err := r.dec.DecodeFEC(f.Payload, pcm); err == nil {
			r.stats.FEC++
			return
		}
		r.stats.DecodeErrors++
	}
	r.stats.Concealed++
	if _, err := r.dec.DecodePLC(pcm); err != nil {
		clear(pcm)
	}
}

// PlayoutClock returns the capture timestamp (on the peer's media clock) of
// the audio being heard at now, and whether audio is playing at all.
func (r *AudioReceiver) PlayoutClock(now time.Time) playout.PlayoutClock {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clock.At(now)
}

// Reset forgets the stream (the peer restarted its audio): the jitter buffer
// empties and the playout clock stops; counters are kept.
func (r *AudioReceiver) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jb.Reset()
	r.clock.Reset()
	r.half, r.audible = 2, false
}

// Stats returns a snapshot of the counters.
func (r *AudioReceiver) Stats() AudioReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats
	st.Jitter = r.jb.Stats()
	return st
}

// Close frees the decoder. Push and Pull fail afterwards.
func (r *AudioReceiver) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	return r.dec.Close()
}
