package tc

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/rtmfptest"
)

// TestStalledSubscriber: one of three subscribers' path stalls completely
// (every datagram lost) and its data flow fills with a backlog. The
// Publisher's media calls never wait (not a nanosecond of virtual time),
// its chat sends wait for the stalled one only until their context ends,
// the two others receive every audio frame on time and every chat
// message, and the stalled one's frames are skipped once its flows hold
// more than MaxQueue of media.
func TestStalledSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const owd = 20 * time.Millisecond
		sc := newPeerScene(t, 19, rtmfptest.LinkConditions{Delay: owd}, PublisherConfig{
			Media: MediaOptions{MaxQueue: 200 * time.Millisecond, VideoLifetime: -1}, // video without a deadline: only the bound limits it
		})
		var sts []*NetStream
		for i := range 3 {
			_, st := sc.play(t, i, "cam")
			sts = append(sts, st)
			sc.waitSubscribers(t, i+1)
		}
		stalled := sc.players[0]
		sc.net.SetPath(sc.pubNode.host, stalled.host, rtmfptest.LinkConditions{Delay: owd, Loss: 1})

		// The healthy players read as they go.
		type got struct {
			audio []StreamMessage
			chat  []StreamMessage
		}
		gots := make([]*got, 3)
		done := make(chan struct{}, 3)
		for i := 1; i < 3; i++ {
			gots[i] = &got{}
			go func() {
				defer func() { done <- struct{}{} }()
				for {
					m, err := sts[i].Read(sc.ctx)
					if err != nil {
						return
					}
					switch {
					case m.Type == TypeAudio && !m.Audio.SequenceSpecial():
						gots[i].audio = append(gots[i].audio, m)
					case m.Type == TypeData && m.Data.Handler == "onChat":
						gots[i].chat = append(gots[i].chat, m)
					}
				}
			}()
		}

		// A backlog of state for the stalled player fills its data flow:
		// SendTo queues until the flow holds rtmfp.SendBufferLimit, then
		// waits until its context ends.
		backlog := Send("onState", string(bytes.Repeat([]byte("x"), 60000)))
		var queued int
		for {
			before := time.Now()
			ctx, cancel := context.WithTimeout(sc.ctx, 50*time.Millisecond)
			err := sc.pub.SendTo(ctx, stalled.ep.PeerID(), backlog)
			cancel()
			if err != nil {
				if !errors.Is(err, context.DeadlineExceeded) || time.Since(before) != 50*time.Millisecond {
					t.Fatalf("backlog %d: %v after %v", queued, err, time.Since(before))
				}
				break
			}
			if time.Since(before) != 0 {
				t.Fatalf("backlog %d waited %v", queued, time.Since(before))
			}
			queued++
		}
		if queued < 17 || queued > 18 { // 1 MiB of 60 kB messages
			t.Fatalf("%d backlog messages queued", queued)
		}

		const seconds = 4
		const n = seconds * 50
		sent := make([]time.Time, n)
		var chats, chatErrs int
		var chatAt []time.Time
		var worstData time.Duration
		start := time.Now()
		for i := range n {
			now := time.Now()
			sent[i] = now
			ts := TimestampOf(now.Sub(start))
			sc.pub.WriteAudioExt(ts, AudioExt{Present: true, Seq: uint16(i)}, opusFrame(i))
			if i%3 == 0 {
				sc.pub.WriteVideoExt(ts, i%30 == 0, VideoExt{Present: true}, vp8Frame(i, 3000))
			}
			if d := time.Since(now); d != 0 {
				t.Fatalf("media writes waited %v", d)
			}
			if i%5 == 0 {
				chatAt = append(chatAt, time.Now())
				ctx, cancel := context.WithTimeout(sc.ctx, 50*time.Millisecond)
				err := sc.pub.Send(ctx, Send("onChat", "hello", float64(chats)))
				cancel()
				chats++
				if err != nil {
					chatErrs++
					if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), stalled.ep.PeerID().String()[:8]) {
						t.Fatalf("chat %d: %v", chats-1, err)
					}
				}
				worstData = max(worstData, time.Since(now))
			}
			time.Sleep(20*time.Millisecond - time.Since(now))
		}
		time.Sleep(time.Second)
		for _, st := range sts {
			st.Close()
		}
		<-done
		<-done

		if worstData > 50*time.Millisecond {
			t.Errorf("a chat send took %v", worstData)
		}
		if chatErrs != chats {
			t.Errorf("%d of %d chat sends reported the stalled subscriber", chatErrs, chats)
		}
		var worstAudio, worstChat time.Duration
		for i := 1; i < 3; i++ {
			g := gots[i]
			if len(g.audio) != n {
				t.Fatalf("player %d: %d audio frames, want %d", i, len(g.audio), n)
			}
			slow := 0
			for k, m := range g.audio {
				if int(m.Audio.Ext.Seq) != k {
					t.Fatalf("player %d: audio %d has sequence number %d", i, k, m.Audio.Ext.Seq)
				}
				// On time: across the path at once, or a frame or two
				// later when the session's congestion window was full
				// (seen without any stalled subscriber as well).
				d := m.Arrived.Sub(sent[k])
				if d > owd+40*time.Millisecond {
					t.Fatalf("player %d: audio %d arrived %v after it was sent", i, k, d)
				}
				worstAudio = max(worstAudio, d)
				if d > owd {
					slow++
				}
			}
			if slow > n/10 {
				t.Fatalf("player %d: %d of %d audio frames arrived later than %v", i, slow, n, owd)
			}
			if len(g.chat) != chats {
				t.Fatalf("player %d: %d chat messages, want %d", i, len(g.chat), chats)
			}
			for k, m := range g.chat {
				if m.Data.Args[1] != float64(k) {
					t.Fatalf("player %d: chat %d is %v", i, k, m.Data.Args[1])
				}
				// Not held up by the stalled player's wait (they would not
				// be sent at all: the context ends during it).
				worstChat = max(worstChat, m.Arrived.Sub(chatAt[k]))
				if d := m.Arrived.Sub(chatAt[k]); d > owd+100*time.Millisecond {
					t.Fatalf("player %d: chat %d arrived %v after it was sent", i, k, d)
				}
			}
			if st, _ := sc.pub.SubscriberStats(sc.players[i].ep.PeerID()); st.AudioSkipped != 0 || st.VideoSkipped != 0 || st.AudioSent != n || st.DataSent != uint64(chats) {
				t.Errorf("player %d: %+v", i, st)
			}
		}
		t.Logf("healthy players: audio at most %v after its write, chat %v", worstAudio, worstChat)
		st, _ := sc.pub.SubscriberStats(stalled.ep.PeerID())
		t.Logf("stalled subscriber: %+v (%d of %d chat sends timed out)", st, chatErrs, chats)
		if st.AudioSkipped == 0 || st.VideoSkipped == 0 || st.AudioSent+st.AudioSkipped != n || st.DataSent != uint64(queued) {
			t.Errorf("stalled subscriber: %+v", st)
		}
		// Video has no deadline here: only the bound stops its queue from
		// growing. It is known after a second of media (17 frames);
		// from then on nothing more is queued behind the stall.
		if st.VideoSent > 20 {
			t.Errorf("stalled subscriber: %d video frames queued", st.VideoSent)
		}
	})
}
