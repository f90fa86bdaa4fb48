package flow

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"

	"camchat/internal/rtmfp/wire"
)

// numbered returns a message of n bytes (n >= 4) that starts with its index.
func numbered(i, n int, gen *rand.Rand) []byte {
	m := make([]byte, n)
	binary.BigEndian.PutUint32(m, uint32(i))
	for k := 4; k < n; k++ {
		m[k] = byte(gen.Uint32())
	}
	return m
}

// TestPartialReliabilityLossy runs real-time style traffic (FinishBy, or
// NoRetransmit) through a lossy pipe and checks what partial reliability
// promises: no data is sent after a message's deadline, each fragment goes at
// most once without retransmission, every receipt resolves exactly once,
// delivered messages are byte-exact and in order, and the receiver's
// cumulative ack covers every sequence number the sender used.
func TestPartialReliabilityLossy(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts WriteOptions
		loss float64
		seed uint64
	}{
		{"FinishBy", WriteOptions{FinishBy: 150 * time.Millisecond}, 0.15, 11},
		{"NoRetransmit", WriteOptions{NoRetransmit: true}, 0.10, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSender(SendConfig{ID: 1, Priority: PriorityImmediate})
			r := NewReceiver(RecvConfig{ID: 1})
			p := newPipe(t, tc.seed, s, r)
			p.loss, p.ackLoss, p.reorder, p.jitter = tc.loss, tc.loss, 0.02, 5*time.Millisecond
			p.delay = 40 * time.Millisecond
			p.cwnd = 48 << 10
			p.erto = 300 * time.Millisecond
			gen := rand.New(rand.NewPCG(tc.seed, 1))
			var sent [][]byte
			var receipts []*Receipt
			var writtenAt []time.Time
			resolved := map[int]bool{}
			// A 30 fps stream of 2-5 KB frames for 6 virtual seconds.
			for f := 0; f < 180; f++ {
				m := numbered(f, 2000+gen.IntN(3000), gen)
				rc, err := s.Write(p.now, m, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				sent, receipts, writtenAt = append(sent, m), append(receipts, rc), append(writtenAt, p.now)
				for range 33 {
					p.step(time.Millisecond)
					for i, rc := range receipts {
						if rc.Resolved() && !resolved[i] {
							resolved[i] = true
							if rc.Delivered() == rc.Abandoned() {
								t.Fatalf("receipt %d delivered %v abandoned %v", i, rc.Delivered(), rc.Abandoned())
							}
						}
					}
				}
			}
			s.Close(p.now)
			if !p.runUntil(time.Minute, func() bool { return r.Complete() && s.State() == SendCompleteLinger }) {
				t.Fatalf("did not finish: sender %v %+v receiver %v %+v", s.State(), s.Stats(), r.State(), r.Stats())
			}
			// Every receipt resolved, exactly one way.
			var nDelivered, nAbandoned int
			for i, rc := range receipts {
				if !rc.Resolved() || rc.Delivered() == rc.Abandoned() {
					t.Fatalf("receipt %d: delivered %v abandoned %v", i, rc.Delivered(), rc.Abandoned())
				}
				select {
				case <-rc.Done():
				default:
					t.Fatalf("receipt %d: Done open", i)
				}
				if rc.Delivered() {
					nDelivered++
				} else {
					nAbandoned++
				}
			}
			st := s.Stats()
			if st.Delivered != uint64(nDelivered) || st.Abandoned != uint64(nAbandoned) || nAbandoned == 0 || nDelivered == 0 {
				t.Fatalf("delivered %d abandoned %d; stats %+v", nDelivered, nAbandoned, st)
			}
			// Delivered messages: byte-exact, strictly increasing index,
			// and every receipt that says delivered was delivered.
			got := map[int]bool{}
			last := -1
			for _, m := range p.delivered {
				i := int(binary.BigEndian.Uint32(m))
				if i <= last || i >= len(sent) || string(m) != string(sent[i]) {
					t.Fatalf("delivered message %d after %d (or corrupt)", i, last)
				}
				last = i
				got[i] = true
			}
			for i, rc := range receipts {
				if rc.Delivered() && !got[i] {
					t.Fatalf("receipt %d delivered but the receiver never had it", i)
				}
			}
			// Deadlines and single transmissions.
			for seq, id := range p.seqMsg {
				if tc.opts.FinishBy > 0 {
					if tx, ok := p.lastDataTx[seq]; ok && !tx.Before(writtenAt[id].Add(tc.opts.FinishBy)) {
						t.Fatalf("seq %d (message %d) sent with data at %v, after its deadline", seq, id, tx.Sub(writtenAt[id]))
					}
				}
				if tc.opts.NoRetransmit && p.dataTx[seq] > 1 {
					t.Fatalf("seq %d sent with data %d times", seq, p.dataTx[seq])
				}
				if p.abnTx[seq] > 1 {
					t.Fatalf("seq %d sent with ABN %d times", seq, p.abnTx[seq])
				}
			}
			// The receiver's cumulative ack passed every sequence number
			// used, abandoned ones included.
			if final := s.nextSeq() - 1; r.CumulativeAck() != final || final != wire.SeqNum(len(p.seqMsg)) {
				t.Fatalf("receiver cum %d, sender used %d (%d seen)", r.CumulativeAck(), final, len(p.seqMsg))
			}
			if st.AbandonChunks == 0 {
				t.Fatal("no ABN chunk sent")
			}
			t.Logf("%s: delivered %d abandoned %d of %d; sender %+v; receiver %+v", tc.name, nDelivered, nAbandoned, len(sent), st, r.Stats())
		})
	}
}
