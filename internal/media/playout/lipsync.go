package playout

import (
	"fmt"
	"time"
)

// VideoConfig tunes a VideoScheduler; zero fields take their defaults.
type VideoConfig struct {
	// Tolerance is how far a shown frame may trail its audio (default
	// 80 ms, inside the range viewers do not notice). A frame that can
	// no longer be shown within it is dropped.
	Tolerance time.Duration
	// DisplayLatency is the delay from Due returning a frame to light on
	// the screen (default 0); frames are released that much early.
	DisplayLatency time.Duration
	// MaxWait bounds how far video and audio clocks may disagree
	// (default 2 s). A frame further ahead of the audio than that is
	// shown at once rather than held until the queue overflows; when even
	// the newest frame is further behind, the newest is shown rather
	// than everything dropped. Both count as Unsynced.
	MaxWait time.Duration
	// QueueLen bounds the frames held (default 16, half a second at
	// 30 fps); when full the oldest is dropped.
	QueueLen int
}

func (c VideoConfig) withDefaults() (VideoConfig, error) {
	if c.Tolerance == 0 {
		c.Tolerance = 80 * time.Millisecond
	}
	if c.MaxWait == 0 {
		c.MaxWait = 2 * time.Second
	}
	if c.QueueLen == 0 {
		c.QueueLen = 16
	}
	if c.Tolerance < 0 || c.DisplayLatency < 0 || c.MaxWait < 0 || c.QueueLen < 1 || c.QueueLen > 1024 {
		return c, fmt.Errorf("%w: video scheduler %+v", ErrConfig, c)
	}
	return c, nil
}

// VideoStats counts what became of pushed frames. Every pushed frame is
// Shown, Late, Superseded, Overflow, Flushed, Duplicates, or still
// Pending.
type VideoStats struct {
	Pushed     uint64
	Shown      uint64
	Late       uint64 // too far behind the audio to show, or behind a frame already shown
	Superseded uint64 // due, but a newer frame was due at the same time
	Overflow   uint64 // dropped because the queue was full
	Flushed    uint64 // dropped by Reset
	Duplicates uint64 // same capture timestamp as a frame already queued
	Unsynced   uint64 // shown without syncing: beyond MaxWait, or no audio clock (included in Shown)
	Pending    int
}

// VideoScheduler holds decoded video frames of one remote peer until the
// audio playout clock reaches their capture time, so that lips and voice
// stay within Tolerance of each other.
//
// Both media carry capture timestamps from the sender's clock, so no clock
// estimation is needed: a frame captured at v belongs on screen when the
// audio captured at v is heard. At each display refresh, Due releases the
// newest frame with v at or before the audio clock, drops frames more than
// Tolerance behind it, and keeps early frames waiting. Without an audio
// clock (the peer's microphone is off) frames are shown as they come.
//
// T is whatever the caller keeps per frame (a decoded image, a pooled
// buffer). The scheduler never copies or inspects it; a dropped frame is
// handed to the optional Release function so that pooled buffers return.
// It is owned by one goroutine (the video loop) and starts none.
type VideoScheduler[T any] struct {
	cfg VideoConfig // constant after NewVideoScheduler
	// Release, when set, receives every frame the scheduler drops.
	Release func(T)

	q         []videoEntry[T] // ring ordered by ts
	head, n   int
	shown     bool
	lastShown time.Duration
	stats     VideoStats
}

type videoEntry[T any] struct {
	ts    time.Duration
	frame T
}

// NewVideoScheduler returns an empty scheduler.
func NewVideoScheduler[T any](cfg VideoConfig) (*VideoScheduler[T], error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &VideoScheduler[T]{cfg: cfg, q: make([]videoEntry[T], cfg.QueueLen)}, nil
}

func (s *VideoScheduler[T]) at(i int) *videoEntry[T] { return &s.q[(s.head+i)%len(s.q)] }

func (s *VideoScheduler[T]) drop(e *videoEntry[T]) {
	if s.Release != nil {
		s.Release(e.frame)
	}
	var zero T
	e.frame = zero
}

func (s *VideoScheduler[T]) popFront() videoEntry[T] {
	e := *s.at(0)
	var zero T
	s.at(0).frame = zero
	s.head = (s.head + 1) % len(s.q)
	s.n--
	return e
}

// Push queues a decoded frame captured at ts (sender clock). Frames may
// arrive out of order; one older than a frame already shown is dropped
// as late.
func (s *VideoScheduler[T]) Push(frame T, ts time.Duration) {
	s.stats.Pushed++
	if s.shown && ts <= s.lastShown {
		s.stats.Late++
		e := videoEntry[T]{ts: ts, frame: frame}
		s.drop(&e)
		return
	}
	// Insert in timestamp order; frames nearly always arrive in order, so
	// this walks zero or one entries.
	i := s.n
	for i > 0 && s.at(i-1).ts > ts {
		i--
	}
	e := videoEntry[T]{ts: ts, frame: frame}
	if i > 0 && s.at(i-1).ts == ts {
		// Two frames cannot share a capture instant: a repeat.
		s.stats.Duplicates++
		s.drop(&e)
		return
	}
	if s.n == len(s.q) {
		// Full: the oldest frame goes, which may be this one.
		s.stats.Overflow++
		if i == 0 {
			s.drop(&e)
			return
		}
		old := s.popFront()
		s.drop(&old)
		i--
	}
	for j := s.n; j > i; j-- {
		*s.at(j) = *s.at(j - 1)
	}
	*s.at(i) = e
	s.n++
}

// Due returns the frame to show at a display refresh, given the audio
// playout clock, and whether there is one; when there is none the screen
// keeps its current frame.
func (s *VideoScheduler[T]) Due(clock PlayoutClock) (frame T, ts time.Duration, ok bool) {
	if s.n == 0 {
		return frame, 0, false
	}
	if !clock.Valid {
		// No audio to follow.
		return s.showNewest()
	}
	h := satSub(clock.Timestamp, -s.cfg.DisplayLatency)
	if satSub(h, s.at(s.n-1).ts) > s.cfg.MaxWait {
		// Even the newest frame is far behind the audio: either the two
		// clocks disagree or the video stalled for longer than any
		// catch-up could hide. Dropping everything would freeze the
		// picture for good, so follow the video's own pace.
		return s.showNewest()
	}
	// Too late to show within tolerance: dropped while a newer frame is
	// queued. The newest is shown however late: a frame held up by a
	// retransmission brings the ones behind it late too, and dropping
	// them all would freeze the picture, which is worse than a moment
	// out of sync.
	for s.n > 1 && satSub(h, s.at(0).ts) > s.cfg.Tolerance {
		e := s.popFront()
		s.drop(&e)
		s.stats.Late++
	}
	if satSub(h, s.at(0).ts) > s.cfg.Tolerance {
		s.stats.Unsynced++
		return s.show(s.popFront())
	}
	if satSub(s.at(0).ts, h) > s.cfg.MaxWait {
		// The clocks disagree; waiting would only fill the queue.
		e := s.popFront()
		s.stats.Unsynced++
		return s.show(e)
	}
	// The newest frame at or before the audio clock.
	k := 0
	for k < s.n && s.at(k).ts <= h {
		k++
	}
	if k == 0 {
		return frame, 0, false // early: wait
	}
	for range k - 1 {
		e := s.popFront()
		s.drop(&e)
		s.stats.Superseded++
	}
	return s.show(s.popFront())
}

// showNewest shows the newest queued frame at once, superseding the rest.
func (s *VideoScheduler[T]) showNewest() (T, time.Duration, bool) {
	for s.n > 1 {
		e := s.popFront()
		s.drop(&e)
		s.stats.Superseded++
	}
	s.stats.Unsynced++
	return s.show(s.popFront())
}

func (s *VideoScheduler[T]) show(e videoEntry[T]) (T, time.Duration, bool) {
	s.shown, s.lastShown = true, e.ts
	s.stats.Shown++
	return e.frame, e.ts, true
}

// Reset drops every queued frame (the peer's video stream restarted).
func (s *VideoScheduler[T]) Reset() {
	for s.n > 0 {
		e := s.popFront()
		s.drop(&e)
		s.stats.Flushed++
	}
	s.shown = false
}

// Stats returns a snapshot of the counters.
func (s *VideoScheduler[T]) Stats() VideoStats {
	st := s.stats
	st.Pending = s.n
	return st
}
