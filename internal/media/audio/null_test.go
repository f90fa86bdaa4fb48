package audio

import (
	"runtime"
	"testing"
	"time"
)

// nullRunTime is how long the null-backend devices run. The null backend
// is a real clock on its own thread, so this is wall time; half a second is
// 50 periods, enough to measure the rate within a few percent.
const nullRunTime = 500 * time.Millisecond

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

// TestNullDevicesRunAtNominalRate runs a null microphone and a null
// speaker together and counts the 10 ms frames each delivers.
func TestNullDevicesRunAtNominalRate(t *testing.T) {
	ctx := openNull(t)
	q := NewFrameQueue(8)
	capt, err := ctx.OpenCapture(CaptureConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Close()
	play, err := ctx.OpenPlayback(PlaybackConfig{Source: q})
	if err != nil {
		t.Fatal(err)
	}
	defer play.Close()
	if d := capt.Device(); d.Name != "NULL Capture Device" || !d.IsDefault {
		t.Fatalf("capture device %+v", d)
	}
	if d := play.Device(); d.Name != "NULL Playback Device" || !d.IsDefault {
		t.Fatalf("playback device %+v", d)
	}

	var frames, nonSilent int
	var lastSeq uint64
	var tone [FrameSamples]int16
	for i := range tone {
		tone[i] = int16(i)
	}
	receive := func(f *Frame) {
		if frames > 0 && f.Seq != lastSeq+1 {
			t.Errorf("frame Seq %d after %d: a gap", f.Seq, lastSeq)
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
	// Measure from here: both devices are open and started.
	cs0, ps0, t0 := capt.Stats(), play.Stats(), time.Now()
	deadline := time.After(nullRunTime)
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
	cs1, ps1, elapsed := capt.Stats(), play.Stats(), time.Since(t0)
	capt.Close()
	play.Close()
	for f := range capt.Frames() { // closed by Close
		receive(f)
	}
	final := capt.Stats()

	want := float64(elapsed) / float64(FrameDuration)
	capFrames := cs1.Frames + cs1.Dropped - cs0.Frames - cs0.Dropped
	playFrames := ps1.Frames + ps1.Underruns - ps0.Frames - ps0.Underruns
	t.Logf("%v measured (%.1f periods): capture %d frames (%d callbacks), playback %d frames (%d callbacks, %d underruns); after close: %d received, stats %+v",
		elapsed.Round(time.Millisecond), want, capFrames, cs1.Callbacks-cs0.Callbacks,
		playFrames, ps1.Callbacks-ps0.Callbacks, ps1.Underruns-ps0.Underruns, frames, final)
	within := func(what string, got uint64) {
		if r := float64(got) / want; r < 0.8 || r > 1.2 {
			t.Errorf("%s: %d frames in %v, %.0f%% of the nominal %.1f", what, got, elapsed, 100*r, want)
		}
	}
	within("capture", capFrames)
	within("playback", playFrames)
	if final.Dropped != 0 {
		t.Errorf("capture dropped %d frames with a consumer that keeps up", final.Dropped)
	}
	if uint64(frames) != final.Frames {
		t.Errorf("received %d frames, stats say %d delivered", frames, final.Frames)
	}
	if nonSilent != 0 {
		t.Errorf("null capture delivered %d non-zero samples, want silence", nonSilent)
	}
	if ps1.Frames == 0 {
		t.Errorf("playback took no frame from the source")
	}
}

// TestNullCallbacksDoNotAllocate counts heap allocations in the whole
// process while a null microphone and speaker run for 300 ms with a
// consumer that keeps up. The callbacks run on miniaudio's threads, so
// testing.AllocsPerRun cannot see them; the process-wide count is an upper
// bound that includes malgo's cgo callback path.
func TestNullCallbacksDoNotAllocate(t *testing.T) {
	ctx := openNull(t)
	q := NewFrameQueue(8)
	capt, err := ctx.OpenCapture(CaptureConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Close()
	play, err := ctx.OpenPlayback(PlaybackConfig{Source: q})
	if err != nil {
		t.Fatal(err)
	}
	defer play.Close()
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
