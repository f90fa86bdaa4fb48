package pipeline

import (
	"testing"
	"time"

	"camchat/internal/media/synth"
)

// TestProcessingOffKeepsClicks: four far members' clicks, on the same 500 ms
// boundaries as ours and 70 ms later, play through the speaker. With
// processing on, the canceller takes our periodic clicks for an echo of
// theirs and suppresses some; with it off (a synthetic microphone, which no
// speaker can echo into) every click of ours arrives, and timestamps then
// leave out the canceller's latency.
func TestProcessingOffKeepsClicks(t *testing.T) {
	run := func(processing bool) (clicks int, firstTS time.Duration) {
		var out []int16
		var now time.Time
		ar, err := NewAudioReceiver(AudioReceiverConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer ar.Close()
		as, err := NewAudioSender(AudioSenderConfig{Epoch: t0, Send: func(p AudioPacket) {
			if firstTS == 0 {
				firstTS = p.Timestamp
			}
			if err := ar.Push(p, now.Add(5*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		defer as.Close()
		as.SetProcessing(processing)
		mic, _ := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0, ToneLevel: 0.05})
		far, _ := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0.Add(70 * time.Millisecond), ToneHz: 700, ToneLevel: 0.05})
		buf, fb, frame := make([]int16, FrameSamples), make([]int16, FrameSamples), make([]int16, FrameSamples)
		for k := range 600 { // 6 s
			now = t0.Add(time.Duration(k+1) * FrameDuration)
			far.Read(fb)
			as.FarEnd(fb)
			mic.Read(buf)
			if err := as.Process(buf, now.Add(-FrameDuration)); err != nil {
				t.Fatal(err)
			}
			if ok, err := ar.Pull(now.Add(40*time.Millisecond), frame); err != nil {
				t.Fatal(err)
			} else if ok {
				out = append(out, frame...)
			}
		}
		return len(synth.FindClicks(out, FrameSamples)), firstTS
	}
	rawClicks, rawTS := run(false)
	procClicks, procTS := run(true)
	t.Logf("clicks heard in 6 s: %d with processing off, %d on", rawClicks, procClicks)
	if rawClicks < 11 {
		t.Errorf("processing off: %d clicks of 12", rawClicks)
	}
	if d := rawTS - procTS; d <= 0 || d > 20*time.Millisecond {
		t.Errorf("first timestamps %v (off) and %v (on): off must not subtract the canceller's latency", rawTS, procTS)
	}
}
