package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"camchat/internal/media/aec/internal/fft"
)

// scene is what one processor run gets: the far reference, the microphone,
// and the parts of the microphone signal kept apart for measuring.
type scene struct {
	far  []int16   // the frames sent to the loudspeaker (the reference)
	mic  []int16   // echo + near talker + noise
	echo []float64 // the echo alone
	near []float64 // the near talker alone (nil: silent)
	// change is the sample where the echo path changes (0: never).
	change int
}

var rooms = []room{
	{40 * time.Millisecond, 0.5, 1},
	{80 * time.Millisecond, 0.3, 2},
	{120 * time.Millisecond, 0.7, 3},
}

// moved is the second room of the path-change scene: the 80 ms room with
// 40 ms more delay in front (an audio buffer grew), the same reverberation.
var moved = room{120 * time.Millisecond, rooms[1].gain, rooms[1].tail}

// talk holds the synthesized talkers, padded to one length.
type talk struct {
	far, near []float64
	n         int
}

// echoOf is the far talker through the loudspeaker (drive dB hot) and r.
func (t talk) echoOf(r room, drive float64) []float64 {
	return fft.Convolve(loudspeaker(t.far, drive), r.impulse())
}

// farAlone: only the far end talks.
func (t talk) farAlone(r room, drive float64) scene {
	echo := t.echoOf(r, drive)
	return t.mix(echo, nil)
}

// doubleTalk: the far end talks throughout, the near end from nearStart.
func (t talk) doubleTalk(r room) scene {
	return t.mix(t.echoOf(r, 0), t.nearFrom(nearStart))
}

// noPause is a far end that never pauses: white noise at the far
// talker's level (-20 dBFS) through room r, for timing.
func (t talk) noPause(r room) scene {
	x := noise(t.n, 5)
	g := math.Pow(10, (farTalker.rms-noiseDB)/20)
	for i := range x {
		x[i] *= g
	}
	u := talk{far: x, n: t.n}
	s := u.farAlone(r, 0)
	return s
}

// doubleTalkInverted is doubleTalk with the near talker's sign flipped.
func (t talk) doubleTalkInverted(r room) scene {
	near := t.nearFrom(nearStart)
	for i := range near {
		near[i] = -near[i]
	}
	return t.mix(t.echoOf(r, 0), near)
}

// nearAlone is the near talker of doubleTalk with no far end: the single
// talk it is compared with.
func (t talk) nearAlone() scene {
	s := t.mix(make([]float64, t.n), t.nearFrom(nearStart))
	s.far = make([]int16, t.n)
	return s
}

// pathChange: the far end alone, the echo path jumping from a to b at the
// half (a buffer of the audio path growing by the difference).
func (t talk) pathChange(a, b room) scene {
	ea, eb := t.echoOf(a, 0), t.echoOf(b, 0)
	half := t.n / 2 / frame * frame
	echo := append(ea[:half:half], eb[half:]...)
	s := t.mix(echo, nil)
	s.change = half
	return s
}

const nearStart = 3 * time.Second

func (t talk) nearFrom(at time.Duration) []float64 {
	near := make([]float64, t.n)
	copy(near[int(at.Seconds()*rate):], t.near)
	return near
}

func (t talk) mix(echo, near []float64) scene {
	mic := noise(t.n, 3)
	for i := range mic {
		mic[i] += echo[i]
		if near != nil {
			mic[i] += near[i]
		}
	}
	return scene{far: pcm(t.far), mic: pcm(mic), echo: echo, near: near}
}

// Windows and activity.
const (
	win      = rate / 2 // 500 ms
	settleDB = 3.0
	skip     = 2 * rate // measures start after 2 s
)

var activeDB = noiseDB + 20 // a part is active in a window when this loud

func level(x []float64, from, n int) float64 {
	var s float64
	for _, v := range x[from : from+n] {
		s += v * v
	}
	return dbfs(s / float64(n))
}

func levelPCM(x []int16, from, n int) float64 {
	var s float64
	for _, v := range x[from : from+n] {
		s += float64(v) * float64(v)
	}
	return dbfs(s / float64(n))
}

// erle is the microphone's energy over the output's in the window at from
// (the output read lag samples later), in dB.
func erle(s scene, out []int16, lag, from, n int) float64 {
	return levelPCM(s.mic, from, n) - levelPCM(out, from+lag, n)
}

// echoWindows lists the starts of windows of n samples, stepping step, from
// first to the end, in which the echo is active and the near end is not.
func echoWindows(s scene, lag, first, n, step int) []int {
	var w []int
	for at := first; at+n+lag <= len(s.mic); at += step {
		if level(s.echo, at, n) < activeDB {
			continue
		}
		if s.near != nil && level(s.near, at, n) >= activeDB {
			continue
		}
		w = append(w, at)
	}
	return w
}

// firstSpeech is the first sample of the first 10 ms frame of active echo.
func firstSpeech(s scene) int {
	for at := 0; at+frame <= len(s.echo); at += frame {
		if level(s.echo, at, frame) >= activeDB {
			return at
		}
	}
	return 0
}

// projection is the least-squares gain of ref in out (read lag samples
// later) over the window: the part of the output that is ref, whatever
// else the output holds.
func projection(out []int16, ref []float64, lag, from, n int) float64 {
	var dot, rr float64
	for i := from; i < from+n; i++ {
		dot += float64(out[i+lag]) * ref[i]
		rr += ref[i] * ref[i]
	}
	return dot / rr
}

// halfSum is the level (dBFS) of half the sum of two outputs (read lag
// samples later) over the window.
func halfSum(a, b []int16, lag, from, n int) float64 {
	var s float64
	for i := from + lag; i < from+lag+n; i++ {
		d := (float64(a[i]) + float64(b[i])) / 2
		s += d * d
	}
	return dbfs(s / float64(n))
}

// latency finds how many samples later than its input a processor's output
// comes, from a near-talker-alone run: the lag of best correlation.
func latency(s scene, out []int16) int {
	best, lag := math.Inf(-1), 0
	from, n := int(nearStart.Seconds()*rate)+rate, 5*rate
	for l := 0; l <= 4*frame; l++ {
		var dot, oo float64
		for i := from; i < from+n; i++ {
			o := float64(out[i+l])
			dot += o * s.near[i]
			oo += o * o
		}
		if c := dot / math.Sqrt(oo+1); c > best {
			best, lag = c, l
		}
	}
	return lag
}

func log10(x float64) float64 { return math.Log10(x) }

// save writes every scene's microphone and reference as raw 16-bit
// little-endian files, for listening and for looking closer.
func (t talk) save(dir string) error {
	scenes := map[string]scene{"near-alone": t.nearAlone(),
		"path-change": t.pathChange(rooms[1], moved)}
	for _, r := range rooms {
		ms := r.delay.Milliseconds()
		scenes[fmt.Sprintf("far-alone-%d", ms)] = t.farAlone(r, 0)
		scenes[fmt.Sprintf("far-hot-%d", ms)] = t.farAlone(r, 6)
		scenes[fmt.Sprintf("double-talk-%d", ms)] = t.doubleTalk(r)
	}
	for name, s := range scenes {
		parts := map[string][]int16{"mic": s.mic, "far": s.far}
		if s.near != nil {
			parts["near"] = pcm(s.near)
		}
		for part, x := range parts {
			f, err := os.Create(filepath.Join(dir, name+"."+part+".raw"))
			if err != nil {
				return err
			}
			err = binary.Write(f, binary.LittleEndian, x)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
