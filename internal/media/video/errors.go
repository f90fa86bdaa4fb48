package video

import (
	"errors"
	"strings"
	"syscall"
)

// Sentinel errors. Device errors reach callers as *DeviceError, which wraps
// one of the Err* camera sentinels (test with errors.Is) and carries the
// device path for the user-facing message.
var (
	// ErrCameraBusy: another process is streaming from the device (EBUSY).
	ErrCameraBusy = errors.New("video: camera busy")
	// ErrCameraNotFound: the device node does not exist (ENOENT, ENODEV, ENXIO).
	ErrCameraNotFound = errors.New("video: camera not found")
	// ErrCameraPermission: the user may not open the node (EACCES, EPERM).
	ErrCameraPermission = errors.New("video: camera permission denied")
	// ErrNotCamera: the node is not a V4L2 capture device with streaming I/O
	// (for example the metadata node a UVC camera also creates).
	ErrNotCamera = errors.New("video: not a capture device")
	// ErrUnsupportedFormat: the device offers no mode camchat can use.
	ErrUnsupportedFormat = errors.New("video: no usable format")
	// ErrCameraFailed: any other device error (the cause is wrapped too).
	ErrCameraFailed = errors.New("video: camera failed")
	// ErrClosed: the camera was closed.
	ErrClosed = errors.New("video: camera closed")
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("video: capture already started")

	// ErrBadSize: a width or height the conversion cannot handle.
	ErrBadSize = errors.New("video: bad frame size")
	// ErrShortFrame: the raw frame holds fewer bytes than its size needs.
	ErrShortFrame = errors.New("video: short frame")
	// ErrBadJPEG: the MJPEG frame is malformed or truncated.
	ErrBadJPEG = errors.New("video: bad JPEG frame")
	// ErrUnsupportedJPEG: a JPEG colour model that is not YCbCr or grey.
	ErrUnsupportedJPEG = errors.New("video: unsupported JPEG colour model")
)

// DeviceError is a camera error for a person to read: it names the device,
// says what happened and what to do. Err is one of the camera sentinels,
// Cause the underlying error (often a syscall.Errno), Detail extra text.
type DeviceError struct {
	Path   string
	Err    error
	Detail string
	Cause  error
}

func (e *DeviceError) Error() string {
	var msg string
	switch e.Err {
	case ErrCameraBusy:
		msg = "Camera " + e.Path + " is busy: close the other app or pick another camera"
	case ErrCameraNotFound:
		msg = "Camera " + e.Path + " was not found: plug it in or pick another camera"
	case ErrCameraPermission:
		msg = "Camera " + e.Path + " cannot be opened (permission denied): add your user to the video group and log in again"
	case ErrNotCamera:
		msg = e.Path + " is not a camera: pick another camera"
	case ErrUnsupportedFormat:
		msg = "Camera " + e.Path + " offers no usable video format: pick another camera"
	case ErrClosed:
		msg = "Camera " + e.Path + " is closed"
	default:
		msg = "Camera " + e.Path + " failed: unplug and replug it or pick another camera"
	}
	if e.Detail != "" {
		msg += " (" + e.Detail + ")"
	}
	return msg
}

// Unwrap exposes both the sentinel and the cause to errors.Is/As.
func (e *DeviceError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// deviceError maps an error from opening or driving a device to a
// *DeviceError. blackjack/webcam returns raw syscall.Errno values from open(2)
// and most ioctls, but StartStreaming flattens the errno into a string
// ("Failed to map request buffers: device or resource busy"), so the mapping
// also recognises the errno texts.
func deviceError(path, detail string, err error) error {
	if err == nil {
		return nil
	}
	var de *DeviceError
	if errors.As(err, &de) {
		return err
	}
	return &DeviceError{Path: path, Err: classify(err), Detail: detail, Cause: err}
}

func classify(err error) error {
	switch {
	case errors.Is(err, syscall.EBUSY):
		return ErrCameraBusy
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ENODEV), errors.Is(err, syscall.ENXIO):
		return ErrCameraNotFound
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return ErrCameraPermission
	case errors.Is(err, syscall.ENOTTY):
		return ErrNotCamera
	}
	s := strings.ToLower(err.Error())
	switch {
	case strings.Contains(s, syscall.EBUSY.Error()):
		return ErrCameraBusy
	case strings.Contains(s, syscall.ENODEV.Error()), strings.Contains(s, syscall.ENOENT.Error()):
		return ErrCameraNotFound
	case strings.Contains(s, "not a video capture device"), strings.Contains(s, "does not support the streaming"):
		return ErrNotCamera
	}
	return ErrCameraFailed
}
