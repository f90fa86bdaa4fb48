package main

import (
	"runtime"
	"syscall"
	"time"

	"camchat/internal/media/aec"
)

const frame = 480 // 10 ms

// processor is an echo canceller with noise suppression, fed 10 ms frames.
type processor interface {
	Process(mic, far, out []int16)
	Close()
}

// contender names a processor and makes fresh ones.
type contender struct {
	name string
	make func() (processor, error)
}

type camchat struct{ c *aec.Canceller }

func newCamchat() (processor, error) {
	c, err := aec.New(aec.Config{SampleRate: rate, FrameSize: frame})
	if err != nil {
		return nil, err
	}
	return camchat{c}, nil
}

func (p camchat) Process(mic, far, out []int16) { p.c.Process(mic, far, out) }
func (p camchat) Close()                        { p.c.Close() }

// run feeds a scene through a fresh processor and returns its output and
// the thread's CPU time per frame.
func run(c contender, mic, far []int16) ([]int16, time.Duration, error) {
	p, err := c.make()
	if err != nil {
		return nil, 0, err
	}
	defer p.Close()
	out := make([]int16, len(mic))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0 := threadCPU()
	frames := 0
	for i := 0; i+frame <= len(mic); i += frame {
		p.Process(mic[i:i+frame], far[i:i+frame], out[i:i+frame])
		frames++
	}
	return out, (threadCPU() - c0) / time.Duration(frames), nil
}

// threadCPU is the calling thread's CPU time.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
