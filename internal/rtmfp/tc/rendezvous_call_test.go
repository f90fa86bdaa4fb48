package tc_test

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous/rendezvoustest"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/tc"
)

func udpEndpoint(t *testing.T, id *flashcrypto.Identity) *rtmfp.Endpoint {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep, err := rtmfp.NewEndpoint(conn, rtmfp.Config{Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep
}

// TestCallThroughRendezvous is the Flash model of a call, over real UDP on
// loopback: two peers connect to camchat's rendezvous and register their
// addresses; the player opens a session to the publisher by peer ID through
// the server, which introduces them; the session is direct; the player plays
// the publisher's stream and receives its media and data messages.
func TestCallThroughRendezvous(t *testing.T) {
	srv, saddr := rendezvoustest.Loopback(t)
	server := saddr.AddrPort()
	url := "rtmfp://" + server.String() + "/camchat"

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pubEP, playEP := udpEndpoint(t, rtmfptest.Identity(0)), udpEndpoint(t, rtmfptest.Identity(1))
	for _, ep := range []*rtmfp.Endpoint{pubEP, playEP} {
		nc, err := tc.Dial(ctx, ep, tc.ConnConfig{URL: url, PeerInfo: []string{ep.LocalAddr().String()}})
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
	}

	// No media deadlines: on a loaded test machine a 300 ms audio lifetime
	// could abandon a frame, and this test counts every one.
	pub := tc.NewPublisher(tc.PublisherConfig{Name: "cam", Media: tc.MediaOptions{AudioLifetime: -1, VideoLifetime: -1}})
	defer pub.Close()
	go pub.Serve(ctx, pubEP)

	// By peer ID, with only the server's address to start from.
	sess, err := playEP.Connect(ctx, flashcrypto.CanonicalEPD(pubEP.PeerID()), server)
	if err != nil {
		t.Fatal(err)
	}
	if sess.FarAddr() != pubEP.LocalAddr() || sess.FarPeerID() != pubEP.PeerID() {
		t.Fatalf("session to %v (%v), want the publisher at %v", sess.FarAddr(), sess.FarPeerID(), pubEP.LocalAddr())
	}
	ns, err := tc.PlayPeer(sess, "cam", tc.PlayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for len(pub.Subscribers()) == 0 {
		select {
		case <-pub.Changed():
		case <-ctx.Done():
			t.Fatal("the publisher never saw the player")
		}
	}

	const frames = 25
	for i := range frames {
		ts := tc.Timestamp(i * 20)
		pub.WriteAudio(ts, bytes.Repeat([]byte{byte(i)}, 60))
		if i%5 == 0 {
			pub.WriteVideo(ts, i == 0, bytes.Repeat([]byte{byte(i)}, 900))
		}
	}
	chat := []string{"hello", "are you there?", "👋"}
	for _, text := range chat {
		if err := pub.Send(ctx, tc.DataMessage{Handler: "chat", Args: []tc.Value{text}}); err != nil {
			t.Fatal(err)
		}
	}

	var audio, video int
	var got []string
	var statuses []string
	for len(got) < len(chat) || audio < frames || video < frames/5 {
		m, err := ns.Read(ctx)
		if err != nil {
			t.Fatalf("audio %d video %d chat %q statuses %v: %v", audio, video, got, statuses, err)
		}
		switch {
		case m.Type == tc.TypeAudio && !m.Audio.SequenceHeader():
			if want := bytes.Repeat([]byte{byte(audio)}, 60); !bytes.Equal(m.Audio.Payload, want) || m.Timestamp != tc.Timestamp(audio*20) {
				t.Fatalf("audio %d: ts %d, %d bytes", audio, m.Timestamp, len(m.Audio.Payload))
			}
			audio++
		case m.Type == tc.TypeVideo && !m.Video.SequenceHeader():
			if !bytes.Equal(m.Video.Payload, bytes.Repeat([]byte{byte(video * 5)}, 900)) {
				t.Fatalf("video %d differs", video)
			}
			video++
		case m.Data.Handler == "chat":
			got = append(got, m.Data.Args[0].(string))
		case m.Status.Code != "":
			statuses = append(statuses, m.Status.Code)
		}
	}
	for i := range chat {
		if got[i] != chat[i] {
			t.Fatalf("chat %q, want %q", got, chat)
		}
	}
	if srv.Stats().Introductions != 1 {
		t.Fatalf("introductions %d", srv.Stats().Introductions)
	}
	t.Logf("direct session %v ↔ %v after 1 introduction; statuses %v; %d audio, %d video, chat %q",
		playEP.LocalAddr(), sess.FarAddr(), statuses, audio, video, got)
}
