package video

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// PixelFormat is a V4L2 pixel format code: a FourCC, first letter in the
// low byte (videodev2.h v4l2_fourcc).
type PixelFormat uint32

// Pixel formats camchat can convert.
const (
	FormatYUYV  PixelFormat = 'Y' | 'U'<<8 | 'Y'<<16 | 'V'<<24 // packed 4:2:2 Y0 U Y1 V
	FormatMJPEG PixelFormat = 'M' | 'J'<<8 | 'P'<<16 | 'G'<<24 // one JPEG per frame, often without DHT
	FormatJPEG  PixelFormat = 'J' | 'P'<<8 | 'E'<<16 | 'G'<<24 // the same as MJPEG on some drivers
)

// String returns the FourCC ("YUYV"), or hex when it is not printable.
func (f PixelFormat) String() string {
	b := []byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24)}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("0x%08x", uint32(f))
		}
	}
	return strings.TrimRight(string(b), " ")
}

// Convertible reports whether camchat can convert the format to I420.
func (f PixelFormat) Convertible() bool {
	return f == FormatYUYV || f == FormatMJPEG || f == FormatJPEG
}

// Size is a frame size in pixels.
type Size struct{ Width, Height int }

func (s Size) String() string { return strconv.Itoa(s.Width) + "x" + strconv.Itoa(s.Height) }

// Area is Width*Height.
func (s Size) Area() int { return s.Width * s.Height }

// RateRange is a range of frame rates in frames per second. A discrete rate
// has Min == Max. V4L2 advertises frame intervals (seconds per frame); see
// rateFromInterval.
type RateRange struct{ Min, Max float64 }

// Mode is one advertised combination of format and frame size with the
// rates the device offers for it. Rates is empty when the driver does not
// enumerate intervals; such a mode is assumed to reach the wanted rate.
type Mode struct {
	Format PixelFormat
	Size
	Rates []RateRange
}

func (m Mode) String() string {
	var b strings.Builder
	b.WriteString(m.Format.String())
	b.WriteByte(' ')
	b.WriteString(m.Size.String())
	for i, r := range m.Rates {
		if i == 0 {
			b.WriteByte('@')
		} else {
			b.WriteByte(',')
		}
		if r.Min == r.Max {
			b.WriteString(strconv.FormatFloat(r.Max, 'f', -1, 64))
		} else {
			b.WriteString(strconv.FormatFloat(r.Min, 'f', -1, 64) + "-" + strconv.FormatFloat(r.Max, 'f', -1, 64))
		}
	}
	return b.String()
}

// Want is what the caller would like to capture.
type Want struct {
	Size           // the send size; an exact match wins
	MinFPS float64 // lowest acceptable rate for a preferred mode
	MaxFPS float64 // the rate to aim for; faster modes are capped to it
}

// DefaultWant is camchat's default: 320x240 (the five-person budget in the
// design), 15–30 fps.
var DefaultWant = Want{Size: Size{320, 240}, MinFPS: 15, MaxFPS: 30}

// Choice is the mode picked by Choose.
type Choice struct {
	Format PixelFormat
	Size
	FPS float64 // rate to request; 0 when the driver advertised none
}

func (c Choice) String() string {
	return fmt.Sprintf("%v %v@%g", c.Format, c.Size, c.FPS)
}

// Limits on capture sizes: below minSize the picture is useless; above
// maxSize the conversion costs too much CPU for a 320x240 call.
var (
	minSize = Size{160, 120}
	maxSize = Size{1920, 1080}
	// preferredSizes are tried after an exact match with Want.Size.
	preferredSizes = []Size{{640, 480}, {320, 240}}
)

// minUsableFPS: below this a mode is not usable at all.
const minUsableFPS = 5

// Choose picks the capture mode from the modes a device advertises. It is a
// pure function so the policy is tested without a device. The order of
// preference, most important first:
//
//  1. a convertible format (YUYV, MJPEG, JPEG) at a size between 160x120 and
//     1920x1080 reaching at least 5 fps — otherwise the mode is unusable;
//  2. a rate inside [Want.MinFPS, Want.MaxFPS];
//  3. the size: Want.Size exactly, then 640x480 or 320x240, then the smallest
//     larger 4:3 size, then the smallest larger size, then the largest
//     smaller one (the frame is scaled to the send size afterwards);
//  4. YUYV before MJPEG: converting YUYV costs a tenth of a JPEG decode and has
//     no compression artefacts, and rule 2 already demoted YUYV modes that
//     are too slow over USB at the chosen size;
//  5. the higher rate (capped at Want.MaxFPS).
//
// When nothing is usable the error wraps ErrUnsupportedFormat and lists what
// the device offers.
func Choose(modes []Mode, want Want) (Choice, error) {
	if want.Width <= 0 || want.Height <= 0 {
		want.Size = DefaultWant.Size
	}
	if want.MaxFPS <= 0 {
		want.MaxFPS = DefaultWant.MaxFPS
	}
	if want.MinFPS <= 0 || want.MinFPS > want.MaxFPS {
		want.MinFPS = min(DefaultWant.MinFPS, want.MaxFPS)
	}
	best, bestScore, found := Choice{}, [5]int{}, false
	for _, m := range modes {
		c, score, ok := rate(m, want)
		if !ok {
			continue
		}
		if !found || slices.Compare(score[:], bestScore[:]) > 0 {
			best, bestScore, found = c, score, true
		}
	}
	if !found {
		return Choice{}, fmt.Errorf("%w: want YUYV or MJPEG at %v–%v, at least %d fps; it offers %s",
			ErrUnsupportedFormat, minSize, maxSize, minUsableFPS, describe(modes))
	}
	return best, nil
}

// rate scores one mode; a larger score (compared element by element) wins.
func rate(m Mode, want Want) (Choice, [5]int, bool) {
	var score [5]int
	if !m.Format.Convertible() || m.Width < minSize.Width || m.Height < minSize.Height ||
		m.Width > maxSize.Width || m.Height > maxSize.Height {
		return Choice{}, score, false
	}
	fps, inRange := pickRate(m.Rates, want)
	if fps > 0 && fps < minUsableFPS {
		return Choice{}, score, false
	}
	if inRange {
		score[0] = 1
	}
	score[1], score[2] = sizeRank(m.Size, want.Size)
	if m.Format == FormatYUYV {
		score[3] = 1
	}
	score[4] = int(math.Round(fps * 1000))
	return Choice{Format: m.Format, Size: m.Size, FPS: fps}, score, true
}

// sizeRank returns a class (higher is better) and a tie-breaker within it.
func sizeRank(s, want Size) (class, tie int) {
	switch {
	case s == want:
		return 5, 0
	case slices.Contains(preferredSizes, s):
		// Of the two, the one nearer the send size in area.
		return 4, -absInt(s.Area() - want.Area())
	case s.Width >= want.Width && s.Height >= want.Height && s.Width*3 == s.Height*4:
		return 3, -s.Area()
	case s.Width >= want.Width && s.Height >= want.Height:
		return 2, -s.Area()
	default:
		return 1, s.Area()
	}
}

// pickRate returns the rate to request from the advertised ranges and whether
// it lies in [MinFPS, MaxFPS]. With no ranges advertised it returns 0, true:
// the driver picks its default and the mode is not penalised.
func pickRate(rates []RateRange, want Want) (float64, bool) {
	if len(rates) == 0 {
		return 0, true
	}
	best, bestIn := -1.0, false
	for _, r := range rates {
		lo, hi := r.Min, r.Max
		if lo > hi {
			lo, hi = hi, lo
		}
		var f float64
		in := false
		switch {
		case hi < want.MinFPS:
			f = hi // too slow: the fastest it can do
		case lo > want.MaxFPS:
			f = lo // too fast: the slowest it can do, frames are not dropped
		default:
			f, in = min(hi, want.MaxFPS), true
		}
		better := false
		switch {
		case in != bestIn:
			better = in
		case in:
			better = f > best
		default:
			// Out of range on both: nearer the range wins.
			better = best < 0 || distance(f, want) < distance(best, want)
		}
		if better {
			best, bestIn = f, in
		}
	}
	return best, bestIn
}

func distance(f float64, want Want) float64 {
	if f < want.MinFPS {
		return want.MinFPS - f
	}
	return f - want.MaxFPS
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// describe summarises advertised modes for an error message.
func describe(modes []Mode) string {
	if len(modes) == 0 {
		return "nothing"
	}
	const maxListed = 8
	parts := make([]string, 0, min(len(modes), maxListed)+1)
	for i, m := range modes {
		if i == maxListed {
			parts = append(parts, fmt.Sprintf("and %d more", len(modes)-maxListed))
			break
		}
		parts = append(parts, m.String())
	}
	return strings.Join(parts, ", ")
}
