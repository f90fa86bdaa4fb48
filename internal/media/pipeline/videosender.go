package pipeline

import (
	"fmt"
	"image"
	"sync"
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/video"
)

// DefaultMinKeyframeInterval is the shortest time between two keyframes
// forced by receivers' requests. A keyframe costs several inter frames'
// worth of bits; with four receivers each losing packets now and then,
// granting every request at once would spend the whole budget on them.
const DefaultMinKeyframeInterval = 500 * time.Millisecond

// VideoSenderConfig sets up a VideoSender. Zero fields take defaults.
type VideoSenderConfig struct {
	// Epoch is the zero of the media clock, shared with the peer's
	// AudioSender.
	Epoch time.Time
	// Encoder configures VP8 (size, frame rate, bitrate, temporal layers,
	// speed); see codec.VP8EncoderConfig for the defaults.
	Encoder codec.VP8EncoderConfig
	// MinKeyframeInterval is the shortest time between keyframes forced by
	// RequestKeyframe (default DefaultMinKeyframeInterval). A request
	// inside it is remembered and served when it has passed.
	MinKeyframeInterval time.Duration
	// Send receives every packet, on the goroutine that called Encode.
	// Required. The payload is valid only during the call.
	Send func(VideoPacket)
}

// VideoSenderStats counts what a VideoSender did.
type VideoSenderStats struct {
	Frames    uint64 // pictures given to Encode
	Packets   uint64 // packets sent
	Bytes     uint64 // payload bytes sent
	Keyframes uint64 // keyframes sent, for any reason
	// Requests counts RequestKeyframe calls; Forced the keyframes they
	// caused; Deferred the requests that found the interval not yet
	// passed (served later, or by a keyframe already on its way).
	Requests, Forced, Deferred uint64
	Dropped                    uint64 // pictures the rate control skipped
	Errors                     uint64 // pictures that failed to encode
	// Layers counts packets per temporal layer.
	Layers  [codec.MaxTemporalLayers]uint64
	Bitrate int // target bitrate in force
}

// VideoSender turns camera pictures into VP8 packets.
type VideoSender struct {
	send     func(VideoPacket) // constant
	epoch    time.Time         // constant
	minKey   time.Duration     // constant
	enc      *codec.VP8Encoder // knobs atomic; Encode under mu
	w, h     int               // constant
	encodeMu sync.Mutex        // serialises Encode; taken before mu

	// Guarded by mu.
	mu      sync.Mutex
	closed  bool
	buf     []byte
	deps    DepVector // non-droppable frames sent per layer
	lastKey time.Time // capture time of the last keyframe sent
	sentKey bool      // lastKey is meaningful
	pending bool      // a request waits for the interval to pass
	forcing bool      // the encoder was asked for a keyframe
	lastErr error
	stats   VideoSenderStats
}

// NewVideoSender creates a VideoSender. Close frees it.
func NewVideoSender(cfg VideoSenderConfig) (*VideoSender, error) {
	if cfg.Send == nil {
		return nil, fmt.Errorf("%w: video sender without Send", ErrConfig)
	}
	if cfg.MinKeyframeInterval == 0 {
		cfg.MinKeyframeInterval = DefaultMinKeyframeInterval
	}
	if cfg.MinKeyframeInterval < 0 {
		return nil, fmt.Errorf("%w: keyframe interval %v", ErrConfig, cfg.MinKeyframeInterval)
	}
	enc, err := codec.NewVP8Encoder(cfg.Encoder)
	if err != nil {
		return nil, fmt.Errorf("pipeline: video sender: %w", err)
	}
	ec := enc.Config()
	return &VideoSender{
		send:   cfg.Send,
		epoch:  cfg.Epoch,
		minKey: cfg.MinKeyframeInterval,
		enc:    enc,
		w:      ec.Width,
		h:      ec.Height,
		buf:    make([]byte, 0, 64<<10),
	}, nil
}

// Encode compresses one picture captured at captured (I420 of the
// configured size) and sends the packet, if rate control did not skip it.
func (s *VideoSender) Encode(img *image.YCbCr, captured time.Time) error {
	s.encodeMu.Lock()
	defer s.encodeMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.stats.Frames++
	if s.pending && s.intervalPassed(captured) {
		s.pending = false
		s.force()
	}
	buf := s.buf[:0]
	s.mu.Unlock()

	// Encoding takes milliseconds: RequestKeyframe, SetBitrate and Stats
	// must not wait for it.
	f, err := s.enc.Encode(buf, img)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.stats.Errors++
		s.lastErr = err
		return fmt.Errorf("pipeline: video sender: %w", err)
	}
	s.buf = f.Data[:0]
	if f.Dropped {
		s.stats.Dropped++
		return nil
	}
	p := VideoPacket{
		Timestamp: captured.Sub(s.epoch),
		Keyframe:  f.Keyframe,
		Layer:     f.TemporalLayer,
		Droppable: f.Droppable,
		Payload:   f.Data,
	}
	switch {
	case f.Keyframe:
		p.Deps = s.deps
		for l := range s.deps {
			s.deps[l]++
		}
		s.stats.Keyframes++
		if s.forcing {
			s.forcing = false
			s.stats.Forced++
		}
		s.lastKey, s.sentKey = captured, true
	case !f.Droppable:
		copy(p.Deps[:p.Layer+1], s.deps[:p.Layer+1])
		s.deps[f.TemporalLayer]++
	default:
		copy(p.Deps[:p.Layer+1], s.deps[:p.Layer+1])
	}
	s.stats.Packets++
	s.stats.Bytes += uint64(len(f.Data))
	s.stats.Layers[f.TemporalLayer]++
	s.send(p)
	return nil
}

// Deliver is Encode in the shape of a camera's deliver callback
// (video.Camera.Start, synth.Camera.Start). Errors are counted in Stats and
// the last one is kept for LastError.
func (s *VideoSender) Deliver(f video.Frame) {
	_ = s.Encode(f.Image, f.Time)
}

// LastError returns the last encoding error, or nil.
func (s *VideoSender) LastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// RequestKeyframe asks for a keyframe on behalf of a receiver that lost
// one of its references, at now (on the clock the capture times come from).
// It is granted at once unless a keyframe went out less than
// MinKeyframeInterval ago; then it is served by the first picture after the
// interval (a receiver that has meanwhile got the earlier keyframe simply
// gets another). It reports whether the next picture will be a keyframe.
// Safe from any goroutine.
func (s *VideoSender) RequestKeyframe(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	if s.forcing {
		return true
	}
	if !s.intervalPassed(now) {
		s.stats.Deferred++
		s.pending = true
		return false
	}
	s.force()
	return true
}

func (s *VideoSender) intervalPassed(now time.Time) bool {
	return !s.sentKey || now.Sub(s.lastKey) >= s.minKey
}

func (s *VideoSender) force() {
	s.forcing = true
	s.enc.RequestKeyframe()
}

// SetBitrate changes the target bitrate (bits per second) from the next
// picture on, without a keyframe. Safe from any goroutine.
func (s *VideoSender) SetBitrate(bps int) error {
	if err := s.enc.SetBitrate(bps); err != nil {
		return fmt.Errorf("pipeline: video sender: %w", err)
	}
	return nil
}

// Size returns the picture size the encoder takes.
func (s *VideoSender) Size() (w, h int) { return s.w, s.h }

// Stats returns a snapshot of the counters.
func (s *VideoSender) Stats() VideoSenderStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Bitrate = s.enc.Bitrate()
	return st
}

// Close frees the encoder. Encode fails afterwards.
func (s *VideoSender) Close() error {
	s.encodeMu.Lock()
	defer s.encodeMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.enc.Close()
}
