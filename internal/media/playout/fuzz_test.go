package playout

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// Fuzz input: a sequence of 8-byte operations.
//
//	byte 0     kind: bit 0 clear = push, set = pop; bit 1 = quiet;
//	           bit 2 = raw 32-bit timestamp instead of a delta
//	byte 1     milliseconds to advance the receiver clock
//	bytes 2-3  push: signed sequence delta from the last pushed
//	bytes 4-7  push: signed timestamp delta (µs) or raw timestamp (ms)
//	           (byte 7 also gives the payload length, mod 80)
const fuzzOpLen = 8

func fuzzOp(push bool, quiet bool, adv byte, seqDelta int16, tsDeltaUs int32) []byte {
	b := make([]byte, fuzzOpLen)
	if !push {
		b[0] = 1
	}
	if quiet {
		b[0] |= 2
	}
	b[1] = adv
	binary.BigEndian.PutUint16(b[2:], uint16(seqDelta))
	binary.BigEndian.PutUint32(b[4:], uint32(tsDeltaUs))
	return b
}

// fuzzSeed encodes a trace the way the real receiver sees it: pushes in
// arrival order interleaved with 20 ms ticks.
func fuzzSeed(as []arrival, ticks int) []byte {
	var out []byte
	var lastSeq SeqNum
	var lastTs, clock time.Duration
	k := 0
	for j := range ticks {
		now := time.Duration(j) * frame20
		for k < len(as) && as[k].at <= now {
			adv := as[k].at - clock
			clock = as[k].at
			p := as[k].p
			out = append(out, fuzzOp(true, p.Quiet, byte(adv/time.Millisecond), int16(p.Seq-lastSeq), int32((p.Timestamp-lastTs)/time.Microsecond))...)
			lastSeq, lastTs = p.Seq, p.Timestamp
			k++
		}
		adv := now - clock
		clock = now
		out = append(out, fuzzOp(false, false, byte(adv/time.Millisecond), 0, 0)...)
	}
	return out
}

func FuzzJitterBuffer(f *testing.F) {
	d40 := constDelay(40 * time.Millisecond)
	f.Add(fuzzSeed(trace(60, 0, d40, nil, nil), 70))
	f.Add(fuzzSeed(trace(60, 65500, d40, func(i int) bool { return i%7 == 3 || (i > 30 && i < 36) }, func(i int) bool { return i%3 == 0 }), 80))
	f.Add(fuzzSeed(trace(60, 9, func(i int) time.Duration { return time.Duration(20+(i*37)%90) * time.Millisecond }, nil, nil), 70))
	f.Add(fuzzSeed(trace(30, 0, func(i int) time.Duration {
		if i > 10 {
			return time.Second
		}
		return 40 * time.Millisecond
	}, nil, nil), 100))
	f.Fuzz(runFuzzBody)
}

func runFuzzBody(t *testing.T, data []byte) {
	jb, err := NewJitterBuffer(JitterConfig{MaxPayload: 64})
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	var seq SeqNum
	var ts time.Duration
	var accepted uint64
	pushed := map[SeqNum][]byte{}
	var lastDecoded SeqNum
	haveDecoded := false
	var resyncs uint64
	for n := 0; len(data) >= fuzzOpLen && n < 4000; n++ {
		op := data[:fuzzOpLen]
		data = data[fuzzOpLen:]
		now = now.Add(time.Duration(op[1]) * time.Millisecond)
		if op[0]&1 == 0 {
			seq += SeqNum(binary.BigEndian.Uint16(op[2:]))
			v := int32(binary.BigEndian.Uint32(op[4:]))
			if op[0]&4 != 0 {
				ts = time.Duration(v) * time.Millisecond
			} else {
				ts += time.Duration(v) * time.Microsecond
			}
			payload := make([]byte, int(op[7])%80)
			for i := range payload {
				payload[i] = byte(seq) + byte(i)*byte(n)
			}
			r, err := jb.Push(Packet{Seq: seq, Timestamp: ts, Quiet: op[0]&2 != 0, Payload: payload}, now)
			if (err != nil) != (r == Rejected) || (r == Rejected) != (len(payload) > 64) {
				t.Fatalf("push %d bytes: %v %v", len(payload), r, err)
			}
			if r == Accepted {
				accepted++
				pushed[seq] = payload
			}
		} else {
			f := jb.Pop(now)
			st := jb.Stats()
			if st.Resyncs != resyncs {
				resyncs, haveDecoded = st.Resyncs, false
			}
			switch f.Action {
			case ActionDecode:
				if !bytes.Equal(f.Payload, pushed[f.Seq]) {
					t.Fatalf("seq %d decoded %x, pushed %x", f.Seq, f.Payload, pushed[f.Seq])
				}
				if haveDecoded && !lastDecoded.Before(f.Seq) {
					t.Fatalf("decoded %d after %d", f.Seq, lastDecoded)
				}
				lastDecoded, haveDecoded = f.Seq, true
			case ActionFEC:
				if !bytes.Equal(f.Payload, pushed[f.Seq+1]) {
					t.Fatalf("FEC for %d carries %x, seq %d was %x", f.Seq, f.Payload, f.Seq+1, pushed[f.Seq+1])
				}
			case ActionConceal, ActionQuiet:
				if f.Payload != nil {
					t.Fatalf("%v with payload", f.Action)
				}
			default:
				t.Fatalf("action %d", f.Action)
			}
		}
		st := jb.Stats()
		if st.Received != accepted+st.Duplicates+st.Late {
			t.Fatalf("received %d != accepted %d + dup %d + late %d", st.Received, accepted, st.Duplicates, st.Late)
		}
		if accepted != st.Decoded+st.DroppedCatchUp+st.Flushed+uint64(st.Buffered) {
			t.Fatalf("accepted %d != decoded %d + dropped %d + flushed %d + buffered %d",
				accepted, st.Decoded, st.DroppedCatchUp, st.Flushed, st.Buffered)
		}
		if st.Buffered < 0 || st.Buffered > slotCount {
			t.Fatalf("buffered %d", st.Buffered)
		}
		if st.TargetDelay < 20*time.Millisecond || st.TargetDelay > 200*time.Millisecond {
			t.Fatalf("target %v", st.TargetDelay)
		}
		if st.Concealed > 1<<62 || st.Lost > 1<<62 {
			t.Fatalf("counter underflow: %+v", st)
		}
	}
}

// FuzzVideoScheduler feeds arbitrary capture timestamps and audio clocks.
// Input: 5-byte operations; byte 0 bit 0 clear = push, set = due (bit 1:
// audio clock valid); bytes 1-4 a signed millisecond delta applied to the
// push timestamp or to the clock.
func FuzzVideoScheduler(f *testing.F) {
	op := func(due, valid bool, delta int32) []byte {
		b := []byte{0, 0, 0, 0, 0}
		if due {
			b[0] = 1
		}
		if valid {
			b[0] |= 2
		}
		binary.BigEndian.PutUint32(b[1:], uint32(delta))
		return b
	}
	var seed []byte
	for k := range 40 {
		seed = append(seed, op(false, false, 33)...)
		if k%3 == 1 {
			seed = append(seed, op(false, false, -50)...)
			seed = append(seed, op(false, false, 50)...)
		}
		seed = append(seed, op(true, true, 20)...)
		seed = append(seed, op(true, k%10 != 0, 16)...)
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		vs, err := NewVideoScheduler[time.Duration](VideoConfig{QueueLen: 8})
		if err != nil {
			t.Fatal(err)
		}
		var released uint64
		vs.Release = func(time.Duration) { released++ }
		var ts, clock time.Duration
		var last time.Duration
		shownAny := false
		for ; len(data) >= 5; data = data[5:] {
			delta := time.Duration(int32(binary.BigEndian.Uint32(data[1:]))) * time.Millisecond
			if data[0]&1 == 0 {
				ts += delta
				vs.Push(ts, ts)
			} else {
				clock += delta
				pc := PlayoutClock{Timestamp: clock, Valid: data[0]&2 != 0}
				before := vs.Stats().Unsynced
				frame, fts, ok := vs.Due(pc)
				if ok {
					if frame != fts {
						t.Fatalf("frame %v returned with ts %v", frame, fts)
					}
					if shownAny && fts <= last {
						t.Fatalf("shown %v after %v", fts, last)
					}
					last, shownAny = fts, true
					if pc.Valid && vs.Stats().Unsynced == before {
						if off := clock - fts; off < 0 || off > 80*time.Millisecond {
							t.Fatalf("shown %v at clock %v", fts, clock)
						}
					}
				}
			}
			st := vs.Stats()
			if st.Shown+st.Late+st.Superseded+st.Overflow+st.Flushed+st.Duplicates+uint64(st.Pending) != st.Pushed {
				t.Fatalf("accounting %+v", st)
			}
			if released != st.Late+st.Superseded+st.Overflow+st.Duplicates {
				t.Fatalf("released %d, dropped %+v", released, st)
			}
			if st.Pending > 8 {
				t.Fatalf("pending %d", st.Pending)
			}
		}
	})
}
