package mediatest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// pulseStartTimeout bounds how long StartPulse waits for the daemon's socket
// to answer. The daemon usually answers within 100 ms; a loaded CI machine
// with two cores can take much longer.
const pulseStartTimeout = 15 * time.Second

// PulseServer is a private PulseAudio daemon owned by one test.
type PulseServer struct {
	// Dir is the daemon's private home and runtime directory.
	Dir string
	// Server is the PULSE_SERVER string clients use, "unix:<socket>".
	Server string

	cmd  *exec.Cmd     // constant
	done chan struct{} // closed when the daemon process has exited
	log  *lockedBuffer // the daemon's stderr, shown when a test fails

	mu      sync.Mutex
	keepers map[string]*MonitorReader // guarded by mu; by sink name
}

// lockedBuffer is a bytes.Buffer that the process-output copier and the
// test may use at the same time.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// StartPulse starts a PulseAudio daemon for t and points PULSE_SERVER (and
// the PulseAudio paths) of this process at it until t ends, when the daemon
// is killed and waited for. The test is skipped only when the pulseaudio
// binary is absent; any other failure fails the test.
//
// The daemon runs with -n (no default.pa, so nothing touches real hardware),
// --daemonize=no so that this process owns it, --exit-idle-time=-1 so that it
// stays up between streams, and --system=false explicitly, because as root
// PulseAudio would otherwise warn and some builds refuse to run per-user.
// HOME, XDG_RUNTIME_DIR, XDG_CONFIG_HOME and PULSE_RUNTIME_PATH all point
// into a fresh short temporary directory (a unix socket path must fit in
// 108 bytes, which t.TempDir does not guarantee), so that two tests, or a
// desktop session on the same machine, never share a daemon or a cookie.
// The only modules are the native protocol on that socket with anonymous
// access and the null sinks the test loads. Modules are not auto-spawned:
// PULSE_SERVER names the socket, so a client that cannot connect fails
// instead of starting a daemon of its own.
//
// StartPulse calls t.Setenv, so the test must not be parallel.
func StartPulse(t testing.TB) *PulseServer {
	t.Helper()
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		t.Skip("pulseaudio is not installed: install the pulseaudio and pulseaudio-utils packages to run this test")
	}
	for _, tool := range []string{"pactl", "parec"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing although pulseaudio is installed: install pulseaudio-utils", tool)
		}
	}
	dir, err := os.MkdirTemp("", "capa")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	runtime := filepath.Join(dir, "pulse")
	if err := os.MkdirAll(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(runtime, "native")
	p := &PulseServer{
		Dir:    dir,
		Server: "unix:" + socket,
		done:   make(chan struct{}),
		log:    new(lockedBuffer),
	}
	cmd := exec.Command(bin,
		"-n",
		"--daemonize=no",
		"--exit-idle-time=-1",
		"--system=false",
		"--use-pid-file=false",
		"--disallow-exit",
		"--log-target=stderr",
		"--log-level=warning",
		"-L", "module-native-protocol-unix auth-anonymous=1 socket="+socket,
	)
	cmd.Env = append(os.Environ(),
		"HOME="+dir,
		"XDG_RUNTIME_DIR="+dir,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"PULSE_RUNTIME_PATH="+runtime,
		"PULSE_STATE_PATH="+filepath.Join(dir, "state"),
	)
	cmd.Stdout = p.log
	dieWithParent(cmd)
	cmd.Stderr = p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pulseaudio: %v", err)
	}
	p.cmd = cmd
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.stop)

	// Every client in this process and its children uses this daemon from
	// now on; libpulse reads these variables when it connects.
	t.Setenv("PULSE_SERVER", p.Server)
	t.Setenv("PULSE_RUNTIME_PATH", runtime)
	t.Setenv("PULSE_STATE_PATH", filepath.Join(dir, "state"))

	deadline := time.Now().Add(pulseStartTimeout)
	for {
		out, err := p.pactl("info")
		if err == nil && strings.Contains(out, "Server Name") {
			break
		}
		select {
		case <-p.done:
			t.Fatalf("pulseaudio exited during start: %v\n%s", cmd.ProcessState, p.log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulseaudio did not answer on %s within %v: %v %s\n%s", socket, pulseStartTimeout, err, out, p.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return p
}

// stop kills the daemon and waits for it to exit.
func (p *PulseServer) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

// Exited reports whether the daemon process has ended.
func (p *PulseServer) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *PulseServer) pactl(args ...string) (string, error) {
	cmd := exec.Command("pactl", args...)
	cmd.Env = append(os.Environ(), "PULSE_SERVER="+p.Server)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Pactl runs pactl against the daemon and returns its output, failing the
// test when pactl fails.
func (p *PulseServer) Pactl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := p.pactl(args...)
	if err != nil {
		t.Fatalf("pactl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// NullSink is a sink that discards what it plays; its monitor source
// (Name + ".monitor") records it.
type NullSink struct {
	Name        string // sink name, also the device ID PulseAudio clients use
	Description string // the name shown to users
	Module      int    // module index, for UnloadModule
}

// Monitor returns the name of the sink's monitor source.
func (s NullSink) Monitor() string { return s.Name + ".monitor" }

// LoadNullSink loads module-null-sink as a 48 kHz mono s16le sink, the
// format camchat uses, so that PulseAudio neither resamples nor remixes.
//
// It also attaches a keeper: a low-latency reader on the monitor that
// discards what it reads, for the sink's lifetime. An idle null sink
// renders its maximum latency (two seconds) ahead and does not rewind for
// a new stream, so without the keeper the first playback into it, and any
// stream moved onto it, waits up to two seconds for its first callback; a
// hardware sink starts at once. With a 10 ms reader attached the sink never
// asks for more than 10 ms, as the restart in StartMonitorReader arranges.
// The description must not contain a single quote: the module argument
// parser takes the proplist in single quotes and the value in double ones.
func (p *PulseServer) LoadNullSink(t testing.TB, name, description string) NullSink {
	t.Helper()
	out := p.Pactl(t, "load-module", "module-null-sink",
		"sink_name="+name,
		"format=s16le", "rate=48000", "channels=1",
		"sink_properties='device.description="+strconv.Quote(description)+"'")
	idx, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("load-module module-null-sink printed %q, want a module index", out)
	}
	keeper := startReader(t, p, name+".monitor", false, true)
	p.mu.Lock()
	if p.keepers == nil {
		p.keepers = make(map[string]*MonitorReader)
	}
	p.keepers[name] = keeper
	p.mu.Unlock()
	return NullSink{Name: name, Description: description, Module: idx}
}

// UnloadModule unloads a module, which for a null sink removes the sink and
// its monitor source as unplugging a device would. The sink's keeper loses
// its stream and exits.
func (p *PulseServer) UnloadModule(t testing.TB, module int) {
	t.Helper()
	p.Pactl(t, "unload-module", strconv.Itoa(module))
}

// kept reports whether the sink has a keeper attached.
func (p *PulseServer) kept(sink string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keepers[sink] != nil
}

// SetDefaultSink makes name the default sink and its monitor the default
// source.
func (p *PulseServer) SetDefaultSink(t testing.TB, name string) {
	t.Helper()
	p.Pactl(t, "set-default-sink", name)
	p.Pactl(t, "set-default-source", name+".monitor")
}

// Log returns what the daemon has written to stderr so far.
func (p *PulseServer) Log() string {
	return p.log.String()
}

// SinkInputs returns "pactl list short sink-inputs" split into lines, each
// "<input index>\t<sink index>\t...".
func (p *PulseServer) SinkInputs(t testing.TB) []string {
	t.Helper()
	return lines(p.Pactl(t, "list", "short", "sink-inputs"))
}

// SinkIndex returns the index of the named sink.
func (p *PulseServer) SinkIndex(t testing.TB, name string) int {
	t.Helper()
	for _, l := range lines(p.Pactl(t, "list", "short", "sinks")) {
		f := strings.Fields(l)
		if len(f) >= 2 && f[1] == name {
			n, err := strconv.Atoi(f[0])
			if err != nil {
				t.Fatalf("sink line %q: %v", l, err)
			}
			return n
		}
	}
	t.Fatalf("no sink %q", name)
	return -1
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func (s NullSink) String() string {
	return fmt.Sprintf("%s (%s, module %d)", s.Name, s.Description, s.Module)
}
