package tc

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
)

// The play exchange between peers, byte for byte as RFC 7425 §5.4 describes it and librtmfp sends it
// (librtmfp ↔ librtmfp): the player's flow metadata and play command, and
// the publisher's three answering flows.
var (
	// "TC", flags 0x04 (stream ID present, original order), stream ID
	// 2000001 as a VLU (fa 89 01). In the metadata option it reads
	// 00 54 43 04 fa 89 01.
	goldenPlayMetadata = "54 43 04 fa 89 01"
	// type 0x14 | timestamp 0 | "play" | 0.0 | null | "camchat"
	goldenPlayCommand = `14 | 00 00 00 00
		02 00 04 70 6c 61 79           // "play"
		00 00 00 00 00 00 00 00 00     // 0.0
		05                             // null
		02 00 07 63 61 6d 63 68 61 74  // "camchat"`
	// user control (4) | ts 0 | StreamBegin (0) | stream 2000001
	goldenStreamBegin = "04 | 00 00 00 00 | 00 00 | 00 1e 84 81"
)

// TestPlayGoldenPlayer checks what PlayPeer puts on the wire, as the
// publisher's transport delivers it.
func TestPlayGoldenPlayer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		a := newNode(t, n, "a", "10.0.0.1", 0)
		b := newNode(t, n, "b", "10.0.0.2", 1)
		ctx := testCtx(t)
		sa, err := a.ep.Connect(ctx, b.epd(), b.addr)
		if err != nil {
			t.Fatal(err)
		}
		st, err := PlayPeer(sa, "camchat", PlayConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		sb, err := b.ep.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rf, err := sb.AcceptFlow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rf.Parent() != nil {
			t.Fatal("play flow is associated")
		}
		if got, want := rf.Metadata(), unhex(t, goldenPlayMetadata); !bytes.Equal(got, want) {
			t.Fatalf("metadata % x, want % x", got, want)
		}
		msg, err := rf.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, goldenPlayCommand); !bytes.Equal(msg, want) {
			t.Fatalf("play command\n got % x\nwant % x", msg, want)
		}
	})
}

// TestPlayGoldenPublisher plays a Publisher with raw flows and checks its
// answer: three return flows of the play flow with the same TC metadata,
// data first with StreamBegin, then Play.Reset, Play.Start and
// |RtmpSampleAccess; audio from the Opus sequence start, video from the VP8
// sequence start.
func TestPlayGoldenPublisher(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 2, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		a := newNode(t, n, "a", "10.0.0.1", 0)
		b := newNode(t, n, "b", "10.0.0.2", 1)
		ctx := testCtx(t)
		pub := NewPublisher(PublisherConfig{})
		defer pub.Close()
		sctx, cancel := context.WithCancel(ctx)
		served := make(chan error, 1)
		go func() { served <- pub.Serve(sctx, b.ep) }()
		defer func() { cancel(); <-served }()

		sa, err := a.ep.Connect(ctx, b.epd(), b.addr)
		if err != nil {
			t.Fatal(err)
		}
		f, err := sa.OpenFlow(unhex(t, goldenPlayMetadata), PriorityControl)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Write(unhex(t, goldenPlayCommand), rtmfp.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		var firsts [][]byte
		for range 3 {
			rf, err := f.AcceptReturn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rf.Metadata(), unhex(t, goldenPlayMetadata)) || rf.Parent() != f {
				t.Fatalf("return flow metadata % x, parent %v", rf.Metadata(), rf.Parent())
			}
			m, err := rf.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			firsts = append(firsts, m)
		}
		opus := AppendAudioMessage(nil, 0, opusConfig(DefaultOpusHead()))
		vp8 := AppendVideoMessage(nil, 0, vp8Config(nil))
		// The flows were opened data, audio, video; the transport may hand
		// them over in another order.
		var sawData, sawAudio, sawVideo bool
		for _, m := range firsts {
			switch {
			case bytes.Equal(m, unhex(t, goldenStreamBegin)):
				sawData = true
			case bytes.Equal(m, opus):
				sawAudio = true
			case bytes.Equal(m, vp8):
				sawVideo = true
			default:
				t.Fatalf("unexpected first message % x", m)
			}
		}
		if !sawData || !sawAudio || !sawVideo {
			t.Fatalf("first messages data %v audio %v video %v", sawData, sawAudio, sawVideo)
		}
		// Enhanced-RTMP headers: 0x90 | 'Opus' (sequence start), 0x90 | 'vp08'
		// (keyframe, sequence start).
		if !bytes.Equal(opus[5:10], []byte{0x90, 'O', 'p', 'u', 's'}) || !bytes.Equal(vp8[5:10], []byte{0x90, 'v', 'p', '0', '8'}) {
			t.Fatalf("media headers % x / % x", opus[5:10], vp8[5:10])
		}
	})
}

// TestPeerPlayUDP plays over real loopback UDP sockets: the same exchange,
// with the kernel in between.
func TestPeerPlayUDP(t *testing.T) {
	listen := func(idx int) *rtmfp.Endpoint {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
		if err != nil {
			t.Skipf("no loopback UDP: %v", err)
		}
		ep, err := rtmfp.NewEndpoint(c, rtmfp.Config{Identity: rtmfptest.Identity(idx)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ep.Close() })
		return ep
	}
	pubEP, playEP := listen(1), listen(0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pub := NewPublisher(PublisherConfig{Name: "cam"})
	defer pub.Close()
	served := make(chan error, 1)
	sctx, stop := context.WithCancel(ctx)
	go func() { served <- pub.Serve(sctx, pubEP) }()
	defer func() { stop(); <-served }()

	s, err := playEP.Connect(ctx, flashcrypto.CanonicalEPD(pubEP.PeerID()), pubEP.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	st, err := PlayPeer(s, "cam", PlayConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for len(pub.Subscribers()) == 0 {
		select {
		case <-pub.Changed():
		case <-ctx.Done():
			t.Fatal("no subscriber")
		}
	}
	const N = 20
	for i := range N {
		pub.WriteAudio(Timestamp(20*i), opusFrame(i))
	}
	pub.WriteVideo(0, true, vp8Frame(0, 5000))
	r, err := collect(t, ctx, st, func(r *received) bool { return len(r.audio) == N+1 && len(r.video) == 2 && len(r.data) == 4 })
	if err != nil {
		t.Fatal(err)
	}
	checkPlayStart(t, r.data, "cam")
	for i, m := range r.audio[1:] {
		if m.Timestamp != Timestamp(20*i) || !bytes.Equal(m.Audio.Payload, opusFrame(i)) {
			t.Fatalf("audio %d: ts %d", i, m.Timestamp)
		}
	}
	if !bytes.Equal(r.video[1].Video.Payload, vp8Frame(0, 5000)) {
		t.Fatal("video frame differs")
	}
}
