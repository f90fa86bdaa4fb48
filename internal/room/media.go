package room

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"camchat/internal/media/audio"
	"camchat/internal/media/codec"
	"camchat/internal/media/pipeline"
	"camchat/internal/media/playout"
	"camchat/internal/media/synth"
	"camchat/internal/media/video"
	"camchat/internal/rtmfp/flashcrypto"
)

// mediaOut is where the local senders' packets go: the room's publisher.
type mediaOut interface {
	sendAudio(p pipeline.AudioPacket)
	sendVideo(p pipeline.VideoPacket)
}

// engine runs this member's media: the microphone and camera feeding the
// senders, one receiver pair per remote member, the speaker mix and the
// display clock.
//
// Goroutines: the microphone's (a device reader, or the synthetic
// microphone's 10 ms clock), the camera's (video.Camera or synth.Camera),
// the speaker's (a device's audio thread, or the synthetic speaker's 10 ms
// clock) and the display clock, which asks every video receiver for the
// picture due and hands it to Config.OnFrame. The network side only calls
// push methods, which decode and return; nothing here ever waits for the
// network.
type engine struct {
	cfg   Config // constant
	out   mediaOut
	note  func(string) // reports device changes in words (constant)
	epoch time.Time    // the media clock's zero (constant)

	// tapIDs names the member in each playback slot for the tap, which
	// runs under the Playback's lock and so cannot take mu.
	tapIDs [playout.MaxStreams]atomic.Pointer[flashcrypto.PeerID]

	as *pipeline.AudioSender // safe for concurrent use
	vs *pipeline.VideoSender
	pb *pipeline.Playback

	quit chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex // guards the fields below
	slots    [playout.MaxStreams]*peerMedia
	micOn    bool
	camOn    bool
	devices  Devices
	names    [3]string // camera, microphone, speaker in words
	camSynth bool
	mic      closer // the open microphone
	spk      closer
	cam      closer
	level    playout.Level // the microphone's, after processing
	closed   bool
}

type closer interface{ Close() error }

// peerMedia is one remote member's receivers.
type peerMedia struct {
	id   flashcrypto.PeerID
	slot int
	ar   *pipeline.AudioReceiver
	vr   *pipeline.VideoReceiver

	// Guarded by mu: the stream's timestamps unwrapped (tc timestamps are
	// 32-bit milliseconds), and what the display saw.
	mu          sync.Mutex
	audioTS     tsUnwrap
	videoTS     tsUnwrap
	maxLayer    int
	layerSeenAt time.Time
	shown       uint64
	depCount    [codec.MaxTemporalLayers]uint8 // for peers that send no dependency vectors
}

// tsUnwrap extends 32-bit millisecond timestamps to a continuous count.
type tsUnwrap struct {
	last uint32
	base int64
	seen bool
}

func (u *tsUnwrap) unwrap(ts uint32) time.Duration {
	if u.seen {
		d := int32(ts - u.last)
		u.base += int64(d)
	} else {
		u.base, u.seen = int64(ts), true
	}
	u.last = ts
	return time.Duration(u.base) * time.Millisecond
}

func newEngine(cfg Config, out mediaOut, note func(string)) (*engine, error) {
	// The media clock starts a second before now so that timestamps
	// corrected for the processing delay stay positive.
	e := &engine{cfg: cfg, out: out, note: note, epoch: cfg.Now().Add(-time.Second), quit: make(chan struct{}),
		micOn: !cfg.MicOff, camOn: !cfg.CameraOff}
	var err error
	e.as, err = pipeline.NewAudioSender(pipeline.AudioSenderConfig{Epoch: e.epoch, Send: out.sendAudio})
	if err != nil {
		return nil, fmt.Errorf("room: audio sender: %w", err)
	}
	e.vs, err = pipeline.NewVideoSender(pipeline.VideoSenderConfig{Epoch: e.epoch, Send: out.sendVideo,
		Encoder: codec.VP8EncoderConfig{
			Width: cfg.Video.Width, Height: cfg.Video.Height, FrameRate: cfg.Video.FPS,
			Bitrate: initialVideoBitrate(cfg), TemporalLayers: codec.MaxTemporalLayers,
		}})
	if err != nil {
		e.as.Close()
		return nil, fmt.Errorf("room: video sender: %w", err)
	}
	e.pb, err = pipeline.NewPlayback(pipeline.PlaybackConfig{Echo: e.as, Tap: e.tap})
	if err != nil {
		e.as.Close()
		e.vs.Close()
		return nil, fmt.Errorf("room: playback: %w", err)
	}
	return e, nil
}

func initialVideoBitrate(cfg Config) int { return min(cfg.Video.MaxBitrate, 250_000) }

// start opens the devices and starts the display clock. A device that
// cannot be opened falls back to its synthetic stand-in, and the returned
// messages say so (the room shows them as device events).
func (e *engine) start() []string {
	var notes []string
	e.mu.Lock()
	d := e.cfg.Devices
	e.mu.Unlock()
	notes = append(notes, e.openSpeaker(d.Speaker)...)
	notes = append(notes, e.openMic(d.Microphone)...)
	notes = append(notes, e.openCamera(d.Camera)...)
	e.wg.Add(1)
	go e.display()
	return notes
}

// setDevices switches the devices that differ from the ones in use.
func (e *engine) setDevices(d Devices) []string {
	e.mu.Lock()
	cur := e.devices
	e.mu.Unlock()
	var notes []string
	if d.Speaker != cur.Speaker {
		notes = append(notes, e.openSpeaker(d.Speaker)...)
	}
	if d.Microphone != cur.Microphone {
		notes = append(notes, e.openMic(d.Microphone)...)
	}
	if d.Camera != cur.Camera {
		notes = append(notes, e.openCamera(d.Camera)...)
	}
	return notes
}

// replace installs a newly opened device in *slot and closes the old one.
func (e *engine) replace(slot *closer, c closer, set func()) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		if c != nil {
			c.Close()
		}
		return ErrClosed
	}
	old := *slot
	*slot = c
	set()
	e.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

func (e *engine) openSpeaker(choice string) []string {
	if choice != Synthetic && e.cfg.Audio != nil {
		pb, err := e.cfg.Audio.OpenPlayback(audio.PlaybackConfig{Device: audio.DeviceID(choice), Source: e.pb.DeviceSource(e.cfg.Now)})
		if err == nil {
			go e.forwardAudioEvents(pb.Events())
			e.replace(&e.spk, pb, func() { e.devices.Speaker, e.names[2] = choice, pb.Device().Name })
			return nil
		}
		note := fmt.Sprintf("Speaker could not be opened (%v): sound is not played", err)
		e.replace(&e.spk, newSyntheticSpeaker(e), func() { e.devices.Speaker, e.names[2] = Synthetic, "no speaker" })
		return []string{note}
	}
	e.replace(&e.spk, newSyntheticSpeaker(e), func() { e.devices.Speaker, e.names[2] = Synthetic, "no speaker (silent)" })
	return nil
}

func (e *engine) openMic(choice string) []string {
	if choice != Synthetic && e.cfg.Audio != nil {
		cp, err := e.cfg.Audio.OpenCapture(audio.CaptureConfig{Device: audio.DeviceID(choice)})
		if err == nil {
			dm := newDeviceMic(e, cp)
			e.as.SetProcessing(true)
			e.replace(&e.mic, dm, func() { e.devices.Microphone, e.names[1] = choice, cp.Device().Name })
			return nil
		}
		note := fmt.Sprintf("Microphone could not be opened (%v): sending a test tone instead", err)
		e.as.SetProcessing(false)
		if sm, err := newSyntheticMic(e); err == nil {
			e.replace(&e.mic, sm, func() { e.devices.Microphone, e.names[1] = Synthetic, "test tone" })
		}
		return []string{note}
	}
	// No loudspeaker can echo into the test tone: it goes out untouched
	// (a canceller would take its clicks, periodic like every member's,
	// for an echo of theirs).
	e.as.SetProcessing(false)
	sm, err := newSyntheticMic(e)
	if err != nil {
		return []string{fmt.Sprintf("Test tone unavailable: %v", err)}
	}
	e.replace(&e.mic, sm, func() { e.devices.Microphone, e.names[1] = Synthetic, "test tone" })
	return nil
}

func (e *engine) openCamera(choice string) []string {
	var note string
	if choice != Synthetic {
		path := choice
		if path == "" {
			if cams := video.List(); len(cams) > 0 {
				path = cams[0].Path
			}
		}
		if path != "" {
			cam, err := video.Open(video.Config{Path: path, Out: video.Size{Width: e.cfg.Video.Width, Height: e.cfg.Video.Height},
				Want: video.Want{Size: video.Size{Width: e.cfg.Video.Width, Height: e.cfg.Video.Height}, MaxFPS: float64(e.cfg.Video.FPS)}, Now: e.cfg.Now})
			if err == nil {
				if err = cam.Start(e.deliverFrame); err == nil {
					e.replace(&e.cam, cam, func() { e.devices.Camera, e.names[0], e.camSynth = choice, path, false })
					return nil
				}
				cam.Close()
			}
			note = fmt.Sprintf("%v: showing the test pattern instead", err)
		}
	}
	cam, err := synth.NewCamera(synth.CameraConfig{Width: e.cfg.Video.Width, Height: e.cfg.Video.Height, FPS: e.cfg.Video.FPS, Now: e.cfg.Now})
	if err == nil {
		err = cam.Start(e.deliverFrame)
	}
	if err != nil {
		return []string{fmt.Sprintf("Test pattern unavailable: %v", err)}
	}
	e.replace(&e.cam, cam, func() { e.devices.Camera, e.names[0], e.camSynth = choice, "test pattern", true })
	if note != "" {
		return []string{note}
	}
	return nil
}

// deliverFrame takes a camera picture: the preview, and the encoder while
// the camera is on.
func (e *engine) deliverFrame(f video.Frame) {
	e.mu.Lock()
	on, syn := e.camOn, e.camSynth
	e.mu.Unlock()
	if !on {
		return
	}
	e.vs.Deliver(f)
	if e.cfg.OnFrame != nil {
		e.cfg.OnFrame(VideoFrame{Peer: e.cfg.Identity.PeerID(), Image: f.Image, Timestamp: f.Time.Sub(e.epoch), Local: true, Synthetic: syn})
	}
}

// micFrame takes one 10 ms microphone frame captured at captured.
func (e *engine) micFrame(samples []int16, captured time.Time, lm *playout.LevelMeter) {
	e.mu.Lock()
	on := e.micOn
	e.mu.Unlock()
	var l playout.Level
	if on {
		e.as.Process(samples, captured)
		l = lm.Feed(samples)
	} else {
		l = lm.Silence()
	}
	e.mu.Lock()
	e.level = l
	e.mu.Unlock()
}

// forwardAudioEvents reports a device's events until it closes.
func (e *engine) forwardAudioEvents(ch <-chan audio.Event) {
	for ev := range ch {
		e.note(ev.Message)
	}
}

// tap hands each remote member's played audio to Config.OnPlayout; it runs
// under the Playback's lock on the speaker's thread.
func (e *engine) tap(slot int, frame []int16, now time.Time) {
	if e.cfg.OnPlayout == nil {
		return
	}
	if id := e.tapIDs[slot].Load(); id != nil {
		e.cfg.OnPlayout(*id, frame, now)
	}
}

// attach gives a remote member receivers and a playback slot.
func (e *engine) attach(id flashcrypto.PeerID, requestKeyframe func()) (*peerMedia, error) {
	ar, err := pipeline.NewAudioReceiver(pipeline.AudioReceiverConfig{})
	if err != nil {
		return nil, err
	}
	vr, err := pipeline.NewVideoReceiver(pipeline.VideoReceiverConfig{Audio: ar, RequestKeyframe: requestKeyframe})
	if err != nil {
		ar.Close()
		return nil, err
	}
	pm := &peerMedia{id: id, ar: ar, vr: vr, maxLayer: -1}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, s := range e.slots {
		if s == nil {
			pm.slot = i
			e.slots[i] = pm
			e.tapIDs[i].Store(&pm.id)
			if err := e.pb.Attach(i, ar); err != nil {
				e.slots[i] = nil
				e.tapIDs[i].Store(nil)
				break
			}
			return pm, nil
		}
	}
	ar.Close()
	vr.Close()
	return nil, errors.New("room: no free playback slot")
}

// detach frees a member's receivers.
func (e *engine) detach(pm *peerMedia) {
	e.mu.Lock()
	if e.slots[pm.slot] == pm {
		e.pb.Attach(pm.slot, nil)
		e.slots[pm.slot] = nil
		e.tapIDs[pm.slot].Store(nil)
	}
	e.mu.Unlock()
	pm.vr.Close()
	pm.ar.Close()
}

// display asks each receiver for its due picture every 10 ms.
func (e *engine) display() {
	defer e.wg.Done()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var peers []*peerMedia
	for {
		select {
		case <-e.quit:
			return
		case <-t.C:
		}
		now := e.cfg.Now()
		e.mu.Lock()
		peers = peers[:0]
		for _, pm := range e.slots {
			if pm != nil {
				peers = append(peers, pm)
			}
		}
		e.mu.Unlock()
		for _, pm := range peers {
			img, ts, ok := pm.vr.Due(now)
			if !ok {
				continue
			}
			pm.mu.Lock()
			pm.shown++
			pm.mu.Unlock()
			if e.cfg.OnFrame != nil {
				e.cfg.OnFrame(VideoFrame{Peer: pm.id, Image: img, Timestamp: ts})
			}
		}
	}
}

func (e *engine) setMic(on bool) {
	e.mu.Lock()
	e.micOn = on
	e.mu.Unlock()
}

func (e *engine) setCamera(on bool) {
	e.mu.Lock()
	was := e.camOn
	e.camOn = on
	e.mu.Unlock()
	if on && !was {
		e.vs.RequestKeyframe(e.cfg.Now()) // receivers restart at a keyframe
	}
}

type engineState struct {
	micOn, camOn, camSynth bool
	devices                Devices
	names                  [3]string
	level                  playout.Level
}

func (e *engine) state() engineState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return engineState{micOn: e.micOn, camOn: e.camOn, camSynth: e.camSynth, devices: e.devices, names: e.names, level: e.level}
}

// close stops every device and goroutine and frees the codecs.
func (e *engine) close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	devs := []closer{e.cam, e.mic, e.spk}
	slots := e.slots
	e.mu.Unlock()
	close(e.quit)
	for _, d := range devs {
		if d != nil {
			d.Close()
		}
	}
	e.wg.Wait()
	for _, pm := range slots {
		if pm != nil {
			e.detach(pm)
		}
	}
	e.as.Close()
	e.vs.Close()
}

// syntheticMic feeds the tone-and-click microphone on a 10 ms clock.
type syntheticMic struct {
	stop chan struct{}
	done chan struct{}
}

func newSyntheticMic(e *engine) (*syntheticMic, error) {
	start := e.cfg.Now()
	// Each member's tone has its own pitch (from its peer ID), so the echo
	// canceller never mistakes another member's tone in the speaker mix
	// for an echo of ours, and people hear who is who. It talks 1.5 s and
	// pauses 0.5 s, as speech does: receivers' jitter buffers adapt in the
	// pauses.
	id := e.cfg.Identity.PeerID()
	mic, err := synth.NewMic(synth.MicConfig{Start: start, ToneHz: 300 + float64(id[0]%40)*15,
		Talk: 1500 * time.Millisecond, Pause: 500 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	lm, err := playout.NewLevelMeter(playout.MixerConfig{}, pipeline.FrameDuration)
	if err != nil {
		return nil, err
	}
	m := &syntheticMic{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		buf := make([]int16, pipeline.FrameSamples)
		next := start
		t := time.NewTimer(pipeline.FrameDuration)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
			now := e.cfg.Now()
			// Catch up frame by frame (a late tick still delivers
			// every 10 ms of sound, as a device's buffer would).
			for n := 0; !next.Add(pipeline.FrameDuration).After(now) && n < 50; n++ {
				mic.Read(buf)
				e.micFrame(buf, next, lm)
				next = next.Add(pipeline.FrameDuration)
			}
			if next.Add(pipeline.FrameDuration).Before(now) {
				next = now.Add(-pipeline.FrameDuration) // too far behind: skip ahead
			}
			t.Reset(next.Add(pipeline.FrameDuration).Sub(now))
		}
	}()
	return m, nil
}

func (m *syntheticMic) Close() error {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
	return nil
}

// deviceMic reads a microphone's frames.
type deviceMic struct {
	cp   *audio.Capture
	done chan struct{}
}

func newDeviceMic(e *engine, cp *audio.Capture) *deviceMic {
	m := &deviceMic{cp: cp, done: make(chan struct{})}
	lm, _ := playout.NewLevelMeter(playout.MixerConfig{}, pipeline.FrameDuration)
	go func() {
		defer close(m.done)
		for f := range cp.Frames() {
			// A frame is delivered when its last sample is in.
			e.micFrame(f.Samples[:], e.cfg.Now().Add(-pipeline.FrameDuration), lm)
			cp.Release(f)
		}
	}()
	go e.forwardAudioEvents(cp.Events())
	return m
}

func (m *deviceMic) Close() error {
	err := m.cp.Close() // closes Frames, which ends the reader
	<-m.done
	return err
}

// syntheticSpeaker plays the mix into nothing on a 10 ms clock: a call with
// no sound card still plays out (and the headless participant listens
// through the tap).
type syntheticSpeaker struct {
	stop chan struct{}
	done chan struct{}
}

func newSyntheticSpeaker(e *engine) *syntheticSpeaker {
	s := &syntheticSpeaker{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]int16, pipeline.FrameSamples)
		next := e.cfg.Now()
		t := time.NewTimer(pipeline.FrameDuration)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
			now := e.cfg.Now()
			for n := 0; !next.After(now) && n < 50; n++ {
				e.pb.ReadFrame(next, buf)
				next = next.Add(pipeline.FrameDuration)
			}
			if next.Before(now) {
				next = now
			}
			t.Reset(next.Sub(now))
		}
	}()
	return s
}

func (s *syntheticSpeaker) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	return nil
}
