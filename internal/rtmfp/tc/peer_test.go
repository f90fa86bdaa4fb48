package tc

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/rtmfptest"
)

// peerScene is a publisher and up to three players on a simulated network.
type peerScene struct {
	net     *rtmfptest.Network
	pubNode *node
	pub     *Publisher
	players []*node
	ctx     context.Context
}

func newPeerScene(t *testing.T, seed uint64, link rtmfptest.LinkConditions, cfg PublisherConfig) *peerScene {
	n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: seed, DefaultLink: link})
	t.Cleanup(func() { n.Close() })
	sc := &peerScene{net: n, pubNode: newNode(t, n, "pub", "10.0.0.2", 1), ctx: testCtx(t)}
	for i, a := range []string{"10.0.0.1", "10.0.0.3", "10.0.0.4"} {
		sc.players = append(sc.players, newNode(t, n, "player"+string(rune('a'+i)), a, []int{0, 2, 3}[i]))
	}
	sc.pub = NewPublisher(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sc.pub.Serve(ctx, sc.pubNode.ep) }()
	t.Cleanup(func() {
		cancel()
		<-done
		sc.pub.Close()
	})
	return sc
}

// play opens a session from player i straight to the publisher's address,
// by its peer ID, and plays name.
func (sc *peerScene) play(t *testing.T, i int, name string) (*rtmfp.Session, *NetStream) {
	t.Helper()
	s, err := sc.players[i].ep.Connect(sc.ctx, sc.pubNode.epd(), sc.pubNode.addr)
	if err != nil {
		t.Fatal(err)
	}
	st, err := PlayPeer(s, name, PlayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return s, st
}

// waitSubscribers waits until the publisher has n subscribers.
func (sc *peerScene) waitSubscribers(t *testing.T, n int) []PlayRequest {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		if subs := sc.pub.Subscribers(); len(subs) == n {
			return subs
		}
		select {
		case <-sc.pub.Changed():
		case <-deadline:
			t.Fatalf("publisher has %d subscribers, want %d", len(sc.pub.Subscribers()), n)
		}
	}
}

// received is what a player read, by flow kind.
type received struct {
	data, audio, video []StreamMessage
}

// collect reads st until done says it has enough or the stream ends.
func collect(t *testing.T, ctx context.Context, st *NetStream, done func(*received) bool) (*received, error) {
	t.Helper()
	r := &received{}
	for !done(r) {
		m, err := st.Read(ctx)
		if err != nil {
			return r, err
		}
		switch m.Type {
		case TypeAudio:
			r.audio = append(r.audio, m)
		case TypeVideo:
			r.video = append(r.video, m)
		default:
			r.data = append(r.data, m)
		}
	}
	return r, nil
}

func opusFrame(i int) []byte {
	b := make([]byte, 40+i%30)
	for k := range b {
		b[k] = byte(i*7 + k)
	}
	return b
}

func vp8Frame(i, n int) []byte {
	b := make([]byte, n)
	for k := range b {
		b[k] = byte(i*13 + k*3)
	}
	return b
}

// checkPlayStart checks the data flow's opening messages (RFC 7425 §5.4).
func checkPlayStart(t *testing.T, data []StreamMessage, name string) {
	t.Helper()
	if len(data) < 4 {
		t.Fatalf("%d data messages", len(data))
	}
	if sid, err := data[0].Control.StreamEvent(); data[0].Type != TypeUserControl || data[0].Control.Event != EventStreamBegin || err != nil || sid != DefaultPeerStreamID {
		t.Fatalf("first data message %+v", data[0])
	}
	if !data[1].IsStatus(CodePlayReset) || !data[2].IsStatus(CodePlayStart) {
		t.Fatalf("statuses %+v, %+v", data[1].Status, data[2].Status)
	}
	if d, _ := data[2].Status.Extra.String("detail"); d != name {
		t.Fatalf("Play.Start detail %q", d)
	}
	if dm := data[3].Data; data[3].Type != TypeData || dm.Handler != HandlerSampleAccess || len(dm.Args) != 2 || dm.Args[0] != true || dm.Args[1] != true {
		t.Fatalf("sample access %+v", data[3])
	}
}

func TestPeerPlay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		head := OpusHead{Channels: 1, PreSkip: 312, InputRate: 48000, OutputGain: -256}
		sc := newPeerScene(t, 5, rtmfptest.LinkConditions{Delay: 20 * time.Millisecond}, PublisherConfig{Name: "cam", AudioConfig: head})
		sa, st := sc.play(t, 0, "cam")
		subs := sc.waitSubscribers(t, 1)
		if subs[0].PeerID != sc.players[0].ep.PeerID() || subs[0].StreamID != DefaultPeerStreamID || subs[0].Name != "cam" || subs[0].Session == nil {
			t.Fatalf("subscriber %+v", subs[0])
		}

		const N, M, K = 60, 15, 3
		var wantAudio, wantVideo [][]byte
		v := 0
		for i := range N {
			ts := Timestamp(1000 + 20*i)
			if rc := sc.pub.WriteAudio(ts, opusFrame(i)); len(rc) != 1 {
				t.Fatalf("audio %d: %d receipts", i, len(rc))
			}
			wantAudio = append(wantAudio, AppendOpusMessage(nil, ts, opusFrame(i)))
			if i%4 == 0 && v < M {
				key := v%5 == 0
				frame := vp8Frame(v, 300+v*150) // some span several fragments
				if rc := sc.pub.WriteVideo(ts, key, frame); len(rc) != 1 {
					t.Fatalf("video %d: %d receipts", v, len(rc))
				}
				wantVideo = append(wantVideo, AppendVP8Message(nil, ts, key, frame))
				v++
			}
			time.Sleep(20 * time.Millisecond)
		}
		for k := range K {
			if err := sc.pub.Send(sc.ctx, Send("onChat", "hello", float64(k))); err != nil {
				t.Fatal(err)
			}
		}
		r, err := collect(t, sc.ctx, st, func(r *received) bool {
			return len(r.audio) == N+1 && len(r.video) == M+1 && len(r.data) == 4+K
		})
		if err != nil {
			t.Fatal(err)
		}
		checkPlayStart(t, r.data, "cam")
		for k, m := range r.data[4:] {
			if m.Data.Handler != "onChat" || m.Data.Args[0] != "hello" || m.Data.Args[1] != float64(k) {
				t.Fatalf("data %d: %+v", k, m.Data)
			}
		}
		// Audio starts with the Opus sequence start carrying the OpusHead.
		a0 := r.audio[0]
		if a0.Audio.Codec != AudioOpus || a0.Audio.PacketType != AudioSequenceStart {
			t.Fatalf("first audio %+v", a0.Audio)
		}
		if h, err := ParseOpusHead(a0.Audio.Payload); err != nil || h != head {
			t.Fatalf("OpusHead %+v, %v", h, err)
		}
		for i, m := range r.audio[1:] {
			if !bytes.Equal(m.Raw, wantAudio[i]) {
				t.Fatalf("audio %d: % x, want % x", i, m.Raw, wantAudio[i])
			}
			if m.Timestamp != Timestamp(1000+20*i) || m.Audio.Codec != AudioOpus || !bytes.Equal(m.Audio.Payload, opusFrame(i)) {
				t.Fatalf("audio %d: ts %d %+v", i, m.Timestamp, m.Audio)
			}
		}
		v0 := r.video[0]
		if v0.Video.Codec != VideoVP8 || v0.Video.PacketType != VideoSequenceStart || !bytes.Equal(v0.Video.Payload, DefaultVP8Config()) {
			t.Fatalf("first video %+v", v0.Video)
		}
		for i, m := range r.video[1:] {
			if !bytes.Equal(m.Raw, wantVideo[i]) {
				t.Fatalf("video %d differs (%d bytes, want %d)", i, len(m.Raw), len(wantVideo[i]))
			}
			if m.Video.Keyframe() != (i%5 == 0) {
				t.Fatalf("video %d keyframe %v", i, m.Video.Keyframe())
			}
		}
		if s := st.Stats(); s.Flows != 3 || s.Malformed != 0 || s.Late != 0 || s.Messages != uint64(N+M+K+6) {
			t.Fatalf("stats %+v", s)
		}
		// The nonces match across the direct session (RFC 7425 §4.6.3).
		if sa.NearNonce() != subs[0].Session.FarNonce() {
			t.Fatal("near nonce differs from the publisher's far nonce")
		}
		// The publisher closes: every flow ends and so does the stream.
		sc.pub.Close()
		if _, err := collect(t, sc.ctx, st, func(*received) bool { return false }); !errors.Is(err, io.EOF) {
			t.Fatalf("stream after the publisher closed: %v", err)
		}
	})
}

func TestPeerPlayRefusedAndLeaving(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var refuse atomic.Bool
		var asked atomic.Int32
		sc := newPeerScene(t, 6, rtmfptest.LinkConditions{Delay: 15 * time.Millisecond}, PublisherConfig{
			Name: "cam",
			Accept: func(PlayRequest) error {
				asked.Add(1)
				if refuse.Load() {
					return errors.New("room is full")
				}
				return nil
			},
		})
		sa, sta := sc.play(t, 0, "cam")
		sc.waitSubscribers(t, 1)

		// A second subscriber, refused by the hook, gets Play.Failed and
		// its stream ends.
		refuse.Store(true)
		_, stb := sc.play(t, 1, "cam")
		r, err := collect(t, sc.ctx, stb, func(*received) bool { return false })
		if !errors.Is(err, io.EOF) {
			t.Fatalf("refused player: %v", err)
		}
		if len(r.data) != 1 || !r.data[0].IsStatus(CodePlayFailed) || r.data[0].Status.Level != LevelError || len(r.audio)+len(r.video) != 0 {
			t.Fatalf("refused player read %+v", r.data)
		}
		if d := r.data[0].Status.Description; d != "room is full" {
			t.Fatalf("refusal description %q", d)
		}
		if n := asked.Load(); n != 2 {
			t.Fatalf("hook asked %d times", n)
		}
		// A wrong name is not found (the hook is not asked).
		_, stc := sc.play(t, 2, "other")
		r, err = collect(t, sc.ctx, stc, func(*received) bool { return false })
		if !errors.Is(err, io.EOF) || len(r.data) != 1 || !r.data[0].IsStatus(CodePlayStreamNotFound) {
			t.Fatalf("wrong name: %+v, %v", r.data, err)
		}
		if subs := sc.pub.Subscribers(); len(subs) != 1 || subs[0].PeerID != sc.players[0].ep.PeerID() {
			t.Fatalf("subscribers %+v", subs)
		}

		// The subscriber closes its stream: it leaves the list.
		sta.Close()
		sc.waitSubscribers(t, 0)
		if _, err := collect(t, sc.ctx, sta, func(*received) bool { return false }); !errors.Is(err, ErrStreamClosed) {
			t.Fatalf("read after close: %v", err)
		}

		// It plays again over the same session, then its session closes.
		refuse.Store(false)
		st2, err := PlayPeer(sa, "cam", PlayConfig{StreamID: 7})
		if err != nil {
			t.Fatal(err)
		}
		defer st2.Close()
		if subs := sc.waitSubscribers(t, 1); subs[0].StreamID != 7 {
			t.Fatalf("subscriber %+v", subs[0])
		}
		// receiveVideo false on the play flow: audio only from now on.
		if err := st2.Command(Toggle(CommandReceiveVideo, false)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if a, v := sc.pub.WriteAudio(0, []byte{1}), sc.pub.WriteVideo(0, true, []byte{2}); len(a) != 1 || len(v) != 0 {
			t.Fatalf("after receiveVideo false: %d audio and %d video receipts", len(a), len(v))
		}
		st2.Command(Toggle(CommandPause, true))
		time.Sleep(100 * time.Millisecond)
		if a := sc.pub.WriteAudio(0, []byte{1}); len(a) != 0 {
			t.Fatalf("paused: %d audio receipts", len(a))
		}
		// Unpausing resumes what receiveAudio and receiveVideo let
		// through (pause and the two are independent, as in tcserver).
		st2.Command(Toggle(CommandPause, false))
		time.Sleep(100 * time.Millisecond)
		if a, v := sc.pub.WriteAudio(0, []byte{1}), sc.pub.WriteVideo(0, true, []byte{2}); len(a) != 1 || len(v) != 0 {
			t.Fatalf("unpaused: %d audio and %d video receipts", len(a), len(v))
		}
		st2.Command(Toggle(CommandReceiveVideo, true))
		time.Sleep(100 * time.Millisecond)
		if a, v := sc.pub.WriteAudio(0, []byte{1}), sc.pub.WriteVideo(0, true, []byte{2}); len(a) != 1 || len(v) != 1 {
			t.Fatalf("video back on: %d audio and %d video receipts", len(a), len(v))
		}
		sa.Close()
		sc.waitSubscribers(t, 0)
		if _, err := collect(t, sc.ctx, st2, func(*received) bool { return false }); !errors.Is(err, rtmfp.ErrSessionClosed) {
			t.Fatalf("stream after session close: %v", err)
		}
		// Media to nobody goes nowhere.
		if rc := sc.pub.WriteAudio(0, []byte{1}); len(rc) != 0 {
			t.Fatalf("%d receipts without subscribers", len(rc))
		}
	})
}

// TestPeerPlayLossy plays over a 5% lossy, 600 kbit/s path while the
// publisher sends more video than fits. Audio (priority 5, 300 ms
// lifetime): the sender abandons each frame not delivered by its deadline,
// at the deadline, and the player reads nothing much later than the
// lifetime plus the path. Video: frames left pending when a new keyframe
// goes out are abandoned, and frames written after their keyframe was
// abandoned are abandoned too (parent chaining) and never read.
func TestPeerPlayLossy(t *testing.T) {
	// With the default 2 s video lifetime, groups are cut short by the
	// next keyframe; with 400 ms, keyframes expire inside their group and
	// chaining abandons the frames that depend on them.
	t.Run("group switch", func(t *testing.T) { testPeerPlayLossy(t, 0) })
	t.Run("keyframe expiry", func(t *testing.T) { testPeerPlayLossy(t, 400*time.Millisecond) })
}

func testPeerPlayLossy(t *testing.T, videoLifetime time.Duration) {
	synctest.Test(t, func(t *testing.T) {
		const owd = 30 * time.Millisecond
		const queue = 100 * time.Millisecond
		sc := newPeerScene(t, 7, rtmfptest.LinkConditions{Delay: owd}, PublisherConfig{Media: MediaOptions{VideoLifetime: videoLifetime}})
		lossy := rtmfptest.LinkConditions{Delay: owd, Loss: 0.05, Rate: 600 * rtmfptest.Kbps, QueueDelay: queue, HeaderBytes: 28}
		sc.net.SetPath(sc.pubNode.host, sc.players[0].host, lossy)
		_, st := sc.play(t, 0, "cam")
		sc.waitSubscribers(t, 1)

		type sent struct {
			at         time.Time
			rc         *rtmfp.Receipt
			key        bool
			grp        int
			orphan     bool // written after its keyframe was abandoned
			resolvedAt time.Time
		}
		var mu sync.Mutex // guards resolvedAt
		var waiters sync.WaitGroup
		track := func(s *sent) {
			waiters.Add(1)
			go func() {
				defer waiters.Done()
				<-s.rc.Done()
				mu.Lock()
				s.resolvedAt = time.Now()
				mu.Unlock()
			}()
		}
		audioSent := map[Timestamp]*sent{}
		videoSent := map[Timestamp]*sent{}
		var arrivals sync.Map // Timestamp → time.Time, audio only
		var got *received
		var readErr error
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			got, readErr = collect(t, sc.ctx, st, func(r *received) bool {
				if n := len(r.audio); n > 0 {
					arrivals.LoadOrStore(r.audio[n-1].Timestamp, time.Now())
				}
				return false
			})
		}()

		const seconds = 8
		var pendingAtSwitch []*rtmfp.Receipt
		var group []*rtmfp.Receipt
		var key *rtmfp.Receipt
		grp := -1
		start := time.Now()
		for i := range seconds * 50 {
			now := time.Now()
			ts := TimestampOf(now.Sub(start))
			rcs := sc.pub.WriteAudio(ts, opusFrame(i))
			audioSent[ts] = &sent{at: now, rc: rcs[0]}
			track(audioSent[ts])
			if i%3 == 0 { // about 16.7 frames per second
				f := i / 3
				isKey := f%15 == 0
				n := 4500
				if isKey {
					n = 15000
					for _, r := range group {
						if !r.Resolved() {
							pendingAtSwitch = append(pendingAtSwitch, r)
						}
					}
					group = group[:0]
					grp++
				}
				orphan := !isKey && key.Abandoned()
				rcs := sc.pub.WriteVideo(ts, isKey, vp8Frame(f, n))
				if len(rcs) != 1 {
					t.Fatalf("video %d: %d receipts", f, len(rcs))
				}
				if isKey {
					key = rcs[0]
				}
				videoSent[ts] = &sent{at: now, rc: rcs[0], key: isKey, grp: grp, orphan: orphan}
				track(videoSent[ts])
				group = append(group, rcs[0])
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(3 * time.Second) // every deadline passes
		st.Close()
		<-readDone
		waiters.Wait()
		if !errors.Is(readErr, ErrStreamClosed) {
			t.Fatalf("read: %v", readErr)
		}

		// Audio.
		var delivered, abandoned, late int
		var worst time.Duration
		var latencies []time.Duration
		for ts, s := range audioSent {
			switch {
			case s.rc.Delivered():
				delivered++
				if _, ok := arrivals.Load(ts); !ok {
					t.Errorf("audio %d delivered by receipt but not read", ts)
				}
			case s.rc.Abandoned():
				abandoned++
				// Abandoned exactly when its lifetime ran out.
				if d := s.resolvedAt.Sub(s.at); d < DefaultAudioLifetime || d > DefaultAudioLifetime+5*time.Millisecond {
					t.Errorf("audio %d abandoned %v after it was written", ts, d)
				}
			default:
				t.Errorf("audio %d unresolved", ts)
			}
			if at, ok := arrivals.Load(ts); ok {
				d := at.(time.Time).Sub(s.at)
				latencies = append(latencies, d)
				worst = max(worst, d)
				// A frame completed before its deadline may still wait
				// at the player for an earlier frame's abandonment to be
				// learned (sequence order): one more path crossing.
				if d > DefaultAudioLifetime+owd+queue+10*time.Millisecond {
					late++
				}
				if d > DefaultAudioLifetime+2*(owd+queue)+10*time.Millisecond {
					t.Errorf("audio %d read %v after it was written", ts, d)
				}
			}
		}
		var prev Timestamp
		for i, m := range got.audio[1:] {
			if i > 0 && !m.Timestamp.After(prev) {
				t.Fatalf("audio out of order: %d after %d", m.Timestamp, prev)
			}
			prev = m.Timestamp
		}
		t.Logf("audio: %d sent, %d delivered, %d abandoned, %d read; latency p50 %v p99 %v max %v; %d beyond lifetime+path",
			len(audioSent), delivered, abandoned, len(got.audio)-1,
			rtmfptest.Percentile(latencies, 50), rtmfptest.Percentile(latencies, 99), worst, late)
		if delivered < len(audioSent)*90/100 {
			t.Errorf("only %d of %d audio frames delivered", delivered, len(audioSent))
		}
		if late > len(latencies)/100 {
			t.Errorf("%d of %d audio frames read beyond lifetime+path", late, len(latencies))
		}

		// Video.
		var switched int
		for _, r := range pendingAtSwitch {
			if !r.Resolved() {
				t.Fatal("a receipt of an old group is unresolved")
			}
			if r.Abandoned() {
				switched++
			}
		}
		if videoLifetime == 0 && (switched == 0 || sc.pub.VideoGroupAbandoned() == 0) {
			t.Fatalf("no video abandoned by a new group (%d pending at switches, counter %d)", len(pendingAtSwitch), sc.pub.VideoGroupAbandoned())
		}
		var vDelivered, vAbandoned, orphans int
		for ts, s := range videoSent {
			if s.rc.Delivered() {
				vDelivered++
			} else if s.rc.Abandoned() {
				vAbandoned++
			}
			if s.orphan {
				orphans++
				if !s.rc.Abandoned() {
					t.Errorf("video %d written after its keyframe was abandoned was not abandoned", ts)
				}
			}
		}
		read := map[Timestamp]bool{}
		keys := map[int]bool{}
		var withoutKey int
		for _, m := range got.video[1:] {
			s, ok := videoSent[m.Timestamp]
			if !ok {
				t.Fatalf("video %d was not sent", m.Timestamp)
			}
			read[m.Timestamp] = true
			if s.orphan {
				t.Errorf("video %d read although written after its keyframe was abandoned", m.Timestamp)
			}
			if s.key {
				keys[s.grp] = true
			} else if !keys[s.grp] {
				withoutKey++ // sent before its keyframe was given up
			}
		}
		if videoLifetime != 0 && orphans == 0 {
			t.Error("no keyframe expired inside its group: parent chaining untested")
		}
		t.Logf("video: %d sent, %d delivered, %d abandoned (%d by a new group, %d orphans), %d read, %d read without their keyframe",
			len(videoSent), vDelivered, vAbandoned, sc.pub.VideoGroupAbandoned(), orphans, len(got.video)-1, withoutKey)
	})
}

// TestPublisherRejectsStrangeFlows: flows that are not TC, not a stream, or
// do not start with a play naming a stream are refused with a Flow
// Exception Report and leave no subscriber behind.
func TestPublisherRejectsStrangeFlows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newPeerScene(t, 9, rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}, PublisherConfig{})
		s, err := sc.players[0].ep.Connect(sc.ctx, sc.pubNode.epd(), sc.pubNode.addr)
		if err != nil {
			t.Fatal(err)
		}
		publish, _ := Publish{Name: "x"}.Command().AppendMessage(nil, 0)
		noName, _ := Play{}.Command().AppendMessage(nil, 0)
		cases := []struct {
			name string
			md   []byte
			msg  []byte
		}{
			{"not TC", []byte("XY\x04\x01"), []byte{1, 2, 3}},
			{"stream 0", FlowMetadata{StreamID: 0}.Append(nil), noName},
			{"garbage", FlowMetadata{StreamID: 5}.Append(nil), []byte{0x14, 0, 0, 0, 0, 0xff}},
			{"publish", FlowMetadata{StreamID: 5}.Append(nil), publish},
			{"play without a name", FlowMetadata{StreamID: 5}.Append(nil), noName},
		}
		for _, c := range cases {
			f, err := s.OpenFlow(c.md, PriorityControl)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(c.msg, rtmfp.WriteOptions{})
			time.Sleep(time.Second)
			if _, ok := f.Exception(); !ok {
				t.Errorf("%s: flow not rejected", c.name)
			}
			f.Close()
		}
		if n := len(sc.pub.Subscribers()); n != 0 {
			t.Fatalf("%d subscribers", n)
		}
	})
}

// TestPeerPlayIntroduced: the player knows only the publisher's peer ID and
// the server; the server introduces it (Redirect to the player, FIHello to
// the publisher, which registered its address with setPeerInfo) and the
// play runs over a direct session.
func TestPeerPlayIntroduced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, nil)
		// The publisher sits behind a home NAT that admits only datagrams
		// from addresses it sent to: the player's IHellos get through
		// only after the publisher, told by the server's FIHello, sent its
		// RHello out (hole punching).
		nat, err := sc.net.AddNAT(rtmfptest.NATConfig{Name: "home", Public: []netip.Addr{netip.MustParseAddr("10.0.0.50")}})
		if err != nil {
			t.Fatal(err)
		}
		inside := netip.MustParseAddr("192.168.1.2")
		h, err := nat.AddHost("pub", inside)
		if err != nil {
			t.Fatal(err)
		}
		pubNode := newNodeOn(t, h, inside, 3, nil)
		player := newNode(t, sc.net, "player", "10.0.0.5", 2)
		cfg := sc.config()
		cfg.PeerInfo = []string{pubNode.addr.String()}
		nc, err := Dial(sc.ctx, pubNode.ep, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		pub := NewPublisher(PublisherConfig{Name: "cam"})
		defer pub.Close()
		sctx, stop := context.WithCancel(sc.ctx)
		served := make(chan error, 1)
		go func() { served <- pub.Serve(sctx, pubNode.ep) }()
		defer func() { stop(); <-served }()
		time.Sleep(200 * time.Millisecond) // setPeerInfo reaches the server

		s, err := player.ep.Connect(sc.ctx, pubNode.epd(), sc.srv.nd.addr)
		if err != nil {
			t.Fatal(err)
		}
		if s.FarAddr().Addr() != nat.PublicAddrs()[0] || s.FarPeerID() != pubNode.ep.PeerID() {
			t.Fatalf("session to %v (%v), want the publisher behind %v", s.FarAddr(), s.FarPeerID(), nat.PublicAddrs())
		}
		st, err := PlayPeer(s, "cam", PlayConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for len(pub.Subscribers()) == 0 {
			<-pub.Changed()
		}
		pub.WriteAudio(40, opusFrame(1))
		r, err := collect(t, sc.ctx, st, func(r *received) bool { return len(r.data) == 4 && len(r.audio) == 2 })
		if err != nil {
			t.Fatal(err)
		}
		checkPlayStart(t, r.data, "cam")
		if r.audio[1].Timestamp != 40 || !bytes.Equal(r.audio[1].Audio.Payload, opusFrame(1)) {
			t.Fatalf("audio %+v", r.audio[1])
		}
	})
}
