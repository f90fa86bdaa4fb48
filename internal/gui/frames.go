package gui

import (
	"image"
	"sync"
	"sync/atomic"
)

// frameSlot carries one tile's pictures from the room's display goroutine to
// the Fyne goroutine without blocking either and without piling up: the
// producer converts into a free buffer and makes it the latest; the Fyne
// goroutine shows the latest when it gets to it. Frames that arrive faster
// than the screen takes them replace each other, and at most one fyne.Do is
// pending per slot.
//
// Three buffers: the one shown (Fyne may upload it again at any paint), the
// latest waiting to be shown, and the one being written. Sizes change only
// when the sender's resolution does; otherwise nothing is allocated.
type frameSlot struct {
	do      func(func()) // fyne.Do, or a test's queue
	present func()       // s.show as a method value, made once (no allocation per frame)

	conv sync.Mutex // one producer at a time (the room has one display goroutine)

	mu        sync.Mutex
	bufs      [3]*image.RGBA
	latest    int // index of the newest frame not yet shown, -1 for none
	shown     int // index the tile shows, -1 for none
	pending   bool
	attached  func(img *image.RGBA, synthetic bool) // the tile's setter; nil while no tile shows the slot
	synthetic [3]bool

	frames atomic.Uint64 // pictures received
	shows  atomic.Uint64 // pictures put on screen
}

func newFrameSlot(do func(func())) *frameSlot {
	s := &frameSlot{do: do, latest: -1, shown: -1}
	s.present = s.show
	return s
}

// push converts a picture into the slot (on the room's display goroutine).
func (s *frameSlot) push(img *image.YCbCr, synthetic bool) {
	s.conv.Lock()
	defer s.conv.Unlock()
	s.mu.Lock()
	i := 0
	for i == s.latest || i == s.shown {
		i++
	}
	s.mu.Unlock()
	// Buffer i is neither shown nor waiting, and only this producer
	// writes: convert without holding mu.
	s.bufs[i] = I420ToRGBA(s.bufs[i], img)
	s.frames.Add(1)
	s.mu.Lock()
	s.latest = i
	s.synthetic[i] = synthetic
	schedule := !s.pending && s.attached != nil
	if schedule {
		s.pending = true
	}
	s.mu.Unlock()
	if schedule {
		s.do(s.present)
	}
}

// show puts the latest picture on the tile (on the Fyne goroutine).
func (s *frameSlot) show() {
	s.mu.Lock()
	s.pending = false
	set := s.attached
	if s.latest < 0 || set == nil {
		s.mu.Unlock()
		return
	}
	s.shown, s.latest = s.latest, -1
	img, syn := s.bufs[s.shown], s.synthetic[s.shown]
	s.mu.Unlock()
	s.shows.Add(1)
	set(img, syn)
}

// attach connects the slot to a tile's setter (on the Fyne goroutine); a
// picture already waiting is shown at once.
func (s *frameSlot) attach(set func(img *image.RGBA, synthetic bool)) {
	s.mu.Lock()
	s.attached = set
	s.mu.Unlock()
	if set != nil {
		s.show()
	}
}

// slots maps a tile's key (a member's peer ID, or local) to its slot; the
// room's display goroutine and the Fyne goroutine both reach it.
type slots[K comparable] struct {
	do func(func())
	mu sync.Mutex
	m  map[K]*frameSlot
}

func (ss *slots[K]) get(k K) *frameSlot {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[K]*frameSlot{}
	}
	s := ss.m[k]
	if s == nil {
		s = newFrameSlot(ss.do)
		ss.m[k] = s
	}
	return s
}

func (ss *slots[K]) drop(k K) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, k)
}

func (ss *slots[K]) reset() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.m = nil
}

// shows counts the pictures put on screen by every slot.
func (ss *slots[K]) shows() uint64 {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var n uint64
	for _, s := range ss.m {
		n += s.shows.Load()
	}
	return n
}
