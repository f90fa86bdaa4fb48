package main

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkCall measures calls as users make them, with real camchat
// processes on loopback (make bench), and prints one table so that runs
// compare: five members (audio played, capture-to-playout delay, video
// rate, CPU per participant, join times, bitrate per peer) and three
// members each behind a simulated 600 kbit/s uplink with 25 ms delay,
// 10 ms jitter and 3 % loss and a 25 ms downlink (about 100 ms RTT).
// Figures are measured, not asserted; the goals are in the table.
func BenchmarkCall(b *testing.B) {
	for range b.N {
		five := benchFive(b)
		three := benchThree(b)
		var t strings.Builder
		fmt.Fprintf(&t, "\ncamchat call benchmark (%s, %d cores, load %s)\n", time.Now().Format("2006-01-02 15:04"), runtime.NumCPU(), loadAvg())
		fmt.Fprintf(&t, "%-58s %-22s %s\n", "measure", "result", "goal")
		row := func(what, got, goal string) { fmt.Fprintf(&t, "%-58s %-22s %s\n", what, got, goal) }
		row("five on loopback: audio frames played", pct(five.audioShare), ">= 99 %")
		row("five on loopback: capture-to-playout p50 / p99", fmt.Sprintf("%.0f / %.0f ms", five.delayP50, five.delayP99), "<= 60 / 100 ms")
		row("five on loopback: video fps 320x240 (worst pair / median)", fmt.Sprintf("%.1f / %.1f", five.fpsMin, five.fpsMedian), ">= 14 of 15")
		row("five on loopback: video capture-to-display p50", fmt.Sprintf("%.0f ms", five.videoP50), "")
		row("five on loopback: CPU per participant", fmt.Sprintf("%.1f %% of a core", five.cpu*100), "")
		row("five on loopback: bitrate sent per peer", fmt.Sprintf("%.0f kbit/s", five.kbpsPerPeer), "5 people in ~1 Mbit/s up")
		row("join time: first member (session, play, roster)", fmt.Sprintf("%.0f ms", five.firstJoin*1000), "")
		row("join time: fifth member, to the member it joined", fmt.Sprintf("%.0f ms", five.fifthJoin*1000), "")
		row("join time: fifth member, full mesh", fmt.Sprintf("%.0f ms", five.fifthMesh*1000), "")
		row("three impaired: audio frames played", pct(three.audioShare), ">= 98 %")
		row("three impaired: capture-to-playout p50 / p99", fmt.Sprintf("%.0f / %.0f ms", three.delayP50, three.delayP99), "p99 <= 50 + 120 ms")
		row("three impaired: uplink standing queue p50 / p95 / max", fmt.Sprintf("%.0f / %.0f / %.0f ms", three.queueP50, three.queueP95, three.queueMax), "")
		row("three impaired: uplink used of 600 kbit/s (mean)", fmt.Sprintf("%.0f kbit/s", three.upKbps), "")
		row("three impaired: video fps (worst pair / median)", fmt.Sprintf("%.1f / %.1f", three.fpsMin, three.fpsMedian), "adapts, no stall")
		fmt.Fprint(os.Stdout, t.String())
	}
}

type callFigures struct {
	audioShare           float64
	delayP50, delayP99   float64
	videoP50             float64
	fpsMin, fpsMedian    float64
	cpu                  float64
	kbpsPerPeer          float64
	firstJoin, fifthJoin float64 // seconds
	fifthMesh            float64
	queueP50, queueP95   float64
	queueMax             float64
	upKbps               float64
}

const benchWindow = 20 * time.Second

// measureWindow runs the call for benchWindow and computes its figures.
func measureWindow(tb testing.TB, ps []*participant) callFigures {
	for _, p := range ps {
		p.mu.Lock()
		clear(p.audioDelays)
		clear(p.videoDelays)
		p.mu.Unlock()
	}
	before := snapshotAll(ps)
	cpu0 := make([]time.Duration, len(ps))
	for i, p := range ps {
		cpu0[i] = p.cpu()
	}
	time.Sleep(benchWindow)
	after := snapshotAll(ps)
	var f callFigures
	var audio, expected float64
	var fps, delays, vdelays, kbps []float64
	for k, a := range after {
		bf := before[k]
		audio += float64(a.AudioPlayed + a.AudioFEC - bf.AudioPlayed - bf.AudioFEC)
		expected += benchWindow.Seconds() * 50
		fps = append(fps, float64(a.VideoShown-bf.VideoShown)/benchWindow.Seconds())
		kbps = append(kbps, float64(a.SendKbps))
	}
	var cpu float64
	for i, p := range ps {
		cpu += (p.cpu() - cpu0[i]).Seconds() / benchWindow.Seconds()
		p.mu.Lock()
		for _, d := range p.audioDelays {
			delays = append(delays, d...)
		}
		for _, d := range p.videoDelays {
			vdelays = append(vdelays, d...)
		}
		p.mu.Unlock()
	}
	f.audioShare = audio / max(expected, 1)
	f.delayP50, f.delayP99 = percentile(delays, 50), percentile(delays, 99)
	f.videoP50 = percentile(vdelays, 50)
	f.fpsMin, f.fpsMedian = percentile(fps, 0), percentile(fps, 50)
	f.cpu = cpu / float64(len(ps))
	f.kbpsPerPeer = mean(kbps)
	return f
}

func benchFive(tb testing.TB) callFigures {
	rv := startRendezvous(tb)
	common := []string{"-rendezvous", rv, "-duration", "90s"}
	host := startParticipant(tb, "m0", common...)
	ps := []*participant{host}
	for i := 1; i < 5; i++ {
		ps = append(ps, startParticipant(tb, fmt.Sprintf("m%d", i), append(common, "-join", host.id)...))
	}
	eventually(tb, 20*time.Second, "a full mesh of five", func() bool {
		for _, p := range ps {
			if !p.connectedTo(ps...) {
				return false
			}
		}
		return true
	}, ps...)
	time.Sleep(3 * time.Second) // jitter buffers settle
	f := measureWindow(tb, ps)
	f.firstJoin = joinedAt(ps[1], host)
	f.fifthJoin = joinedAt(ps[4], host)
	for _, p := range ps[:4] {
		f.fifthMesh = max(f.fifthMesh, joinedAt(ps[4], p))
	}
	for _, p := range ps {
		p.kill()
	}
	return f
}

func benchThree(tb testing.TB) callFigures {
	rv := startRendezvous(tb)
	common := []string{"-rendezvous", rv, "-duration", "90s",
		"-impair", "delay=25ms,jitter=10ms,loss=3%,rate=600k,queue=250ms", "-impair-down", "delay=25ms,jitter=10ms"}
	host := startParticipant(tb, "i0", common...)
	ps := []*participant{host}
	for i := 1; i < 3; i++ {
		ps = append(ps, startParticipant(tb, fmt.Sprintf("i%d", i), append(common, "-join", host.id)...))
	}
	eventually(tb, 20*time.Second, "a call of three", func() bool {
		for _, p := range ps {
			if !p.connectedTo(ps...) {
				return false
			}
		}
		return true
	}, ps...)
	time.Sleep(5 * time.Second) // the bitrate settles
	f := measureWindow(tb, ps)
	var q50, q95, up []float64
	for _, p := range ps {
		p.mu.Lock()
		q50, q95, up = append(q50, p.link.UpQueueP50), append(q95, p.link.UpQueueP95), append(up, p.link.UpKbps)
		f.queueMax = max(f.queueMax, p.link.UpQueueMax)
		p.mu.Unlock()
	}
	f.queueP50, f.queueP95, f.upKbps = mean(q50), mean(q95), mean(up)
	for _, p := range ps {
		p.kill()
	}
	return f
}

// joinedAt is when p (seconds after its start) saw peer join.
func joinedAt(p, peer *participant) float64 {
	for _, e := range p.eventsOf("joined") {
		if e.Peer == peer.id {
			return e.T
		}
	}
	return math.NaN()
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var t float64
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

func pct(x float64) string { return fmt.Sprintf("%.2f %%", x*100) }

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
