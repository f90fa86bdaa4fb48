package playout

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func TestAudioClock(t *testing.T) {
	var c AudioClock
	if c.At(t0).Valid {
		t.Fatal("zero clock is valid")
	}
	c.OutputLatency = 40 * time.Millisecond
	c.Played(5*time.Second, t0)
	for _, tc := range []struct {
		after time.Duration
		want  PlayoutClock
	}{
		{0, PlayoutClock{5*time.Second - 40*time.Millisecond, true}},
		{15 * time.Millisecond, PlayoutClock{5*time.Second - 25*time.Millisecond, true}},
		{100 * time.Millisecond, PlayoutClock{5*time.Second + 60*time.Millisecond, true}},
		{101 * time.Millisecond, PlayoutClock{}},
		{-time.Millisecond, PlayoutClock{5*time.Second - 40*time.Millisecond, true}},
	} {
		if got := c.At(t0.Add(tc.after)); got != tc.want {
			t.Errorf("at +%v: %+v, want %+v", tc.after, got, tc.want)
		}
	}
	c.Held(6*time.Second, t0)
	if got, want := c.At(t0.Add(15*time.Millisecond)), (PlayoutClock{6*time.Second - 40*time.Millisecond, true}); got != want {
		t.Errorf("held: %+v, want %+v", got, want)
	}
	c.Reset()
	if c.At(t0).Valid {
		t.Error("valid after reset")
	}
}

type vframe struct {
	ts      time.Duration
	arrival time.Duration
	late    bool // injected as hopelessly late
}

// TestLipSyncEndToEnd drives audio through a jitter buffer and the audio
// clock, video frames with their own jitter through the scheduler, and
// checks every shown frame against the audio being heard.
func TestLipSyncEndToEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	jb := newJB(t, JitterConfig{})
	clock := AudioClock{OutputLatency: 40 * time.Millisecond}
	var released []int
	vs, err := NewVideoScheduler[int](VideoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	vs.Release = func(i int) { released = append(released, i) }

	// Audio: 20 ms packets, network delay 50 ms ± 20 ms.
	const dur = 20 * time.Second
	var audio []arrival
	for i := range int(dur / frame20) {
		ts := time.Duration(i) * frame20
		d := 30*time.Millisecond + time.Duration(rng.IntN(401))*100*time.Microsecond
		audio = append(audio, arrival{at: ts + d, p: Packet{Seq: SeqNum(i), Timestamp: ts, Quiet: i%40 > 30, Payload: payloadFor(SeqNum(i))}})
	}
	sortArrivals(audio)
	// Video: 30 fps, capture-to-decoded delay 60..140 ms; every 25th
	// frame is held up 400 ms and can only be dropped.
	var video []vframe
	for k := range int(dur / (time.Second / 30)) {
		ts := time.Duration(k) * time.Second / 30
		d := 60*time.Millisecond + time.Duration(rng.IntN(81))*time.Millisecond
		late := k%25 == 13
		if late {
			d = 400 * time.Millisecond
		}
		video = append(video, vframe{ts: ts, arrival: ts + d, late: late})
	}
	sortVideo(video)

	// Events every millisecond: audio ticks every 20 ms, display refresh
	// every 16 ms (60 Hz).
	ai, vi := 0, 0
	var shown []time.Duration
	var lastClock PlayoutClock
	var worst time.Duration
	lateInjected := 0
	for ms := time.Duration(0); ms < dur+time.Second; ms += time.Millisecond {
		now := t0.Add(ms)
		for ai < len(audio) && audio[ai].at <= ms {
			jb.Push(audio[ai].p, t0.Add(audio[ai].at))
			ai++
		}
		for vi < len(video) && video[vi].arrival <= ms {
			vs.Push(vi, video[vi].ts)
			if video[vi].late {
				lateInjected++
			}
			vi++
		}
		if ms%frame20 == 0 {
			switch f := jb.Pop(now); {
			case f.Stretched:
				clock.Held(f.Timestamp, now)
			case f.Action != ActionQuiet:
				clock.Played(f.Timestamp, now)
			}
		}
		if ms%(16*time.Millisecond) == 0 {
			pc := clock.At(now)
			// The audio clock never runs backwards, except by a
			// catch-up drop's frame forward.
			if pc.Valid && lastClock.Valid && pc.Timestamp < lastClock.Timestamp {
				t.Errorf("audio clock went back from %v to %v", lastClock.Timestamp, pc.Timestamp)
			}
			lastClock = pc
			if idx, ts, ok := vs.Due(pc); ok {
				if !pc.Valid {
					continue // before audio starts: free-running
				}
				if video[idx].ts != ts {
					t.Fatalf("frame %d returned with ts %v, pushed with %v", idx, ts, video[idx].ts)
				}
				off := pc.Timestamp - ts
				worst = max(worst, off)
				if off < 0 || off > 80*time.Millisecond {
					t.Errorf("frame ts %v shown at audio clock %v: off by %v", ts, pc.Timestamp, off)
				}
				if video[idx].late {
					t.Errorf("hopelessly late frame %v was shown", ts)
				}
				shown = append(shown, ts)
			}
		}
	}
	for i := 1; i < len(shown); i++ {
		if shown[i] <= shown[i-1] {
			t.Fatalf("shown out of order: %v then %v", shown[i-1], shown[i])
		}
	}
	st := vs.Stats()
	if st.Late != uint64(lateInjected) || lateInjected != 24 {
		t.Errorf("late %d, want the %d injected (24)", st.Late, lateInjected)
	}
	if got := st.Shown + st.Late + st.Superseded + st.Overflow + st.Flushed + st.Duplicates + uint64(st.Pending); got != st.Pushed {
		t.Errorf("accounting: %+v", st)
	}
	if uint64(len(released)) != st.Late+st.Superseded+st.Overflow {
		t.Errorf("released %d frames, dropped %d", len(released), st.Late+st.Superseded+st.Overflow)
	}
	if st.Overflow != 0 || st.Shown < uint64(len(video))*9/10 {
		t.Errorf("shown %d of %d, overflow %d", st.Shown, len(video), st.Overflow)
	}
	t.Logf("video: pushed %d shown %d late %d (injected %d) superseded %d unsynced %d; worst lag %v",
		st.Pushed, st.Shown, st.Late, lateInjected, st.Superseded, st.Unsynced, worst)
}

func sortArrivals(as []arrival) {
	for i := 1; i < len(as); i++ {
		for j := i; j > 0 && as[j].at < as[j-1].at; j-- {
			as[j], as[j-1] = as[j-1], as[j]
		}
	}
}

func sortVideo(v []vframe) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j].arrival < v[j-1].arrival; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

func TestVideoSchedulerRules(t *testing.T) {
	vs, err := NewVideoScheduler[string](VideoConfig{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(ms int) PlayoutClock {
		return PlayoutClock{Timestamp: time.Duration(ms) * time.Millisecond, Valid: true}
	}
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	vs.Push("a", ms(1000))
	vs.Push("c", ms(1066))
	vs.Push("b", ms(1033)) // reordered
	if _, _, ok := vs.Due(at(999)); ok {
		t.Fatal("early frame released")
	}
	if f, _, ok := vs.Due(at(1000)); !ok || f != "a" {
		t.Fatalf("at 1000: %q %v", f, ok)
	}
	// At 1070 both b and c are due: c wins, b is superseded.
	if f, _, ok := vs.Due(at(1070)); !ok || f != "c" {
		t.Fatalf("at 1070: %q %v", f, ok)
	}
	vs.Push("b2", ms(1050)) // older than shown c: late
	vs.Push("d0", ms(1090))
	vs.Push("d", ms(1100))
	// At 1181, d0 and d trail by more than 80 ms (held up together, as
	// behind a retransmission): d0 is dropped, and d, the newest, is
	// shown out of sync rather than freezing the picture.
	if f, _, ok := vs.Due(at(1181)); !ok || f != "d" {
		t.Fatalf("at 1181: %q %v, want the newest late frame", f, ok)
	}
	vs.Push("e", ms(1133))
	// Exactly 80 ms behind is still shown.
	if f, _, ok := vs.Due(at(1213)); !ok || f != "e" {
		t.Fatalf("at 1213: %q %v", f, ok)
	}
	// Far ahead of the audio: clocks disagree, shown at once.
	vs.Push("f", ms(9000))
	if f, _, ok := vs.Due(at(1220)); !ok || f != "f" {
		t.Fatalf("unsynced: %q %v", f, ok)
	}
	// No audio clock: newest shown at once.
	vs.Push("g", ms(9033))
	vs.Push("h", ms(9066))
	if f, _, ok := vs.Due(PlayoutClock{}); !ok || f != "h" {
		t.Fatalf("free-running: %q %v", f, ok)
	}
	// Video whose clock is far behind the audio's: shown at its own pace
	// instead of all dropped.
	vs.Push("i", ms(10000))
	vs.Push("j", ms(10033))
	if f, _, ok := vs.Due(at(20000)); !ok || f != "j" {
		t.Fatalf("video clock behind: %q %v", f, ok)
	}
	st := vs.Stats()
	want := VideoStats{Pushed: 12, Shown: 7, Late: 2, Superseded: 3, Unsynced: 4}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
	// Overflow drops the oldest.
	small, _ := NewVideoScheduler[int](VideoConfig{QueueLen: 2})
	var rel []int
	small.Release = func(i int) { rel = append(rel, i) }
	small.Push(1, ms(10))
	small.Push(2, ms(20))
	small.Push(3, ms(30))
	if f, _, _ := small.Due(at(15)); len(rel) != 1 || rel[0] != 1 || small.Stats().Overflow != 1 {
		t.Errorf("overflow: released %v, shown %d, stats %+v", rel, f, small.Stats())
	}
	// A repeat of a queued capture time is dropped; so is a frame older
	// than everything in a full queue.
	small.Push(4, ms(30))
	small.Push(5, ms(5))
	if st := small.Stats(); st.Duplicates != 1 || st.Overflow != 2 || len(rel) != 3 || rel[1] != 4 || rel[2] != 5 {
		t.Errorf("duplicate/old: released %v, stats %+v", rel, st)
	}
	small.Reset()
	if st := small.Stats(); st.Flushed != 2 || st.Pending != 0 {
		t.Errorf("after reset %+v", st)
	}
	if _, err := NewVideoScheduler[int](VideoConfig{QueueLen: -1}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad config: %v", err)
	}
}
