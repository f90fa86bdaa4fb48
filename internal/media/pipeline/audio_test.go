package pipeline

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"camchat/internal/media/aec"
	"camchat/internal/media/codec"
	"camchat/internal/media/playout"
	"camchat/internal/media/synth"
)

// TestAudioBitrateAndLossAtRunTime: SetBitrate moves the bytes per packet
// from the next packet on; out-of-range values are refused.
func TestAudioBitrateAndLossAtRunTime(t *testing.T) {
	var sizes []int
	as, err := NewAudioSender(AudioSenderConfig{Epoch: t0, Send: func(p AudioPacket) { sizes = append(sizes, len(p.Payload)) }})
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	mic, _ := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0})
	buf := make([]int16, FrameSamples)
	for i := range 600 { // 6 s
		if i == 200 {
			if err := as.SetBitrate(32_000); err != nil {
				t.Fatal(err)
			}
		}
		if i == 400 {
			if err := as.SetPacketLossPercent(20); err != nil {
				t.Fatal(err)
			}
		}
		mic.Read(buf)
		if err := as.Process(buf, t0.Add(time.Duration(i)*FrameDuration)); err != nil {
			t.Fatal(err)
		}
	}
	rate := func(s []int) float64 {
		sum := 0
		for _, n := range s {
			sum += n
		}
		return float64(sum) * 8 / (float64(len(s)) * PacketDuration.Seconds())
	}
	before, after, lossy := rate(sizes[25:100]), rate(sizes[125:200]), rate(sizes[225:300])
	st := as.Stats()
	t.Logf("audio bit/s: %.0f at 24k, %.0f at 32k, %.0f at 32k with 20%% expected loss; %+v", before, after, lossy, st)
	if before < 20_000 || before > 28_000 || after < 27_000 || after > 37_000 {
		t.Errorf("bitrate %.0f at 24k, %.0f at 32k", before, after)
	}
	if st.Packets != 300 || st.Frames != 600 || st.Bitrate != 32_000 || st.LossPercent != 20 || st.FarMissing != 600 {
		t.Errorf("stats %+v", st)
	}
	for _, bad := range []int{23_999, 32_001} {
		if err := as.SetBitrate(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("SetBitrate(%d): %v", bad, err)
		}
	}
	if err := as.Process(buf[:100], t0); !errors.Is(err, ErrFrameSize) {
		t.Errorf("short frame: %v", err)
	}
}

// TestPlaybackMixesFourPeers: four peers whose clicks fall 100 ms apart are
// all heard in the mix at their capture time plus the same delay, every
// slot shows as speaking, and the echo reference gets exactly the frames
// that were played.
func TestPlaybackMixesFourPeers(t *testing.T) {
	const peers = playout.MaxStreams
	ref := &echoRecorder{}
	pb, err := NewPlayback(PlaybackConfig{Echo: ref})
	if err != nil {
		t.Fatal(err)
	}
	type peer struct {
		mic *synth.Mic
		as  *AudioSender
		ar  *AudioReceiver
	}
	var ps [peers]peer
	var now time.Time
	for i := range ps {
		p := &ps[i]
		p.mic, err = synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0.Add(time.Duration(i) * 100 * time.Millisecond), ToneLevel: 0.05, ClickLevel: 0.7})
		if err != nil {
			t.Fatal(err)
		}
		if p.ar, err = NewAudioReceiver(AudioReceiverConfig{}); err != nil {
			t.Fatal(err)
		}
		defer p.ar.Close()
		ar := p.ar
		if p.as, err = NewAudioSender(AudioSenderConfig{Epoch: t0, Send: func(a AudioPacket) {
			if err := ar.Push(a, now.Add(40*time.Millisecond)); err != nil { // arrives 40 ms later: pushed early with its arrival time
				t.Fatal(err)
			}
		}}); err != nil {
			t.Fatal(err)
		}
		defer p.as.Close()
		if err := pb.Attach(i, p.ar); err != nil {
			t.Fatal(err)
		}
	}
	if err := pb.Attach(peers, nil); !errors.Is(err, ErrSlot) {
		t.Errorf("Attach beyond the last slot: %v", err)
	}
	var out []int16
	var clocks []playout.PlayoutClock
	buf := make([]int16, FrameSamples)
	frame := make([]int16, FrameSamples)
	var speaking [peers]bool
	for k := range 300 { // 3 s
		now = t0.Add(time.Duration(k+1) * FrameDuration)
		for i := range ps {
			ps[i].mic.Read(buf)
			if err := ps[i].as.Process(buf, now.Add(-FrameDuration)); err != nil {
				t.Fatal(err)
			}
		}
		// The arrival of a packet sent now is 40 ms on; play 60 ms on.
		at := now.Add(60 * time.Millisecond)
		if err := pb.ReadFrame(at, frame); err != nil {
			t.Fatal(err)
		}
		out = append(out, frame...)
		clocks = append(clocks, ps[0].ar.PlayoutClock(at))
		for i, l := range pb.Levels() {
			speaking[i] = speaking[i] || l.Speaking
		}
	}
	if !slices.Equal(ref.samples, out) {
		t.Errorf("echo reference got %d samples that differ from the %d played", len(ref.samples), len(out))
	}
	heard := map[int]int{} // click boundary (in 100 ms) → count
	for _, pos := range synth.FindClicks(out, FrameSamples) {
		clk := clocks[pos/FrameSamples]
		if !clk.Valid {
			t.Fatalf("click at %d before playout", pos)
		}
		captured := clk.Timestamp + time.Duration(pos%FrameSamples)*time.Second/SampleRate
		m := int(math.Round(captured.Seconds() * 10))
		if e := captured - time.Duration(m)*100*time.Millisecond; e > 2*time.Millisecond || e < -2*time.Millisecond {
			t.Errorf("click with capture time %v is %v off a 100 ms boundary", captured, e)
		}
		heard[m]++
	}
	// Playout starts after the first packet waited the target delay;
	// every click from 200 ms to 2.5 s must be there, once.
	for m := 2; m < 25; m++ {
		if m%5 == 4 {
			continue // peers click at 0, 100, 200 and 300 ms of every 500
		}
		if heard[m] != 1 {
			t.Errorf("click at %d ms heard %d times", m*100, heard[m])
		}
	}
	if speaking != [peers]bool{true, true, true, true} {
		t.Errorf("speaking %v", speaking)
	}
	if st := pb.Stats(); st.Frames != 300 || st.PullErrors != 0 {
		t.Errorf("playback %+v", st)
	}
	t.Logf("mixed %d clicks from %d peers", len(heard), peers)
}

type echoRecorder struct{ samples []int16 }

func (r *echoRecorder) FarEnd(f []int16) { r.samples = append(r.samples, f...) }

// TestEchoReferenceWiring: a peer whose microphone hears its own speaker
// (the mixed far end, 40 ms later at half amplitude) sends far less of it
// when Playback feeds its AudioSender than with the canceller off.
func TestEchoReferenceWiring(t *testing.T) {
	withAEC := echoResidual(t, aec.Config{NoNoise: true})
	without := echoResidual(t, aec.Config{NoNoise: true, NoEcho: true})
	erle := 10 * math.Log10(without/withAEC)
	t.Logf("echo sent: %.0f with the canceller, %.0f without (mean square); %.1f dB removed", withAEC, without, erle)
	if erle < 15 {
		t.Errorf("canceller removed only %.1f dB of echo", erle)
	}
}

// echoResidual returns the mean square of what a peer sends, over its last
// two seconds, when its microphone picks up only the echo of the far end.
func echoResidual(t *testing.T, ec aec.Config) float64 {
	t.Helper()
	// Far end: a remote peer's tone and clicks, straight into the receiver.
	far, err := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0, ToneHz: 300, ToneLevel: 0.2, ClickLevel: 0.7})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := NewAudioReceiver(AudioReceiverConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	var now time.Time
	remote, err := NewAudioSender(AudioSenderConfig{Epoch: t0, Echo: aec.Config{NoEcho: true, NoNoise: true}, Send: func(p AudioPacket) {
		ar.Push(p, now)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer remote.Close()

	dec, _ := codec.NewOpusDecoder()
	var sent []int16
	pcm := make([]int16, codec.OpusMaxFrameSamples)
	local, err := NewAudioSender(AudioSenderConfig{Epoch: t0, Echo: ec, Send: func(p AudioPacket) {
		n, err := dec.Decode(p.Payload, pcm)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, pcm[:n]...)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	pb, _ := NewPlayback(PlaybackConfig{Echo: local})
	pb.Attach(0, ar)

	const echoDelay = 4 // frames: 40 ms from speaker to microphone
	var speaker [][]int16
	buf := make([]int16, FrameSamples)
	for k := range 600 { // 6 s
		now = t0.Add(time.Duration(k) * FrameDuration)
		far.Read(buf)
		remote.Process(buf, now)
		out := make([]int16, FrameSamples)
		pb.ReadFrame(now, out)
		speaker = append(speaker, out)
		mic := make([]int16, FrameSamples)
		if k >= echoDelay {
			for i, v := range speaker[k-echoDelay] {
				mic[i] = v / 2
			}
		}
		if err := local.Process(mic, now); err != nil {
			t.Fatal(err)
		}
	}
	tail := sent[len(sent)-2*SampleRate:]
	var e float64
	for _, v := range tail {
		e += float64(v) * float64(v)
	}
	return e / float64(len(tail))
}

// TestDeviceSource: the speaker's pull interface plays exactly what the
// Playback mixes, at the time the clock gives, and passes it to the echo
// reference.
func TestDeviceSource(t *testing.T) {
	ref := &echoRecorder{}
	pb, _ := NewPlayback(PlaybackConfig{Echo: ref})
	ar, _ := NewAudioReceiver(AudioReceiverConfig{})
	defer ar.Close()
	pb.Attach(2, ar)
	var pkts []AudioPacket
	as, _ := NewAudioSender(AudioSenderConfig{Epoch: t0, Send: func(p AudioPacket) {
		p.Payload = append([]byte(nil), p.Payload...)
		pkts = append(pkts, p)
	}})
	defer as.Close()
	mic, _ := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0})
	buf := make([]int16, FrameSamples)
	for i := range 40 {
		mic.Read(buf)
		as.Process(buf, t0.Add(time.Duration(i)*FrameDuration))
	}
	for _, p := range pkts {
		ar.Push(p, t0.Add(p.Timestamp))
	}
	now := t0.Add(100 * time.Millisecond)
	src := pb.DeviceSource(func() time.Time { return now })
	var dst [FrameSamples]int16
	played := 0
	for range 20 {
		if !src.ReadFrame(&dst) {
			t.Fatal("ReadFrame failed")
		}
		if !slices.Equal(dst[:], ref.samples[len(ref.samples)-FrameSamples:]) {
			t.Fatal("echo reference differs from the frame played")
		}
		if mediaRMS(dst[:]) > 100 {
			played++
		}
		now = now.Add(FrameDuration)
	}
	if st := ar.Stats(); played < 10 || st.Decoded == 0 || pb.Stats().Frames != 20 {
		t.Errorf("%d of 20 frames audible; receiver %+v", played, st)
	}
}

func mediaRMS(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	return math.Sqrt(e / float64(len(s)))
}

// TestQuietAndDTX: silence is sent as quiet packets, or not at all with DTX
// (consuming no sequence numbers), and the tone that follows as speech.
func TestQuietAndDTX(t *testing.T) {
	for _, dtx := range []bool{false, true} {
		var pkts []AudioPacket
		as, err := NewAudioSender(AudioSenderConfig{Epoch: t0, DTX: dtx, Send: func(p AudioPacket) {
			p.Payload = nil
			pkts = append(pkts, p)
		}})
		if err != nil {
			t.Fatal(err)
		}
		mic, _ := synth.NewMic(synth.MicConfig{Start: t0, Epoch: t0})
		buf := make([]int16, FrameSamples)
		for i := range 400 { // 2 s of silence, then 2 s of tone
			if i < 200 {
				clear(buf)
			} else {
				mic.Read(buf)
			}
			if err := as.Process(buf, t0.Add(time.Duration(i)*FrameDuration)); err != nil {
				t.Fatal(err)
			}
		}
		st := as.Stats()
		as.Close()
		quiet := 0
		for i, p := range pkts {
			if p.Seq != playout.SeqNum(i) {
				t.Fatalf("dtx %v: packet %d has sequence number %d", dtx, i, p.Seq)
			}
			if p.Quiet {
				quiet++
				if p.Timestamp >= 2*time.Second {
					t.Errorf("dtx %v: packet at %v with the tone is quiet", dtx, p.Timestamp)
				}
			}
		}
		t.Logf("dtx %v: %d packets, %d quiet; %+v", dtx, len(pkts), quiet, st)
		if st.Speech < 195 || st.Speech > 205 {
			t.Errorf("dtx %v: %d speech frames, want about 200", dtx, st.Speech)
		}
		if dtx {
			if st.DTXSkipped < 80 || len(pkts)+int(st.DTXSkipped) != 200 {
				t.Errorf("DTX skipped %d, sent %d", st.DTXSkipped, len(pkts))
			}
		} else if quiet < 98 || st.DTXSkipped != 0 {
			t.Errorf("%d quiet packets of 100 silent ones", quiet)
		}
	}
}
