package mediatest

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestPulseNullSinkMonitor plays a tone with pacat into a null sink and
// reads it back from the monitor: the harness, the sink format and the
// low-latency reader together.
func TestPulseNullSinkMonitor(t *testing.T) {
	p := StartPulse(t)
	if got := os.Getenv("PULSE_SERVER"); got != p.Server {
		t.Fatalf("PULSE_SERVER = %q, want %q", got, p.Server)
	}
	sink := p.LoadNullSink(t, "camchat_test", "Camchat Test Sink")
	p.SetDefaultSink(t, sink.Name)
	info := p.Pactl(t, "info")
	if !strings.Contains(info, "Default Sink: camchat_test\n") {
		t.Fatalf("pactl info does not show the default sink:\n%s", info)
	}

	start := time.Now()
	r := StartMonitorReader(t, p, sink.Monitor())
	if n := r.WaitSamples(480, 5*time.Second); n < 480 {
		t.Fatalf("monitor delivered %d samples in 5 s\n%s", n, r.Log())
	}
	gap := r.FirstData().Sub(start)
	t.Logf("monitor reader start gap: %v", gap)
	// The default record latency would put this near 2 s.
	if gap > time.Second {
		t.Errorf("first monitor data after %v, want < 1 s", gap)
	}

	// 300 ms of 440 Hz at -12 dBFS.
	tone := Tone{Freq: 440, Amplitude: 8192, SampleRate: 48000}
	pcm := make([]int16, 14400)
	tone.Fill(pcm)
	var raw bytes.Buffer
	binary.Write(&raw, binary.LittleEndian, pcm)
	before := len(r.Samples())
	play := exec.Command("pacat", "--playback", "--raw", "--format=s16le", "--rate=48000",
		"--channels=1", "--latency-msec=20", "--device="+sink.Name)
	play.Stdin = &raw
	if out, err := play.CombinedOutput(); err != nil {
		t.Fatalf("pacat: %v\n%s", err, out)
	}
	r.WaitSamples(before+len(pcm)+4800, 3*time.Second)
	got := r.Samples()[before:]

	// Judge 10 ms blocks: PulseAudio starved on a loaded machine leaves
	// gaps, but every block it did play must carry the tone at its level.
	onset, good, gaps, median := ToneBlocks(got, 480, 48000, 440, 8192)
	t.Logf("tone through null sink monitor: onset at sample %d, median 10 ms level %.0f of 8192 sent, %d blocks within 10%%, %d gaps, %d samples recorded",
		onset, median, good, gaps, len(got))
	if onset < 0 || good < 10 {
		t.Fatalf("%d blocks of 440 Hz at 8192 ± 10%% on the monitor (onset %d), want at least 10 of the 30 played", good, onset)
	}

	// Unloading the sink removes it, as unplugging would.
	p.UnloadModule(t, sink.Module)
	if sinks := p.Pactl(t, "list", "short", "sinks"); strings.Contains(sinks, sink.Name) {
		t.Fatalf("sink still listed after unload:\n%s", sinks)
	}
}
