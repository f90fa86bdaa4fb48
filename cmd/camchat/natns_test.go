package main

import (
	"bufio"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"camchat/internal/nattest"
)

// The real programs across real NATs: `camchat rendezvous -turn` on the
// public segment of a namespace test network and `camchat headless`
// processes behind nftables NATs (package nattest), each run with ip netns
// exec. Needs root; skips without.

// startIn runs `camchat headless` on host h.
func startIn(t *testing.T, h *nattest.Host, name string, args ...string) *participant {
	t.Helper()
	return runParticipant(t, name, h.Command(os.Args[0], append([]string{"headless", "-name", name}, args...)...))
}

// startRendezvousIn runs `camchat rendezvous -turn` on host h and returns
// its address once the relay is up.
func startRendezvousIn(t *testing.T, h *nattest.Host) string {
	t.Helper()
	addr := netip.AddrPortFrom(h.Addr, 1935).String()
	cmd := h.Command(os.Args[0], "rendezvous", "-listen", addr, "-turn", netip.AddrPortFrom(h.Addr, 3478).String())
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	up := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		seen := false
		for sc.Scan() {
			if !seen && strings.Contains(sc.Text(), "msg=relay") {
				seen = true
				close(up)
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		cmd.Wait()
	})
	select {
	case <-up:
	case <-time.After(30 * time.Second):
		t.Fatal("the rendezvous server did not start its relay in 30 s")
	}
	return addr
}

// TestRelayProcesses: three headless participants, two behind symmetric
// NATs and one behind a full cone, call through `camchat rendezvous
// -turn`. The symmetric pair goes through the relay (its stats say
// "relayed"), the others are direct, and media flows on every pair. The
// capture-to-playout delay and RTT of the relayed pair next to the direct
// ones show what the relay adds.
func TestRelayProcesses(t *testing.T) {
	n := nattest.New(t)
	rv := startRendezvousIn(t, n.AddServer("rv"))
	hub := startIn(t, n.AddBehindNAT("hub", nattest.FullCone), "hub", "-rendezvous", rv)
	a := startIn(t, n.AddBehindNAT("a", nattest.Symmetric), "a", "-rendezvous", rv, "-join", hub.id)
	b := startIn(t, n.AddBehindNAT("b", nattest.Symmetric), "b", "-rendezvous", rv, "-join", hub.id)
	ps := []*participant{hub, a, b}
	took := eventually(t, 20*time.Second, "a full mesh", func() bool {
		for _, p := range ps {
			if !p.connectedTo(ps...) {
				return false
			}
		}
		return true
	}, ps...)
	t.Logf("full mesh %v after the last participant started", took.Round(100*time.Millisecond))
	time.Sleep(6 * time.Second)
	type pair struct{ x, y *participant }
	for _, pr := range []pair{{a, b}, {b, a}, {a, hub}, {hub, a}, {b, hub}, {hub, b}} {
		s, _ := pr.x.statsOf(pr.y)
		d := pr.x.delaysOf(pr.y)
		t.Logf("%s from %s: %s %s, rtt %.1f ms, audio delay p50 %.1f ms (%d clicks), %d audio frames, %d video frames",
			pr.x.name, pr.y.name, s.Path, s.Via, s.RTTMs, median(d), len(d), s.AudioPlayed, s.VideoShown)
		relayed := (pr.x == a || pr.x == b) && (pr.y == a || pr.y == b)
		if want := map[bool]string{true: "relayed", false: "direct"}[relayed]; s.Path != want {
			t.Errorf("%s from %s: path %s, want %s", pr.x.name, pr.y.name, s.Path, want)
		}
		if s.AudioPlayed < 200 || s.VideoShown < 10 {
			t.Errorf("%s from %s: %d audio frames, %d video frames in about 6 s", pr.x.name, pr.y.name, s.AudioPlayed, s.VideoShown)
		}
	}
}

// delaysOf is every capture-to-playout delay p measured of peer's audio.
func (p *participant) delaysOf(peer *participant) []float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.audioDelays[peer.id])
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
