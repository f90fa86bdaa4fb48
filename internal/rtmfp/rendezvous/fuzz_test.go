package rendezvous

import (
	"context"
	"errors"
	"testing"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/tc"
)

// fakeControl records the server's answers.
type fakeControl struct{ sent [][]byte }

func (f *fakeControl) send(msg []byte) (<-chan struct{}, error) {
	f.sent = append(f.sent, append([]byte(nil), msg...))
	done := make(chan struct{})
	close(done)
	return done, nil
}

func (f *fakeControl) AcceptReturn(context.Context) (*rtmfp.RecvFlow, error) {
	return nil, errors.New("no flows")
}

func appendCmd(t testing.TB, msgs [][]byte, cmd tc.Command) [][]byte {
	b, err := cmd.AppendMessage(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return append(msgs, b)
}

// controlSeeds is a whole client conversation, as the codecs encode it.
func controlSeeds(t testing.TB) [][]byte {
	var m [][]byte
	con, _ := tc.NewConnect("rtmfp://rendezvous/chat?key=x")
	m = appendCmd(t, m, con.Command())
	m = appendCmd(t, m, tc.SetPeerInfo("192.0.2.1:1935", "[2001:db8::1]:1935", "garbage", "10.0.0.1:0"))
	m = appendCmd(t, m, tc.CreateStream(2))
	m = appendCmd(t, m, tc.DeleteStream(1))
	m = appendCmd(t, m, tc.Command{Name: "whatever", TransactionID: 3})
	m = append(m, tc.SetKeepalive{Server: 5e9, Peer: 5e9}.AppendMessage(nil))
	return m
}

// FuzzControlMessage feeds arbitrary messages, after a valid connect, to
// the NetConnection command handler: nothing panics, the per-peer state
// stays within its bounds, and every answer is a well-formed TC command.
func FuzzControlMessage(f *testing.F) {
	for _, s := range controlSeeds(f) {
		f.Add(s)
	}
	srv, err := New(Config{Identity: serverIdentity(f), Apps: []string{"chat"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	connect := controlSeeds(f)[0]
	f.Fuzz(func(t *testing.T, msg []byte) {
		p := &peer{done: make(chan struct{}), static: true}
		fc := &fakeControl{}
		if err := srv.command(p, fc, connect); err != nil || !p.connected {
			t.Fatalf("connect: %v", err)
		}
		for range 3 {
			if err := srv.command(p, fc, msg); err != nil && !errors.Is(err, errEnd) {
				t.Fatalf("command: %v", err)
			}
		}
		srv.mu.Lock()
		n := len(p.reported)
		delete(srv.peers, p.id)
		srv.mu.Unlock()
		if n > MaxReportedAddrs || len(p.streams) > MaxStreams {
			t.Fatalf("%d addresses, %d streams", n, len(p.streams))
		}
		for _, a := range fc.sent {
			m, err := tc.ParseMessage(a)
			if err != nil {
				t.Fatal(err)
			}
			if m.Type == tc.TypeUserControl {
				continue
			}
			if _, err := tc.ParseCommandMessage(m, tc.DefaultLimits); err != nil {
				t.Fatalf("answer % x: %v", a, err)
			}
		}
	})
}

// TestControlConversation checks the answers to a whole conversation,
// byte for byte where they are fixed.
func TestControlConversation(t *testing.T) {
	srv, err := New(Config{Identity: serverIdentity(t), Apps: []string{"chat"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	p := &peer{done: make(chan struct{}), static: true}
	fc := &fakeControl{}
	seeds := controlSeeds(t)
	// Before connect, anything else ends the session.
	if err := srv.command(p, fc, seeds[2]); !errors.Is(err, errEnd) || len(fc.sent) != 0 {
		t.Fatalf("createStream before connect: %v, %d answers", err, len(fc.sent))
	}
	for i, s := range seeds {
		if err := srv.command(p, fc, s); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	want := [][]byte{}
	want = appendCmd(t, want, tc.ConnectSuccess("Connection succeeded.",
		tc.Property{Key: "connectionID", Value: p.id.String()},
		tc.Property{Key: "serverFingerprint", Value: srv.PeerID().String()}))
	want = appendCmd(t, want, tc.CreateStreamResult(2, 1))
	want = appendCmd(t, want, tc.ErrorResult(3, tc.StatusInfo{Level: "error", Code: tc.CodeCallFailed, Description: "unknown command whatever"}))
	if len(fc.sent) != len(want) {
		t.Fatalf("%d answers, want %d", len(fc.sent), len(want))
	}
	for i := range want {
		if string(fc.sent[i]) != string(want[i]) {
			t.Fatalf("answer %d:\n got % x\nwant % x", i, fc.sent[i], want[i])
		}
	}
	if len(p.reported) != 2 || p.reported[0].String() != "192.0.2.1:1935" || p.reported[1].String() != "[2001:db8::1]:1935" || !p.peerInfo {
		t.Fatalf("reported %v", p.reported)
	}
	if len(p.streams) != 0 || p.nextStream != 1 {
		t.Fatalf("streams %v next %d", p.streams, p.nextStream)
	}
	// A second connect is refused (counted, as the early createStream
	// was), an unknown app is rejected.
	if err := srv.command(p, fc, seeds[0]); err != nil || srv.Stats().Dropped[DropBadCommand] != 2 {
		t.Fatalf("second connect: %v %v", err, srv.Stats().Dropped)
	}
	q := &peer{done: make(chan struct{})}
	fq := &fakeControl{}
	con, _ := tc.NewConnect("rtmfp://rendezvous/other")
	b, _ := con.Command().AppendMessage(nil, 0)
	if err := srv.command(q, fq, b); !errors.Is(err, errEnd) || len(fq.sent) != 1 || q.connected {
		t.Fatalf("rejected connect: %v", err)
	}
	rej, _ := tc.ConnectRejected("application not allowed").AppendMessage(nil, 0)
	if string(fq.sent[0]) != string(rej) {
		t.Fatalf("rejection % x", fq.sent[0])
	}
	srv.mu.Lock()
	delete(srv.peers, p.id)
	srv.mu.Unlock()
}
