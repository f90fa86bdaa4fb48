package rendezvous

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/tc"
)

func listenUDP(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIntroductionOverUDP: on real loopback sockets, two clients connect
// and register with setPeerInfo; A opens a session to B's peer ID by sending
// its IHello to the server only; the session that opens goes straight to
// B's socket, and a play request and a published stream's messages cross it
// in both directions.
func TestIntroductionOverUDP(t *testing.T) {
	sconn := listenUDP(t)
	srvAddr := sconn.LocalAddr().(*net.UDPAddr).AddrPort()
	srv := startServer(t, sconn, Config{Keepalive: tc.SetKeepalive{Server: 15 * time.Second, Peer: 10 * time.Second}})

	aconn, bconn := listenUDP(t), listenUDP(t)
	bAddr := bconn.LocalAddr().(*net.UDPAddr).AddrPort()
	a := newClient(t, aconn, 0, nil)
	b := newClient(t, bconn, 1, func(c *rtmfp.Config) { c.FIHelloMode = rtmfp.FIHelloSendRHello })

	ca, ra := dial(t, a, srvAddr, "chat")
	info := mustConnect(t, ra)
	if got, ok := info.Extra.String("connectionID"); !ok || got != a.PeerID().String() {
		t.Fatalf("connectionID %q, want A's peer ID %s", got, a.PeerID())
	}
	if got, _ := info.Extra.String("serverFingerprint"); got != srv.PeerID().String() {
		t.Fatalf("serverFingerprint %q", got)
	}
	// The Set Keepalive event follows the connect answer (RFC 7425 §5.3.4).
	m := ca.nextMessage(t)
	u, err := tc.ParseUserControlMessage(m)
	if err != nil {
		t.Fatal(err)
	}
	ka, err := tc.ParseSetKeepalive(u)
	if err != nil || ka.Server != 15*time.Second || ka.Peer != 10*time.Second {
		t.Fatalf("keepalive %+v, %v", ka, err)
	}
	cb, rb := dial(t, b, srvAddr, "chat")
	mustConnect(t, rb)
	cb.nextMessage(t) // keepalive
	cb.register(t, bAddr.String())
	ca.register(t)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	accepted := make(chan *rtmfp.Session, 1)
	go func() {
		for {
			s, err := b.Accept(ctx)
			if err != nil {
				close(accepted)
				return
			}
			if s.FarPeerID() == a.PeerID() {
				accepted <- s
				return
			}
		}
	}()
	sa, err := a.Connect(ctx, flashcrypto.CanonicalEPD(b.PeerID()), srvAddr)
	if err != nil {
		t.Fatal(err)
	}
	if sa.FarAddr() != bAddr || sa.FarPeerID() != b.PeerID() {
		t.Fatalf("A's session goes to %v (%s), want B at %v", sa.FarAddr(), sa.FarPeerID(), bAddr)
	}
	sb := <-accepted
	if sb == nil || sb.FarAddr() != aconn.LocalAddr().(*net.UDPAddr).AddrPort() {
		t.Fatalf("B's session from %v", sb)
	}
	if st := srv.Stats(); st.Introductions < 1 || st.Peers != 2 || st.Reachable != 2 || st.Connects != 2 {
		t.Fatalf("server stats %+v", st)
	}

	// A plays B's stream over the direct session (RFC 7425 §5.4): a play
	// command on a fresh TC flow, answered on return flows.
	const streamName = "camera"
	playMeta := tc.FlowMetadata{StreamID: 2000001}.Append(nil)
	pf, err := sa.OpenFlow(playMeta, flow.PriorityImmediate)
	if err != nil {
		t.Fatal(err)
	}
	play, err := tc.Play{Name: streamName}.Command().AppendMessage(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pf.Write(play, rtmfp.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	bf, err := sb.AcceptFlow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bf.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pm, _ := tc.ParseMessage(raw)
	pc, err := tc.ParseCommandMessage(pm, tc.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	p, err := tc.ParsePlay(pc)
	if err != nil || p.Name != streamName {
		t.Fatalf("B got %+v, %v", pc, err)
	}
	// B publishes: status, then audio frames, on a return flow.
	out, err := bf.OpenReturnFlow(playMeta, flow.PriorityImmediate)
	if err != nil {
		t.Fatal(err)
	}
	start, _ := tc.StreamStatus("status", tc.CodePlayStart, "playing", streamName).AppendMessage(nil, 0)
	want := [][]byte{start}
	for i := range 5 {
		want = append(want, tc.AppendOpusMessage(nil, tc.Timestamp(20*i), bytes.Repeat([]byte{byte(i)}, 40+i)))
	}
	for _, w := range want {
		if _, err := out.Write(w, rtmfp.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	in, err := pf.AcceptReturn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		got, err := in.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, w) {
			t.Fatalf("message %d: got % x, want % x", i, got, w)
		}
	}
	// The server carried none of it.
	if srv.TransportStats().BytesReceived > 20000 {
		t.Fatalf("server saw %d bytes", srv.TransportStats().BytesReceived)
	}
}
