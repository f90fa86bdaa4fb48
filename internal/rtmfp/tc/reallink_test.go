//go:build linux

package tc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
)

// BenchmarkRealLink is the real-link scene: two network namespaces joined
// by a veth pair, a tbf qdisc on the sender's egress (rate R, burst 16
// kbit, buffer 250 ms or 1 s), a Publisher sending what rtmfp-cpp's
// test/rtclient.cpp sends (audio: 256-byte messages every 1024/48000 s;
// video: 30 frames a second totalling about 1 Mbit/s, a keyframe every 2 s
// five times an inter frame) and PlayPeer receiving it. Each message
// carries its send time; both ends are in this process, so one clock
// measures the one-way delay. Rates 300, 600 and 1000 kbit/s and no limit.
//
// It needs root and iproute2, and runs only with CAMCHAT_REALLINK=1 (make
// bench sets it); CAMCHAT_REALLINK_SECONDS sets the measured span of each
// run (default 40).
func BenchmarkRealLink(b *testing.B) {
	if os.Getenv("CAMCHAT_REALLINK") != "1" {
		b.Skip("set CAMCHAT_REALLINK=1 (make bench does) to run the real-link scene")
	}
	span := 40 * time.Second
	if s, err := strconv.Atoi(os.Getenv("CAMCHAT_REALLINK_SECONDS")); err == nil && s > 0 {
		span = time.Duration(s) * time.Second
	}
	type run struct {
		rate   rtmfptest.BitRate
		buffer time.Duration
	}
	var runs []run
	for _, r := range []rtmfptest.BitRate{300 * rtmfptest.Kbps, 600 * rtmfptest.Kbps, 1000 * rtmfptest.Kbps} {
		runs = append(runs, run{r, 250 * time.Millisecond}, run{r, time.Second})
	}
	runs = append(runs, run{0, 0})
	for _, r := range runs {
		name := "unlimited"
		if r.rate > 0 {
			name = fmt.Sprintf("%dk-%dms", r.rate/rtmfptest.Kbps, r.buffer.Milliseconds())
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				res, err := realLinkRun(r.rate, r.buffer, span)
				if errors.Is(err, rtmfptest.ErrNoNetns) {
					b.Skip(err)
				}
				if err != nil {
					b.Fatal(err)
				}
				b.Logf("%s: %s", name, res)
				b.ReportMetric(res.pct(50).Seconds()*1000, "audio-p50-ms")
				b.ReportMetric(res.pct(95).Seconds()*1000, "audio-p95-ms")
				b.ReportMetric(res.pct(99).Seconds()*1000, "audio-p99-ms")
				b.ReportMetric(res.pct(100).Seconds()*1000, "audio-max-ms")
				b.ReportMetric(100*float64(res.audioGot)/float64(max(res.audioSent, 1)), "audio-%")
				b.ReportMetric(float64(res.videoGot), "video-frames")
				b.ReportMetric(res.goodput/1000, "goodput-kbit/s")
			}
		})
	}
}

type realLinkResult struct {
	audioSent, audioGot, audioLate int
	audio                          []time.Duration
	videoSent, videoGot            int
	goodput, videoGoodput          float64 // bit/s of messages received
	drops                          uint64
	st                             rtmfp.SessionStats
	sent                           float64 // bit/s the sender's session sent, with IP and UDP headers
	tr                             realLinkTrace
	// writes: how long the sender's WriteAudio and WriteVideo calls
	// took, and how late its audio ticks woke (the application's view
	// of the transport's locks).
	writes, wake []time.Duration
}

// realLinkTrace is what the sender's tracer saw while measuring.
type realLinkTrace struct {
	on                        bool
	lost, abandoned, timeouts int
	rateMin, rateMax          float64 // bytes per second
	rttMax                    time.Duration
}

func (t *realLinkTrace) event(ev rtmfp.TraceEvent) {
	if !t.on {
		return
	}
	switch ev.Kind {
	case rtmfp.TraceAcked:
		t.lost += ev.Count
		t.abandoned += ev.Abandoned
		if ev.PacingRate > 0 {
			if t.rateMin == 0 || ev.PacingRate < t.rateMin {
				t.rateMin = ev.PacingRate
			}
			t.rateMax = max(t.rateMax, ev.PacingRate)
		}
	case rtmfp.TraceTimeout:
		t.timeouts++
		t.lost += ev.Count
	case rtmfp.TraceRTT:
		t.rttMax = max(t.rttMax, ev.RTT)
	}
}

func (r realLinkResult) pct(p float64) time.Duration { return rtmfptest.Percentile(r.audio, p) }

func (r realLinkResult) String() string {
	return fmt.Sprintf("audio one way p50/p95/p99/max %.1f/%.1f/%.1f/%.1f ms, %d/%d delivered (%.2f %%), %d later than 300 ms; "+
		"video %d/%d frames, %.0f kbit/s; goodput %.0f kbit/s, sent %.0f kbit/s; tbf drops %d; retransmitted %d, loss cuts %d, delay cuts %d; srtt %v base %v pacing %.0f kbit/s; "+
		"traced: %d transmissions lost, %d messages abandoned, %d timeouts, pacing %.0f–%.0f kbit/s, RTT max %v; "+
		"sender writes p99/max %v/%v, audio tick lateness p99/max %v/%v",
		msf(r.pct(50)), msf(r.pct(95)), msf(r.pct(99)), msf(r.pct(100)), r.audioGot, r.audioSent, 100*float64(r.audioGot)/float64(max(r.audioSent, 1)), r.audioLate,
		r.videoGot, r.videoSent, r.videoGoodput/1000, r.goodput/1000, r.sent/1000, r.drops, r.st.Retransmits, r.st.LossCuts, r.st.DelayCuts,
		r.st.SRTT.Round(time.Millisecond), r.st.BaseRTT, r.st.PacingRate*8/1000,
		r.tr.lost, r.tr.abandoned, r.tr.timeouts, r.tr.rateMin*8/1000, r.tr.rateMax*8/1000, r.tr.rttMax,
		rtmfptest.Percentile(r.writes, 99), rtmfptest.Percentile(r.writes, 100), rtmfptest.Percentile(r.wake, 99), rtmfptest.Percentile(r.wake, 100))
}

func msf(d time.Duration) float64 { return d.Seconds() * 1000 }

// realLinkRun sets up the namespaces, runs the scene for a warm-up of 5 s
// and span, and tears everything down.
func realLinkRun(rate rtmfptest.BitRate, buffer, span time.Duration) (res realLinkResult, err error) {
	v, err := rtmfptest.NewVethPair("cl")
	if err != nil {
		return res, err
	}
	defer v.Close()
	if err := v.Shape(rate, 2000, buffer); err != nil {
		return res, err
	}
	ca, err := v.ListenUDP(true, 0)
	if err != nil {
		return res, err
	}
	cb, err := v.ListenUDP(false, 1935)
	if err != nil {
		ca.Close()
		return res, err
	}
	var trMu sync.Mutex
	tracer := func(ev rtmfp.TraceEvent) {
		trMu.Lock()
		res.tr.event(ev)
		trMu.Unlock()
	}
	epA, err := rtmfp.NewEndpoint(ca, rtmfp.Config{Identity: rtmfptest.Identity(0), Tracer: tracer})
	if err != nil {
		return res, err
	}
	defer epA.Close()
	epB, err := rtmfp.NewEndpoint(cb, rtmfp.Config{Identity: rtmfptest.Identity(1)})
	if err != nil {
		return res, err
	}
	defer epB.Close()
	ctx, cancel := context.WithTimeout(context.Background(), span+time.Minute)
	defer cancel()

	// The sender opens the session and serves the play request on it.
	pub := NewPublisher(PublisherConfig{})
	defer pub.Close()
	accepted := make(chan *rtmfp.Session, 1)
	go func() {
		s, err := epB.Accept(ctx)
		if err == nil {
			accepted <- s
		}
		close(accepted)
	}()
	sa, err := epA.Connect(ctx, flashcrypto.CanonicalEPD(epB.PeerID()), epB.LocalAddr())
	if err != nil {
		return res, err
	}
	go pub.ServeSession(sa)
	sb := <-accepted
	if sb == nil {
		return res, errors.New("the receiver accepted no session")
	}
	st, err := PlayPeer(sb, "live", PlayConfig{})
	if err != nil {
		return res, err
	}
	defer st.Close()
	for len(pub.Subscribers()) < 1 {
		select {
		case <-pub.Changed():
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}

	var mu sync.Mutex
	var goodBytes, videoBytes int64
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			m, err := st.Read(ctx)
			if err != nil {
				return
			}
			var p []byte
			switch {
			case m.Type == TypeAudio && m.Audio.PacketType == AudioCodedFrames:
				p = m.Audio.Payload
			case m.Type == TypeVideo && m.Video.PacketType == VideoCodedFrames:
				p = m.Video.Payload
			}
			if len(p) < 9 || p[8] != 1 {
				continue // not measured
			}
			sent := time.Unix(0, int64(binary.BigEndian.Uint64(p)))
			mu.Lock()
			goodBytes += int64(len(m.Raw))
			if m.Type == TypeAudio {
				d := m.Arrived.Sub(sent)
				res.audio = append(res.audio, d)
				res.audioGot++
				if d > 300*time.Millisecond {
					res.audioLate++
				}
			} else {
				res.videoGot++
				videoBytes += int64(len(m.Raw))
			}
			mu.Unlock()
		}
	}()

	// Sizes as rtclient computes them: 96 kbit/s of audio in frames of
	// 1024 samples at 48 kHz; video 2·rate/(2·fps − 1 + 5) per inter frame.
	const (
		audioMsg  = 256
		fps       = 30
		keyMult   = 5
		videoRate = 1_000_000 / 8
	)
	audioFrame := audioMsg - len(AppendOpusMessage(nil, 0, nil))
	interFrame := videoRate * 2 / (2*fps - 1 + keyMult)
	var measuring sync.Map // "on" while measuring
	stamp := func(size int) []byte {
		p := make([]byte, size)
		binary.BigEndian.PutUint64(p, uint64(time.Now().UnixNano()))
		if _, on := measuring.Load("on"); on {
			p[8] = 1
		}
		return p
	}
	stop := make(chan struct{})
	var senders sync.WaitGroup
	senders.Add(2)
	go func() {
		defer senders.Done()
		period := time.Second * 1024 / 48000
		tick := time.NewTicker(period)
		defer tick.Stop()
		var ts Timestamp
		for {
			var due time.Time
			select {
			case <-stop:
				return
			case due = <-tick.C:
			}
			p := stamp(audioFrame)
			t0 := time.Now()
			n := len(pub.WriteAudio(ts, p))
			took := time.Since(t0)
			if p[8] == 1 {
				mu.Lock()
				if n > 0 {
					res.audioSent++
				}
				res.writes = append(res.writes, took)
				res.wake = append(res.wake, t0.Sub(due))
				mu.Unlock()
			}
			ts += 21
		}
	}()
	go func() {
		defer senders.Done()
		tick := time.NewTicker(time.Second / fps)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			key := i%(2*fps) == 0
			size := interFrame
			if key {
				size *= keyMult
			}
			p := stamp(size)
			t0 := time.Now()
			n := len(pub.WriteVideo(Timestamp(i*1000/fps), key, p))
			took := time.Since(t0)
			if p[8] == 1 {
				mu.Lock()
				if n > 0 {
					res.videoSent++
				}
				res.writes = append(res.writes, took)
				mu.Unlock()
			}
		}
	}()
	time.Sleep(5 * time.Second)
	drops0, err := v.Drops()
	if err != nil {
		return res, err
	}
	st0 := sa.Stats()
	measuring.Store("on", true)
	trMu.Lock()
	res.tr.on = true
	trMu.Unlock()
	time.Sleep(span)
	measuring.Delete("on")
	trMu.Lock()
	res.tr.on = false
	trMu.Unlock()
	st1 := sa.Stats()
	time.Sleep(2 * time.Second) // the last measured messages arrive or expire
	close(stop)
	senders.Wait()
	drops1, err := v.Drops()
	if err != nil {
		return res, err
	}
	st.Close()
	sa.Abort()
	<-readDone
	mu.Lock()
	defer mu.Unlock()
	res.goodput = float64(goodBytes) * 8 / span.Seconds()
	res.videoGoodput = float64(videoBytes) * 8 / span.Seconds()
	res.drops = drops1 - drops0
	res.st = st1
	res.st.Retransmits -= st0.Retransmits
	res.st.LossCuts -= st0.LossCuts
	res.st.DelayCuts -= st0.DelayCuts
	res.sent = float64(st1.BytesSent-st0.BytesSent+28*(st1.PacketsSent-st0.PacketsSent)) * 8 / span.Seconds()
	return res, nil
}
