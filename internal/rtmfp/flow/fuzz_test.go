package flow

import (
	"testing"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/wire"
)

// fuzzInput reads small numbers from the fuzzer's bytes; past the end it
// yields zeros.
type fuzzInput struct{ b []byte }

func (in *fuzzInput) more() bool { return len(in.b) > 0 }

func (in *fuzzInput) byte() byte {
	if len(in.b) == 0 {
		return 0
	}
	c := in.b[0]
	in.b = in.b[1:]
	return c
}

func (in *fuzzInput) vlu() uint64 {
	v, n, err := wire.ParseVLU(in.b)
	if err != nil {
		in.b = nil
		return 0
	}
	in.b = in.b[n:]
	return v
}

func (in *fuzzInput) bytes(n int) []byte {
	n = min(n, len(in.b))
	p := in.b[:n]
	in.b = in.b[n:]
	return p
}

// receiverSeed turns real packets from a Sender into the receiver fuzzer's
// operation encoding.
func receiverSeed(t testing.TB, lossEvery int) []byte {
	s := NewSender(SendConfig{ID: 1, Metadata: []byte("m")})
	for i := range 6 {
		s.Write(t0, msgOf(300*i+10, byte(i)), WriteOptions{})
	}
	s.Close(t0)
	var out []byte
	cum := wire.SeqNum(0)
	for i := 1; s.WantsToSend(t0); i++ {
		b, _, _ := s.AppendData(nil, t0, cc.TSN(i), 700)
		if lossEvery > 0 && i%lossEvery == 0 {
			continue
		}
		for _, c := range decodeData(t, b) {
			out = append(out, 0)
			out = wire.AppendVLU(out, uint64(c.ud.SeqNum-cum))
			out = wire.AppendVLU(out, uint64(c.ud.SeqNum-c.ud.FSN()))
			out = append(out, byte(c.ud.Flags), byte(len(c.ud.Data)>>8), byte(len(c.ud.Data)))
			out = append(out, c.ud.Data...)
			cum = max(cum, c.ud.SeqNum)
		}
		out = append(out, 4, 200, 5, 7)
	}
	return out
}

// FuzzReceiver feeds random chunk sequences, acks, reads and state changes to
// a Receiver and checks its invariants after every step.
func FuzzReceiver(f *testing.F) {
	f.Add(receiverSeed(f, 0))
	f.Add(receiverSeed(f, 3))
	f.Add([]byte{0, 1, 0, 0x11, 0, 3, 'a', 'b', 'c', 0, 2, 0, 0x21, 0, 1, 'd', 5, 4, 50})
	f.Add([]byte{0, 0x80, 0x80, 0x80, 0x01, 0xff, 0x03, 0, 0, 4, 10, 7, 1})
	f.Fuzz(fuzzReceiver)
}

func fuzzReceiver(t *testing.T, data []byte) {
	{
		in := &fuzzInput{b: data}
		r := NewReceiver(RecvConfig{ID: 1, MaxRanges: 16, BufferCapacity: 4096, MaxBuffered: 16384, Order: Order(in.byte() % 3)})
		now := t0
		for in.more() {
			now = now.Add(time.Millisecond)
			switch op := in.byte(); op % 8 {
			case 0, 1, 2, 3:
				// A chunk: seq relative to the cumulative ack, FSN
				// offset, flags, data.
				seq := r.CumulativeAck() + wire.SeqNum(in.vlu())
				off := in.vlu()
				fsn := seq - wire.SeqNum(off)
				if off > uint64(seq) {
					fsn = seq + 1 // malformed on purpose
				}
				flags := wire.UserDataFlags(in.byte())
				n := int(in.byte())<<8 | int(in.byte())
				r.OnData(now, seq, fsn, flags, in.bytes(n))
			case 4:
				budget := int(in.byte()) * 8
				before := r.CumulativeAck()
				b := r.AppendAck(nil, budget)
				if len(b) > budget {
					t.Fatalf("ack of %d bytes in a budget of %d", len(b), budget)
				}
				if len(b) > 0 {
					_, a := decodeAck(t, b)
					if a.CumulativeAck != before {
						t.Fatalf("ack cum %d, receiver %d", a.CumulativeAck, before)
					}
					for _, rg := range a.Ranges {
						if !r.set.contains(rg.From) || !r.set.contains(rg.To) {
							t.Fatalf("acked range %v not received", rg)
						}
					}
				}
			case 5:
				r.Read()
			case 6:
				r.SetOrder(now, Order(in.byte()%3))
			case 7:
				switch in.byte() % 5 {
				case 0:
					r.Reject(at(0), in.vlu())
				case 1:
					r.OnBufferProbe(now)
				case 2:
					now = now.Add(RecvLinger)
					r.OnDeadline(now)
				case 3:
					r.OnDataPacket()
				case 4:
					r.SetBufferCapacity(int(in.byte()) << 6)
				}
			}
			checkReceiver(t, r)
		}
	}
}

// checkSender asserts the sender's invariants.
func checkSender(t testing.TB, s *Sender, receipts []*Receipt) {
	t.Helper()
	var out cc.ByteCount
	for i := 0; i < s.frags.len(); i++ {
		f := s.frags.at(i)
		if f.inFlight {
			out += cc.ByteCount(f.size)
			if f.acked {
				t.Fatal("fragment both acked and in flight")
			}
		}
		if f.msg < s.msgHead || f.msg >= s.msgHead+uint64(s.msgs.len()) {
			t.Fatalf("fragment %d names message %d outside the queue", s.fragBase+wire.SeqNum(i), f.msg)
		}
	}
	if out != s.outstanding || out < 0 {
		t.Fatalf("outstanding %d, in flight %d", s.outstanding, out)
	}
	buffered := 0
	for i := 0; i < s.msgs.len(); i++ {
		m := s.msgs.at(i)
		if !m.resolved() {
			buffered += len(m.data)
		}
		if m.pending < 0 || m.unacked < 0 {
			t.Fatalf("message %d: pending %d unacked %d", i, m.pending, m.unacked)
		}
	}
	if buffered != s.buffered {
		t.Fatalf("buffered %d, counted %d", s.buffered, buffered)
	}
	var delivered, abandoned uint64
	for _, rc := range receipts {
		switch {
		case rc.Delivered() && rc.Abandoned():
			t.Fatal("receipt both delivered and abandoned")
		case rc.Delivered():
			delivered++
		case rc.Abandoned():
			abandoned++
		}
	}
	st := s.Stats()
	if st.Delivered != delivered || st.Abandoned != abandoned {
		t.Fatalf("stats delivered %d abandoned %d; receipts %d %d", st.Delivered, st.Abandoned, delivered, abandoned)
	}
	if fsn := s.forwardSeq(); fsn >= s.nextSeq() || fsn+1 < s.fragBase {
		t.Fatalf("FSN %d outside [%d, %d)", fsn, s.fragBase-1, s.nextSeq())
	}
}

// FuzzSender drives a Sender with random writes, packets, acks (valid or
// not), NAK passes, timeouts, deadlines, abandonment, close and rejection.
func FuzzSender(f *testing.F) {
	f.Add([]byte{0, 10, 0, 1, 200, 1, 200, 2, 0, 2, 0, 3, 1})
	f.Add([]byte{0, 200, 1, 0, 50, 2, 1, 150, 1, 150, 2, 1, 1, 3, 1, 3, 1, 3, 4, 5, 1, 150, 6, 1, 150, 2, 9})
	f.Add([]byte{0, 100, 3, 0, 100, 4, 1, 100, 7, 1, 100, 2, 0, 3, 0, 0, 8, 1, 100})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &fuzzInput{b: data}
		s := NewSender(SendConfig{ID: 1, Metadata: []byte("md")})
		var receipts []*Receipt
		now := t0
		tsn := cc.TSN(0)
		for in.more() {
			now = now.Add(time.Millisecond)
			switch in.byte() % 10 {
			case 0: // write
				n := int(in.byte()) * 16
				var o WriteOptions
				fl := in.byte()
				if fl&1 != 0 {
					o.FinishBy = time.Duration(fl>>4) * 10 * time.Millisecond
				}
				if fl&2 != 0 {
					o.StartBy = time.Duration(fl>>4) * 5 * time.Millisecond
				}
				o.NoRetransmit = fl&4 != 0
				if fl&8 != 0 && len(receipts) > 0 {
					o.Parent = receipts[int(fl>>4)%len(receipts)]
				}
				if rc, err := s.Write(now, make([]byte, n), o); err == nil {
					receipts = append(receipts, rc)
				}
			case 1: // a packet
				budget := int(in.byte()) * 6
				tsn++
				b, n, _ := s.AppendData(nil, now, tsn, budget)
				if n > budget || n != len(b) {
					t.Fatalf("%d bytes in a budget of %d", n, budget)
				}
				for _, c := range decodeData(t, b) {
					if c.ud.SeqNum >= s.nextSeq() || c.ud.FSN() > c.ud.SeqNum {
						t.Fatalf("chunk seq %d fsn %d, next %d", c.ud.SeqNum, c.ud.FSN(), s.nextSeq())
					}
					if c.ud.Flags.Abandoned() && len(c.ud.Data) > 0 {
						t.Fatal("ABN with data")
					}
				}
			case 2: // an ack, relative to the front
				cum := s.fragBase - 1 + wire.SeqNum(in.vlu())
				var rs []wire.SeqRange
				cur := cum
				for k := int(in.byte() % 4); k > 0; k-- {
					from := cur + 2 + wire.SeqNum(in.byte()%8)
					to := from + wire.SeqNum(in.byte()%8)
					rs = append(rs, wire.SeqRange{From: from, To: to})
					cur = to
				}
				a, it := ackChunk(t, 1, uint64(in.byte()), cum, rs...)
				s.OnAck(now, a, it)
			case 3:
				s.ApplyNAKs(s.MaxAckedTSN() + cc.TSN(in.byte()%3))
			case 4:
				s.OnTimeout(now)
			case 5:
				now = now.Add(time.Duration(in.byte()) * 10 * time.Millisecond)
				s.OnDeadline(now)
			case 6:
				if len(receipts) > 0 {
					receipts[int(in.byte())%len(receipts)].Abandon()
				}
			case 7:
				s.Close(now)
			case 8:
				s.OnException(uint64(in.byte()))
			case 9:
				s.NextBufferProbe(time.Second)
				s.OnBufferProbeSent(now, time.Duration(in.byte())*time.Millisecond)
				s.WantsToSend(now)
			}
			checkSender(t, s, receipts)
		}
	})
}
