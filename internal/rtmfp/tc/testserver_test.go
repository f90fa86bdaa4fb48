package tc

import (
	"context"
	"net/netip"
	"sync"
	"testing"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/wire"
)

// testServer is a minimal Flash-profile server built from the codecs and
// the transport, in the shape of rtmfp-cpp's tcserver: it answers connect
// (or rejects it), records setPeerInfo, allocates streams, answers publish
// with NetStream.Publish.Start and play with StreamBegin, Play.Reset,
// Play.Start and a few Opus messages and a data message on its own flows,
// and keeps what the client publishes.
type testServer struct {
	t         testing.TB
	nd        *node
	reject    bool
	rejectBy  string         // "" answers connect with _error; "onStatus" with an onStatus
	keepalive []SetKeepalive // sent right after a successful connect
	playAudio int            // Opus messages sent to a player

	mu        sync.Mutex
	connects  []Connect
	peerInfo  [][]string
	deleted   []StreamID
	media     []StreamMessage // audio and video the client published
	commands  []string        // stream commands in arrival order
	sessions  []*rtmfp.Session
	peerBy    map[*rtmfp.Session][]string // setPeerInfo by session
	nextID    StreamID
	streamsOK chan struct{} // signalled on each stream command
}

func newTestServer(t testing.TB, nd *node) *testServer {
	return &testServer{t: t, nd: nd, playAudio: 5, streamsOK: make(chan struct{}, 64)}
}

func (ts *testServer) run(ctx context.Context, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		s, err := ts.nd.ep.Accept(ctx)
		if err != nil {
			return
		}
		ts.mu.Lock()
		ts.sessions = append(ts.sessions, s)
		ts.mu.Unlock()
		wg.Add(1)
		go ts.serve(ctx, s, wg)
	}
}

func (ts *testServer) serve(ctx context.Context, s *rtmfp.Session, wg *sync.WaitGroup) {
	defer wg.Done()
	rf, err := s.AcceptFlow(ctx)
	if err != nil {
		return
	}
	c, err := readCmd(ts.t, ctx, rf)
	if err != nil {
		return
	}
	conn, err := ParseConnect(c)
	if err != nil || c.TransactionID != ConnectTransactionID {
		ts.t.Errorf("first command %+v: %v", c, err)
		return
	}
	ts.mu.Lock()
	ts.connects = append(ts.connects, conn)
	ts.mu.Unlock()
	ctl, err := rf.OpenReturnFlow(FlowMetadata{StreamID: 0}.Append(nil), PriorityControl)
	if err != nil {
		return
	}
	if ts.reject && ts.rejectBy == CommandOnStatus {
		writeCmd(ts.t, ctl, OnStatus(StatusInfo{Level: LevelError, Code: CodeConnectRejected, Description: "app not allowed"}))
		ctl.Close()
		return
	}
	if ts.reject {
		writeCmd(ts.t, ctl, ConnectRejected("app not allowed"))
		ctl.Close()
		return
	}
	writeCmd(ts.t, ctl, ConnectSuccess("Connection succeeded", Property{"connectionID", "c0ffee"}))
	for _, k := range ts.keepalive {
		ctl.Write(k.AppendMessage(nil), rtmfp.WriteOptions{})
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			sf, err := ctl.AcceptReturn(ctx)
			if err != nil {
				return
			}
			wg.Add(1)
			go ts.serveStreamFlow(ctx, sf, rf, ctl, wg)
		}
	}()
	for {
		c, err := readCmd(ts.t, ctx, rf)
		if err != nil {
			return
		}
		switch c.Name {
		case CommandSetPeerInfo:
			a, _ := ParseSetPeerInfo(c)
			ts.mu.Lock()
			ts.peerInfo = append(ts.peerInfo, a)
			if ts.peerBy == nil {
				ts.peerBy = map[*rtmfp.Session][]string{}
			}
			ts.peerBy[s] = a
			ts.mu.Unlock()
		case CommandCreateStream:
			ts.mu.Lock()
			ts.nextID++
			id := ts.nextID
			ts.mu.Unlock()
			writeCmd(ts.t, ctl, CreateStreamResult(c.TransactionID, id))
		case CommandDeleteStream:
			id, _ := ParseDeleteStream(c)
			ts.mu.Lock()
			ts.deleted = append(ts.deleted, id)
			ts.mu.Unlock()
			ts.streamsOK <- struct{}{}
		case "echo":
			writeCmd(ts.t, ctl, Result(c.TransactionID, c.Args...))
		case "fail":
			writeCmd(ts.t, ctl, ErrorResult(c.TransactionID, StatusInfo{Level: LevelError, Code: CodeCallFailed, Description: "no"}))
		case "shutdown":
			writeCmd(ts.t, ctl, OnStatus(StatusInfo{Level: LevelStatus, Code: CodeConnectAppShutdown}))
		case "bye":
			// The server closes the session (an orderly close).
			s.Close()
			return
		}
	}
}

// serveStreamFlow serves one flow of a client's NetStream (a return flow
// associated to our control flow).
func (ts *testServer) serveStreamFlow(ctx context.Context, sf *rtmfp.RecvFlow, clientControl *rtmfp.RecvFlow, ctl *rtmfp.SendFlow, wg *sync.WaitGroup) {
	defer wg.Done()
	md, _, err := ParseFlowMetadata(sf.Metadata())
	if err != nil {
		sf.Reject(0)
		return
	}
	var out *rtmfp.SendFlow
	data := func() *rtmfp.SendFlow {
		if out == nil {
			out, _ = clientControl.OpenReturnFlow(FlowMetadata{StreamID: md.StreamID}.Append(nil), PriorityData)
		}
		return out
	}
	for {
		b, err := sf.Read(ctx)
		if err != nil {
			return
		}
		sm, err := parseStreamMessage(b, Limits{})
		if err != nil {
			ts.t.Errorf("server: stream message % x: %v", b, err)
			continue
		}
		switch sm.Type {
		case TypeAudio, TypeVideo:
			ts.mu.Lock()
			ts.media = append(ts.media, sm)
			ts.mu.Unlock()
			continue
		case TypeCommand:
		default:
			continue
		}
		ts.mu.Lock()
		ts.commands = append(ts.commands, sm.Command.Name)
		ts.mu.Unlock()
		switch sm.Command.Name {
		case CommandPublish:
			pub, _ := ParsePublish(sm.Command)
			writeCmd(ts.t, data(), StreamStatus(LevelStatus, CodePublishStart, "publishing", pub.Name))
		case CommandPlay:
			pl, _ := ParsePlay(sm.Command)
			ctl.Write(AppendStreamEventMessage(nil, EventStreamBegin, md.StreamID), rtmfp.WriteOptions{})
			writeCmd(ts.t, data(), StreamStatus(LevelStatus, CodePlayReset, "Reset", pl.Name))
			writeCmd(ts.t, data(), StreamStatus(LevelStatus, CodePlayStart, "Subscribe", pl.Name))
			audio, _ := clientControl.OpenReturnFlow(FlowMetadata{StreamID: md.StreamID}.Append(nil), PriorityAudio)
			for i := range ts.playAudio {
				audio.Write(AppendOpusMessage(nil, Timestamp(1000+20*i), []byte{byte(i), 0xfc, 0xff}), rtmfp.WriteOptions{})
			}
			b, _ := Send("onChat", "hello", 1.0).AppendMessage(nil, 0)
			data().Write(b, rtmfp.WriteOptions{})
		case CommandCloseStream:
			writeCmd(ts.t, data(), StreamStatus(LevelStatus, CodePlayStop, "Stopped", ""))
		}
		ts.streamsOK <- struct{}{}
	}
}

// introduce is the server's unmatched-IHello hook, as tcserver does it
// (RFC 7016 §3.5.1.4–§3.5.1.6): an IHello naming a connected client that sent setPeerInfo
// gets a Redirect to that client's addresses, and the client gets the
// IHello forwarded (FIHello) so it answers the initiator directly.
func (ts *testServer) introduce(u rtmfp.UnmatchedIHello) {
	epd, err := flashcrypto.ParseEPD(u.EPD)
	if err != nil || !epd.HasFingerprint {
		return
	}
	ts.mu.Lock()
	var target *rtmfp.Session
	var reported []string
	for s, a := range ts.peerBy {
		if s.FarPeerID() == epd.Fingerprint && s.Err() == nil {
			target, reported = s, a
		}
	}
	ts.mu.Unlock()
	if target == nil {
		return
	}
	addrs := []wire.Address{{AddrPort: target.FarAddr(), Origin: wire.OriginObserved}}
	for _, a := range reported {
		if ap, err := netip.ParseAddrPort(a); err == nil {
			addrs = append(addrs, wire.Address{AddrPort: ap, Origin: wire.OriginReported})
		}
	}
	ts.nd.ep.Redirect(u.From, u.Tag, addrs...)
	target.ForwardIHello(u.EPD, u.From, u.Tag)
}
