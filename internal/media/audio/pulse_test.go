package audio

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"camchat/internal/media/mediatest"
)

const (
	toneFreq = 440  // Hz
	toneAmp  = 8192 // -12 dBFS
)

// toneSource plays silence for a while, then a continuous tone, and notes
// when the first tone frame left for the device.
type toneSource struct {
	silent    atomic.Int64 // frames of silence still to play
	tone      mediatest.Tone
	toneStart atomic.Int64 // unix nanos of the first tone frame; audio thread writes once
}

func newToneSource(silentFrames int) *toneSource {
	s := &toneSource{tone: mediatest.Tone{Freq: toneFreq, Amplitude: toneAmp, SampleRate: SampleRate}}
	s.silent.Store(int64(silentFrames))
	return s
}

func (s *toneSource) ReadFrame(dst *[FrameSamples]int16) bool {
	if s.silent.Add(-1) >= 0 {
		*dst = [FrameSamples]int16{}
		return true
	}
	s.toneStart.CompareAndSwap(0, time.Now().UnixNano())
	s.tone.Fill(dst[:])
	return true
}

// received is a captured frame with its arrival time.
type received struct {
	at      time.Time
	seq     uint64
	samples [FrameSamples]int16
}

// collector drains a Capture in the background.
type collector struct {
	mu     sync.Mutex
	frames []received // guarded by mu
	done   chan struct{}
}

func collect(c *Capture) *collector {
	col := &collector{done: make(chan struct{})}
	go func() {
		defer close(col.done)
		for f := range c.Frames() {
			r := received{at: time.Now(), seq: f.Seq, samples: f.Samples}
			c.Release(f)
			col.mu.Lock()
			col.frames = append(col.frames, r)
			col.mu.Unlock()
		}
	}()
	return col
}

func (col *collector) snapshot() []received {
	col.mu.Lock()
	defer col.mu.Unlock()
	return append([]received(nil), col.frames...)
}

// toneOnset returns the index of the first frame whose 440 Hz level
// exceeds a quarter of the tone's amplitude, or -1.
func toneOnset(frames []received, from int) int {
	for i := from; i < len(frames); i++ {
		if mediatest.Goertzel(frames[i].samples[:], SampleRate, toneFreq) > toneAmp/4 {
			return i
		}
	}
	return -1
}

// toneLevel measures the 440 Hz amplitude over up to ten frames from i.
func toneLevel(frames []received, i int) float64 {
	var buf []int16
	for k := i; k < len(frames) && k < i+10; k++ {
		buf = append(buf, frames[k].samples[:]...)
	}
	return mediatest.Goertzel(buf, SampleRate, toneFreq)
}

func pulseID(name string) DeviceID { return DeviceID(hex.EncodeToString([]byte(name))) }

// pulseSetup starts a private PulseAudio with two null sinks, the first the
// default, and a context on it.
func pulseSetup(t *testing.T) (*mediatest.PulseServer, mediatest.NullSink, mediatest.NullSink, *Context) {
	p := mediatest.StartPulse(t)
	def := p.LoadNullSink(t, "camchat_default", "Camchat Default")
	p.SetDefaultSink(t, def.Name)
	out := p.LoadNullSink(t, "camchat_out", "Camchat Out")
	ctx, err := NewContext(ModeAuto)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctx.Close() })
	if ctx.Backend() != BackendPulseAudio {
		t.Fatalf("backend %v with PULSE_SERVER set, want PulseAudio", ctx.Backend())
	}
	return p, def, out, ctx
}

func findDevice(devs []DeviceInfo, id DeviceID) (DeviceInfo, bool) {
	for _, d := range devs {
		if d.ID == id {
			return d, true
		}
	}
	return DeviceInfo{}, false
}

func TestPulseDeviceList(t *testing.T) {
	_, def, out, ctx := pulseSetup(t)
	speakers, err := ctx.Devices(Speaker)
	if err != nil {
		t.Fatal(err)
	}
	mics, err := ctx.Devices(Microphone)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("speakers %+v", speakers)
	t.Logf("microphones %+v", mics)
	for _, c := range []struct {
		devs      []DeviceInfo
		id        string
		name      string
		isDefault bool
	}{
		{speakers, def.Name, "Camchat Default", true},
		{speakers, out.Name, "Camchat Out", false},
		{mics, def.Monitor(), "Monitor of Camchat Default", true},
		{mics, out.Monitor(), "Monitor of Camchat Out", false},
	} {
		d, ok := findDevice(c.devs, pulseID(c.id))
		if !ok {
			t.Errorf("%s not listed", c.id)
			continue
		}
		if d.Name != c.name || d.IsDefault != c.isDefault {
			t.Errorf("%s listed as %+v, want name %q default %v", c.id, d, c.name, c.isDefault)
		}
	}
	if len(speakers) != 2 || len(mics) != 2 {
		t.Errorf("%d speakers and %d microphones, want 2 and 2", len(speakers), len(mics))
	}
}

// TestPulseToneThroughNullSink plays a tone through the playback device into
// a null sink and records it from the sink's monitor through the capture
// device.
func TestPulseToneThroughNullSink(t *testing.T) {
	p, _, out, ctx := pulseSetup(t)
	// parec on the same monitor, to tell the capture device's latency from
	// the playback side's.
	mon := mediatest.StartMonitorReader(t, p, out.Monitor())

	capt, err := ctx.OpenCapture(CaptureConfig{Device: pulseID(out.Monitor())})
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Close()
	col := collect(capt)
	if d := capt.Device(); d.Name != "Monitor of Camchat Out" {
		t.Fatalf("capture device %+v", d)
	}
	src := newToneSource(20) // 200 ms of silence first
	play, err := ctx.OpenPlayback(PlaybackConfig{Device: pulseID(out.Name), Source: src})
	if err != nil {
		t.Fatal(err)
	}
	defer play.Close()
	if d := play.Device(); d.Name != "Camchat Out" {
		t.Fatalf("playback device %+v", d)
	}

	deadline := time.Now().Add(5 * time.Second)
	var frames []received
	onset := -1
	for time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		frames = col.snapshot()
		if onset = toneOnset(frames, 0); onset >= 0 && len(frames) >= onset+15 {
			break
		}
	}
	play.Close()
	capt.Close()
	<-col.done
	if onset < 0 {
		t.Fatalf("no 440 Hz tone in %d captured frames; capture %+v playback %+v", len(frames), capt.Stats(), play.Stats())
	}
	start := time.Unix(0, src.toneStart.Load())
	latency := frames[onset].at.Sub(start)
	level := toneLevel(frames, onset+1)
	silence := mediatest.RMS(frames[0].samples[:])

	monSamples := mon.Samples()
	monOnset := -1
	for i := 0; i+FrameSamples <= len(monSamples); i += FrameSamples {
		if mediatest.Goertzel(monSamples[i:i+FrameSamples], SampleRate, toneFreq) > toneAmp/4 {
			monOnset = i
			break
		}
	}
	t.Logf("tone: level %.0f of %d sent (%.2f dB), first frame RMS %.1f, onset at captured frame %d (Seq %d), latency %v from the first tone frame handed to the playback device to its arrival from the capture device",
		level, toneAmp, 20*log10(level/toneAmp), silence, onset, frames[onset].seq, latency.Round(time.Millisecond))
	t.Logf("capture %+v; playback %+v; parec saw %d samples, tone onset at sample %d", capt.Stats(), play.Stats(), len(monSamples), monOnset)
	if level < toneAmp*0.9 || level > toneAmp*1.1 {
		t.Errorf("captured tone level %.0f, want %d ± 10%%", level, toneAmp)
	}
	if latency <= 0 || latency > 500*time.Millisecond {
		t.Errorf("latency %v, want within (0, 500 ms]", latency)
	}
	if monOnset < 0 {
		t.Errorf("parec on the monitor did not hear the tone")
	}
	for i := 1; i < len(frames); i++ {
		if frames[i].seq != frames[i-1].seq+1 {
			t.Errorf("captured Seq %d after %d", frames[i].seq, frames[i-1].seq)
			break
		}
	}
}

func log10(x float64) float64 { return math.Log10(x) }

// fastWatch notices a removed device within 100 ms, to keep the test short.
var fastWatch = WatchConfig{Tick: 20 * time.Millisecond, StallAfter: 500 * time.Millisecond, PresenceEvery: 100 * time.Millisecond}

func nextEvent(t *testing.T, what string, ch <-chan Event, limit time.Duration) Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(limit):
		t.Fatalf("no %s event within %v", what, limit)
	}
	return Event{}
}

// TestPulseLostDeviceFallsBackToDefault unplugs the devices in use by
// unloading their null sink while a tone plays, and checks that both the
// speaker and the microphone report it and carry on with the defaults: the
// tone, now played into the default sink, is heard again on the default
// sink's monitor through the reopened capture device.
func TestPulseLostDeviceFallsBackToDefault(t *testing.T) {
	p, def, out, ctx := pulseSetup(t)
	capt, err := ctx.OpenCapture(CaptureConfig{Device: pulseID(out.Monitor()), Watch: fastWatch})
	if err != nil {
		t.Fatal(err)
	}
	defer capt.Close()
	col := collect(capt)
	play, err := ctx.OpenPlayback(PlaybackConfig{Device: pulseID(out.Name), Source: newToneSource(0), Watch: fastWatch})
	if err != nil {
		t.Fatal(err)
	}
	defer play.Close()

	// The tone must be flowing on the chosen devices first.
	deadline := time.Now().Add(5 * time.Second)
	for toneOnset(col.snapshot(), 0) < 0 {
		if time.Now().After(deadline) {
			t.Fatalf("tone never reached the capture device before the unplug: capture %+v playback %+v, %d frames", capt.Stats(), play.Stats(), len(col.snapshot()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := len(col.snapshot())
	unplugged := time.Now()
	p.UnloadModule(t, out.Module)

	var pe Event
	select {
	case pe = <-play.Events():
	case <-time.After(3 * time.Second):
		sp, err := ctx.Devices(Speaker)
		t.Fatalf("no speaker event: devices now %+v %v; play %+v %+v", sp, err, play.Device(), play.Stats())
	}
	pTook := time.Since(unplugged)
	ce := nextEvent(t, "microphone", capt.Events(), 3*time.Second)
	cTook := time.Since(unplugged)
	t.Logf("speaker event after %v: %+v", pTook.Round(time.Millisecond), pe)
	t.Logf("microphone event after %v: %+v", cTook.Round(time.Millisecond), ce)
	if pe.Kind != EventSwitched || pe.Message != "Speaker Camchat Out was disconnected: switched to the default speaker" {
		t.Errorf("speaker event %v %q", pe.Kind, pe.Message)
	}
	if ce.Kind != EventSwitched || ce.Message != "Microphone Monitor of Camchat Out was disconnected: switched to the default microphone" {
		t.Errorf("microphone event %v %q", ce.Kind, ce.Message)
	}
	if pe.Now.ID != pulseID(def.Name) || ce.Now.ID != pulseID(def.Monitor()) || !pe.Now.IsDefault || !ce.Now.IsDefault {
		t.Errorf("now using %+v and %+v, want the defaults", pe.Now, ce.Now)
	}
	if play.Device().Name != "Camchat Default" || capt.Device().Name != "Monitor of Camchat Default" {
		t.Errorf("devices after the switch: %+v, %+v", play.Device(), capt.Device())
	}

	// The tone comes back on the default sink's monitor, through the
	// reopened microphone: only frames that arrived after its event count.
	switched := time.Now()
	var frames []received
	onset := -1
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		frames = col.snapshot()
		first := len(frames)
		for i := before; i < len(frames); i++ {
			if frames[i].at.After(switched) {
				first = i
				break
			}
		}
		if onset = toneOnset(frames, first); onset >= 0 && len(frames) >= onset+11 {
			break
		}
	}
	if onset < 0 {
		t.Fatalf("no tone after the switch in %d frames; capture %+v playback %+v", len(frames)-before, capt.Stats(), play.Stats())
	}
	level := toneLevel(frames, onset+1)
	t.Logf("tone back %v after the switch, %v after the unplug, level %.0f of %d; capture %+v; playback %+v",
		frames[onset].at.Sub(switched).Round(time.Millisecond), frames[onset].at.Sub(unplugged).Round(time.Millisecond),
		level, toneAmp, capt.Stats(), play.Stats())
	if level < toneAmp*0.9 || level > toneAmp*1.1 {
		t.Errorf("tone level after the switch %.0f, want %d ± 10%%", level, toneAmp)
	}
	// The reopened speaker's stream is the only one and sits on the default sink.
	inputs := p.SinkInputs(t)
	defIdx := p.SinkIndex(t, def.Name)
	if len(inputs) != 1 || !sinkInputOn(inputs[0], defIdx) {
		t.Errorf("sink inputs %q, want one on sink %d", inputs, defIdx)
	}
}

// sinkInputOn reports whether a "pactl list short sink-inputs" line is on
// sink idx.
func sinkInputOn(line string, idx int) bool {
	f := strings.Fields(line)
	return len(f) >= 2 && f[1] == strconv.Itoa(idx)
}
