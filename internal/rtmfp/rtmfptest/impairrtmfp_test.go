package rtmfptest_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
)

// Two endpoints over real UDP, one behind 40 ms of delay each way: the
// session opens, messages and their echoes arrive intact, and the smoothed
// RTT of both ends reflects the 80 ms added. On a loaded machine the
// scheduler can be woken tens of milliseconds late, so the upper bounds
// are loose; the lower ones are exact (a delayed datagram is never early).
func TestImpairedConnRTMFPSession(t *testing.T) {
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Skip("no loopback UDP:", err)
		}
		return c
	}
	const oneWay = 40 * time.Millisecond
	ic := rtmfptest.ImpairConn(listen(), rtmfptest.Impairment{Delay: oneWay}, rtmfptest.Impairment{Delay: oneWay}, 1)
	epA, err := rtmfp.NewEndpoint(ic, rtmfp.Config{Identity: rtmfptest.Identity(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer epA.Close()
	epB, err := rtmfp.NewEndpoint(listen(), rtmfp.Config{Identity: rtmfptest.Identity(1)})
	if err != nil {
		t.Fatal(err)
	}
	defer epB.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	acc := make(chan *rtmfp.Session, 1)
	go func() { s, _ := epB.Accept(ctx); acc <- s }()
	start := time.Now()
	sa, err := epA.Connect(ctx, flashcrypto.CanonicalEPD(epB.PeerID()), epB.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	// IHello, RHello, IIKeying, RIKeying: two round trips.
	if d := time.Since(start); d < 4*oneWay {
		t.Errorf("handshake took %v, under two delayed round trips", d)
	}
	sb := <-acc
	if sb == nil {
		t.Fatal("no session accepted")
	}
	fa, err := sa.OpenFlow([]byte("echo"), flow.PriorityRoutine)
	if err != nil {
		t.Fatal(err)
	}
	echoErr := make(chan error, 1)
	go func() {
		// Echo every message back on a return flow. The flow reaches the
		// far end with its first message.
		rf, err := sb.AcceptFlow(ctx)
		if err != nil {
			echoErr <- err
			return
		}
		back, err := rf.OpenReturnFlow([]byte("back"), flow.PriorityRoutine)
		if err != nil {
			echoErr <- err
			return
		}
		for {
			msg, err := rf.Read(ctx)
			if err != nil {
				echoErr <- err
				return
			}
			if _, err := back.Write(msg, rtmfp.WriteOptions{}); err != nil {
				echoErr <- err
				return
			}
		}
	}()
	var ra *rtmfp.RecvFlow
	minRTT := time.Hour
	const n = 20
	for i := range n {
		msg := []byte(fmt.Sprintf("message %d %s", i, bytes.Repeat([]byte{'x'}, i*50)))
		sent := time.Now()
		if _, err := fa.Write(msg, rtmfp.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if ra == nil {
			if ra, err = fa.AcceptReturn(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got, err := ra.Read(ctx)
		if err != nil {
			t.Fatalf("echo %d: %v", i, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("echo %d is %q, want %q", i, got, msg)
		}
		rtt := time.Since(sent)
		if rtt < 2*oneWay {
			t.Fatalf("echo %d came back after %v, under the %v added", i, rtt, 2*oneWay)
		}
		minRTT = min(minRTT, rtt)
	}
	if minRTT > 2*oneWay+40*time.Millisecond {
		t.Errorf("fastest echo took %v, want about %v", minRTT, 2*oneWay)
	}
	for _, s := range []struct {
		name string
		s    *rtmfp.Session
	}{{"initiator", sa}, {"responder", sb}} {
		st := s.s.Stats()
		t.Logf("%s: srtt %v rttvar %v; fastest echo %v", s.name, st.SRTT, st.RTTVar, minRTT)
		if st.SRTT < 2*oneWay || st.SRTT > 2*oneWay+120*time.Millisecond {
			t.Errorf("%s: srtt %v, want the %v added plus a little", s.name, st.SRTT, 2*oneWay)
		}
	}
	up, down := ic.Stats()
	t.Logf("uplink %v\ndownlink %v", up, down)
	if up.Out == 0 || down.Out == 0 || up.Lost+down.Lost+up.Overflow+down.Overflow != 0 {
		t.Errorf("impaired socket counters: up %v, down %v", up, down)
	}
	select {
	case err := <-echoErr:
		t.Fatalf("echo: %v", err)
	default:
	}
}

// An endpoint behind a Relay: the session opens through it, the far end
// sees the relay's upstream socket as the initiator's address, and the RTT
// shows the relay's delay.
func TestRelayRTMFPSession(t *testing.T) {
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Skip("no loopback UDP:", err)
		}
		return c
	}
	epB, err := rtmfp.NewEndpoint(listen(), rtmfp.Config{Identity: rtmfptest.Identity(1)})
	if err != nil {
		t.Fatal(err)
	}
	defer epB.Close()
	const oneWay = 20 * time.Millisecond
	r, err := rtmfptest.NewRelay(listen(), epB.LocalAddr(), rtmfptest.RelayConfig{
		ToUpstream: rtmfptest.Impairment{Delay: oneWay},
		ToClient:   rtmfptest.Impairment{Delay: oneWay},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	epA, err := rtmfp.NewEndpoint(listen(), rtmfp.Config{Identity: rtmfptest.Identity(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer epA.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	acc := make(chan *rtmfp.Session, 1)
	go func() { s, _ := epB.Accept(ctx); acc <- s }()
	sa, err := epA.Connect(ctx, flashcrypto.CanonicalEPD(epB.PeerID()), r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	sb := <-acc
	if sb == nil {
		t.Fatal("no session accepted")
	}
	ua, ok := r.UpstreamAddr(epA.LocalAddr())
	if !ok || sb.FarAddr().Port() != ua.Port() || sa.FarAddr() != r.Addr() {
		t.Errorf("far addresses: responder sees %v (relay upstream socket %v), initiator sees %v (relay %v)",
			sb.FarAddr(), ua, sa.FarAddr(), r.Addr())
	}
	fa, err := sa.OpenFlow([]byte("hello"), flow.PriorityRoutine)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := fa.Write([]byte(fmt.Sprintf("message %d", i)), rtmfp.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	rb, err := sb.AcceptFlow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		msg, err := rb.Read(ctx)
		if err != nil || string(msg) != fmt.Sprintf("message %d", i) {
			t.Fatalf("message %d: %q, %v", i, msg, err)
		}
	}
	// The acknowledgements are a one-way delay behind the messages.
	for end := time.Now().Add(time.Second); sa.Stats().SRTT == 0 && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	if st := sa.Stats(); st.SRTT < 2*oneWay || st.SRTT > 2*oneWay+120*time.Millisecond {
		t.Errorf("srtt %v through a relay adding %v", st.SRTT, 2*oneWay)
	}
	if s := r.Stats(); s.Mapped != 1 || s.Clients != 1 {
		t.Errorf("relay %+v", s)
	}
}
