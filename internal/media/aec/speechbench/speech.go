package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
)

const rate = 48000

// talker is one synthesized voice.
type talker struct {
	voice string  // espeak-ng voice and variant
	speed int     // words per minute
	rms   float64 // level of its active speech, dBFS
	text  string
}

var (
	farTalker = talker{voice: "en-us+m3", speed: 150, rms: -20, text: "The quick brown fox jumps over the lazy dog near the river bank. " +
		"We will meet at the station after lunch, and then take the train to the coast. " +
		"Please remember to bring the tickets, the map and a warm coat, because the weather can change very quickly in the hills. " +
		"If the train is late, call me and I will wait for you at the cafe by the square."}
	nearTalker = talker{voice: "en-gb+f3", speed: 150, rms: -28, text: "Hello, can you hear me clearly now? " +
		"I think the connection is much better than it was yesterday. " +
		"My sister arrives on Friday evening, so the weekend is busy, but we could still talk on Monday morning before nine. " +
		"Tell me what you decided about the garden, and whether the new fence is finished at last."}
)

// synthesize speaks t with espeak-ng, resamples it to 48 kHz mono with sox
// and scales it so that its active speech has the talker's RMS level.
func synthesize(dir string, t talker, name string) ([]float64, error) {
	wav := filepath.Join(dir, name+".wav")
	raw := filepath.Join(dir, name+".raw")
	if out, err := exec.Command("espeak-ng", "-v", t.voice, "-s", fmt.Sprint(t.speed), "-w", wav, t.text).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("espeak-ng: %v: %s (install it: scripts/deps.sh bench)", err, out)
	}
	if out, err := exec.Command("sox", wav, "-t", "raw", "-r", fmt.Sprint(rate), "-e", "signed", "-b", "16", "-c", "1", raw).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sox: %v: %s (install it: scripts/deps.sh bench)", err, out)
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		return nil, err
	}
	pcm := make([]int16, len(b)/2)
	if err := binary.Read(bytes.NewReader(b), binary.LittleEndian, pcm); err != nil {
		return nil, err
	}
	x := make([]float64, len(pcm))
	for i, v := range pcm {
		x[i] = float64(v)
	}
	// Active speech: 10 ms frames within 30 dB of the loudest one.
	var peak float64
	frames := len(x) / 480
	pow := make([]float64, frames)
	for f := range frames {
		for _, v := range x[f*480 : (f+1)*480] {
			pow[f] += v * v
		}
		pow[f] /= 480
		peak = max(peak, pow[f])
	}
	var sum float64
	var n int
	for _, p := range pow {
		if p > peak/1000 {
			sum += p
			n++
		}
	}
	g := fullScale * math.Pow(10, t.rms/20) / math.Sqrt(sum/float64(n))
	for i := range x {
		x[i] *= g
	}
	return x, nil
}

const fullScale = 32768.0

func dbfs(meanSquare float64) float64 {
	return 10 * math.Log10(max(meanSquare, 1e-10)/(fullScale*fullScale))
}
