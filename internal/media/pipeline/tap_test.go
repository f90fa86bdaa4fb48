package pipeline

import (
	"testing"
	"time"

	"camchat/internal/media/synth"
)

// TestPlaybackTapPerSlot: the tap sees each slot's own audio, apart from the
// mix: two peers clicking 200 ms apart are heard only in their own slot, at
// the same 10 ms frames as in the mix, and an empty slot is never tapped.
func TestPlaybackTapPerSlot(t *testing.T) {
	taps := map[int][]int16{}
	var tapTimes []time.Time
	pb, err := NewPlayback(PlaybackConfig{Tap: func(slot int, frame []int16, now time.Time) {
		taps[slot] = append(taps[slot], frame...)
		if slot == 0 {
			tapTimes = append(tapTimes, now)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	var now time.Time
	var mics [2]*synth.Mic
	var senders [2]*AudioSender
	for i, slot := range []int{0, 2} {
		if mics[i], err = synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0.Add(time.Duration(i) * 200 * time.Millisecond), ToneLevel: 0.01}); err != nil {
			t.Fatal(err)
		}
		ar, err := NewAudioReceiver(AudioReceiverConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer ar.Close()
		if senders[i], err = NewAudioSender(AudioSenderConfig{Epoch: t0, Send: func(a AudioPacket) {
			if err := ar.Push(a, now.Add(30*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
		}}); err != nil {
			t.Fatal(err)
		}
		defer senders[i].Close()
		if err := pb.Attach(slot, ar); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]int16, FrameSamples)
	frame := make([]int16, FrameSamples)
	var mix []int16
	for k := range 200 { // 2 s
		now = t0.Add(time.Duration(k+1) * FrameDuration)
		for i := range mics {
			mics[i].Read(buf)
			if err := senders[i].Process(buf, now.Add(-FrameDuration)); err != nil {
				t.Fatal(err)
			}
		}
		if err := pb.ReadFrame(now.Add(50*time.Millisecond), frame); err != nil {
			t.Fatal(err)
		}
		mix = append(mix, frame...)
	}
	if len(taps[1]) != 0 || len(taps[3]) != 0 {
		t.Fatalf("empty slots tapped: %d and %d samples", len(taps[1]), len(taps[3]))
	}
	c0 := synth.FindClicks(taps[0], FrameSamples)
	c2 := synth.FindClicks(taps[2], FrameSamples)
	if len(c0) < 3 || len(c2) < 3 {
		t.Fatalf("clicks in slot 0: %d, slot 2: %d; want at least 3 each", len(c0), len(c2))
	}
	// A slot is tapped from its first audible frame on, so its tap is the
	// tail of the mix. Each slot's clicks are clicks of the mix, and the
	// two slots' clicks are 200 ms (9600 samples) apart modulo 500 ms.
	mixClicks := map[int]bool{}
	for _, c := range synth.FindClicks(mix, FrameSamples) {
		mixClicks[c] = true
	}
	off0, off2 := len(mix)-len(taps[0]), len(mix)-len(taps[2])
	for _, c := range c0 {
		if !mixClicks[c+off0] {
			t.Errorf("slot 0 click at %d is not in the mix", c+off0)
		}
	}
	for _, c := range c2 {
		if !mixClicks[c+off2] {
			t.Errorf("slot 2 click at %d is not in the mix", c+off2)
		}
		if gap := ((c+off2-c0[0]-off0)%24000 + 24000) % 24000; gap < 9600-48 || gap > 9600+48 {
			t.Errorf("slot 2 click at %d is %d samples after slot 0's (mod 500 ms), want 9600", c+off2, gap)
		}
	}
	if len(tapTimes) == 0 || !tapTimes[len(tapTimes)-1].Equal(now.Add(50*time.Millisecond)) {
		t.Errorf("tap time %v, want the ReadFrame time %v", tapTimes[len(tapTimes)-1], now.Add(50*time.Millisecond))
	}
}
