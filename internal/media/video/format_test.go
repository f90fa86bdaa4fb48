package video

import (
	"errors"
	"strings"
	"testing"

	"github.com/blackjack/webcam"
)

func TestPixelFormatString(t *testing.T) {
	for f, want := range map[PixelFormat]string{
		FormatYUYV: "YUYV", FormatMJPEG: "MJPG", FormatJPEG: "JPEG",
		PixelFormat(0x34363248): "H264", PixelFormat(0x01020304): "0x01020304",
	} {
		if got := f.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint32(f), got, want)
		}
	}
	// The values are V4L2's: v4l2_fourcc('Y','U','Y','V') = 0x56595559.
	if FormatYUYV != 0x56595559 || FormatMJPEG != 0x47504a4d {
		t.Fatalf("fourcc %#x %#x", uint32(FormatYUYV), uint32(FormatMJPEG))
	}
}

func discrete(fps ...float64) []RateRange {
	var r []RateRange
	for _, f := range fps {
		r = append(r, RateRange{f, f})
	}
	return r
}

const h264 = PixelFormat('H' | '2'<<8 | '6'<<16 | '4'<<24)

func TestChoose(t *testing.T) {
	// A typical UVC laptop camera: YUYV is slow above 640x480, MJPEG fast.
	laptop := []Mode{
		{FormatMJPEG, Size{1280, 720}, discrete(30)},
		{FormatMJPEG, Size{640, 480}, discrete(30, 15)},
		{FormatMJPEG, Size{320, 240}, discrete(30, 15)},
		{FormatYUYV, Size{1280, 720}, discrete(10)},
		{FormatYUYV, Size{640, 480}, discrete(30, 15)},
		{FormatYUYV, Size{320, 240}, discrete(30)},
	}
	for _, tc := range []struct {
		name  string
		modes []Mode
		want  Want
		got   Choice
	}{
		{"laptop at 320x240", laptop, DefaultWant, Choice{FormatYUYV, Size{320, 240}, 30}},
		{"laptop at 640x480", laptop, Want{Size{640, 480}, 15, 30}, Choice{FormatYUYV, Size{640, 480}, 30}},
		{"laptop at 640x480 max 20 fps", laptop, Want{Size{640, 480}, 15, 20}, Choice{FormatYUYV, Size{640, 480}, 15}},
		{"YUYV too slow at the size: MJPEG", []Mode{
			{FormatYUYV, Size{640, 480}, discrete(10, 5)},
			{FormatMJPEG, Size{640, 480}, discrete(30)},
		}, Want{Size{640, 480}, 15, 30}, Choice{FormatMJPEG, Size{640, 480}, 30}},
		{"only HD MJPEG and 640x480 YUYV", []Mode{
			{FormatMJPEG, Size{1920, 1080}, discrete(30)},
			{FormatYUYV, Size{640, 480}, discrete(30)},
		}, DefaultWant, Choice{FormatYUYV, Size{640, 480}, 30}},
		{"preferred size beats exact size when only it has the rate", []Mode{
			{FormatYUYV, Size{320, 240}, discrete(7.5)},
			{FormatMJPEG, Size{640, 480}, discrete(25)},
		}, DefaultWant, Choice{FormatMJPEG, Size{640, 480}, 25}},
		{"larger 4:3 before larger 16:9", []Mode{
			{FormatMJPEG, Size{1280, 720}, discrete(30)},
			{FormatMJPEG, Size{800, 600}, discrete(30)},
			{FormatMJPEG, Size{1024, 768}, discrete(30)},
		}, DefaultWant, Choice{FormatMJPEG, Size{800, 600}, 30}},
		{"stepwise rate range capped at 30", []Mode{
			{FormatYUYV, Size{320, 240}, []RateRange{{1, 60}}},
		}, DefaultWant, Choice{FormatYUYV, Size{320, 240}, 30}},
		{"60 fps only: slowest offered", []Mode{
			{FormatMJPEG, Size{320, 240}, discrete(120, 60)},
		}, DefaultWant, Choice{FormatMJPEG, Size{320, 240}, 60}},
		{"no rates advertised", []Mode{
			{FormatMJPEG, Size{320, 240}, nil},
			{h264, Size{320, 240}, discrete(30)},
		}, DefaultWant, Choice{FormatMJPEG, Size{320, 240}, 0}},
		{"JPEG fourcc counts as MJPEG", []Mode{
			{FormatJPEG, Size{640, 480}, discrete(30)},
		}, DefaultWant, Choice{FormatJPEG, Size{640, 480}, 30}},
		{"too slow still beats nothing", []Mode{
			{FormatYUYV, Size{640, 480}, discrete(10)},
		}, DefaultWant, Choice{FormatYUYV, Size{640, 480}, 10}},
	} {
		got, err := Choose(tc.modes, tc.want)
		if err != nil || got != tc.got {
			t.Errorf("%s: got %v err %v, want %v", tc.name, got, err, tc.got)
		}
	}
}

func TestChooseNothingUsable(t *testing.T) {
	for name, modes := range map[string][]Mode{
		"no modes":     nil,
		"only H264":    {{h264, Size{1920, 1080}, discrete(30)}, {h264, Size{640, 480}, discrete(30)}},
		"tiny YUYV":    {{FormatYUYV, Size{128, 96}, discrete(30)}},
		"4K MJPEG":     {{FormatMJPEG, Size{3840, 2160}, discrete(30)}},
		"2 fps YUYV":   {{FormatYUYV, Size{640, 480}, discrete(2)}},
		"unknown GREY": {{PixelFormat('G' | 'R'<<8 | 'E'<<16 | 'Y'<<24), Size{640, 480}, discrete(30)}},
	} {
		_, err := Choose(modes, DefaultWant)
		if !errors.Is(err, ErrUnsupportedFormat) {
			t.Errorf("%s: err %v", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "want YUYV or MJPEG") || !strings.Contains(err.Error(), "it offers ") {
			t.Errorf("%s: message %q does not explain", name, err)
		}
	}
	_, err := Choose([]Mode{{h264, Size{1920, 1080}, discrete(30, 60)}}, DefaultWant)
	if want := "it offers H264 1920x1080@30,60"; !strings.HasSuffix(err.Error(), want) {
		t.Fatalf("message %q lacks %q", err, want)
	}
}

func TestSizesOf(t *testing.T) {
	for _, tc := range []struct {
		fs   webcam.FrameSize
		want []Size
	}{
		{webcam.FrameSize{MinWidth: 640, MaxWidth: 640, MinHeight: 480, MaxHeight: 480}, []Size{{640, 480}}},
		{webcam.FrameSize{MinWidth: 16, MaxWidth: 1920, StepWidth: 16, MinHeight: 16, MaxHeight: 1080, StepHeight: 16},
			[]Size{{640, 480}, {320, 240}, {1920, 1080}}},
		{webcam.FrameSize{MinWidth: 48, MaxWidth: 1280, StepWidth: 1, MinHeight: 32, MaxHeight: 720, StepHeight: 1},
			[]Size{{640, 480}, {320, 240}, {1280, 720}}},
		{webcam.FrameSize{MinWidth: 352, MaxWidth: 1280, StepWidth: 8, MinHeight: 288, MaxHeight: 720, StepHeight: 8},
			[]Size{{640, 480}, {1280, 720}}},
	} {
		got := sizesOf(tc.fs)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.fs.GetString(), got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.fs.GetString(), got, tc.want)
			}
		}
	}
}

func TestRateFromInterval(t *testing.T) {
	r, ok := rateFromInterval(webcam.FrameRate{MinNumerator: 1, MaxNumerator: 1, MinDenominator: 30, MaxDenominator: 30})
	if !ok || r != (RateRange{30, 30}) {
		t.Fatalf("1/30 s: %v %v", r, ok)
	}
	// Stepwise 1/60 s .. 1/5 s is 5..60 fps.
	r, ok = rateFromInterval(webcam.FrameRate{MinNumerator: 1, MaxNumerator: 1, StepNumerator: 1,
		MinDenominator: 60, MaxDenominator: 5, StepDenominator: 1})
	if !ok || r != (RateRange{5, 60}) {
		t.Fatalf("stepwise: %v %v", r, ok)
	}
	if _, ok := rateFromInterval(webcam.FrameRate{}); ok {
		t.Fatal("zero interval accepted")
	}
}
