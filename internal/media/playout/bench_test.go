package playout

import (
	"math"
	"testing"
	"time"
)

// BenchmarkJitterPushPop measures one 20 ms frame in steady state: push
// the arriving packet, pop the tick's frame.
func BenchmarkJitterPushPop(b *testing.B) {
	jb, err := NewJitterBuffer(JitterConfig{})
	if err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 80) // 32 kbit/s Opus
	// Delay alternates 40/55 ms so the statistics move.
	delay := func(i int) time.Duration { return 40*time.Millisecond + time.Duration(i%4)*5*time.Millisecond }
	push := func(i int) {
		ts := time.Duration(i) * frame20
		if _, err := jb.Push(Packet{Seq: SeqNum(i), Timestamp: ts, Quiet: i%10 == 0, Payload: payload}, t0.Add(ts+delay(i))); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for ; i < 300; i++ { // warm up: fill the window, start playout
		push(i)
		jb.Pop(t0.Add(time.Duration(i)*frame20 + 60*time.Millisecond))
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for range b.N {
		push(i)
		if f := jb.Pop(t0.Add(time.Duration(i)*frame20 + 60*time.Millisecond)); f.Action != ActionDecode {
			b.Fatalf("tick %d: %v", i, f.Action)
		}
		i++
	}
}

// BenchmarkMixer4x20ms mixes four 20 ms streams at volumes other than 1,
// with level metering. SetBytes counts the PCM read.
func BenchmarkMixer4x20ms(b *testing.B) {
	m, err := NewMixer(MixerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	var in [MaxStreams][]int16
	for k := range in {
		in[k] = make([]int16, frameN)
		for i := range in[k] {
			in[k][i] = int16(12000 * math.Sin(float64(i*(k+1))/7))
		}
		m.SetVolume(k, 0.5+0.4*float64(k))
	}
	out := make([]int16, frameN)
	m.Mix(out, in)
	b.ReportAllocs()
	b.SetBytes(MaxStreams * frameN * 2)
	b.ResetTimer()
	for range b.N {
		if err := m.Mix(out, in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVideoScheduler(b *testing.B) {
	vs, err := NewVideoScheduler[int](VideoConfig{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ts := time.Duration(i) * 33 * time.Millisecond
		vs.Push(i, ts)
		if _, _, ok := vs.Due(PlayoutClock{Timestamp: ts, Valid: true}); !ok {
			b.Fatal("not shown")
		}
	}
}
