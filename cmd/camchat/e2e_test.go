package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestFivePeopleCall is the call as users make it, with five real camchat
// processes over UDP on loopback: a rendezvous server; four participants
// join the first by peer ID alone; the full mesh forms within 5 s (after
// the last join); for 20 s every member plays every other's audio and shows
// its video; a sixth is told the call is full and nobody in it loses a
// frame; chat arrives everywhere in order with receipts; a member killed
// without a goodbye is dropped by the others within 10 s.
//
// Bounds are loose for a loaded 2-core machine: the frame counts ask for
// 80 % of the audio and half the video frames.
func TestFivePeopleCall(t *testing.T) {
	if testing.Short() {
		t.Skip("a 40 s call")
	}
	rv := startRendezvous(t)
	common := []string{"-rendezvous", rv, "-duration", "120s"}
	host := startParticipant(t, "m0", common...)
	ps := []*participant{host}
	for i := 1; i < 5; i++ {
		ps = append(ps, startParticipant(t, fmt.Sprintf("m%d", i), append(common, "-join", host.id)...))
	}
	took := eventually(t, 5*time.Second, "a full mesh of five", func() bool {
		for _, p := range ps {
			if !p.connectedTo(ps...) {
				return false
			}
		}
		return true
	}, ps...)
	t.Logf("full mesh %v after the last participant started", took)

	// 20 s of call.
	before := snapshotAll(ps)
	time.Sleep(20 * time.Second)
	after := snapshotAll(ps)
	for k, a := range after {
		b := before[k]
		audio, video := a.AudioPlayed+a.AudioFEC-b.AudioPlayed-b.AudioFEC, a.VideoShown-b.VideoShown
		t.Logf("%s from %s: %d audio frames, %d video frames in 20 s; audio delay p50 %.1f ms p99 %.1f ms, video %.1f fps, rtt %.1f ms",
			k[0], a.Name, audio, video, a.AudioDelayP50, a.AudioDelayP99, a.VideoFPS, a.RTTMs)
		if audio < 800 || video < 150 {
			t.Errorf("%s from %s: %d audio frames (want 1000) and %d video frames (want 300) in 20 s", k[0], a.Name, audio, video)
		}
	}

	// A sixth person is refused, and the five do not notice. A new
	// process starting on this machine costs CPU (and so audio) whatever
	// it does, so the sixth's window is compared with a bystander's: a
	// participant that starts the same way and calls nobody. On the
	// simulated network, TestFiveAndASixth (internal/room) proves that
	// not a frame is lost.
	concealed := func(before, after map[[2]string]statsLine) (n uint64) {
		for k, a := range after {
			b := before[k]
			n += a.AudioLost - b.AudioLost + a.AudioConcealed - b.AudioConcealed
		}
		return n
	}
	base0 := snapshotAll(ps)
	bystander := startParticipant(t, "bystander", "-duration", "2s")
	<-bystander.exited
	for time.Since(bystander.startedAt) < 4*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	before = snapshotAll(ps)
	baseline := concealed(base0, before)
	sixth := startParticipant(t, "sixth", append(common, "-join", ps[2].id)...)
	select {
	case <-sixth.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the sixth neither joined nor gave up in 30 s")
	}
	if sixth.err == nil || !strings.Contains(sixth.stderrText(), "full") {
		t.Fatalf("the sixth: %v, stderr %q", sixth.err, sixth.stderrText())
	}
	t.Logf("the sixth was told: %s", strings.TrimSpace(sixth.stderrText()))
	for time.Since(sixth.startedAt) < 4*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	after = snapshotAll(ps)
	during := concealed(before, after)
	t.Logf("audio frames lost or concealed over 20 pairs: %d in the 4 s of a bystander, %d in the 4 s of the sixth's attempt", baseline, during)
	if during > baseline*3/2+10 {
		t.Errorf("the sixth's attempt cost the call %d concealed frames (baseline %d)", during, baseline)
	}
	for k := range after {
		if k[1] == sixth.id {
			t.Errorf("%s lists the sixth", k[0])
		}
	}

	// Chat: five messages from m1 reach everyone, in order, with receipts.
	var sent []string
	for i := range 5 {
		msg := fmt.Sprintf("message %d from m1", i)
		sent = append(sent, msg)
		ps[1].say(msg)
	}
	eventually(t, 5*time.Second, "20 receipts", func() bool { return len(ps[1].eventsOf("chat delivered")) == 20 }, ps...)
	for _, p := range ps {
		if p == ps[1] {
			continue
		}
		var got []string
		for _, e := range p.eventsOf("chat") {
			if e.From == ps[1].id {
				got = append(got, e.Text)
			}
		}
		if !slices.Equal(got, sent) {
			t.Errorf("%s got %q, want %q", p.name, got, sent)
		}
	}

	// m4 is killed: no goodbye.
	killed := time.Now()
	ps[4].kill()
	eventually(t, 10*time.Second, "m4 dropped by the other four", func() bool {
		for _, p := range ps[:4] {
			left := false
			for _, e := range p.eventsOf("left") {
				left = left || e.Peer == ps[4].id
			}
			if !left {
				return false
			}
		}
		return true
	}, ps[:4]...)
	t.Logf("the killed member was dropped everywhere after %v", time.Since(killed))
}

// snapshotAll takes every participant's latest figures about every peer,
// keyed by (participant name, peer ID).
func snapshotAll(ps []*participant) map[[2]string]statsLine {
	out := map[[2]string]statsLine{}
	for _, p := range ps {
		p.mu.Lock()
		for id, s := range p.stats {
			out[[2]string{p.name, id}] = s
		}
		p.mu.Unlock()
	}
	return out
}

// TestThreeOnImpairedLinks: three camchat processes, each behind a
// simulated 600 kbit/s uplink with 25 ms delay, 10 ms jitter and 3 % loss
// and a 25 ms downlink (about 100 ms RTT), keep talking: audio flows and
// video adapts instead of stalling.
func TestThreeOnImpairedLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30 s call")
	}
	rv := startRendezvous(t)
	common := []string{"-rendezvous", rv, "-duration", "120s",
		"-impair", "delay=25ms,jitter=10ms,loss=3%,rate=600k,queue=250ms", "-impair-down", "delay=25ms,jitter=10ms"}
	host := startParticipant(t, "i0", common...)
	ps := []*participant{host}
	for i := 1; i < 3; i++ {
		ps = append(ps, startParticipant(t, fmt.Sprintf("i%d", i), append(common, "-join", host.id)...))
	}
	eventually(t, 10*time.Second, "a call of three", func() bool {
		for _, p := range ps {
			if !p.connectedTo(ps...) {
				return false
			}
		}
		return true
	}, ps...)
	time.Sleep(3 * time.Second)
	const window = 15 * time.Second
	before := snapshotAll(ps)
	time.Sleep(window)
	after := snapshotAll(ps)
	for k, a := range after {
		b := before[k]
		audio, video := a.AudioPlayed+a.AudioFEC-b.AudioPlayed-b.AudioFEC, a.VideoShown-b.VideoShown
		t.Logf("%s from %s: %d of 750 audio frames, %d video frames (%.1f fps), rtt %.0f ms, jitter buffer %.0f ms, sending %d kbit/s",
			k[0], a.Name, audio, video, float64(video)/window.Seconds(), a.RTTMs, a.JitterMs, a.SendKbps)
		if audio < 675 {
			t.Errorf("%s from %s: %d audio frames played of 750", k[0], a.Name, audio)
		}
		// A path that carries only the base layer (a quarter of the 15
		// fps) has adapted; a stall is well under it (before the rate
		// control knew the path's own delay variation: 1.9 fps).
		if video < 45 {
			t.Errorf("%s from %s: %d video frames in %v: video stalled", k[0], a.Name, video, window)
		}
	}
}
