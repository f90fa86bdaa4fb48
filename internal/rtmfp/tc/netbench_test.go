package tc

import (
	"camchat/internal/rtmfp/rtmfptest"
	"context"
	"net"
	"net/netip"
	"testing"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
)

// BenchmarkParseStreamMessageOpus is the receive path of every audio
// message: header, Enhanced-RTMP audio header, no copy.
func BenchmarkParseStreamMessageOpus(b *testing.B) {
	msg := AppendOpusMessage(nil, 1234, vp8Frame(40, 80))
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := parseStreamMessage(msg, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublisherWriteAudio4 sends one 80-byte Opus frame to four
// subscribers (a five-person call) over loopback UDP: encoding once, and
// one time-critical write per subscriber flow.
func BenchmarkPublisherWriteAudio4(b *testing.B) {
	listen := func(idx int) *rtmfp.Endpoint {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
		if err != nil {
			b.Skipf("no loopback UDP: %v", err)
		}
		ep, err := rtmfp.NewEndpoint(c, rtmfp.Config{Identity: rtmfptest.Identity(idx)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { ep.Close() })
		return ep
	}
	pubEP := listen(4)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := NewPublisher(PublisherConfig{})
	defer pub.Close()
	served := make(chan error, 1)
	go func() { served <- pub.Serve(ctx, pubEP) }()
	defer func() { cancel(); <-served }()
	for i := range 4 {
		ep := listen(i)
		s, err := ep.Connect(ctx, flashcrypto.CanonicalEPD(pubEP.PeerID()), pubEP.LocalAddr())
		if err != nil {
			b.Fatal(err)
		}
		st, err := PlayPeer(s, "cam", PlayConfig{})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		go func() {
			for {
				if _, err := st.Read(ctx); err != nil {
					return
				}
			}
		}()
	}
	for len(pub.Subscribers()) < 4 {
		<-pub.Changed()
	}
	frame := vp8Frame(40, 80)
	rcs := make([]*rtmfp.Receipt, 0, 4)
	b.ReportAllocs()
	b.SetBytes(int64(4 * len(frame)))
	ts := Timestamp(0)
	for b.Loop() {
		rcs = pub.AppendWriteAudio(rcs[:0], ts, frame)
		if len(rcs) != 4 {
			b.Fatalf("%d receipts", len(rcs))
		}
		ts += 20
	}
}
