package rendezvous

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/tc"
)

// refusedStreamFlow opens a NetStream flow for stream 0 in return to the
// server's control flow, sends it a message and waits for the server to
// refuse it.
func (cx *client) refusedStreamFlow(t *testing.T) *rtmfp.SendFlow {
	t.Helper()
	bad, err := cx.ret.OpenReturnFlow(tc.FlowMetadata{StreamID: 0}.Append(nil), flow.PriorityImmediate)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = bad.Write([]byte{0x14, 0, 0, 0, 0}, rtmfp.WriteOptions{})
	settle(t, 2*time.Second, "stream-0 flow not refused", func() bool {
		_, rejected := bad.Exception()
		return rejected
	})
	return bad
}

// TestNetStreamAnswers: after createStream, a Flash client's NetStream
// flow (a return flow to the server's control flow) carrying publish is
// answered with NetStream.Publish.Start, and play with
// NetStream.Play.Failed, on a flow of that stream returning to the client's
// control flow (RFC 7425 §5.3; rtmfp-cpp src/TCConnection.cpp); a flow for stream 0 is refused.
func TestNetStreamAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		x := newClient(t, listenHost(t, n, "x", "198.51.100.7"), 0, nil)
		cx, r := dial(t, x, addr, "chat")
		mustConnect(t, r)
		cx.register(t) // createStream: stream 1
		ns, err := cx.ret.OpenReturnFlow(tc.FlowMetadata{StreamID: 1}.Append(nil), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		write := func(cmd tc.Command) {
			b, err := cmd.AppendMessage(nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ns.Write(b, rtmfp.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		write(tc.Publish{Name: "cam"}.Command())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		in, err := cx.ctl.AcceptReturn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		md, _, err := tc.ParseFlowMetadata(in.Metadata())
		if err != nil || md.StreamID != 1 {
			t.Fatalf("answer flow metadata % x: %v", in.Metadata(), err)
		}
		status := func() tc.StatusInfo {
			b, err := in.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := tc.ParseMessage(b)
			cmd, err := tc.ParseCommandMessage(m, tc.DefaultLimits)
			if err != nil || cmd.Name != "onStatus" {
				t.Fatalf("%+v %v", cmd, err)
			}
			info, err := cmd.Status()
			if err != nil {
				t.Fatal(err)
			}
			return info
		}
		if info := status(); info.Code != tc.CodePublishStart {
			t.Fatalf("publish answered %+v", info)
		}
		// Media is dropped without an answer; play fails.
		if _, err := ns.Write(tc.AppendOpusMessage(nil, 0, []byte{1, 2, 3}), rtmfp.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		write(tc.Play{Name: "other"}.Command())
		if info := status(); info.Code != tc.CodePlayFailed || info.Level != "error" {
			t.Fatalf("play answered %+v", info)
		}
		// A stream-0 flow in return to our control flow is refused.
		cx.refusedStreamFlow(t)
		if got := srv.Stats().Dropped[DropStreamFlow]; got != 1 {
			t.Fatalf("stream flow drops %d", got)
		}
	})
}

// TestRejectedStreamFlowsLeaveNoState: the server keeps nothing per
// NetStream flow it refuses (the transport forgets the flow itself): after
// 40 refused stream-0 flows, counted as 40 drops, no stream flow is being
// served and no goroutine is left for them, and a proper NetStream flow
// is still served.
func TestRejectedStreamFlowsLeaveNoState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		x := newClient(t, listenHost(t, n, "x", "198.51.100.7"), 0, nil)
		cx, r := dial(t, x, addr, "chat")
		mustConnect(t, r)
		cx.register(t) // createStream: stream 1
		srv.mu.Lock()
		var p *peer
		for _, q := range srv.sessions {
			p = q
		}
		srv.mu.Unlock()
		synctest.Wait()
		base := runtime.NumGoroutine()
		const refused = 40
		for i := range refused {
			bad := cx.refusedStreamFlow(t)
			bad.Close()
			if i == 0 {
				synctest.Wait()
				base = runtime.NumGoroutine()
			}
		}
		synctest.Wait()
		if got := srv.Stats().Dropped[DropStreamFlow]; got != refused {
			t.Fatalf("stream flow drops %d, want %d", got, refused)
		}
		// The process's goroutine count moves by one either way with
		// goroutines outside this test's (the race detector's runs
		// show it); a goroutine per refused flow would add 39.
		if run, g := p.streamRun.Load(), runtime.NumGoroutine(); run != 0 || g > base+2 {
			t.Fatalf("after %d refused flows: %d served, %d goroutines (was %d)", refused, run, g, base)
		}
		ns, err := cx.ret.OpenReturnFlow(tc.FlowMetadata{StreamID: 1}.Append(nil), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := tc.Publish{Name: "cam"}.Command().AppendMessage(nil, 0)
		if _, err := ns.Write(b, rtmfp.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		settle(t, 2*time.Second, "NetStream flow not served", func() bool { return p.streamRun.Load() == 1 })
	})
}

// TestStreamFlowsOnlyForCreatedStreams: the server serves NetStream flows
// only for streams the client created and not deleted, at most three
// each; flows for any other stream ID are refused and counted, so that a
// client cannot make the server serve flows it never asked for (in one
// review, 192 flows for stream IDs never created, each holding memory).
func TestStreamFlowsOnlyForCreatedStreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		x := newClient(t, listenHost(t, n, "x", "198.51.100.7"), 0, nil)
		cx, r := dial(t, x, addr, "chat")
		mustConnect(t, r)
		cx.register(t) // createStream: stream 1
		srv.mu.Lock()
		var p *peer
		for _, q := range srv.sessions {
			p = q
		}
		srv.mu.Unlock()
		open := func(id tc.StreamID) *rtmfp.SendFlow {
			f, err := cx.ret.OpenReturnFlow(tc.FlowMetadata{StreamID: id}.Append(nil), flow.PriorityImmediate)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := tc.Publish{Name: "cam"}.Command().AppendMessage(nil, 0)
			if _, err := f.Write(b, rtmfp.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			return f
		}
		var flows []*rtmfp.SendFlow
		for _, id := range []tc.StreamID{2, 7, 1, 1, 1, 1, 1000} {
			flows = append(flows, open(id))
			time.Sleep(200 * time.Millisecond)
		}
		var rejected []int
		for i, f := range flows {
			if _, ok := f.Exception(); ok {
				rejected = append(rejected, i)
			}
		}
		// Streams 2, 7 and 1000 were never created; the fourth flow of
		// stream 1 is one too many.
		if want := []int{0, 1, 5, 6}; !slices.Equal(rejected, want) {
			t.Fatalf("flows %v rejected, want %v", rejected, want)
		}
		if got, run := srv.Stats().Dropped[DropStreamFlow], p.streamRun.Load(); got != 4 || run != 3 {
			t.Fatalf("%d stream flows refused, %d served", got, run)
		}
		// Deleting the stream: its flows go on until they end, a new one
		// is refused.
		cx.send(t, tc.DeleteStream(1))
		time.Sleep(200 * time.Millisecond)
		f := open(1)
		settle(t, 2*time.Second, "flow of a deleted stream not refused", func() bool {
			_, ok := f.Exception()
			return ok
		})
	})
}
