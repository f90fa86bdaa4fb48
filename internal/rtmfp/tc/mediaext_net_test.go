package tc

import (
	"bytes"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/rtmfptest"
)

// TestPeerPlayMediaExt: a Publisher's extended audio and video reach a
// player with their fields, and frames without the extension still parse
// as before.
func TestPeerPlayMediaExt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newPeerScene(t, 15, rtmfptest.LinkConditions{Delay: 15 * time.Millisecond}, PublisherConfig{})
		_, st := sc.play(t, 0, "cam")
		sc.waitSubscribers(t, 1)
		const n = 30
		var wantAudio, wantVideo [][]byte
		for i := range n {
			ts := Timestamp(20 * i)
			ax := AudioExt{Present: i != 7, Seq: uint16(65530 + i), Quiet: i%5 == 0} // wraps; one without
			sc.pub.WriteAudioExt(ts, ax, opusFrame(i))
			wantAudio = append(wantAudio, AppendOpusMessageExt(nil, ts, ax, opusFrame(i)))
			if i%2 == 0 {
				f := i / 2
				vx := VideoExt{Present: true, Layer: uint8([]int{0, 2, 1, 2}[f%4]), Droppable: f%2 == 1, Deps: DepVector{byte(f), byte(f / 2), 0}}
				sc.pub.WriteVideoExt(ts, f == 0, vx, vp8Frame(f, 200))
				wantVideo = append(wantVideo, AppendVP8MessageExt(nil, ts, f == 0, vx, vp8Frame(f, 200)))
			}
			time.Sleep(20 * time.Millisecond)
		}
		r, err := collect(t, sc.ctx, st, func(r *received) bool { return len(r.audio) == n+1 && len(r.video) == len(wantVideo)+1 })
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range r.audio[1:] {
			if !bytes.Equal(m.Raw, wantAudio[i]) || !bytes.Equal(m.Audio.Payload, opusFrame(i)) {
				t.Fatalf("audio %d: % x", i, m.Raw)
			}
			want := AudioExt{Present: i != 7, Seq: uint16(65530 + i), Quiet: i%5 == 0}
			if i == 7 {
				want = AudioExt{}
			}
			if m.Audio.Ext != want || m.Audio.Codec != AudioOpus || m.Audio.PacketType != AudioCodedFrames {
				t.Fatalf("audio %d: %+v, want %+v", i, m.Audio.Ext, want)
			}
		}
		for f, m := range r.video[1:] {
			want := VideoExt{Present: true, Layer: uint8([]int{0, 2, 1, 2}[f%4]), Droppable: f%2 == 1, Deps: DepVector{byte(f), byte(f / 2), 0}}
			if !bytes.Equal(m.Raw, wantVideo[f]) || m.Video.Ext != want || m.Video.Keyframe() != (f == 0) || !bytes.Equal(m.Video.Payload, vp8Frame(f, 200)) {
				t.Fatalf("video %d: %+v", f, m.Video)
			}
		}
		if s := st.Stats(); s.Malformed != 0 {
			t.Fatalf("stats %+v", s)
		}
	})
}

// TestNetStreamMediaExt: a NetStream writes extended frames to a server
// byte for byte.
func TestNetStreamMediaExt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newServerScene(t, nil)
		nc := sc.dial(t)
		defer nc.Close()
		pub, err := nc.CreateStream(sc.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pub.Publish("cam")
		readStatus(t, sc, pub)
		ax := AudioExt{Present: true, Seq: 41, Quiet: true}
		vx := VideoExt{Present: true, Layer: 1, Deps: DepVector{9, 4, 0}}
		if _, err := pub.WriteAudioExt(20, ax, opusFrame(1)); err != nil {
			t.Fatal(err)
		}
		if rc, err := pub.WriteVideoExt(25, false, vx, vp8Frame(1, 80)); rc != nil || err != nil {
			t.Fatalf("inter frame before any keyframe sent: %v, %v", rc, err)
		}
		if _, err := pub.WriteVideoExt(30, true, VideoExt{Present: true}, vp8Frame(2, 80)); err != nil {
			t.Fatal(err)
		}
		if _, err := pub.WriteVideoExt(63, false, vx, vp8Frame(3, 80)); err != nil {
			t.Fatal(err)
		}
		want := [][]byte{
			AppendOpusMessageExt(nil, 20, ax, opusFrame(1)),
			AppendVP8MessageExt(nil, 30, true, VideoExt{Present: true}, vp8Frame(2, 80)),
			AppendVP8MessageExt(nil, 63, false, vx, vp8Frame(3, 80)),
		}
		time.Sleep(time.Second)
		sc.srv.mu.Lock()
		defer sc.srv.mu.Unlock()
		// Audio and video travel on their own flows: compare each in order.
		var got [][]byte
		for _, typ := range []MessageType{TypeAudio, TypeVideo} {
			for _, m := range sc.srv.media {
				if m.Type == typ {
					got = append(got, m.Raw)
				}
			}
		}
		if len(got) != len(want) {
			t.Fatalf("server received %d media messages", len(got))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("message %d: % x\nwant % x", i, got[i], want[i])
			}
		}
	})
}
