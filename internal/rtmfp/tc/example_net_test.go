package tc_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

// A client connects to a rendezvous server, registers its addresses for
// introductions and follows the connection's events.
func ExampleDial() {
	var ep *rtmfp.Endpoint // an open endpoint
	ctx := context.Background()
	nc, err := tc.Dial(ctx, ep, tc.ConnConfig{
		URL:      "rtmfp://192.0.2.1:1935/camchat",
		PeerInfo: []string{"192.168.1.20:50000"},
		OnKeepalive: func(server, peer time.Duration) {
			fmt.Println("keepalive", server, peer)
		},
	})
	if err != nil {
		fmt.Println(err) // errors.Is(err, tc.ErrConnectRejected) …
		return
	}
	defer nc.Close()
	for ev := range nc.Events() {
		fmt.Println(ev.Status.Code) // NetConnection.Connect.Success … Connect.Closed
	}
}

// A peer publishes its camera and microphone to whoever plays it, and plays
// a friend's stream by peer ID.
func ExamplePublisher() {
	var ep *rtmfp.Endpoint // an open endpoint
	var friend flashcrypto.PeerID
	var friendAddr netip.AddrPort
	ctx := context.Background()

	pub := tc.NewPublisher(tc.PublisherConfig{
		Name: "camchat",
		Accept: func(r tc.PlayRequest) error {
			if roomFull() {
				return errors.New("room is full") // the player reads it in NetStream.Play.Failed
			}
			return nil
		},
	})
	defer pub.Close()
	go pub.Serve(ctx, ep)
	// For every 20 ms Opus packet and every VP8 frame, with capture times:
	pub.WriteAudio(tc.TimestampOf(20*time.Millisecond), []byte{0xfc})
	pub.WriteVideo(tc.TimestampOf(33*time.Millisecond), true, []byte{0x10})

	s, err := ep.Connect(ctx, flashcrypto.CanonicalEPD(friend), friendAddr)
	if err != nil {
		return
	}
	// The friend plays our stream over the same session, whichever end
	// opened it.
	pub.ServeSession(s)
	st, err := tc.PlayPeer(s, "camchat", tc.PlayConfig{})
	if err != nil {
		return
	}
	defer st.Close()
	for {
		m, err := st.Read(ctx)
		if err != nil {
			return
		}
		switch m.Type {
		case tc.TypeAudio:
			_ = m.Audio.Payload // one Opus packet, m.Timestamp its capture time
		case tc.TypeVideo:
			_ = m.Video.Payload
		}
	}
}

func roomFull() bool { return false }
