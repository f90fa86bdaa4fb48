package mediatest

import (
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// monitorLatency is the latency the reader asks PulseAudio for. Without it a
// record stream gets PulseAudio's default fragment of about two seconds, and
// the first samples of a short test arrive only after the test has ended.
const monitorLatency = 10 * time.Millisecond

// MonitorReader records a source (typically a null sink's monitor) as
// 48 kHz mono int16 through parec with a low-latency request.
type MonitorReader struct {
	Source string // source name, as PulseAudio knows it
	keep   bool   // constant; whether samples are stored

	cmd  *exec.Cmd
	done chan struct{} // closed when the copier goroutine has finished
	log  *lockedBuffer // parec's stderr

	mu      sync.Mutex
	samples []int16   // guarded by mu; everything recorded so far
	first   time.Time // guarded by mu; wall time the first bytes arrived
}

// StartMonitorReader starts recording source from the daemon p. It stops
// when t ends.
func StartMonitorReader(t testing.TB, p *PulseServer, source string) *MonitorReader {
	t.Helper()
	sink, isMonitor := strings.CutSuffix(source, ".monitor")
	return startReader(t, p, source, true, isMonitor && !p.kept(sink))
}

// startReader starts parec on source. Unless keep is set the samples are
// read and dropped. With restart, a null sink behind the monitor is
// restarted to take the reader's latency (see restartSink).
func startReader(t testing.TB, p *PulseServer, source string, keep, restart bool) *MonitorReader {
	t.Helper()
	cmd := exec.Command("parec",
		"--raw", "--format=s16le", "--rate=48000", "--channels=1",
		"--latency-msec="+strconv.Itoa(int(monitorLatency/time.Millisecond)),
		"--process-time-msec="+strconv.Itoa(int(monitorLatency/time.Millisecond/2)),
		"--client-name=camchat-test-monitor",
		"--device="+source,
	)
	cmd.Env = append(os.Environ(), "PULSE_SERVER="+p.Server)
	r := &MonitorReader{Source: source, keep: keep, cmd: cmd, done: make(chan struct{}), log: new(lockedBuffer)}
	cmd.Stderr = r.log
	dieWithParent(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start parec: %v", err)
	}
	go r.copy(out)
	t.Cleanup(r.Stop)
	if restart {
		r.restartSink(t, p, strings.TrimSuffix(source, ".monitor"))
	}
	return r
}

// restartSink makes a null sink take the reader's latency request at once.
// A null sink with no stream renders its maximum latency (two seconds)
// ahead and only looks at latency requests when that block runs out, and a
// new monitor stream, unlike a new playback stream, does not rewind it. So
// the reader waits until its stream is connected and then suspends and
// resumes the sink, which restarts the sink's clock with the new, short
// block. A stream already playing into the sink hears a short gap; start
// the reader before playing.
func (r *MonitorReader) restartSink(t testing.TB, p *PulseServer, sink string) {
	t.Helper()
	source := -1
	for _, l := range lines(p.Pactl(t, "list", "short", "sources")) {
		if f := strings.Fields(l); len(f) >= 2 && f[1] == r.Source {
			source, _ = strconv.Atoi(f[0])
		}
	}
	if source < 0 {
		t.Fatalf("no source %q", r.Source)
	}
	want := strconv.Itoa(source)
	deadline := time.Now().Add(pulseStartTimeout)
	for connected := false; !connected; {
		for _, l := range lines(p.Pactl(t, "list", "short", "source-outputs")) {
			if f := strings.Fields(l); len(f) >= 2 && f[1] == want {
				connected = true
			}
		}
		select {
		case <-r.done:
			t.Fatalf("parec exited before connecting to %s:\n%s", r.Source, r.Log())
		default:
		}
		if !connected {
			if time.Now().After(deadline) {
				t.Fatalf("parec did not connect to %s within %v", r.Source, pulseStartTimeout)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	p.Pactl(t, "suspend-sink", sink, "1")
	p.Pactl(t, "suspend-sink", sink, "0")
}

// copy appends parec's output to samples until the pipe closes.
func (r *MonitorReader) copy(out io.Reader) {
	defer close(r.done)
	buf := make([]byte, 4096)
	var odd []byte // a trailing half sample waiting for its other byte
	for {
		n, err := out.Read(buf)
		if n > 0 {
			if !r.keep {
				continue
			}
			b := append(odd, buf[:n]...)
			r.mu.Lock()
			if r.first.IsZero() {
				r.first = time.Now()
			}
			for len(b) >= 2 {
				r.samples = append(r.samples, int16(uint16(b[0])|uint16(b[1])<<8))
				b = b[2:]
			}
			r.mu.Unlock()
			odd = append([]byte(nil), b...)
		}
		if err != nil {
			return
		}
	}
}

// Samples returns a copy of everything recorded so far.
func (r *MonitorReader) Samples() []int16 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int16(nil), r.samples...)
}

// FirstData returns the wall time the first samples arrived, or the zero
// time when none has.
func (r *MonitorReader) FirstData() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

// WaitSamples waits until at least n samples have been recorded or timeout
// passes, and returns how many there are.
func (r *MonitorReader) WaitSamples(n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		r.mu.Lock()
		got := len(r.samples)
		r.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			return got
		}
		select {
		case <-r.done:
			return got
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Stop ends the recording and waits for parec to exit.
func (r *MonitorReader) Stop() {
	select {
	case <-r.done:
	default:
		r.cmd.Process.Kill()
		<-r.done
	}
	r.cmd.Wait()
}

// Log returns what parec wrote to stderr.
func (r *MonitorReader) Log() string { return r.log.String() }
