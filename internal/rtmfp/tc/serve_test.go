package tc

import (
	"bytes"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/rtmfptest"
)

// playAndHear plays "cam" over s, writes one audio frame and checks that it
// arrives after the opening messages.
func playAndHear(t *testing.T, sc *peerScene, s *rtmfp.Session, ts Timestamp, subs int) *NetStream {
	t.Helper()
	st, err := PlayPeer(s, "cam", PlayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sc.waitSubscribers(t, subs)
	sc.pub.WriteAudio(ts, opusFrame(int(ts)))
	r, err := collect(t, sc.ctx, st, func(r *received) bool { return len(r.data) == 4 && len(r.audio) == 2 })
	if err != nil {
		t.Fatal(err)
	}
	checkPlayStart(t, r.data, "cam")
	if r.audio[1].Timestamp != ts || !bytes.Equal(r.audio[1].Audio.Payload, opusFrame(int(ts))) {
		t.Fatalf("audio %+v", r.audio[1])
	}
	return st
}

// TestServeSessionOpenedHere: in a mesh the session to a peer may be the
// one this endpoint opened; the peer plays over it all the same.
func TestServeSessionOpenedHere(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newPeerScene(t, 11, rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}, PublisherConfig{Name: "cam"})
		player := sc.players[0]
		s, err := sc.pubNode.ep.Connect(sc.ctx, player.epd(), player.addr)
		if err != nil {
			t.Fatal(err)
		}
		if !s.IsInitiator() {
			t.Fatal("the publisher's session is not its own")
		}
		sc.pub.ServeSession(s)
		ps, err := player.ep.Accept(sc.ctx)
		if err != nil {
			t.Fatal(err)
		}
		playAndHear(t, sc, ps, 40, 1)
		if subs := sc.pub.Subscribers(); subs[0].Session != s || subs[0].PeerID != player.ep.PeerID() {
			t.Fatalf("subscriber %+v", subs[0])
		}
	})
}

// TestServeSessionTwice: serving a session again (Serve already serves
// every session it accepted) starts nothing, and plays over it still work.
func TestServeSessionTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newPeerScene(t, 12, rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}, PublisherConfig{Name: "cam"})
		s, err := sc.players[0].ep.Connect(sc.ctx, sc.pubNode.epd(), sc.pubNode.addr)
		if err != nil {
			t.Fatal(err)
		}
		st := playAndHear(t, sc, s, 20, 1) // the player opened the session; Serve serves it
		pubSide := sc.pub.Subscribers()[0].Session

		synctest.Wait()
		before := runtime.NumGoroutine()
		sc.pub.ServeSession(pubSide)
		sc.pub.ServeSession(pubSide)
		synctest.Wait()
		if after := runtime.NumGoroutine(); after != before {
			t.Fatalf("serving a served session twice: %d goroutines, was %d", after, before)
		}

		// The first stream leaves; a new play over the same session is
		// answered once.
		st.Close()
		sc.waitSubscribers(t, 0)
		playAndHear(t, sc, s, 60, 1)
		time.Sleep(time.Second)
		if n := len(sc.pub.Subscribers()); n != 1 {
			t.Fatalf("%d subscribers after one play", n)
		}
	})
}

// TestPublisherOnCommand: a player's feedback and other unknown commands
// reach OnCommand in order with the subscriber's request; the commands the
// Publisher handles itself do not.
func TestPublisherOnCommand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		type got struct {
			req PlayRequest
			c   Command
		}
		cmds := make(chan got, 16)
		sc := newPeerScene(t, 13, rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}, PublisherConfig{
			Name:      "cam",
			OnCommand: func(r PlayRequest, c Command) { cmds <- got{r, c} },
		})
		_, st := sc.play(t, 0, "cam")
		sc.waitSubscribers(t, 1)
		report := ReceiverReport{Interval: time.Second, AudioLost: 0.1, Jitter: 3 * time.Millisecond, Playout: 80 * time.Millisecond, Layers: 1, Bitrate: 250000}
		steps := []func() error{
			func() error { return st.RequestKeyframe(KeyframeForJoin) },
			func() error { return st.Command(Toggle(CommandPause, true)) },
			func() error { return st.SendReport(report) },
			func() error { return st.Command(Toggle(CommandReceiveVideo, false)) },
			func() error { return st.Command(Command{Name: "somethingNew", Args: []Value{1.0}}) },
			func() error { return st.Command(Toggle(CommandPause, false)) },
		}
		for _, f := range steps {
			if err := f(); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Second)
		if len(cmds) != 3 {
			t.Fatalf("%d commands reached OnCommand, want 3", len(cmds))
		}
		for i, name := range []string{CommandRequestKeyframe, CommandReceiverReport, "somethingNew"} {
			g := <-cmds
			if g.c.Name != name || g.req.PeerID != sc.players[0].ep.PeerID() || g.req.Name != "cam" {
				t.Fatalf("command %d: %q from %v", i, g.c.Name, g.req.PeerID)
			}
			switch name {
			case CommandRequestKeyframe:
				if k, err := ParseKeyframeRequest(g.c); err != nil || k.Reason != KeyframeForJoin {
					t.Fatalf("keyframe request %+v %v", k, err)
				}
			case CommandReceiverReport:
				r, err := ParseReceiverReport(g.c)
				if err != nil {
					t.Fatal(err)
				}
				r.Present = 0
				if r != report {
					t.Fatalf("report %+v, want %+v", r, report)
				}
			}
		}
		// The handled ones took effect: unpaused, video off.
		if a, v := sc.pub.WriteAudio(0, []byte{1}), sc.pub.WriteVideo(0, true, []byte{2}); len(a) != 1 || len(v) != 0 {
			t.Fatalf("%d audio and %d video receipts", len(a), len(v))
		}
	})
}
