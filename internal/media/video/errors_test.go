package video

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
)

func TestOpenMissingCamera(t *testing.T) {
	const path = "/dev/video-camchat-test-missing"
	_, err := Open(Config{Path: path})
	if !errors.Is(err, ErrCameraNotFound) || !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("err %v", err)
	}
	if want := "Camera " + path + " was not found: plug it in or pick another camera"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
	info, err := Describe(path)
	if !errors.Is(err, ErrCameraNotFound) || info.Path != path || info.Err != err {
		t.Fatalf("Describe: %+v %v", info, err)
	}
	if got := listPaths([]string{path}); len(got) != 0 {
		t.Fatalf("List kept a missing node: %+v", got)
	}
}

func TestOpenNotACamera(t *testing.T) {
	// /dev/null exists but answers VIDIOC_QUERYCAP with ENOTTY.
	_, err := Open(Config{Path: "/dev/null"})
	if !errors.Is(err, ErrNotCamera) {
		t.Fatalf("err %v", err)
	}
	if want := "/dev/null is not a camera: pick another camera"; err.Error() != want {
		t.Fatalf("message %q", err)
	}
}

func TestDeviceErrorMapping(t *testing.T) {
	for _, tc := range []struct {
		cause error
		want  error
		msg   string
	}{
		{syscall.EBUSY, ErrCameraBusy, "Camera /dev/video0 is busy: close the other app or pick another camera"},
		// StartStreaming flattens the errno into text.
		{fmt.Errorf("Failed to map request buffers: %s", syscall.EBUSY.Error()), ErrCameraBusy,
			"Camera /dev/video0 is busy: close the other app or pick another camera"},
		{fmt.Errorf("wrapped: %w", syscall.EBUSY), ErrCameraBusy,
			"Camera /dev/video0 is busy: close the other app or pick another camera"},
		{syscall.ENODEV, ErrCameraNotFound, "Camera /dev/video0 was not found: plug it in or pick another camera"},
		{syscall.EACCES, ErrCameraPermission,
			"Camera /dev/video0 cannot be opened (permission denied): add your user to the video group and log in again"},
		{errors.New("Not a video capture device"), ErrNotCamera, "/dev/video0 is not a camera: pick another camera"},
		{syscall.EIO, ErrCameraFailed, "Camera /dev/video0 failed: unplug and replug it or pick another camera"},
	} {
		err := deviceError("/dev/video0", "", tc.cause)
		if !errors.Is(err, tc.want) || err.Error() != tc.msg {
			t.Errorf("%v: got %q (is %v: %v)", tc.cause, err, tc.want, errors.Is(err, tc.want))
		}
		if errno, ok := tc.cause.(syscall.Errno); ok && !errors.Is(err, errno) {
			t.Errorf("%v: cause not wrapped", tc.cause)
		}
	}
	err := deviceError("/dev/video2", "start streaming", syscall.EBUSY)
	if want := "Camera /dev/video2 is busy: close the other app or pick another camera (start streaming)"; err.Error() != want {
		t.Fatalf("%q", err)
	}
	if deviceError("/dev/video0", "", nil) != nil {
		t.Fatal("nil error mapped to non-nil")
	}
	// An already mapped error is not wrapped twice.
	if again := deviceError("/dev/video9", "x", err); again != err {
		t.Fatalf("re-wrapped: %v", again)
	}
}

func TestCompareNodes(t *testing.T) {
	paths := []string{"/dev/video10", "/dev/video2", "/dev/video0", "/dev/video1"}
	listPaths(paths) // sorts in place; the nodes do not exist so nothing is listed
	want := []string{"/dev/video0", "/dev/video1", "/dev/video2", "/dev/video10"}
	for i := range want {
		if paths[i] != want[i] {
			t.Fatalf("order %v", paths)
		}
	}
}

// TestListOnThisMachine: whatever /dev/video* holds, List returns only
// capture devices, in node order, each either described or with an error.
func TestListOnThisMachine(t *testing.T) {
	cams := List()
	for i, c := range cams {
		if !strings.HasPrefix(c.Path, "/dev/video") {
			t.Fatalf("listed %q", c.Path)
		}
		if i > 0 && compareNodes(cams[i-1].Path, c.Path) >= 0 {
			t.Fatalf("order %q before %q", cams[i-1].Path, c.Path)
		}
		if c.Err == nil && len(c.Modes) == 0 {
			t.Logf("%s (%s): no modes", c.Path, c.Name)
		}
	}
	t.Logf("%d cameras", len(cams))
}
