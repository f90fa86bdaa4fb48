package video

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blackjack/webcam"
)

// CameraInfo describes one /dev/video* node that is a capture device.
type CameraInfo struct {
	Path  string // "/dev/video0"
	Name  string // the driver's card name, "Integrated Camera"
	Bus   string // "usb-0000:00:14.0-8"
	Modes []Mode // every advertised format × size with its rates
	Err   error  // set (a *DeviceError) when the node could not be queried
}

// List returns the capture devices among /dev/video*, in node order. Nodes
// that are not capture devices (UVC metadata nodes, codecs) are left out; a
// camera that exists but cannot be queried (busy, no permission) is listed
// with Err set so the picker can explain it.
func List() []CameraInfo {
	paths, _ := filepath.Glob("/dev/video*")
	return listPaths(paths)
}

func listPaths(paths []string) []CameraInfo {
	slices.SortFunc(paths, compareNodes)
	var out []CameraInfo
	for _, p := range paths {
		info, err := Describe(p)
		if errors.Is(err, ErrNotCamera) || errors.Is(err, ErrCameraNotFound) {
			continue
		}
		out = append(out, info)
	}
	return out
}

// compareNodes orders /dev/video2 before /dev/video10.
func compareNodes(a, b string) int {
	na, ea := strconv.Atoi(strings.TrimLeft(filepath.Base(a), "abcdefghijklmnopqrstuvwxyz"))
	nb, eb := strconv.Atoi(strings.TrimLeft(filepath.Base(b), "abcdefghijklmnopqrstuvwxyz"))
	if ea == nil && eb == nil && na != nb {
		return na - nb
	}
	return strings.Compare(a, b)
}

// Describe opens the device at path just long enough to read its name and
// modes. The returned info always carries Path; on error it also carries Err.
func Describe(path string) (CameraInfo, error) {
	info := CameraInfo{Path: path}
	cam, err := webcam.Open(path)
	if err != nil {
		info.Err = deviceError(path, "", err)
		return info, info.Err
	}
	defer cam.Close()
	info.Name, _ = cam.GetName()
	info.Bus, _ = cam.GetBusInfo()
	info.Modes = modesOf(cam)
	return info, nil
}

// modesOf enumerates formats, sizes and rates. The library returns formats
// from a map, so they are sorted for a stable order.
func modesOf(cam *webcam.Webcam) []Mode {
	formats := cam.GetSupportedFormats()
	codes := make([]webcam.PixelFormat, 0, len(formats))
	for f := range formats {
		codes = append(codes, f)
	}
	slices.Sort(codes)
	var modes []Mode
	for _, f := range codes {
		seen := map[Size]bool{}
		for _, fs := range cam.GetSupportedFrameSizes(f) {
			for _, s := range sizesOf(fs) {
				if seen[s] {
					continue
				}
				seen[s] = true
				var rates []RateRange
				for _, fr := range cam.GetSupportedFramerates(f, uint32(s.Width), uint32(s.Height)) {
					if r, ok := rateFromInterval(fr); ok {
						rates = append(rates, r)
					}
				}
				modes = append(modes, Mode{Format: PixelFormat(f), Size: s, Rates: rates})
			}
		}
	}
	return modes
}

// sizesOf turns one V4L2 frame size entry into concrete sizes. A discrete
// entry is one size; a stepwise or continuous range yields the preferred
// sizes it contains and its largest size (VIDIOC_ENUM_FRAMESIZES).
func sizesOf(fs webcam.FrameSize) []Size {
	if fs.StepWidth == 0 && fs.StepHeight == 0 || fs.MinWidth == fs.MaxWidth && fs.MinHeight == fs.MaxHeight {
		return []Size{{int(fs.MaxWidth), int(fs.MaxHeight)}}
	}
	in := func(v, lo, hi, step uint32) bool {
		if v < lo || v > hi {
			return false
		}
		return step <= 1 || (v-lo)%step == 0
	}
	var out []Size
	for _, s := range preferredSizes {
		if in(uint32(s.Width), fs.MinWidth, fs.MaxWidth, fs.StepWidth) &&
			in(uint32(s.Height), fs.MinHeight, fs.MaxHeight, fs.StepHeight) {
			out = append(out, s)
		}
	}
	return append(out, Size{int(fs.MaxWidth), int(fs.MaxHeight)})
}

// rateFromInterval converts a V4L2 frame interval (seconds per frame as a
// fraction; a range for stepwise) to frames per second. The shortest
// interval is the highest rate.
func rateFromInterval(fr webcam.FrameRate) (RateRange, bool) {
	if fr.MinNumerator == 0 || fr.MaxNumerator == 0 {
		return RateRange{}, false
	}
	a := float64(fr.MinDenominator) / float64(fr.MinNumerator)
	b := float64(fr.MaxDenominator) / float64(fr.MaxNumerator)
	return RateRange{Min: min(a, b), Max: max(a, b)}, a > 0 && b > 0
}

// Config selects and configures a camera.
type Config struct {
	Path string // "/dev/video0"
	Want Want   // zero means DefaultWant
	// Out is the size delivered frames have; zero means the capture size.
	// Frames are centre-cropped and scaled to it (see Scaler).
	Out Size
	// Now reads the clock for capture timestamps; nil means time.Now.
	Now func() time.Time
	// Buffers is the number of V4L2 buffers; 0 means 4.
	Buffers int
}

// Open opens the camera, chooses its mode with Choose, sets the format and
// rate and starts streaming. Errors are *DeviceError values wrapping
// ErrCameraNotFound, ErrCameraBusy, ErrCameraPermission, ErrNotCamera,
// ErrUnsupportedFormat or ErrCameraFailed.
func Open(cfg Config) (*Camera, error) {
	if cfg.Want == (Want{}) {
		cfg.Want = DefaultWant
	}
	if cfg.Buffers <= 0 {
		cfg.Buffers = 4
	}
	wc, err := webcam.Open(cfg.Path)
	if err != nil {
		return nil, deviceError(cfg.Path, "", err)
	}
	ok := false
	defer func() {
		if !ok {
			wc.Close()
		}
	}()
	choice, err := Choose(modesOf(wc), cfg.Want)
	if err != nil {
		return nil, &DeviceError{Path: cfg.Path, Err: ErrUnsupportedFormat, Cause: err,
			Detail: strings.TrimPrefix(err.Error(), ErrUnsupportedFormat.Error()+": ")}
	}
	f, w, h, err := wc.SetImageFormat(webcam.PixelFormat(choice.Format), uint32(choice.Width), uint32(choice.Height))
	if err != nil {
		return nil, deviceError(cfg.Path, "set format "+choice.String(), err)
	}
	// The driver may adjust the request; convert what it actually sends.
	got := Choice{Format: PixelFormat(f), Size: Size{int(w), int(h)}, FPS: choice.FPS}
	if !got.Format.Convertible() {
		return nil, &DeviceError{Path: cfg.Path, Err: ErrUnsupportedFormat,
			Detail: fmt.Sprintf("asked for %v, driver set %v", choice, got)}
	}
	if choice.FPS > 0 {
		// Not fatal: many drivers ignore or reject S_PARM and keep their default.
		_ = wc.SetFramerate(float32(choice.FPS))
	}
	if err := wc.SetBufferCount(uint32(cfg.Buffers)); err != nil {
		return nil, deviceError(cfg.Path, "buffers", err)
	}
	if err := wc.StartStreaming(); err != nil {
		return nil, deviceError(cfg.Path, "start streaming", err)
	}
	ok = true
	return newCamera(cfg, wc, got), nil
}
