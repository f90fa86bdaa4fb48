package audio

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// nullStep is one measuring step. The null backend is a real clock on its
// own thread, so this is wall time; half a second is 50 periods.
const nullStep = 500 * time.Millisecond

// nullMaxSteps bounds the run. On a shared two-core machine a device thread
// can be descheduled for a few hundred milliseconds; miniaudio's null
// backend then catches up (it compares frames delivered with its timer), so
// a longer cumulative measurement absorbs the stall. The test stops at the
// first step where both rates are within tolerance.
const nullMaxSteps = 4

func openNull(t *testing.T) *Context {
	t.Helper()
	ctx, err := NewContext(ModeNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctx.Close() })
	if ctx.Backend() != BackendNull {
		t.Fatalf("backend %v, want Null", ctx.Backend())
	}
	return ctx
}

// openNullPair opens a null microphone and a null speaker that plays from
// the returned queue; both close when the test ends.
func openNullPair(t *testing.T) (*FrameQueue, *Capture, *Playback) {
	t.Helper()
	ctx := openNull(t)
	q := NewFrameQueue(8)
	capt, err := ctx.OpenCapture(CaptureConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { capt.Close() })
	play, err := ctx.OpenPlayback(PlaybackConfig{Source: q})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { play.Close() })
	return q, capt, play
}

// TestNullDevicesRunAtNominalRate runs a null microphone and a null
// speaker together and counts the 10 ms frames each delivers.
func TestNullDevicesRunAtNominalRate(t *testing.T) {
	q, capt, play := openNullPair(t)
	if d := capt.Device(); d.Name != "NULL Capture Device" || !d.IsDefault {
		t.Fatalf("capture device %+v", d)
	}
	if d := play.Device(); d.Name != "NULL Playback Device" || !d.IsDefault {
		t.Fatalf("playback device %+v", d)
	}

	var frames, nonSilent, gaps int
	var lastSeq uint64
	var tone [FrameSamples]int16
	for i := range tone {
		tone[i] = int16(i)
	}
	receive := func(f *Frame) {
		if frames > 0 && f.Seq != lastSeq+1 {
			gaps += int(f.Seq - lastSeq - 1)
		}
		lastSeq = f.Seq
		frames++
		for _, s := range f.Samples {
			if s != 0 {
				nonSilent++
			}
		}
		capt.Release(f)
	}
	within := func(got uint64, want float64) bool {
		r := float64(got) / want
		return r >= 0.8 && r <= 1.2
	}
	// A 10 ms Go ticker over the same window tells a slow device from a
	// starved process: a ticker drops the ticks its reader misses.
	var ticks atomic.Int64
	stopTicker := make(chan struct{})
	defer close(stopTicker)
	go func() {
		tk := time.NewTicker(FrameDuration)
		defer tk.Stop()
		for {
			select {
			case <-tk.C:
				ticks.Add(1)
			case <-stopTicker:
				return
			}
		}
	}()
	// Measure from here: both devices are open and started.
	cs0, ps0, t0 := capt.Stats(), play.Stats(), time.Now()
	ticks0 := ticks.Load()
	var capFrames, playFrames uint64
	var elapsed time.Duration
	var want float64
	ok := false
	for step := 1; step <= nullMaxSteps && !ok; step++ {
		deadline := time.After(time.Until(t0.Add(time.Duration(step) * nullStep)))
	loop:
		for {
			select {
			case f := <-capt.Frames():
				receive(f)
				q.Push(tone[:]) // keep the speaker fed
			case <-deadline:
				break loop
			}
		}
		cs1, ps1 := capt.Stats(), play.Stats()
		elapsed = time.Since(t0)
		want = float64(elapsed) / float64(FrameDuration)
		capFrames = cs1.Frames + cs1.Dropped - cs0.Frames - cs0.Dropped
		playFrames = ps1.Frames + ps1.Underruns - ps0.Frames - ps0.Underruns
		t.Logf("after %v (%.1f periods): capture %d frames = %.0f%% (%d callbacks), playback %d frames = %.0f%% (%d callbacks, %d underruns)",
			elapsed.Round(time.Millisecond), want, capFrames, 100*float64(capFrames)/want, cs1.Callbacks-cs0.Callbacks,
			playFrames, 100*float64(playFrames)/want, ps1.Callbacks-ps0.Callbacks, ps1.Underruns-ps0.Underruns)
		ok = within(capFrames, want) && within(playFrames, want)
	}
	if tickRate := float64(ticks.Load()-ticks0) / want; !ok && tickRate < 0.8 {
		t.Skipf("machine overloaded: a 10 ms Go ticker ran at %.0f%% over the same %v, so the device rates (capture %.0f%%, playback %.0f%%) say nothing",
			100*tickRate, elapsed, 100*float64(capFrames)/want, 100*float64(playFrames)/want)
	}
	if !within(capFrames, want) {
		t.Errorf("capture: %d frames in %v, want %.1f ± 20%%", capFrames, elapsed, want)
	}
	if !within(playFrames, want) {
		t.Errorf("playback: %d frames in %v, want %.1f ± 20%%", playFrames, elapsed, want)
	}
	capt.Close()
	play.Close()
	for f := range capt.Frames() { // closed by Close
		receive(f)
	}
	final := capt.Stats()
	t.Logf("after close: %d received, %d missing from Seq; stats %+v", frames, gaps, final)
	// Every frame is either received or counted as dropped, and each drop
	// leaves its gap in Seq.
	if uint64(frames) != final.Frames || uint64(gaps) != final.Dropped {
		t.Errorf("received %d with %d Seq gaps; stats say %d delivered, %d dropped", frames, gaps, final.Frames, final.Dropped)
	}
	if nonSilent != 0 {
		t.Errorf("null capture delivered %d non-zero samples, want silence", nonSilent)
	}
	if play.Stats().Frames == 0 {
		t.Errorf("playback took no frame from the source")
	}
}

// TestNullCallbacksDoNotAllocate counts heap allocations in the whole
// process while a null microphone and speaker run for 300 ms with a
// consumer that keeps up. The callbacks run on miniaudio's threads, so
// testing.AllocsPerRun cannot see them; the process-wide count is an upper
// bound that includes malgo's cgo callback path.
func TestNullCallbacksDoNotAllocate(t *testing.T) {
	q, capt, play := openNullPair(t)
	// Let both devices settle before counting.
	for i := 0; i < 5; i++ {
		capt.Release(<-capt.Frames())
	}
	timer := time.NewTimer(300 * time.Millisecond)
	defer timer.Stop()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c0, p0 := capt.Stats().Callbacks, play.Stats().Callbacks
loop:
	for {
		select {
		case f := <-capt.Frames():
			q.Push(f.Samples[:])
			capt.Release(f)
		case <-timer.C:
			break loop
		}
	}
	runtime.ReadMemStats(&after)
	callbacks := capt.Stats().Callbacks - c0 + play.Stats().Callbacks - p0
	mallocs := after.Mallocs - before.Mallocs
	t.Logf("%d heap allocations in the process during %d device callbacks", mallocs, callbacks)
	if callbacks < 20 {
		t.Fatalf("only %d callbacks in 300 ms", callbacks)
	}
	if mallocs >= callbacks/4 {
		t.Errorf("%d allocations for %d callbacks: the audio path allocates", mallocs, callbacks)
	}
}
