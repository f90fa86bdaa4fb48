package tc

import (
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/rtmfptest"
)

// A session's far end gets at most MaxPlayFlows play flows handled at
// once: more are rejected and counted, so it cannot make a Publisher start
// goroutines, or hold flows' buffers, without end (in one review a default
// Publisher held 206 MB for one session with 48 flows).
func TestPublisherBoundsPlayFlows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		sc := newPeerScene(t, 11, rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}, PublisherConfig{
			Accept: func(PlayRequest) error { <-release; return nil },
		})
		s, err := sc.players[0].ep.Connect(sc.ctx, sc.pubNode.epd(), sc.pubNode.addr)
		if err != nil {
			t.Fatal(err)
		}
		play, _ := Play{Name: "cam"}.Command().AppendMessage(nil, 0)
		var flows []*rtmfp.SendFlow
		for range 10 {
			f, err := s.OpenFlow(FlowMetadata{StreamID: DefaultPeerStreamID}.Append(nil), PriorityControl)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(play, rtmfp.WriteOptions{})
			flows = append(flows, f)
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(time.Second)
		rejected := 0
		for _, f := range flows {
			if _, ok := f.Exception(); ok {
				rejected++
			}
		}
		if got := sc.pub.RefusedFlows(); rejected != 10-MaxPlayFlows || got != uint64(rejected) {
			t.Fatalf("%d play flows rejected, %d counted; want %d", rejected, got, 10-MaxPlayFlows)
		}
		close(release)
		sc.waitSubscribers(t, MaxPlayFlows)
	})
}

// A play flow whose play command does not arrive within 10 s is rejected
// and counted: here the message trickles over an 8 kbit/s link and cannot
// be whole in time.
func TestPublisherSilentPlayFlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newPeerScene(t, 12, rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}, PublisherConfig{})
		s, err := sc.players[0].ep.Connect(sc.ctx, sc.pubNode.epd(), sc.pubNode.addr)
		if err != nil {
			t.Fatal(err)
		}
		sc.players[0].host.Uplink().SetConditions(rtmfptest.LinkConditions{Delay: 10 * time.Millisecond, Rate: 8 * rtmfptest.Kbps, HeaderBytes: 28})
		f, err := s.OpenFlow(FlowMetadata{StreamID: DefaultPeerStreamID}.Append(nil), PriorityControl)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		f.Write(make([]byte, 64<<10), rtmfp.WriteOptions{})
		for {
			if _, ok := f.Exception(); ok {
				break
			}
			if time.Since(start) > time.Minute {
				t.Fatal("silent play flow never rejected")
			}
			time.Sleep(100 * time.Millisecond)
		}
		took := time.Since(start)
		if took < playWait || took > playWait+2*time.Second || sc.pub.RefusedFlows() != 1 {
			t.Fatalf("rejected after %v, %d counted; want about %v", took, sc.pub.RefusedFlows(), playWait)
		}
	})
}
