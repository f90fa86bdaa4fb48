package audio

import "time"

// The one format camchat captures and plays. Opus runs natively at 48 kHz
// and the call is mono; 10 ms is the shortest Opus frame, and two of these
// make the 20 ms packets the design uses.
const (
	SampleRate    = 48000                 // Hz
	Channels      = 1                     // mono
	FrameDuration = 10 * time.Millisecond // one period of the device
	FrameSamples  = SampleRate / 100      // samples in one FrameDuration
	bytesPerFrame = FrameSamples * 2      // int16
)

// Frame is 10 ms of mono audio.
type Frame struct {
	// Seq counts 10 ms frames since the Capture opened, across device
	// switches; a gap in Seq is a dropped frame.
	Seq uint64
	// Samples are signed 16-bit at 48 kHz.
	Samples [FrameSamples]int16
}

// framePool is a fixed set of frames handed out and returned without
// allocation. A channel is the free list, so that the audio thread can take
// a frame with a non-blocking receive.
type framePool chan *Frame

func newFramePool(n int) framePool {
	p := make(framePool, n)
	for i := 0; i < n; i++ {
		p <- new(Frame)
	}
	return p
}

// get returns a free frame or nil; it never blocks.
func (p framePool) get() *Frame {
	select {
	case f := <-p:
		return f
	default:
		return nil
	}
}

// put returns a frame. A frame that does not belong (the pool is already
// full) is dropped for the garbage collector rather than blocking.
func (p framePool) put(f *Frame) {
	if f == nil {
		return
	}
	select {
	case p <- f:
	default:
	}
}
