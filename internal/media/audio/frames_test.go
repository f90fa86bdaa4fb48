package audio

import (
	"encoding/binary"
	"testing"
)

// pcm encodes samples as the little-endian bytes miniaudio hands over.
func pcm(samples []int16) []byte {
	b := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

// ramp returns n samples counting from start, wrapping at int16.
func ramp(start, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(start + i)
	}
	return out
}

func newTestCapture(queue, pool int) *Capture {
	return &Capture{frames: make(chan *Frame, queue), pool: newFramePool(pool)}
}

// Backends may call back with any number of samples; frames must come out
// whole, in order, with the samples in place.
func TestAssemblerCutsFramesFromAnyCallbackSize(t *testing.T) {
	cp := newTestCapture(16, 20)
	a := &assembler{c: cp}
	in := ramp(-20000, 4*FrameSamples+100)
	for i, size := 0, 0; i < len(in); i += size {
		size = []int{1, 479, 480, 481, 960, 7}[i%6]
		size = min(size, len(in)-i)
		a.data(nil, pcm(in[i:i+size]), uint32(size))
	}
	if len(cp.frames) != 4 {
		t.Fatalf("%d frames, want 4", len(cp.frames))
	}
	for k := 0; k < 4; k++ {
		f := <-cp.frames
		if f.Seq != uint64(k) {
			t.Fatalf("frame %d has Seq %d", k, f.Seq)
		}
		for i, s := range f.Samples {
			if want := in[k*FrameSamples+i]; s != want {
				t.Fatalf("frame %d sample %d = %d, want %d", k, i, s, want)
			}
		}
		cp.Release(f)
	}
	if a.fill != 100 {
		t.Fatalf("partial frame holds %d samples, want 100", a.fill)
	}
	a.reclaim()
	if len(cp.pool) != 20 {
		t.Fatalf("pool holds %d frames after reclaim, want all 20", len(cp.pool))
	}
}

// A consumer that does not keep up loses the newest frames, counted, and
// sees the gap in Seq; the audio thread never waits.
func TestAssemblerDropsWhenConsumerIsSlow(t *testing.T) {
	cp := newTestCapture(2, 3)
	a := &assembler{c: cp}
	for k := 0; k < 6; k++ {
		a.data(nil, pcm(ramp(k*FrameSamples, FrameSamples)), FrameSamples)
	}
	// Frames 0 and 1 fill the queue of 2; frames 2 to 5 each find it full,
	// go back to the pool and are counted.
	if cp.delivered.Load() != 2 || cp.dropped.Load() != 4 {
		t.Fatalf("delivered %d dropped %d, want 2 and 4", cp.delivered.Load(), cp.dropped.Load())
	}
	f := <-cp.frames
	g := <-cp.frames
	if f.Seq != 0 || g.Seq != 1 || f.Samples[0] != 0 || g.Samples[0] != FrameSamples {
		t.Fatalf("queued frames Seq %d,%d samples %d,%d", f.Seq, g.Seq, f.Samples[0], g.Samples[0])
	}
	cp.Release(f)
	cp.Release(g)
	a.data(nil, pcm(ramp(6*FrameSamples, FrameSamples)), FrameSamples)
	h := <-cp.frames
	if h.Seq != 6 || h.Samples[0] != int16(6*FrameSamples) {
		t.Fatalf("after the gap: Seq %d sample %d, want Seq 6", h.Seq, h.Samples[0])
	}
}

// With every pooled frame in the consumer's hands, capture writes into a
// scratch frame and counts the drop.
func TestAssemblerDropsWhenPoolIsEmpty(t *testing.T) {
	cp := newTestCapture(4, 1)
	a := &assembler{c: cp}
	a.data(nil, pcm(ramp(0, FrameSamples)), FrameSamples)
	held := <-cp.frames // the only frame
	a.data(nil, pcm(ramp(0, FrameSamples)), FrameSamples)
	a.data(nil, pcm(ramp(0, FrameSamples/2)), FrameSamples/2)
	if cp.dropped.Load() != 1 || len(cp.frames) != 0 {
		t.Fatalf("dropped %d queued %d, want 1 and 0", cp.dropped.Load(), len(cp.frames))
	}
	a.reclaim() // the partial frame is the scratch one: not pooled
	if len(cp.pool) != 0 {
		t.Fatalf("scratch frame leaked into the pool")
	}
	cp.Release(held)
	if len(cp.pool) != 1 {
		t.Fatalf("pool %d", len(cp.pool))
	}
}

func TestPlayerPullsFramesAndPlaysSilenceOnUnderrun(t *testing.T) {
	q := NewFrameQueue(4)
	pb := &Playback{src: q}
	pl := &player{p: pb, pos: FrameSamples}
	if !q.Push(ramp(1, FrameSamples)) || !q.Push(ramp(1000, 100)) {
		t.Fatal("push into an empty queue failed")
	}
	out := make([]byte, 2*(3*FrameSamples))
	// Pull in uneven pieces.
	for off, size := 0, 0; off < len(out); off += size {
		size = min(2*333, len(out)-off)
		pl.data(out[off:off+size], nil, uint32(size/2))
	}
	got := make([]int16, 3*FrameSamples)
	for i := range got {
		got[i] = int16(binary.LittleEndian.Uint16(out[2*i:]))
	}
	want := append(ramp(1, FrameSamples), ramp(1000, 100)...)
	want = append(want, make([]int16, 2*FrameSamples-100)...)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sample %d = %d, want %d", i, got[i], want[i])
		}
	}
	if pb.played.Load() != 2 || pb.underruns.Load() != 1 {
		t.Fatalf("played %d underruns %d, want 2 and 1", pb.played.Load(), pb.underruns.Load())
	}
}

func TestFrameQueueBounds(t *testing.T) {
	q := NewFrameQueue(2)
	first, second, third := q.Push(ramp(0, 10)), q.Push(ramp(0, 10)), q.Push(ramp(0, 10))
	if !first || !second || third {
		t.Fatal("a queue of 2 must take 2 frames and refuse the third")
	}
	if q.Len() != 2 || q.Overflows() != 1 {
		t.Fatalf("len %d overflows %d", q.Len(), q.Overflows())
	}
	var dst [FrameSamples]int16
	dst[479] = 7
	if !q.ReadFrame(&dst) || dst[9] != 9 || dst[10] != 0 || dst[479] != 0 {
		t.Fatal("ReadFrame must copy the frame padded with silence")
	}
	q.ReadFrame(&dst)
	if q.ReadFrame(&dst) {
		t.Fatal("ReadFrame on an empty queue reported a frame")
	}
}

func TestDeviceIDRoundTrip(t *testing.T) {
	for _, name := range []string{"camchat_out.monitor", "hw:0,0", "\x00"} {
		id := DeviceID(hexString(name))
		m, err := id.malgo()
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if back := deviceIDFromMalgo(m); back != id {
			t.Fatalf("round trip %q -> %q", id, back)
		}
	}
	for _, bad := range []DeviceID{"zz", "abc", DeviceID(make([]byte, 4096))} {
		if _, err := bad.malgo(); err == nil {
			t.Fatalf("%q accepted", bad[:min(len(bad), 8)])
		}
	}
}

func hexString(s string) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, digits[s[i]>>4], digits[s[i]&15])
	}
	return string(out)
}

// BenchmarkCaptureCallback is the audio-thread cost of one 10 ms capture
// callback: convert, copy into a pooled frame, hand it over. The consumer's
// receive and Release are inside the loop, as they would be elsewhere.
func BenchmarkCaptureCallback(b *testing.B) {
	cp := newTestCapture(32, 36)
	a := &assembler{c: cp}
	in := pcm(ramp(0, FrameSamples))
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		a.data(nil, in, FrameSamples)
		cp.Release(<-cp.frames)
	}
	if cp.dropped.Load() != 0 {
		b.Fatalf("dropped %d", cp.dropped.Load())
	}
}

// BenchmarkPlaybackCallback is the audio-thread cost of one 10 ms playback
// callback fed from a FrameQueue.
func BenchmarkPlaybackCallback(b *testing.B) {
	q := NewFrameQueue(4)
	pb := &Playback{src: q}
	pl := &player{p: pb, pos: FrameSamples}
	frame := ramp(0, FrameSamples)
	out := make([]byte, bytesPerFrame)
	b.ReportAllocs()
	b.SetBytes(int64(len(out)))
	for b.Loop() {
		q.Push(frame)
		pl.data(out, nil, FrameSamples)
	}
	if pb.underruns.Load() != 0 {
		b.Fatalf("underruns %d", pb.underruns.Load())
	}
}
