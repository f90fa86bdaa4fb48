package playout

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

const frame20 = 20 * time.Millisecond

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// arrival is one packet of a synthetic trace: it reaches the receiver at
// t0+at.
type arrival struct {
	at time.Duration
	p  Packet
}

// payloadFor encodes the sequence number so that tests can check which
// packet a frame carries.
func payloadFor(seq SeqNum) []byte {
	return []byte{byte(seq >> 8), byte(seq), 0xA5}
}

func seqOfPayload(t testing.TB, b []byte) SeqNum {
	t.Helper()
	if len(b) != 3 || b[2] != 0xA5 {
		t.Fatalf("payload %x is not a test payload", b)
	}
	return SeqNum(binary.BigEndian.Uint16(b))
}

// trace builds packets seq first.. with capture timestamps i*20ms and
// arrival i*20ms+delay(i); drop(i) removes a packet; quiet(i) marks it.
func trace(n int, first SeqNum, delay func(i int) time.Duration, drop func(i int) bool, quiet func(i int) bool) []arrival {
	var as []arrival
	for i := range n {
		if drop != nil && drop(i) {
			continue
		}
		ts := time.Duration(i) * frame20
		seq := first + SeqNum(i)
		as = append(as, arrival{
			at: ts + delay(i),
			p:  Packet{Seq: seq, Timestamp: ts, Quiet: quiet != nil && quiet(i), Payload: payloadFor(seq)},
		})
	}
	slices.SortStableFunc(as, func(a, b arrival) int { return int(a.at - b.at) })
	return as
}

// tick is one recorded playout tick.
type tick struct {
	at     time.Duration
	action Action
	seq    SeqNum // packet carried in the payload (decode, fec), else Frame.Seq
	frame  Frame
	stats  JitterStats
}

// run plays a trace: before each tick at phase+j*20ms it pushes every
// packet that has arrived by then (with its own arrival time), then pops.
func run(t testing.TB, jb *JitterBuffer, as []arrival, ticks int, phase time.Duration) []tick {
	t.Helper()
	return runFrames(t, jb, as, ticks, phase, frame20)
}

func runFrames(t testing.TB, jb *JitterBuffer, as []arrival, ticks int, phase, frame time.Duration) []tick {
	t.Helper()
	var out []tick
	k := 0
	for j := range ticks {
		now := phase + time.Duration(j)*frame
		for k < len(as) && as[k].at <= now {
			if _, err := jb.Push(as[k].p, t0.Add(as[k].at)); err != nil {
				t.Fatalf("push %d: %v", as[k].p.Seq, err)
			}
			k++
		}
		f := jb.Pop(t0.Add(now))
		tk := tick{at: now, action: f.Action, seq: f.Seq, frame: f, stats: jb.Stats()}
		if f.Action == ActionDecode || f.Action == ActionFEC {
			tk.seq = seqOfPayload(t, f.Payload)
		}
		out = append(out, tk)
	}
	return out
}

func newJB(t testing.TB, cfg JitterConfig) *JitterBuffer {
	t.Helper()
	jb, err := NewJitterBuffer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return jb
}

func constDelay(d time.Duration) func(int) time.Duration {
	return func(int) time.Duration { return d }
}

// decodedSeqs lists the packets decoded, in order.
func decodedSeqs(ts []tick) []SeqNum {
	var s []SeqNum
	for _, tk := range ts {
		if tk.action == ActionDecode {
			s = append(s, tk.seq)
		}
	}
	return s
}

func checkIdentity(t testing.TB, st JitterStats, accepted uint64) {
	t.Helper()
	if st.Received != accepted+st.Duplicates+st.Late {
		t.Errorf("received %d != accepted %d + duplicates %d + late %d", st.Received, accepted, st.Duplicates, st.Late)
	}
	if accepted != st.Decoded+st.DroppedCatchUp+st.Flushed+uint64(st.Buffered) {
		t.Errorf("accepted %d != decoded %d + dropped %d + flushed %d + buffered %d",
			accepted, st.Decoded, st.DroppedCatchUp, st.Flushed, st.Buffered)
	}
}

func TestJitterConstantDelay(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	const n = 500
	ts := run(t, jb, trace(n, 0, constDelay(53*time.Millisecond), nil, nil), n+10, 0)

	// The first packet arrives at 53 ms; the window's reference is its own
	// transit, so it may play once it has waited MinDelay: the tick at
	// 80 ms (delay 27 ms) is the first.
	for j := range 4 {
		if ts[j].action != ActionQuiet {
			t.Fatalf("tick %d: %v, want quiet before start", j, ts[j].action)
		}
	}
	got := decodedSeqs(ts)
	if len(got) != n {
		t.Fatalf("decoded %d packets, want %d", len(got), n)
	}
	for i, s := range got {
		if s != SeqNum(i) {
			t.Fatalf("decode #%d is seq %d", i, s)
		}
	}
	if ts[4].action != ActionDecode || ts[4].seq != 0 {
		t.Fatalf("tick 4: %v seq %d, want decode 0", ts[4].action, ts[4].seq)
	}
	st := ts[n].stats
	if st.TargetDelay != 20*time.Millisecond {
		t.Errorf("target %v, want the 20ms floor", st.TargetDelay)
	}
	if st.CurrentDelay != 27*time.Millisecond {
		t.Errorf("current delay %v, want 27ms", st.CurrentDelay)
	}
	if st.Late+st.Lost+st.Concealed+st.FEC+st.Stretched+st.DroppedCatchUp+st.Duplicates != 0 {
		t.Errorf("unexpected events on a perfect network: %+v", st)
	}
	checkIdentity(t, jb.Stats(), n)
}

// talkspurts marks frames quiet in runs: 0.8 s of speech, 0.4 s pause.
func talkspurts(i int) bool { return i%60 >= 40 }

// atLastDecode returns the stats as of the last decoded frame, before the
// end of a trace looks like a sender pause.
func atLastDecode(ts []tick) JitterStats {
	for j := len(ts) - 1; j >= 0; j-- {
		if ts[j].action == ActionDecode {
			return ts[j].stats
		}
	}
	return JitterStats{}
}

func TestJitterUniformJitter(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	rng := rand.New(rand.NewPCG(1, 2))
	delays := make([]time.Duration, 3000)
	for i := range delays {
		// 60 ms ± 30 ms, uniform, 0.1 ms resolution.
		delays[i] = 30*time.Millisecond + time.Duration(rng.IntN(601))*100*time.Microsecond
	}
	as := trace(len(delays), 0, func(i int) time.Duration { return delays[i] }, nil, talkspurts)
	ts := run(t, jb, as, len(delays)+20, 7*time.Millisecond)
	st := atLastDecode(ts)

	// Relative delay is uniform on [0, 60ms]; its 95th percentile is 57 ms.
	// The window holds 150 samples, so allow sampling noise.
	if st.TargetDelay < 50*time.Millisecond || st.TargetDelay > 61*time.Millisecond {
		t.Errorf("target %v, want 50..61ms", st.TargetDelay)
	}
	var minT, maxT time.Duration = time.Hour, 0
	for _, tk := range ts[500:] {
		minT = min(minT, tk.stats.TargetDelay)
		maxT = max(maxT, tk.stats.TargetDelay)
	}
	if minT < 48*time.Millisecond || maxT > 61*time.Millisecond {
		t.Errorf("target ranged %v..%v after warm-up, want within 48..61ms", minT, maxT)
	}
	lateFrac := float64(st.Late) / float64(st.Received)
	if lateFrac > 0.05 {
		t.Errorf("late %d of %d (%.2f%%), want <= 5%%", st.Late, st.Received, 100*lateFrac)
	}
	// Every packet arrives eventually, so nothing is lost: each miss is a
	// late packet, and each late packet was recovered by FEC, concealed
	// or skipped.
	if st.Lost != 0 {
		t.Errorf("lost %d, want 0", st.Lost)
	}
	if st.Late != st.FEC+st.Concealed+st.Skipped {
		t.Errorf("late %d != fec %d + concealed %d + skipped %d", st.Late, st.FEC, st.Concealed, st.Skipped)
	}
	if st.Forced != 0 {
		t.Errorf("forced %d adjustments with quiet frames available", st.Forced)
	}
	checkIdentity(t, st, st.Received-st.Late-st.Duplicates)
	// Decoded output is strictly in order.
	got := decodedSeqs(ts)
	for i := 1; i < len(got); i++ {
		if !got[i-1].Before(got[i]) {
			t.Fatalf("decode order broken: %d then %d", got[i-1], got[i])
		}
	}
	checkDropsQuiet(t, ts, talkspurts)
	t.Logf("target %v current %v late %d (%.2f%%) fec %d concealed %d skipped %d dropped %d stretched %d",
		st.TargetDelay, st.CurrentDelay, st.Late, 100*lateFrac, st.FEC, st.Concealed, st.Skipped, st.DroppedCatchUp, st.Stretched)
}

func TestJitterDelaySpike(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	const n = 1000
	spike := func(i int) time.Duration {
		if i >= 300 && i < 350 { // one second 150 ms slower
			return 190 * time.Millisecond
		}
		return 40 * time.Millisecond
	}
	quiet := func(i int) bool { return i%5 == 0 }
	ts := run(t, jb, trace(n, 0, spike, nil, quiet), n, 0)

	var peak time.Duration
	peakAt, backAt := -1, -1
	for j, tk := range ts {
		if tk.stats.TargetDelay > peak {
			peak, peakAt = tk.stats.TargetDelay, j
		}
	}
	for j := peakAt; j < len(ts); j++ {
		if ts[j].stats.TargetDelay == 20*time.Millisecond && ts[j].stats.CurrentDelay < 40*time.Millisecond {
			backAt = j
			break
		}
	}
	if peak < 145*time.Millisecond || peak > 155*time.Millisecond {
		t.Errorf("target peaked at %v, want about 150ms", peak)
	}
	if peakAt < 300 || peakAt > 320 {
		t.Errorf("target peaked at tick %d, want soon after the spike starts (tick 300)", peakAt)
	}
	// The spike's samples leave the 3 s (150 packet) window by packet 500;
	// catching up 130 ms with a quiet frame every 100 ms takes under 1 s.
	if backAt < 0 || backAt > 560 {
		t.Errorf("delay back at target at tick %d, want by 560", backAt)
	}
	st := atLastDecode(ts)
	if st.Lost != 0 || st.Forced != 0 {
		t.Errorf("lost %d forced %d, want 0 and 0", st.Lost, st.Forced)
	}
	// The stall is absorbed by concealing until packet 300 turns up, and
	// those 7 concealments are taken back as stretches. While the target
	// still says 20 ms, two quiet frames (300, 305) are dropped and each
	// time the next packet is waited for again: 9 stretches in all.
	// After the spike leaves the window the 7 extra frames are dropped,
	// quiet ones only; nothing was late or concealed.
	if st.Stretched != 9 || st.DroppedCatchUp != 9 || st.Late != 0 || st.Concealed != 0 {
		t.Errorf("stretched %d dropped %d late %d concealed %d, want 9 9 0 0", st.Stretched, st.DroppedCatchUp, st.Late, st.Concealed)
	}
	checkDropsQuiet(t, ts, quiet)
	t.Logf("peak %v at tick %d, back at tick %d; late %d stretched %d dropped %d fec %d concealed %d skipped %d",
		peak, peakAt, backAt, st.Late, st.Stretched, st.DroppedCatchUp, st.FEC, st.Concealed, st.Skipped)
}

// checkDropsQuiet asserts that every packet dropped for catch-up was a
// quiet one and was never decoded. A drop is followed, in the same tick,
// by the frame after it.
func checkDropsQuiet(t *testing.T, ts []tick, quiet func(int) bool) {
	t.Helper()
	decoded := map[SeqNum]bool{}
	var dropped []SeqNum
	var prev uint64
	for _, tk := range ts {
		if tk.action == ActionDecode {
			decoded[tk.seq] = true
		}
		if n := tk.stats.DroppedCatchUp - prev; n > 0 {
			if n != 1 {
				t.Fatalf("%d drops in one tick", n)
			}
			dropped = append(dropped, tk.frame.Seq-1)
		}
		prev = tk.stats.DroppedCatchUp
	}
	for _, s := range dropped {
		if !quiet(int(s)) {
			t.Errorf("seq %d dropped but not quiet", s)
		}
		if decoded[s] {
			t.Errorf("seq %d dropped and decoded", s)
		}
	}
}

func TestJitterReorderingInvisible(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	const n = 400
	// Even packets arrive 25 ms late, after their odd successor.
	d := func(i int) time.Duration {
		if i%2 == 0 {
			return 65 * time.Millisecond
		}
		return 40 * time.Millisecond
	}
	as := trace(n, 0, d, nil, nil)
	if as[0].p.Seq != 1 || as[1].p.Seq != 0 {
		t.Fatalf("trace not reordered: %d, %d", as[0].p.Seq, as[1].p.Seq)
	}
	ts := run(t, jb, as, n+10, 0)
	got := decodedSeqs(ts)
	if len(got) != n {
		t.Fatalf("decoded %d, want %d", len(got), n)
	}
	for i, s := range got {
		if s != SeqNum(i) {
			t.Fatalf("decode #%d is seq %d, want %d", i, s, i)
		}
	}
	st := atLastDecode(ts)
	if st.TargetDelay != 25*time.Millisecond {
		t.Errorf("target %v, want 25ms (the reordering depth)", st.TargetDelay)
	}
	if st.Late+st.Lost+st.Concealed+st.FEC+st.DroppedCatchUp != 0 {
		t.Errorf("reordering within the target leaked out: %+v", st)
	}
}

func TestJitterDuplicates(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	const n = 200
	base := trace(n, 0, constDelay(40*time.Millisecond), nil, nil)
	var as []arrival
	wantDup := 0
	for _, a := range base {
		as = append(as, a)
		i := int(a.p.Seq)
		if i%3 == 0 { // immediate copy, still buffered
			as = append(as, arrival{at: a.at, p: a.p})
			wantDup++
		}
		if i%7 == 0 { // copy 200 ms later, long after it played
			as = append(as, arrival{at: a.at + 200*time.Millisecond, p: a.p})
			wantDup++
		}
	}
	slices.SortStableFunc(as, func(a, b arrival) int { return int(a.at - b.at) })
	ts := run(t, jb, as, n+20, 0)
	st := jb.Stats()
	if st.Duplicates != uint64(wantDup) {
		t.Errorf("duplicates %d, want %d", st.Duplicates, wantDup)
	}
	got := decodedSeqs(ts)
	if len(got) != n {
		t.Fatalf("decoded %d, want %d", len(got), n)
	}
	for i, s := range got {
		if s != SeqNum(i) {
			t.Fatalf("decode #%d is seq %d", i, s)
		}
	}
	if st.Late != 0 {
		t.Errorf("late %d: copies of played packets must count as duplicates", st.Late)
	}
	checkIdentity(t, st, n)
}

// actionsFrom lists (action, seq) from the first decode of seq from on.
func actions(ts []tick, from, to SeqNum) []string {
	var s []string
	on := false
	for _, tk := range ts {
		if tk.action == ActionDecode && tk.seq == from {
			on = true
		}
		if !on {
			continue
		}
		s = append(s, tk.action.String()+":"+itoa(int(tk.seq)))
		if tk.action == ActionDecode && tk.seq == to {
			break
		}
	}
	return s
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestJitterSingleLossUsesFEC(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	ts := run(t, jb, trace(100, 0, constDelay(40*time.Millisecond), func(i int) bool { return i == 10 }, nil), 100, 0)
	got := actions(ts, 9, 11)
	want := []string{"decode:9", "fec:11", "decode:11"}
	if !slices.Equal(got, want) {
		t.Fatalf("ticks %v, want %v", got, want)
	}
	for _, tk := range ts {
		if tk.action == ActionFEC && tk.frame.Seq != 10 {
			t.Errorf("FEC frame stands for seq %d, want 10", tk.frame.Seq)
		}
	}
	st := jb.Stats()
	if st.FEC != 1 || st.Lost != 1 || st.Concealed != 0 || st.Late != 0 {
		t.Errorf("fec %d lost %d concealed %d late %d, want 1 1 0 0", st.FEC, st.Lost, st.Concealed, st.Late)
	}
}

func TestJitterBurstLossConceals(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	lost := func(i int) bool { return i >= 10 && i <= 13 }
	ts := run(t, jb, trace(100, 0, constDelay(40*time.Millisecond), lost, nil), 100, 0)
	got := actions(ts, 9, 14)
	want := []string{"decode:9", "conceal:10", "conceal:11", "conceal:12", "fec:14", "decode:14"}
	if !slices.Equal(got, want) {
		t.Fatalf("ticks %v, want %v", got, want)
	}
	st := jb.Stats()
	if st.FEC != 1 || st.Concealed != 3 || st.Lost != 4 || st.Late != 0 || st.Rebuffers != 0 {
		t.Errorf("fec %d concealed %d lost %d late %d rebuffers %d, want 1 3 4 0 0",
			st.FEC, st.Concealed, st.Lost, st.Late, st.Rebuffers)
	}
}

func TestJitterLateCountedAndDropped(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	// Packet 20 is held up 100 ms: its slot passes (FEC from 21), then it
	// arrives and is dropped as late, which also takes it off the loss
	// count.
	d := func(i int) time.Duration {
		if i == 20 {
			return 140 * time.Millisecond
		}
		return 40 * time.Millisecond
	}
	ts := run(t, jb, trace(60, 0, d, nil, nil), 60, 0)
	if got, want := actions(ts, 19, 21), []string{"decode:19", "fec:21", "decode:21"}; !slices.Equal(got, want) {
		t.Fatalf("ticks %v, want %v", got, want)
	}
	st := jb.Stats()
	if st.Late != 1 || st.Lost != 0 || st.FEC != 1 {
		t.Errorf("late %d lost %d fec %d, want 1 0 1", st.Late, st.Lost, st.FEC)
	}
	// The late arrival fed the statistics: 100 ms relative delay is one
	// sample of 60, below the 95th percentile.
	if st.TargetDelay != 20*time.Millisecond {
		t.Errorf("target %v, want 20ms", st.TargetDelay)
	}
}

// pathGetsFaster is a packet delay that drops by 100 ms at packet 100.
func pathGetsFaster(i int) time.Duration {
	if i < 100 {
		return 140 * time.Millisecond
	}
	return 40 * time.Millisecond
}

func TestJitterCatchUpDropsQuietOnly(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	// The backlog after the path gets faster is five frames above target
	// and must be dropped, at quiet frames only.
	quiet := func(i int) bool { return i%10 == 7 }
	ts := run(t, jb, trace(400, 0, pathGetsFaster, nil, quiet), 400, 0)
	st := jb.Stats()
	if st.DroppedCatchUp != 5 || st.Forced != 0 || st.Stretched != 0 {
		t.Errorf("dropped %d forced %d stretched %d, want 5 0 0", st.DroppedCatchUp, st.Forced, st.Stretched)
	}
	checkDropsQuiet(t, ts, quiet)
	if st.CurrentDelay < st.TargetDelay || st.CurrentDelay >= st.TargetDelay+frame20 {
		t.Errorf("delay %v not within [target %v, +20ms)", st.CurrentDelay, st.TargetDelay)
	}
}

func TestJitterCatchUpForcedWithoutQuiet(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	ts := run(t, jb, trace(600, 0, pathGetsFaster, nil, nil), 600, 0)
	st := jb.Stats()
	if st.DroppedCatchUp != 5 || st.Forced != 5 {
		t.Errorf("dropped %d forced %d, want 5 and 5", st.DroppedCatchUp, st.Forced)
	}
	// Forced drops wait ForceAfter (50 ticks) each. The first comes
	// while the old, slower samples still hold the target at 100 ms; the
	// rest once they have left the window.
	var dropTicks []int
	for j := 1; j < len(ts); j++ {
		if ts[j].stats.DroppedCatchUp > ts[j-1].stats.DroppedCatchUp {
			dropTicks = append(dropTicks, j)
		}
	}
	for k := 2; k < len(dropTicks); k++ {
		if gap := dropTicks[k] - dropTicks[k-1]; gap != 51 {
			t.Errorf("forced drops %d ticks apart, want 51 (ForceAfter + 1)", gap)
		}
	}
}

func TestJitterSenderPauseRebuffers(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	// The sender stops after packet 49 for one second (no sequence numbers
	// used), then carries on with packet 50.
	d := func(i int) time.Duration {
		if i >= 50 {
			return 40*time.Millisecond + time.Second
		}
		return 40 * time.Millisecond
	}
	as := trace(150, 0, d, nil, nil)
	for i := range as {
		if as[i].p.Seq >= 50 {
			as[i].p.Timestamp += time.Second
		}
	}
	ts := run(t, jb, as, 250, 0)
	st := atLastDecode(ts)
	if st.Rebuffers != 1 || st.Lost != 0 || st.Late != 0 || st.Concealed != 10 {
		t.Errorf("rebuffers %d lost %d late %d concealed %d, want 1 0 0 10", st.Rebuffers, st.Lost, st.Late, st.Concealed)
	}
	got := decodedSeqs(ts)
	if len(got) != 150 {
		t.Fatalf("decoded %d, want 150", len(got))
	}
	for i, s := range got {
		if s != SeqNum(i) {
			t.Fatalf("decode #%d is %d", i, s)
		}
	}
}

func TestJitterOutageCountsLoss(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	lost := func(i int) bool { return i >= 50 && i < 100 }
	ts := run(t, jb, trace(200, 0, constDelay(40*time.Millisecond), lost, nil), 210, 0)
	st := atLastDecode(ts)
	if st.Lost != 50 || st.Rebuffers != 1 || st.Skipped != 50 || st.Concealed != 10 || st.Late != 0 {
		t.Errorf("lost %d rebuffers %d skipped %d concealed %d late %d, want 50 1 50 10 0",
			st.Lost, st.Rebuffers, st.Skipped, st.Concealed, st.Late)
	}
	if got := decodedSeqs(ts); len(got) != 150 || got[50] != 100 {
		t.Errorf("decoded %d packets, #50 = %d; want 150, 100", len(got), got[50])
	}
}

func TestJitterSequenceWrap(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	lost := func(i int) bool { return i == 30 } // seq 65535
	ts := run(t, jb, trace(100, 65505, constDelay(40*time.Millisecond), lost, nil), 100, 0)
	if got, want := actions(ts, 65534, 0), []string{"decode:65534", "fec:0", "decode:0"}; !slices.Equal(got, want) {
		t.Fatalf("ticks %v, want %v", got, want)
	}
	if st := jb.Stats(); st.Lost != 1 || st.Decoded < 90 {
		t.Errorf("lost %d decoded %d", st.Lost, st.Decoded)
	}
}

func TestJitterResyncOnJump(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	ts := run(t, jb, trace(50, 0, constDelay(40*time.Millisecond), nil, nil), 50, 0)
	_ = ts
	before := jb.Stats()
	// A restarted sender: far-away sequence number.
	if r, err := jb.Push(Packet{Seq: 30000, Timestamp: 0, Payload: payloadFor(30000)}, t0.Add(time.Second)); r != Accepted || err != nil {
		t.Fatalf("push after jump: %v %v", r, err)
	}
	st := jb.Stats()
	if st.Resyncs != 1 || st.Flushed != uint64(before.Buffered) || st.Buffered != 1 {
		t.Errorf("resyncs %d flushed %d buffered %d (had %d)", st.Resyncs, st.Flushed, st.Buffered, before.Buffered)
	}
	// It plays after the minimum delay.
	if f := jb.Pop(t0.Add(time.Second + 20*time.Millisecond)); f.Action != ActionDecode || seqOfPayload(t, f.Payload) != 30000 {
		t.Errorf("after resync: %v", f.Action)
	}
}

func TestJitterRejectsOversize(t *testing.T) {
	jb := newJB(t, JitterConfig{MaxPayload: 10})
	r, err := jb.Push(Packet{Payload: make([]byte, 11)}, t0)
	if r != Rejected || !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("got %v, %v", r, err)
	}
	if st := jb.Stats(); st.Rejected != 1 || st.Received != 0 || st.Buffered != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestJitterTenMillisecondFrames(t *testing.T) {
	jb := newJB(t, JitterConfig{FrameDuration: FrameDuration10})
	k := 0
	var as []arrival
	for i := range 300 {
		ts := time.Duration(i) * 10 * time.Millisecond
		as = append(as, arrival{at: ts + 30*time.Millisecond, p: Packet{Seq: SeqNum(i), Timestamp: ts, Payload: payloadFor(SeqNum(i))}})
	}
	var decoded int
	for j := range 310 {
		now := time.Duration(j) * 10 * time.Millisecond
		for k < len(as) && as[k].at <= now {
			jb.Push(as[k].p, t0.Add(as[k].at))
			k++
		}
		f := jb.Pop(t0.Add(now))
		if f.Action == ActionDecode {
			if s := seqOfPayload(t, f.Payload); s != SeqNum(decoded) {
				t.Fatalf("decode %d, want %d", s, decoded)
			}
			decoded++
		}
	}
	st := jb.Stats()
	if decoded != 300 || st.TargetDelay != 20*time.Millisecond || st.CurrentDelay < 20*time.Millisecond || st.CurrentDelay >= 30*time.Millisecond {
		t.Errorf("decoded %d target %v current %v", decoded, st.TargetDelay, st.CurrentDelay)
	}
}

func TestJitterConfigErrors(t *testing.T) {
	for _, c := range []JitterConfig{
		{FrameDuration: 15 * time.Millisecond},
		{MinDelay: 100 * time.Millisecond, MaxDelay: 50 * time.Millisecond},
		{MaxDelay: 2 * time.Second},
		{Percentile: 1.5},
		{Window: time.Millisecond},
		{ConcealLimit: 5 * time.Second},
	} {
		if _, err := NewJitterBuffer(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err %v, want ErrConfig", c, err)
		}
	}
}

func TestQuickselect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 200; n += 7 {
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(rng.IntN(50)) // many ties
		}
		sorted := slices.Clone(s)
		slices.Sort(sorted)
		for k := 0; k < n; k++ {
			c := slices.Clone(s)
			if got := quickselect(c, k); got != sorted[k] {
				t.Fatalf("n=%d k=%d: %d, want %d", n, k, got, sorted[k])
			}
		}
	}
}

func TestJitterReset(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	run(t, jb, trace(20, 100, constDelay(60*time.Millisecond), nil, nil), 20, 0)
	held := jb.Stats().Buffered
	if held == 0 {
		t.Fatal("nothing buffered before reset")
	}
	jb.Reset()
	st := jb.Stats()
	if st.Buffered != 0 || st.Flushed != uint64(held) || st.Resyncs != 0 {
		t.Fatalf("after reset: %+v", st)
	}
	if f := jb.Pop(t0.Add(time.Second)); f.Action != ActionQuiet {
		t.Fatalf("empty after reset: %v", f.Action)
	}
	// An old sequence number starts the stream afresh instead of being
	// late.
	if r, _ := jb.Push(Packet{Seq: 5, Timestamp: 0, Payload: payloadFor(5)}, t0.Add(time.Second)); r != Accepted {
		t.Fatalf("push after reset: %v", r)
	}
}

func TestJitterSteadyStateAllocatesNothing(t *testing.T) {
	jb := newJB(t, JitterConfig{})
	payload := make([]byte, 100)
	i := 0
	step := func() {
		ts := time.Duration(i) * frame20
		jb.Push(Packet{Seq: SeqNum(i), Timestamp: ts, Quiet: i%9 == 0, Payload: payload}, t0.Add(ts+time.Duration(i%5)*7*time.Millisecond))
		jb.Pop(t0.Add(ts + 50*time.Millisecond))
		i++
	}
	for range 300 {
		step()
	}
	if n := testing.AllocsPerRun(500, step); n != 0 {
		t.Errorf("%v allocations per frame", n)
	}
}

func TestJitterTenMillisecondJitter(t *testing.T) {
	jb := newJB(t, JitterConfig{FrameDuration: FrameDuration10})
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 4000
	var as []arrival
	for i := range n {
		ts := time.Duration(i) * 10 * time.Millisecond
		// 40 ms ± 15 ms uniform: relative delay 0..30 ms, 95th percentile 28.5 ms.
		d := 25*time.Millisecond + time.Duration(rng.IntN(301))*100*time.Microsecond
		as = append(as, arrival{at: ts + d, p: Packet{Seq: SeqNum(i), Timestamp: ts, Quiet: i%100 >= 70, Payload: payloadFor(SeqNum(i))}})
	}
	sortArrivals(as)
	ts := runFrames(t, jb, as, n+5, 3*time.Millisecond, 10*time.Millisecond)
	st := atLastDecode(ts)
	if st.TargetDelay < 25*time.Millisecond || st.TargetDelay > 30*time.Millisecond {
		t.Errorf("target %v, want 25..30ms", st.TargetDelay)
	}
	if frac := float64(st.Late) / float64(st.Received); frac > 0.05 {
		t.Errorf("late %d of %d", st.Late, st.Received)
	}
	if st.Lost != 0 || st.Forced != 0 || st.Late != st.FEC+st.Concealed+st.Skipped {
		t.Errorf("lost %d forced %d late %d fec %d concealed %d skipped %d", st.Lost, st.Forced, st.Late, st.FEC, st.Concealed, st.Skipped)
	}
	checkDropsQuiet(t, ts, func(i int) bool { return i%100 >= 70 })
	t.Logf("10 ms frames: target %v current %v late %d (%.2f%%) fec %d concealed %d dropped %d stretched %d",
		st.TargetDelay, st.CurrentDelay, st.Late, 100*float64(st.Late)/float64(st.Received), st.FEC, st.Concealed, st.DroppedCatchUp, st.Stretched)
}
