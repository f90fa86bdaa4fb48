package tc

import (
	"bytes"
	"context"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/rtmfptest"
)

// layerOf is the temporal layer of frame f in camchat's three-layer
// pattern 0, 2, 1, 2 (design: VP8 temporal layers).
func layerOf(f int) uint8 { return []uint8{0, 2, 1, 2}[f%4] }

// TestVideoLayersPerSubscriber: one encoder's frames go to three
// subscribers that take 3, 1 and 0 layers; each receives exactly the
// frames of its layers (and every audio frame), and a raise waits for the
// next keyframe.
func TestVideoLayersPerSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newPeerScene(t, 16, rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}, PublisherConfig{})
		var sts []*NetStream
		for i := range 3 {
			_, st := sc.play(t, i, "cam")
			sts = append(sts, st)
			sc.waitSubscribers(t, i+1)
		}
		ids := [3]string{}
		for i, n := range []int{3, 1, 0} {
			sc.pub.SetVideoLayers(sc.players[i].ep.PeerID(), n)
			ids[i] = sc.players[i].ep.PeerID().String()
		}

		// Two groups of 12 frames; then player c asks for 2 layers in the
		// middle of the third group: it gets video from the fourth.
		const frames = 48
		wantVideo := make([][][]byte, 3)
		var wantAudio [][]byte
		for f := range frames {
			if f == 30 {
				sc.pub.SetVideoLayers(sc.players[2].ep.PeerID(), 2)
			}
			ts := Timestamp(33 * f)
			x := VideoExt{Present: true, Layer: layerOf(f), Droppable: layerOf(f) == 2, Deps: DepVector{byte(f / 4), byte(f / 4), 0}}
			key := f%12 == 0
			sc.pub.WriteVideoExt(ts, key, x, vp8Frame(f, 150))
			msg := AppendVP8MessageExt(nil, ts, key, x, vp8Frame(f, 150))
			for i, n := range []int{3, 1, 0} {
				if i == 2 && f >= 36 {
					n = 2
				}
				if int(x.Layer) < n {
					wantVideo[i] = append(wantVideo[i], msg)
				}
			}
			sc.pub.WriteAudio(ts, opusFrame(f))
			wantAudio = append(wantAudio, AppendOpusMessage(nil, ts, opusFrame(f)))
			time.Sleep(33 * time.Millisecond)
		}
		if len(wantVideo[0]) != 48 || len(wantVideo[1]) != 12 || len(wantVideo[2]) != 6 {
			t.Fatalf("test plan: %d, %d, %d frames", len(wantVideo[0]), len(wantVideo[1]), len(wantVideo[2]))
		}
		time.Sleep(time.Second)
		for i, st := range sts {
			r, err := collect(t, sc.ctx, st, func(r *received) bool {
				return len(r.audio) == frames+1 && len(r.video) == len(wantVideo[i])+1
			})
			if err != nil {
				t.Fatalf("player %d: %v", i, err)
			}
			for k, m := range r.video[1:] {
				if !bytes.Equal(m.Raw, wantVideo[i][k]) {
					t.Fatalf("player %d video %d: ts %d layer %d", i, k, m.Timestamp, m.Video.Ext.Layer)
				}
			}
			for k, m := range r.audio[1:] {
				if !bytes.Equal(m.Raw, wantAudio[k]) {
					t.Fatalf("player %d audio %d differs", i, k)
				}
			}
			// Nothing more is queued for it.
			ctx, cancel := context.WithTimeout(sc.ctx, time.Second)
			m, err := st.Read(ctx)
			cancel()
			if err == nil {
				t.Fatalf("player %d: one more message %v at %d", i, m.Type, m.Timestamp)
			}
		}
		for i, want := range []SubscriberStats{
			{AudioSent: frames, VideoSent: 48, VideoLayers: 3},
			{AudioSent: frames, VideoSent: 12, VideoSkippedLayer: 36, VideoLayers: 1},
			{AudioSent: frames, VideoSent: 6, VideoSkippedLayer: 42, VideoLayers: 2},
		} {
			got, ok := sc.pub.SubscriberStats(sc.players[i].ep.PeerID())
			// A frame delivered but not yet acknowledged when the next
			// keyframe goes out is counted delivered once its
			// acknowledgement comes (flow.Sender abandon).
			if !ok || got != want {
				t.Errorf("player %d (%s): stats %+v, want %+v", i, ids[i][:8], got, want)
			}
		}
	})
}

// TestVideoLayersGroupPerSubscriber: each subscriber's group chain holds
// only the frames it was sent. A subscriber on a stalled path has its
// pending group abandoned at the next keyframe; one that takes only layer
// 0 loses nothing.
func TestVideoLayersGroupPerSubscriber(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newPeerScene(t, 17, rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}, PublisherConfig{})
		var sts []*NetStream
		for i := range 2 {
			_, st := sc.play(t, i, "cam")
			sts = append(sts, st)
			sc.waitSubscribers(t, i+1)
		}
		a, b := sc.players[0].ep.PeerID(), sc.players[1].ep.PeerID()
		sc.pub.SetVideoLayers(b, 1)
		write := func(from, to int) {
			for f := from; f < to; f++ {
				x := VideoExt{Present: true, Layer: layerOf(f)}
				sc.pub.WriteVideoExt(Timestamp(33*f), f%12 == 0, x, vp8Frame(f, 200))
				time.Sleep(33 * time.Millisecond)
			}
		}
		write(0, 12)
		time.Sleep(200 * time.Millisecond)
		// Player a's path stalls for the rest of its group: its frames
		// pend until the next keyframe abandons them.
		sc.net.SetPath(sc.pubNode.host, sc.players[0].host, rtmfptest.LinkConditions{Delay: 10 * time.Millisecond, Loss: 1})
		write(12, 24) // keyframe at 12, then 11 frames that pend for a
		sa, _ := sc.pub.SubscriberStats(a)
		write(24, 25) // the next keyframe abandons them
		// They were in flight: each is counted abandoned when the
		// transport learns it was lost (here its retransmission
		// timeout), not before; the new keyframe, lost too, expires
		// later.
		time.Sleep(time.Second)
		sa2, _ := sc.pub.SubscriberStats(a)
		sb, _ := sc.pub.SubscriberStats(b)
		if sa2.VideoAbandoned-sa.VideoAbandoned != 12 {
			t.Errorf("player a: %d frames abandoned by the new group, want 12 (%+v)", sa2.VideoAbandoned-sa.VideoAbandoned, sa2)
		}
		if sb.VideoSent != 7 || sb.VideoSkippedLayer != 18 {
			t.Errorf("player b: %+v", sb)
		}
		r, err := collect(t, sc.ctx, sts[1], func(r *received) bool { return len(r.video) == 8 })
		if err != nil {
			t.Fatal(err)
		}
		for k, m := range r.video[1:] {
			if f := 4 * k; m.Timestamp != Timestamp(33*f) || m.Video.Ext.Layer != 0 || m.Video.Keyframe() != (f%12 == 0) {
				t.Fatalf("player b video %d: ts %d %+v", k, m.Timestamp, m.Video.Ext)
			}
		}
	})
}
