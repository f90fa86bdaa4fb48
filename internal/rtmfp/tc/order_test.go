package tc

import (
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/rtmfptest"
)

// TestAudioNetworkOrder plays audio with sequence numbers over a lossy
// path, once in original order and once asking for network order
// (MediaOptions.AudioNetworkOrder). In original order every frame behind a
// lost one waits for its retransmission; in network order only the lost
// frames themselves come late, and reordered frames reach the reader
// (nothing is dropped as late: the jitter buffer reorders them).
func TestAudioNetworkOrder(t *testing.T) {
	held := map[bool]int{}
	for _, network := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			const owd = 40 * time.Millisecond
			sc := newPeerScene(t, 18, rtmfptest.LinkConditions{Delay: owd}, PublisherConfig{Media: MediaOptions{AudioNetworkOrder: network}})
			sc.net.SetPath(sc.pubNode.host, sc.players[0].host, rtmfptest.LinkConditions{Delay: owd, Loss: 0.05})
			_, st := sc.play(t, 0, "cam")
			sc.waitSubscribers(t, 1)
			const n = 400
			var r *received
			done := make(chan struct{})
			go func() {
				defer close(done)
				r, _ = collect(t, sc.ctx, st, func(*received) bool { return false })
			}()
			sent := make([]time.Time, n)
			for i := range n {
				sent[i] = time.Now()
				sc.pub.WriteAudioExt(Timestamp(20*i), AudioExt{Present: true, Seq: uint16(i)}, opusFrame(i))
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(time.Second)
			st.Close()
			<-done
			reordered := 0
			last := -1
			for _, m := range r.audio[1:] {
				i := int(m.Audio.Ext.Seq)
				if d := m.Arrived.Sub(sent[i]); d > owd+25*time.Millisecond {
					held[network]++
				}
				if i < last {
					reordered++
				}
				last = max(last, i)
			}
			stats, _ := sc.pub.SubscriberStats(sc.players[0].ep.PeerID())
			t.Logf("network order %v: %d read, %d abandoned, %d late by more than 25 ms, %d out of order, %d dropped as late",
				network, len(r.audio)-1, stats.AudioAbandoned, held[network], reordered, st.Stats().Late)
			if len(r.audio)-1 < n*9/10 {
				t.Fatalf("only %d of %d frames read", len(r.audio)-1, n)
			}
			if network && (reordered == 0 || st.Stats().Late != 0) {
				t.Fatalf("network order: %d frames out of order, %d dropped as late", reordered, st.Stats().Late)
			}
			if !network && reordered != 0 {
				t.Fatalf("original order: %d frames out of order", reordered)
			}
		})
	}
	if held[true]*3 > held[false] {
		t.Fatalf("frames late: %d in network order, %d in original order", held[true], held[false])
	}
}
