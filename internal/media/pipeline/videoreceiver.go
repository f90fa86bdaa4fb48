package pipeline

import (
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/playout"
)

// DefaultKeyframeRequestInterval is the shortest time between two keyframe
// requests from one VideoReceiver. It is shorter than the sender's
// DefaultMinKeyframeInterval so that a request lost with its keyframe is
// repeated soon, and long enough that the frames of one loss (a handful at
// 15 fps) ask only once.
const DefaultKeyframeRequestInterval = 300 * time.Millisecond

// VideoReceiverConfig sets up a VideoReceiver. Zero fields take defaults.
type VideoReceiverConfig struct {
	// Audio is the same peer's audio playout clock (its AudioReceiver);
	// nil shows frames as they are decoded.
	Audio ClockSource
	// Sync tunes the lip-sync scheduler.
	Sync playout.VideoConfig
	// RequestKeyframe is called (rate-limited, on the goroutine calling
	// Push, after the receiver's lock is released) when the receiver
	// cannot decode what comes next without a keyframe. The call sends
	// the request to the peer's VideoSender.
	RequestKeyframe func()
	// RequestInterval is the shortest time between two requests (default
	// DefaultKeyframeRequestInterval).
	RequestInterval time.Duration
}

// VideoReceiverStats counts what a VideoReceiver did.
type VideoReceiverStats struct {
	Received     uint64 // packets pushed
	Decoded      uint64 // frames decoded into a picture
	DecodeErrors uint64 // frames the decoder rejected or flagged corrupted
	// Skipped counts frames not decoded because a frame they depend on
	// never came, or because the decoder waits for a keyframe.
	Skipped uint64
	// Stale counts frames older than what was already decoded (duplicates,
	// or reordered behind a newer reference).
	Stale uint64
	// KeyframeRequests counts requests made; Suppressed the ones the rate
	// limit held back.
	KeyframeRequests, Suppressed uint64
	// Display is the lip-sync scheduler's account: Shown, Late (dropped
	// as too far behind the audio), Superseded, ...
	Display playout.VideoStats
}

// VideoReceiver plays one remote peer's video: VP8 decoding with loss
// detection and keyframe requests, then lip sync against the peer's audio.
type VideoReceiver struct {
	audio    ClockSource // constant
	request  func()      // constant
	interval time.Duration

	// Guarded by mu.
	mu        sync.Mutex
	closed    bool
	dec       *codec.VP8Decoder
	sched     *playout.VideoScheduler[*image.YCbCr]
	free      []*image.YCbCr // decoded pictures to reuse, all of size
	size      image.Rectangle
	shown     *image.YCbCr // the picture Due returned last
	have      DepVector    // non-droppable frames decoded per layer
	started   bool         // a keyframe has been decoded
	broken    bool         // the decoder state is suspect until a keyframe
	lastReq   time.Time
	requested bool // lastReq is meaningful
	stats     VideoReceiverStats
}

// NewVideoReceiver creates a receiver for one remote peer. Close frees it.
func NewVideoReceiver(cfg VideoReceiverConfig) (*VideoReceiver, error) {
	if cfg.RequestInterval == 0 {
		cfg.RequestInterval = DefaultKeyframeRequestInterval
	}
	if cfg.RequestInterval < 0 {
		return nil, fmt.Errorf("%w: request interval %v", ErrConfig, cfg.RequestInterval)
	}
	sched, err := playout.NewVideoScheduler[*image.YCbCr](cfg.Sync)
	if err != nil {
		return nil, fmt.Errorf("pipeline: video receiver: %w", err)
	}
	dec, err := codec.NewVP8Decoder()
	if err != nil {
		return nil, fmt.Errorf("pipeline: video receiver: %w", err)
	}
	r := &VideoReceiver{audio: cfg.Audio, request: cfg.RequestKeyframe, interval: cfg.RequestInterval, dec: dec, sched: sched}
	sched.Release = r.recycle
	return r, nil
}

// recycle keeps a picture for the next decode, unless the stream has
// changed size since it was decoded. Called with mu held.
func (r *VideoReceiver) recycle(img *image.YCbCr) {
	if img != nil && img.Rect == r.size && len(r.free) < maxFree {
		r.free = append(r.free, img)
	}
}

// maxFree bounds the pictures kept for reuse: the scheduler's queue turns
// over a few at a time.
const maxFree = 8

// Push decodes a packet that arrived at now and queues its picture for
// display. Packets must come in the order sent, minus the lost ones (RTMFP
// flows deliver in order). A frame that cannot be decoded is counted and
// skipped, and may trigger a keyframe request; that is not an error.
func (r *VideoReceiver) Push(p VideoPacket, now time.Time) error {
	ask, err := r.push(p, now)
	if ask && r.request != nil {
		r.request()
	}
	return err
}

func (r *VideoReceiver) push(p VideoPacket, now time.Time) (ask bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false, ErrClosed
	}
	r.stats.Received++
	if int(p.Layer) >= len(p.Deps) {
		r.stats.Skipped++
		return false, nil
	}
	if !p.Keyframe {
		if !r.started || r.broken {
			r.stats.Skipped++
			return r.ask(now), nil
		}
		for l := 0; l <= int(p.Layer); l++ {
			switch d := int8(p.Deps[l] - r.have[l]); {
			case d > 0: // a reference-updating frame never came
				r.stats.Skipped++
				return r.ask(now), nil
			case d < 0:
				r.stats.Stale++
				return false, nil
			}
		}
	}
	var dst *image.YCbCr
	if n := len(r.free); n > 0 {
		dst, r.free = r.free[n-1], r.free[:n-1]
	}
	img, err := r.dec.Decode(p.Payload, dst)
	if img != dst {
		r.recycle(dst)
	}
	if err != nil {
		r.recycle(img)
		r.stats.DecodeErrors++
		r.broken = true
		if errors.Is(err, codec.ErrDecode) || errors.Is(err, codec.ErrCorruptFrame) || errors.Is(err, codec.ErrNeedKeyframe) {
			return r.ask(now), nil
		}
		return r.ask(now), fmt.Errorf("pipeline: video receiver: %w", err)
	}
	switch {
	case p.Keyframe:
		for l := range r.have {
			r.have[l] = p.Deps[l] + 1
		}
		r.started, r.broken = true, false
	case !p.Droppable:
		r.have[p.Layer] = p.Deps[p.Layer] + 1
	}
	if img == nil { // decoded but not for display
		return false, nil
	}
	if img.Rect != r.size {
		r.size, r.free = img.Rect, r.free[:0]
	}
	r.stats.Decoded++
	r.sched.Push(img, p.Timestamp)
	return false, nil
}

// ask decides whether to request a keyframe now. Called with mu held.
func (r *VideoReceiver) ask(now time.Time) bool {
	if r.requested && now.Sub(r.lastReq) < r.interval {
		r.stats.Suppressed++
		return false
	}
	r.requested, r.lastReq = true, now
	r.stats.KeyframeRequests++
	return true
}

// Due returns the picture to show at the display refresh at now, with its
// capture timestamp, or ok false when the screen should keep what it shows.
// The picture stays valid until the next call to Due.
func (r *VideoReceiver) Due(now time.Time) (img *image.YCbCr, ts time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, 0, false
	}
	var clock playout.PlayoutClock
	if r.audio != nil {
		clock = r.audio.PlayoutClock(now)
	}
	img, ts, ok = r.sched.Due(clock)
	if !ok {
		return nil, 0, false
	}
	r.recycle(r.shown)
	r.shown = img
	return img, ts, true
}

// Reset forgets the stream (the peer restarted its video): queued pictures
// are dropped and decoding waits for a keyframe. Counters are kept.
func (r *VideoReceiver) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sched.Reset()
	r.started, r.broken = false, false
	r.have = DepVector{}
}

// Stats returns a snapshot of the counters.
func (r *VideoReceiver) Stats() VideoReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats
	st.Display = r.sched.Stats()
	return st
}

// Close frees the decoder. Push fails afterwards.
func (r *VideoReceiver) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.sched.Reset()
	return r.dec.Close()
}
