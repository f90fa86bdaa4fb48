package pipeline

import (
	"math"
	"slices"
	"testing"
	"time"

	"camchat/internal/media/codec"
	"camchat/internal/media/playout"
	"camchat/internal/media/synth"
)

// sentFrame is what the test remembers of a video packet it sent.
type sentFrame struct {
	captured  time.Time
	layer     codec.TemporalLayerID
	keyframe  bool
	droppable bool
	lost      bool
	arrived   time.Time
}

// callResult is everything one simulated call measured.
type callResult struct {
	out        []int16     // mixer output
	playAt     []time.Time // write time of each 10 ms output frame
	clocks     []playout.PlayoutClock
	lostAudio  map[playout.SeqNum]bool
	sentAudio  int
	reordered  int         // audio packets that arrived after a later one
	frames     []sentFrame // by frame number
	shown      []shownFrame
	requests   []time.Time // keyframe requests made by the receiver
	audioStats AudioReceiverStats
	videoStats VideoReceiverStats
	sendStats  VideoSenderStats
	shift      time.Duration
	worstSync  time.Duration
}

type shownFrame struct {
	n  uint32
	at time.Time
}

const outputLatency = 30 * time.Millisecond

// runCall simulates one direction of a call for media seconds: synthetic
// camera and microphone, senders, a lossy jittery network, receivers,
// playback and display, all on one explicit clock.
//
// dropVideo, when set, also drops the video packets it returns true for.
func runCall(t *testing.T, media time.Duration, seed uint64, loss float64, dropVideo func(VideoPacket) bool) *callResult {
	t.Helper()
	epoch := t0
	res := &callResult{lostAudio: map[playout.SeqNum]bool{}}
	audioNet := newLink(seed, 40*time.Millisecond, 20*time.Millisecond, loss)
	videoNet := newLink(seed+1, 40*time.Millisecond, 20*time.Millisecond, loss)
	// The last packets always arrive: a loss at the very end cannot be
	// told from the end of the stream.
	audioNet.noLossAfter = t0.Add(media - 200*time.Millisecond)
	feedback := newLink(seed+2, 40*time.Millisecond, 20*time.Millisecond, 0)

	var now time.Time
	var maxSeq playout.SeqNum
	as, err := NewAudioSender(AudioSenderConfig{Epoch: epoch, PacketLossPercent: 5, Send: func(p AudioPacket) {
		res.sentAudio++
		if !audioNet.send(now, &p, nil) {
			res.lostAudio[p.Seq] = true
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	res.shift = as.shift
	vs, err := NewVideoSender(VideoSenderConfig{Epoch: epoch, Encoder: codec.VP8EncoderConfig{
		Width: 320, Height: 240, FrameRate: 15, Bitrate: 300_000, TemporalLayers: 3,
	}, Send: func(p VideoPacket) {
		f := sentFrame{captured: epoch.Add(p.Timestamp), layer: p.Layer, keyframe: p.Keyframe, droppable: p.Droppable}
		f.lost = (dropVideo != nil && dropVideo(p)) || !videoNet.send(now, nil, &p)
		res.frames = append(res.frames, f)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer vs.Close()

	ar, err := NewAudioReceiver(AudioReceiverConfig{OutputLatency: outputLatency})
	if err != nil {
		t.Fatal(err)
	}
	defer ar.Close()
	vr, err := NewVideoReceiver(VideoReceiverConfig{Audio: ar, RequestKeyframe: func() {
		res.requests = append(res.requests, now)
		feedback.send(now, &AudioPacket{}, nil) // the request travels back
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer vr.Close()
	pb, err := NewPlayback(PlaybackConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := pb.Attach(0, ar); err != nil {
		t.Fatal(err)
	}

	mic, err := synth.NewMic(synth.MicConfig{Start: t0, Epoch: epoch})
	if err != nil {
		t.Fatal(err)
	}
	pat, err := synth.NewPattern(320, 240)
	if err != nil {
		t.Fatal(err)
	}
	micTick := ticker{start: t0, num: 1, den: 100, offset: FrameDuration} // frame n is handed over when complete
	camTick := ticker{start: t0, num: 1, den: 15}
	playTick := ticker{start: t0, num: 1, den: 100, offset: 3 * time.Millisecond}
	dispTick := ticker{start: t0, num: 1, den: 60, offset: time.Millisecond}
	end := t0.Add(media + time.Second)
	micBuf := make([]int16, FrameSamples)
	outBuf := make([]int16, FrameSamples)
	var img = pat.Render(nil, 0, 0)

	for {
		// The earliest event; network deliveries first on ties.
		now = end
		kind := -1
		if at, ok := audioNet.next(); ok && at.Before(now) {
			now, kind = at, 0
		}
		if at, ok := videoNet.next(); ok && at.Before(now) {
			now, kind = at, 1
		}
		if at, ok := feedback.next(); ok && at.Before(now) {
			now, kind = at, 2
		}
		if at := micTick.at(); at.Sub(t0) <= media && at.Before(now) {
			now, kind = at, 3
		}
		if at := camTick.at(); at.Sub(t0) < media && at.Before(now) {
			now, kind = at, 4
		}
		if at := playTick.at(); at.Before(now) {
			now, kind = at, 5
		}
		if at := dispTick.at(); at.Before(now) {
			now, kind = at, 6
		}
		switch kind {
		case -1:
			res.audioStats, res.videoStats, res.sendStats = ar.Stats(), vr.Stats(), vs.Stats()
			return res
		case 0:
			d := audioNet.pop()
			if d.audio.Seq.Before(maxSeq) {
				res.reordered++
			}
			maxSeq = max(maxSeq, d.audio.Seq)
			if err := ar.Push(*d.audio, now); err != nil {
				t.Fatal(err)
			}
		case 1:
			d := videoNet.pop()
			if err := vr.Push(*d.video, now); err != nil {
				t.Fatal(err)
			}
			res.frames[frameNumber(d.video.Timestamp, epoch, t0)].arrived = now
		case 2:
			feedback.pop()
			vs.RequestKeyframe(now)
		case 3:
			if _, err := mic.Read(micBuf); err != nil {
				t.Fatal(err)
			}
			if err := as.Process(micBuf, now.Add(-FrameDuration)); err != nil {
				t.Fatal(err)
			}
			micTick.n++
		case 4:
			n := uint32(camTick.n)
			img = pat.Render(img, n, synth.StampTime(now, epoch))
			if err := vs.Encode(img, now); err != nil {
				t.Fatal(err)
			}
			camTick.n++
		case 5:
			if err := pb.ReadFrame(now, outBuf); err != nil {
				t.Fatal(err)
			}
			res.out = append(res.out, outBuf...)
			res.playAt = append(res.playAt, now)
			res.clocks = append(res.clocks, ar.PlayoutClock(now))
			playTick.n++
		case 6:
			dispTick.n++
			pic, ts, ok := vr.Due(now)
			if !ok {
				continue
			}
			n, sts, ok := synth.ReadStamp(pic)
			if !ok {
				t.Fatalf("at %v: displayed picture has no readable stamp", now.Sub(t0))
			}
			if int(n) >= len(res.frames) {
				t.Fatalf("displayed frame %d never sent", n)
			}
			capt := res.frames[n].captured
			if sts != synth.StampTime(capt, epoch) || ts != capt.Sub(epoch) {
				t.Fatalf("frame %d: stamp time %v, packet ts %v, captured %v", n, sts, ts, capt.Sub(epoch))
			}
			if clk := ar.PlayoutClock(now); clk.Valid {
				off := clk.Timestamp - ts
				if off < 0 {
					off = -off
				}
				res.worstSync = max(res.worstSync, off)
				if off > 80*time.Millisecond {
					t.Errorf("frame %d (ts %v) shown at audio clock %v: off by %v", n, ts, clk.Timestamp, off)
				}
			}
			res.shown = append(res.shown, shownFrame{n: n, at: now})
		}
	}
}

func frameNumber(ts time.Duration, epoch, start time.Time) int {
	return int(math.Round((epoch.Add(ts).Sub(start)).Seconds() * 15))
}

// TestCallEndToEnd runs 10 s of a call over a path with 40 ms ± 20 ms of
// delay and 3% loss and checks audio timing and loss recovery, video delay,
// loss recovery through keyframe requests, and lip sync.
func TestCallEndToEnd(t *testing.T) {
	const media = 10 * time.Second
	r := runCall(t, media, 1, 0.03, nil)
	if r.reordered == 0 {
		t.Error("no audio packet was reordered: the test does not exercise reordering")
	}
	t.Logf("audio: %d packets reordered", r.reordered)
	checkAudio(t, r, media)
	checkVideo(t, r)
}

// TestCallRecoversFromLostReferences loses, on a jittery path without
// random loss, the first keyframe, a base-layer frame and a layer-1 frame,
// and checks that each time the receiver asks for a keyframe, shows nothing
// that depends on the lost frame, and shows pictures again within the bound.
func TestCallRecoversFromLostReferences(t *testing.T) {
	var dropped []time.Duration
	stage := 0
	r := runCall(t, 8*time.Second, 7, 0, func(p VideoPacket) bool {
		drop := false
		switch {
		case stage == 0 && p.Keyframe:
			drop = true
		case stage == 1 && p.Timestamp >= 3*time.Second && p.Layer == 0 && !p.Keyframe:
			drop = true
		case stage == 2 && p.Timestamp >= 6*time.Second && p.Layer == 1:
			drop = true
		}
		if drop {
			stage++
			dropped = append(dropped, p.Timestamp)
		}
		return drop
	})
	if len(dropped) != 3 {
		t.Fatalf("dropped %v", dropped)
	}
	checkVideo(t, r)
	// The first keyframe is lost, so the receiver must have asked within
	// one frame; each loss of layer 0 or 1 produces one request.
	if len(r.requests) < 3 || r.requests[0].Sub(t0) > 200*time.Millisecond {
		t.Errorf("requests at %v after losses at %v", sinceT0(r.requests), dropped)
	}
}

func checkAudio(t *testing.T, r *callResult, media time.Duration) {
	t.Helper()
	st := r.audioStats
	js := st.Jitter
	t.Logf("audio: sent %d lost %d; jitter %+v", r.sentAudio, len(r.lostAudio), js)
	if len(r.lostAudio) < 5 {
		t.Fatalf("only %d audio packets lost: the test does not exercise loss", len(r.lostAudio))
	}
	if js.Received != uint64(r.sentAudio-len(r.lostAudio)) || js.Duplicates != 0 || js.Rejected != 0 {
		t.Errorf("received %d of %d sent with %d lost", js.Received, r.sentAudio, len(r.lostAudio))
	}
	// Packets lost before the first one delivered are unknown to the
	// receiver: for it the stream starts there.
	first := playout.SeqNum(0)
	for r.lostAudio[first] {
		first++
	}
	lost := 0
	for seq := range r.lostAudio {
		if first.Before(seq) {
			lost++
		}
	}
	if js.Lost != uint64(lost) {
		t.Errorf("jitter buffer counts %d lost, the network dropped %d after the first delivered packet %d", js.Lost, lost, first)
	}
	// Every missing sequence number was rebuilt from FEC, concealed or
	// skipped; missing ones are the lost plus the late. When the stream
	// ends the buffer conceals blindly for ConcealLimit (10 frames), then
	// takes the sender to have paused (one rebuffer) and takes those
	// sequence numbers back, but not the concealment ticks.
	if js.Rebuffers != 1 {
		t.Errorf("%d rebuffers, want 1 (the end of the stream)", js.Rebuffers)
	}
	tail := js.Rebuffers * 10
	if got, want := js.FEC+js.Concealed+js.Skipped-tail, js.Lost+js.Late; got != want {
		t.Errorf("FEC %d + concealed %d + skipped %d - tail %d = %d, want lost %d + late %d", js.FEC, js.Concealed, js.Skipped, tail, got, js.Lost, js.Late)
	}
	if js.FEC == 0 {
		t.Error("no loss was recovered from FEC")
	}
	// A FEC tick is a recovery only when the next packet carried FEC
	// data (the tone and clicks are mostly not speech to SILK's voice
	// activity detector, which decides); otherwise it is concealed.
	if st.FEC+st.NoFEC != js.FEC || st.FEC == 0 || st.Decoded != js.Decoded || st.Concealed != js.Concealed+js.Stretched+st.NoFEC || st.DecodeErrors != 0 {
		t.Errorf("decoder %+v disagrees with the jitter buffer", st)
	}
	if js.Decoded+js.DroppedCatchUp+js.Late != js.Received || js.Buffered != 0 {
		t.Errorf("packets unaccounted for: %+v", js)
	}

	// Clicks: each one heard must sit on a click boundary of the
	// sender's clock when located through the playout clock, and every
	// click whose packet arrived in time must be heard.
	clicks := synth.FindClicks(r.out, 0)
	found := map[int]bool{}
	var worstErr, minDelay, maxDelay, sumDelay time.Duration
	minDelay = time.Hour
	for _, pos := range clicks {
		k, j := pos/FrameSamples, pos%FrameSamples
		clk := r.clocks[k]
		if !clk.Valid {
			t.Errorf("click at sample %d while the playout clock is not running", pos)
			continue
		}
		within := time.Duration(j) * time.Second / SampleRate
		captured := clk.Timestamp + outputLatency + within // capture time of the sample written here
		m := int(math.Round(captured.Seconds() * 2))
		errT := captured - time.Duration(m)*500*time.Millisecond
		worstErr = max(worstErr, errT, -errT)
		if errT > 2*time.Millisecond || errT < -2*time.Millisecond {
			t.Errorf("click at sample %d has capture time %v, %v from the nearest click", pos, captured, errT)
		}
		if found[m] {
			t.Errorf("click %d heard twice", m)
		}
		found[m] = true
		delay := r.playAt[k].Add(within + outputLatency).Sub(t0.Add(time.Duration(m) * 500 * time.Millisecond))
		minDelay, maxDelay, sumDelay = min(minDelay, delay), max(maxDelay, delay), sumDelay+delay
	}
	missing := 0
	for m := range int(media / (500 * time.Millisecond)) {
		if found[m] {
			continue
		}
		seq := playout.SeqNum((time.Duration(m)*500*time.Millisecond + r.shift) / PacketDuration)
		if r.lostAudio[seq] {
			missing++
			continue
		}
		t.Errorf("click %d (packet %d delivered) not heard", m, seq)
	}
	t.Logf("audio: %d clicks heard, %d lost with their packet; capture-time error ≤ %v; mouth-to-ear delay %v..%v, mean %v; target delay %v",
		len(clicks), missing, worstErr, minDelay, maxDelay, sumDelay/time.Duration(max(len(clicks), 1)), js.TargetDelay)
	// Delay: 20 ms of packet plus 16.5 ms of canceller and codec delay,
	// at least 20 ms of network, the jitter buffer's target above the
	// fastest transit, the output latency and tick alignment.
	lo := PacketDuration + r.shift + 20*time.Millisecond + outputLatency
	hi := lo + 40*time.Millisecond + js.TargetDelay + 2*PacketDuration
	if minDelay < lo || maxDelay > hi {
		t.Errorf("mouth-to-ear delay %v..%v outside %v..%v", minDelay, maxDelay, lo, hi)
	}
}

func checkVideo(t *testing.T, r *callResult) {
	t.Helper()
	vst := r.videoStats
	t.Logf("video: sender %+v", r.sendStats)
	t.Logf("video: receiver %+v", vst)
	shown := map[uint32]time.Time{}
	for i, s := range r.shown {
		if i > 0 && s.n <= r.shown[i-1].n {
			t.Fatalf("frame %d shown after frame %d", s.n, r.shown[i-1].n)
		}
		if r.frames[s.n].lost {
			t.Fatalf("frame %d was lost but is shown", s.n)
		}
		shown[s.n] = s.at
	}
	var lostNums []int
	var sumDelay, maxDelay time.Duration
	for _, s := range r.shown {
		d := s.at.Sub(r.frames[s.n].captured)
		sumDelay += d
		maxDelay = max(maxDelay, d)
	}
	critical := 0
	var worstResume time.Duration
	for n, f := range r.frames {
		if !f.lost {
			continue
		}
		lostNums = append(lostNums, n)
		if f.droppable {
			continue
		}
		critical++
		// The next keyframe sent after the loss.
		key := len(r.frames)
		for m := n + 1; m < len(r.frames); m++ {
			if r.frames[m].keyframe && !r.frames[m].lost {
				key = m
				break
			}
		}
		// Until it, no frame that depends on the lost one may be shown:
		// a lost base frame stops everything, a lost layer-1 frame
		// stops layers 1 and 2.
		for m := n + 1; m < key; m++ {
			if _, ok := shown[uint32(m)]; ok && r.frames[m].layer >= f.layer {
				t.Errorf("frame %d (layer %d) shown though frame %d (layer %d) before it was lost", m, r.frames[m].layer, n, f.layer)
			}
		}
		// A request must follow the loss, and pictures resume.
		asked := slices.ContainsFunc(r.requests, func(at time.Time) bool {
			return !at.Before(f.captured) && at.Sub(f.captured) <= 500*time.Millisecond
		})
		if !asked && key < len(r.frames) && r.frames[key].captured.Sub(f.captured) > 500*time.Millisecond {
			t.Errorf("no keyframe request within 500 ms of losing frame %d", n)
		}
		if f.captured.After(r.frames[len(r.frames)-1].captured.Add(-1500 * time.Millisecond)) {
			continue // too close to the end to demand recovery
		}
		resumed := false
		for m := n + 1; m < len(r.frames); m++ {
			if _, ok := shown[uint32(m)]; ok {
				gap := r.frames[m].captured.Sub(f.captured)
				worstResume = max(worstResume, gap)
				if gap > 1200*time.Millisecond {
					t.Errorf("after losing frame %d pictures resumed only %v later (frame %d)", n, gap, m)
				}
				resumed = true
				break
			}
		}
		if !resumed {
			t.Errorf("pictures never resumed after losing frame %d", n)
		}
	}
	// Exactly the frames that were lost or depend on a lost one are
	// missing from the screen, apart from any the scheduler dropped.
	unshowable := make([]bool, len(r.frames))
	for n, f := range r.frames {
		if !f.lost || f.droppable {
			continue
		}
		for m := n + 1; m < len(r.frames) && !(r.frames[m].keyframe && !r.frames[m].lost); m++ {
			if r.frames[m].layer >= f.layer {
				unshowable[m] = true
			}
		}
	}
	unexplained := 0
	for n, f := range r.frames {
		_, ok := shown[uint32(n)]
		if want := !f.lost && !unshowable[n]; ok != want {
			unexplained++
			if ok || unexplained > int(vst.Display.Late+vst.Display.Superseded) {
				t.Errorf("frame %d (layer %d, key %v, lost %v, depends on a lost frame %v): shown %v", n, f.layer, f.keyframe, f.lost, unshowable[n], ok)
			}
		}
	}
	for _, at := range r.requests {
		if !slices.ContainsFunc(r.frames, func(f sentFrame) bool {
			return f.lost && !f.droppable && f.captured.Before(at) && at.Sub(f.captured) <= 1500*time.Millisecond
		}) {
			t.Errorf("keyframe request at %v follows no loss of a frame anything depends on", at.Sub(t0))
		}
	}
	if critical > 0 && (vst.KeyframeRequests == 0 || r.sendStats.Forced == 0) {
		t.Errorf("%d reference frames lost but %d requests, %d forced keyframes", critical, vst.KeyframeRequests, r.sendStats.Forced)
	}
	if critical == 0 {
		t.Errorf("no reference frame lost: the test does not exercise recovery (lost %v)", lostNums)
	}
	if vst.DecodeErrors != 0 {
		t.Errorf("%d decode errors: a frame was decoded without its references", vst.DecodeErrors)
	}
	if len(r.shown) < len(r.frames)*3/4 {
		t.Errorf("shown %d of %d frames", len(r.shown), len(r.frames))
	}
	t.Logf("video: sent %d, lost %v (%d reference frames), shown %d, requests %d (at %v), worst resume %v; capture-to-display delay mean %v max %v; worst A/V offset %v",
		len(r.frames), lostNums, critical, len(r.shown), len(r.requests), sinceT0(r.requests), worstResume,
		sumDelay/time.Duration(max(len(r.shown), 1)), maxDelay, r.worstSync)
}

func sinceT0(ts []time.Time) []time.Duration {
	out := make([]time.Duration, len(ts))
	for i, at := range ts {
		out[i] = at.Sub(t0).Round(time.Millisecond)
	}
	return out
}
