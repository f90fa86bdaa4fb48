package synth

import (
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/media/video"
)

// TestCameraDeliversOnSchedule: under virtual time, a camera at fps
// delivers exactly n frames in the first n/fps seconds (frame k at k/fps),
// numbered 0..n-1 and stamped with their capture times.
func TestCameraDeliversOnSchedule(t *testing.T) {
	for _, tc := range []struct{ fps, n int }{{30, 30}, {15, 45}, {25, 100}, {7, 7}} {
		synctest.Test(t, func(t *testing.T) {
			cam, err := NewCamera(CameraConfig{Width: 320, Height: 240, FPS: tc.fps})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			var mu sync.Mutex // the race detector does not see synctest.Wait's ordering
			var got []video.Frame
			var stamps []uint32
			count := func() int { mu.Lock(); defer mu.Unlock(); return len(got) }
			cam.Start(func(f video.Frame) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, video.Frame{Time: f.Time, Seq: f.Seq})
				n, ts, ok := ReadStamp(f.Image)
				if !ok || ts != StampTime(f.Time, time.Unix(0, 0)) {
					t.Errorf("frame %d: stamp %d %v ok=%v", f.Seq, n, ts, ok)
				}
				stamps = append(stamps, n)
			})
			period := time.Duration(tc.n) * time.Second / time.Duration(tc.fps)
			time.Sleep(period - time.Nanosecond)
			synctest.Wait()
			if n := count(); n != tc.n {
				t.Fatalf("%d fps: %d frames in %v, want %d", tc.fps, n, period, tc.n)
			}
			time.Sleep(time.Nanosecond)
			synctest.Wait()
			if count() != tc.n+1 {
				t.Fatalf("%d fps: frame %d not delivered at %v", tc.fps, tc.n, period)
			}
			cam.Close()
			for k, f := range got {
				want := start.Add(time.Duration(k) * time.Second / time.Duration(tc.fps))
				if f.Seq != uint64(k) || stamps[k] != uint32(k) || !f.Time.Equal(want) {
					t.Fatalf("frame %d: seq %d stamp %d at %v, want %v", k, f.Seq, stamps[k], f.Time.Sub(start), want.Sub(start))
				}
			}
			if d, s := cam.Stats(); d != uint64(tc.n+1) || s != 0 {
				t.Fatalf("stats %d delivered %d skipped", d, s)
			}
		})
	}
}

// TestCameraSkipsWhenLate: a callback that blocks for 100 ms at 30 fps
// makes the camera skip frame times instead of bursting; frame numbers stay
// consecutive.
func TestCameraSkipsWhenLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam, _ := NewCamera(CameraConfig{Width: 160, Height: 120, FPS: 30})
		start := time.Now()
		var mu sync.Mutex
		var times []time.Duration
		cam.Start(func(f video.Frame) {
			mu.Lock()
			times = append(times, f.Time.Sub(start))
			mu.Unlock()
			time.Sleep(100 * time.Millisecond)
		})
		time.Sleep(time.Second)
		synctest.Wait()
		// Deliveries at 0, 100, 200, ... 1000 ms: each takes 100 ms, so the
		// due frame is taken at once and the two after it are skipped.
		mu.Lock()
		n := len(times)
		mu.Unlock()
		if n != 11 {
			t.Fatalf("%d deliveries: %v", n, times)
		}
		cam.Close() // waits for the callback running since 1 s
		for i, d := range times {
			if d != time.Duration(i)*100*time.Millisecond {
				t.Fatalf("delivery %d at %v", i, d)
			}
		}
		d, s := cam.Stats()
		if d != uint64(len(times)) || s < 18 {
			t.Fatalf("delivered %d skipped %d", d, s)
		}
	})
}

func TestCameraLifecycle(t *testing.T) {
	if _, err := NewCamera(CameraConfig{Width: 320, Height: 240, FPS: 0}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("0 fps: %v", err)
	}
	if _, err := NewCamera(CameraConfig{Width: 30, Height: 240, FPS: 30}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("width 30: %v", err)
	}
	synctest.Test(t, func(t *testing.T) {
		cam, _ := NewCamera(CameraConfig{Width: 320, Height: 240, FPS: 30})
		if err := cam.Start(func(video.Frame) {}); err != nil {
			t.Fatal(err)
		}
		if err := cam.Start(func(video.Frame) {}); !errors.Is(err, ErrStarted) {
			t.Fatalf("second Start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
		cam.Close()
		cam.Close()
		if err := cam.Start(func(video.Frame) {}); !errors.Is(err, ErrClosed) {
			t.Fatalf("Start after Close: %v", err)
		}
		// synctest.Test fails if the capture goroutine outlived Close.
	})
}
