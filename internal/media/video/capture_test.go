package video

import (
	"bytes"
	"errors"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/blackjack/webcam"
)

// fakeDevice replays recorded frames at a fixed interval, behaving like
// *webcam.Webcam: WaitForFrame polls with a timeout, GetFrame hands out a
// buffer that must be released before the next.
type fakeDevice struct {
	t        *testing.T
	frames   [][]byte
	interval time.Duration
	next     time.Time
	n        int
	failAt   int // WaitForFrame fails once n reaches failAt (0: never)
	failErr  error
	out      bool // a buffer is dequeued
	closed   atomic.Bool
}

func (f *fakeDevice) WaitForFrame(ms uint32) error {
	if f.closed.Load() {
		f.t.Error("WaitForFrame after Close")
		return syscall.EBADF
	}
	if f.failAt > 0 && f.n >= f.failAt {
		return f.failErr
	}
	d := time.Until(f.next)
	if limit := time.Duration(ms) * time.Millisecond; d > limit {
		time.Sleep(limit)
		return new(webcam.Timeout)
	}
	time.Sleep(d)
	return nil
}

func (f *fakeDevice) GetFrame() ([]byte, uint32, error) {
	if time.Now().Before(f.next) {
		return nil, 0, syscall.EAGAIN
	}
	if f.out {
		f.t.Error("GetFrame with a buffer still dequeued")
	}
	b := f.frames[f.n%len(f.frames)]
	f.out = true
	f.n++
	f.next = f.next.Add(f.interval)
	return b, uint32(f.n % 4), nil
}

func (f *fakeDevice) ReleaseFrame(index uint32) error {
	if !f.out || index != uint32(f.n%4) {
		f.t.Errorf("release of buffer %d, out=%v", index, f.out)
	}
	f.out = false
	return nil
}

func (f *fakeDevice) Close() error {
	if f.closed.Swap(true) {
		f.t.Error("device closed twice")
	}
	if f.out {
		f.t.Error("device closed with a buffer dequeued")
	}
	return nil
}

func TestCaptureLoop(t *testing.T) {
	yuyv := readFixture(t, fixYUYV)
	want, err := YUYVToI420(nil, yuyv, 320, 240, 0)
	if err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		const fps = 30
		interval := time.Second / fps
		start := time.Now()
		dev := &fakeDevice{t: t, interval: interval, next: start.Add(interval),
			// Every fourth frame is torn (half a frame), as a flaky USB link delivers.
			frames: [][]byte{yuyv, yuyv, yuyv, yuyv[:len(yuyv)/2]}}
		cam := newCamera(Config{Path: "/dev/fake0"}, dev, Choice{FormatYUYV, Size{320, 240}, fps})
		var times []time.Time
		var seqs []uint64
		err := cam.Start(func(f Frame) {
			times = append(times, f.Time)
			seqs = append(seqs, f.Seq)
			if !bytes.Equal(f.Image.Y, want.Y) || !bytes.Equal(f.Image.Cr, want.Cr) {
				t.Errorf("frame %d differs from the converted recording", f.Seq)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := cam.Start(func(Frame) {}); !errors.Is(err, ErrStarted) {
			t.Fatalf("second Start: %v", err)
		}
		time.Sleep(time.Second) // 30 device frames: 1/30 s … 30/30 s
		synctest.Wait()
		if err := cam.Close(); err != nil {
			t.Fatal(err)
		}
		st := cam.Stats()
		if dev.n != 30 || st.Delivered != 23 || st.Bad != 7 || len(times) != 23 {
			t.Fatalf("device frames %d, stats %+v, got %d", dev.n, st, len(times))
		}
		for i, s := range seqs {
			if s != uint64(i) {
				t.Fatalf("seq %v", seqs)
			}
		}
		// Frames 1, 2, 3 of each group of four arrive: capture times are the
		// device's frame times exactly (virtual clock).
		k := 0
		for n := 1; n <= 30; n++ {
			if n%4 == 0 {
				continue
			}
			if got := times[k].Sub(start); got != time.Duration(n)*interval {
				t.Fatalf("frame %d at %v, want %v", k, got, time.Duration(n)*interval)
			}
			k++
		}
		if !dev.closed.Load() {
			t.Fatal("device not closed")
		}
		if cam.Err() != nil {
			t.Fatalf("Err after Close: %v", cam.Err())
		}
		if err := cam.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if err := cam.Start(func(Frame) {}); !errors.Is(err, ErrClosed) {
			t.Fatalf("Start after Close: %v", err)
		}
	})
}

func TestCaptureUnplugged(t *testing.T) {
	yuyv := readFixture(t, fixYUYV)
	synctest.Test(t, func(t *testing.T) {
		dev := &fakeDevice{t: t, interval: 40 * time.Millisecond, next: time.Now(),
			frames: [][]byte{yuyv}, failAt: 5, failErr: syscall.ENODEV}
		cam := newCamera(Config{Path: "/dev/video7", Out: Size{160, 120}}, dev, Choice{FormatYUYV, Size{320, 240}, 25})
		var n int
		cam.Start(func(f Frame) {
			if f.Image.Rect.Dx() != 160 || f.Image.Rect.Dy() != 120 {
				t.Errorf("delivered %v, want 160x120", f.Image.Rect)
			}
			n++
		})
		<-cam.Done()
		if n != 5 || !errors.Is(cam.Err(), ErrCameraNotFound) {
			t.Fatalf("frames %d, err %v", n, cam.Err())
		}
		if want := "Camera /dev/video7 was not found: plug it in or pick another camera (wait for frame)"; cam.Err().Error() != want {
			t.Fatalf("message %q", cam.Err())
		}
		if err := cam.Close(); err != nil || !dev.closed.Load() {
			t.Fatalf("Close: %v closed=%v", err, dev.closed.Load())
		}
	})
}

func TestCaptureCloseWithoutStart(t *testing.T) {
	dev := &fakeDevice{t: t}
	cam := newCamera(Config{Path: "/dev/fake1"}, dev, Choice{FormatMJPEG, Size{640, 480}, 30})
	if err := cam.Close(); err != nil || !dev.closed.Load() {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-cam.Done():
	default:
		t.Fatal("Done not closed")
	}
}
