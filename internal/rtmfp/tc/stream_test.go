package tc

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/rtmfptest"
)

// readStatus reads st until an onStatus event and returns its code.
func readStatus(t *testing.T, sc *serverScene, st *NetStream) StatusInfo {
	t.Helper()
	for {
		m, err := st.Read(sc.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Command.Name == CommandOnStatus {
			return m.Status
		}
	}
}

func TestNetStreamThroughServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, nil)
		nc := sc.dial(t)
		defer nc.Close()

		pub, err := nc.CreateStream(sc.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pub.ID() != 1 {
			t.Fatalf("stream ID %d", pub.ID())
		}
		if err := pub.Publish("cam"); err != nil {
			t.Fatal(err)
		}
		if info := readStatus(t, sc, pub); info.Code != CodePublishStart {
			t.Fatalf("publish answered %+v", info)
		} else if d, _ := info.Extra.String("detail"); d != "cam" {
			t.Fatalf("detail %q", d)
		}
		// Media to the server: Enhanced-RTMP framing, capture timestamps.
		var want [][]byte
		rc, err := pub.WriteAudioConfig(0, DefaultOpusHead())
		if err != nil || rc == nil {
			t.Fatal(err)
		}
		want = append(want, AppendAudioMessage(nil, 0, opusConfig(DefaultOpusHead())))
		for i := range 5 {
			if _, err := pub.WriteAudio(Timestamp(20*i), opusFrame(i)); err != nil {
				t.Fatal(err)
			}
			want = append(want, AppendOpusMessage(nil, Timestamp(20*i), opusFrame(i)))
		}
		if rc, err := pub.WriteVideo(5, false, vp8Frame(9, 50)); rc != nil || err != nil {
			t.Fatalf("inter frame before any keyframe sent: %v, %v", rc, err)
		}
		pub.WriteVideoConfig(0, nil)
		pub.WriteVideo(10, true, vp8Frame(0, 2000))
		pub.WriteVideo(43, false, vp8Frame(1, 300))
		want = append(want, AppendVideoMessage(nil, 0, vp8Config(nil)),
			AppendVP8Message(nil, 10, true, vp8Frame(0, 2000)), AppendVP8Message(nil, 43, false, vp8Frame(1, 300)))

		// A second stream plays from the server.
		play, err := nc.CreateStream(sc.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if play.ID() != 2 {
			t.Fatalf("second stream ID %d", play.ID())
		}
		play.Play("cam")
		r, err := collect(t, sc.ctx, play, func(r *received) bool { return len(r.audio) == 5 && len(r.data) == 3 })
		if err != nil {
			t.Fatal(err)
		}
		if !r.data[0].IsStatus(CodePlayReset) || !r.data[1].IsStatus(CodePlayStart) || r.data[2].Data.Handler != "onChat" ||
			!reflect.DeepEqual(r.data[2].Data.Args, []Value{"hello", 1.0}) {
			t.Fatalf("play data %+v", r.data)
		}
		for i, m := range r.audio {
			if m.Timestamp != Timestamp(1000+20*i) || m.Audio.Codec != AudioOpus || !bytes.Equal(m.Audio.Payload, []byte{byte(i), 0xfc, 0xff}) {
				t.Fatalf("audio %d: %d %+v", i, m.Timestamp, m.Audio)
			}
		}
		// StreamBegin for stream 2 came on the NetConnection.
		for {
			ev := nextEvent(t, nc)
			if ev.Kind == ConnControl {
				if id, _ := ev.Control.StreamEvent(); ev.Control.Event != EventStreamBegin || id != 2 {
					t.Fatalf("control event %+v", ev.Control)
				}
				break
			}
		}
		if err := play.CloseStream(); err != nil {
			t.Fatal(err)
		}
		if info := readStatus(t, sc, play); info.Code != CodePlayStop {
			t.Fatalf("closeStream answered %+v", info)
		}
		pub.Close()
		play.Close()
		if _, err := play.Read(sc.ctx); !errors.Is(err, ErrStreamClosed) {
			t.Fatalf("read after close: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
		sc.srv.mu.Lock()
		defer sc.srv.mu.Unlock()
		if !reflect.DeepEqual(sc.srv.deleted, []StreamID{1, 2}) {
			t.Fatalf("deleted %v", sc.srv.deleted)
		}
		if !reflect.DeepEqual(sc.srv.commands, []string{CommandPublish, CommandPlay, CommandCloseStream}) {
			t.Fatalf("stream commands %q", sc.srv.commands)
		}
		var audio, video [][]byte
		for _, m := range sc.srv.media {
			if m.Type == TypeAudio {
				audio = append(audio, m.Raw)
			} else {
				video = append(video, m.Raw)
			}
		}
		if !reflect.DeepEqual(append(audio, video...), want) {
			t.Fatalf("server received %d audio and %d video messages, not the ones sent", len(audio), len(video))
		}
	})
}

func TestNetStreamsEndWithConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, nil)
		nc := sc.dial(t)
		st, err := nc.CreateStream(sc.ctx)
		if err != nil {
			t.Fatal(err)
		}
		nc.Close()
		<-st.Done()
		if _, err := st.Read(sc.ctx); !errors.Is(err, ErrConnClosed) {
			t.Fatalf("stream read after connection close: %v", err)
		}
		if err := st.Publish("x"); !errors.Is(err, ErrStreamClosed) {
			t.Fatalf("publish after close: %v", err)
		}
	})
}

// TestFlowSync: a data message sent after Sync is read only after every
// video frame sent before it, although the data flow (priority 5) would
// overtake the video flow (priority 4) on a slow path; without Sync it does.
func TestFlowSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newPeerScene(t, 8, rtmfptest.LinkConditions{Delay: 20 * time.Millisecond, Rate: 1 * rtmfptest.Mbps, HeaderBytes: 28}, PublisherConfig{})
		_, st := sc.play(t, 0, "cam")
		sc.waitSubscribers(t, 1)
		burst := func(base int) {
			for i := range 12 {
				sc.pub.WriteVideo(Timestamp(base+i), i == 0, vp8Frame(i, 6000))
			}
		}
		// Read everything in arrival order, noting positions.
		type ev struct {
			video bool
			ts    Timestamp
			tag   string
		}
		var events []ev
		read := func(until func() bool) {
			for !until() {
				m, err := st.Read(sc.ctx)
				if err != nil {
					t.Fatal(err)
				}
				switch m.Type {
				case TypeVideo:
					if !m.Video.SequenceSpecial() {
						events = append(events, ev{video: true, ts: m.Timestamp})
					}
				case TypeData:
					events = append(events, ev{tag: m.Data.Handler})
				}
			}
		}
		last := func() ev {
			if len(events) == 0 {
				return ev{}
			}
			return events[len(events)-1]
		}
		read(func() bool { return last().tag == HandlerSampleAccess })
		events = nil

		burst(100)
		sc.pub.Send(sc.ctx, Send("nosync"))
		read(func() bool { return len(events) == 13 })
		pos := func(tag string) int {
			for i, e := range events {
				if e.tag == tag {
					return i
				}
			}
			return -1
		}
		if p := pos("nosync"); p < 0 || p > 6 {
			t.Fatalf("without sync the data message came at %d of 13: expected it to overtake the video", p)
		}

		events = nil
		burst(200)
		if err := sc.pub.Sync(sc.ctx); err != nil {
			t.Fatal(err)
		}
		sc.pub.Send(sc.ctx, Send("synced"))
		read(func() bool { return len(events) == 13 })
		if p := pos("synced"); p != 12 {
			t.Fatalf("after sync the data message came at %d of 13, want last", p)
		}
		if s := st.Stats(); s.Syncs != 1 {
			t.Fatalf("syncs %d", s.Syncs)
		}
	})
}
