package tc

import (
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/rtmfptest"
)

// TestArrivedWhenReadLate: a player that reads two seconds late still sees
// each frame's arrival on the network, not the time of its Read. More
// frames are sent than the stream's inbox holds, so some wait in the
// transport too.
func TestArrivedWhenReadLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const owd = 25 * time.Millisecond
		sc := newPeerScene(t, 14, rtmfptest.LinkConditions{Delay: owd}, PublisherConfig{})
		_, st := sc.play(t, 0, "cam")
		sc.waitSubscribers(t, 1)
		const n = 2 * inboxLen
		sent := make(map[Timestamp]time.Time, n)
		start := time.Now()
		for i := range n {
			ts := TimestampOf(time.Since(start))
			sent[ts] = time.Now()
			sc.pub.WriteAudio(ts, opusFrame(i))
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(2 * time.Second)
		readAt := time.Now()
		r, err := collect(t, sc.ctx, st, func(r *received) bool { return len(r.audio) == n+1 })
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range r.audio[1:] {
			at, ok := sent[m.Timestamp]
			if !ok {
				t.Fatalf("audio %d was not sent", m.Timestamp)
			}
			// One way across the path, plus at most a millisecond of
			// sending (the simulated path has no jitter).
			if d := m.Arrived.Sub(at); d < owd || d > owd+time.Millisecond {
				t.Fatalf("audio %d arrived %v after it was sent (read %v after)", m.Timestamp, d, readAt.Sub(at))
			}
		}
		if a0 := r.audio[0]; a0.Arrived.IsZero() || !a0.Arrived.Before(readAt) {
			t.Fatalf("sequence start arrived %v, read at %v", a0.Arrived, readAt)
		}
	})
}
