package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"camchat/internal/rtmfp/rendezvous/rendezvoustest"
)

// The end-to-end tests run real camchat processes: the test binary starts
// copies of itself that run camchat's main (TestMain, in screenshot_test.go,
// when childEnv is set), so `camchat headless` is tested exactly as users
// run it, over real UDP on loopback.
const childEnv = "CAMCHAT_TEST_MAIN"

// participant is one `camchat headless` process and what it printed.
type participant struct {
	t         testing.TB
	name      string
	cmd       *exec.Cmd
	stdin     io.WriteCloser
	id        string // peer ID (hex)
	invite    string
	ready     chan struct{} // peer ID and invite read
	exited    chan struct{}
	startedAt time.Time

	mu     sync.Mutex
	stats  map[string]statsLine // latest line per remote peer
	events []eventLine
	// audio and video delays measured, per remote peer, and the latest
	// link line (with -impair).
	audioDelays, videoDelays map[string][]float64
	link                     linkLine
	stderr                   strings.Builder
	err                      error // exit status
}

// startParticipant runs `camchat headless` with args.
func startParticipant(t testing.TB, name string, args ...string) *participant {
	t.Helper()
	return runParticipant(t, name, exec.Command(os.Args[0], append([]string{"headless", "-name", name}, args...)...))
}

// runParticipant starts cmd, a `camchat headless` command line, and waits
// for its peer ID.
func runParticipant(t testing.TB, name string, cmd *exec.Cmd) *participant {
	t.Helper()
	p := &participant{t: t, name: name, cmd: cmd, stats: map[string]statsLine{}, ready: make(chan struct{}), exited: make(chan struct{}),
		audioDelays: map[string][]float64{}, videoDelays: map[string][]float64{}}
	p.cmd.Env = append(os.Environ(), childEnv+"=1")
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.startedAt = time.Now()
	go p.read(out)
	t.Cleanup(p.kill)
	select {
	case <-p.ready:
	case <-p.exited:
		t.Fatalf("%s exited at start: %v\n%s", name, p.err, p.stderrText())
	case <-time.After(30 * time.Second):
		t.Fatalf("%s printed no peer ID in 30 s", name)
	}
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *participant) read(out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "peer-id: "):
			p.id = strings.TrimPrefix(line, "peer-id: ")
		case strings.HasPrefix(line, "invite: "):
			p.invite = strings.TrimPrefix(line, "invite: ")
			close(p.ready)
		case strings.HasPrefix(line, `{"type":"stats"`):
			var s statsLine
			if json.Unmarshal([]byte(line), &s) == nil {
				p.mu.Lock()
				p.stats[s.Peer] = s
				p.audioDelays[s.Peer] = append(p.audioDelays[s.Peer], s.AudioDelays...)
				p.videoDelays[s.Peer] = append(p.videoDelays[s.Peer], s.VideoDelays...)
				p.mu.Unlock()
			}
		case strings.HasPrefix(line, `{"type":"link"`):
			var l linkLine
			if json.Unmarshal([]byte(line), &l) == nil {
				p.mu.Lock()
				p.link = l
				p.mu.Unlock()
			}
		case strings.HasPrefix(line, `{"type":"event"`):
			var e eventLine
			if json.Unmarshal([]byte(line), &e) == nil {
				p.mu.Lock()
				p.events = append(p.events, e)
				p.mu.Unlock()
			}
		}
	}
	p.err = p.cmd.Wait()
	close(p.exited)
}

func (p *participant) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// cpu is the CPU time the process has used so far (user and system).
func (p *participant) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// kill ends the process at once (SIGKILL: no goodbye).
func (p *participant) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// statsOf returns the latest figures p printed about peer.
func (p *participant) statsOf(peer *participant) (statsLine, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.stats[peer.id]
	return s, ok
}

func (p *participant) eventsOf(kind string) []eventLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []eventLine
	for _, e := range p.events {
		if e.Event == kind {
			out = append(out, e)
		}
	}
	return out
}

// connectedTo reports whether p's latest stats show every peer connected.
func (p *participant) connectedTo(peers ...*participant) bool {
	for _, o := range peers {
		if o == p {
			continue
		}
		if s, ok := p.statsOf(o); !ok || s.State != "connected" {
			return false
		}
	}
	return true
}

// say sends a chat line through p's stdin.
func (p *participant) say(text string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, text+"\n"); err != nil {
		p.t.Fatalf("%s: chat: %v", p.name, err)
	}
}

// startRendezvous runs a rendezvous server on loopback for the test.
func startRendezvous(t testing.TB) string {
	_, addr := rendezvoustest.Loopback(t)
	return addr.String()
}

// eventually polls cond every 100 ms until it holds or limit passes.
func eventually(t testing.TB, limit time.Duration, what string, cond func() bool, ps ...*participant) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			for _, p := range ps {
				t.Logf("%s (%.8s) stderr: %s", p.name, p.id, p.stderrText())
				p.mu.Lock()
				for _, s := range p.stats {
					t.Logf("  %s sees %s: %s, %d audio, %d video", p.name, s.Name, s.State, s.AudioPlayed, s.VideoShown)
				}
				p.mu.Unlock()
			}
			t.Fatalf("not within %v: %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}
