package cc

import (
	"testing"
	"time"
)

// FuzzController drives a Controller and a LossDetector with an arbitrary
// sequence of sends, acknowledgements (in any order), timestamp echoes (any
// 16-bit values, as a peer could send), timeouts, TCR flags and setting
// changes, and checks the invariants after every step: no panic, the window
// never below 2·MSS, ssthresh never below 3·MSS, ERTO within its bounds,
// the pacing allowance at most one burst, the outstanding count consistent.
func FuzzController(f *testing.F) {
	f.Add([]byte{0, 10, 0, 20, 0, 30, 2, 40, 1, 0, 1, 1, 1, 0, 3})
	f.Add([]byte{0, 255, 0, 255, 0, 255, 0, 255, 2, 10, 5, 1, 2, 0, 5, 1, 1, 0, 1, 0, 1, 0, 4, 6, 7, 3})
	f.Add([]byte{7, 0, 0, 1, 0, 1, 0, 1, 2, 100, 1, 2, 1, 1, 1, 0, 2, 200, 3, 3, 0, 9})
	f.Fuzz(func(t *testing.T, ops []byte) {
		c, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		var d LossDetector
		type sent struct {
			slot Slot
			size ByteCount
		}
		var inflight []sent
		var lost []LostFragment
		now := t0
		var tsn TSN
		arg := func(i *int) byte {
			*i++
			if *i < len(ops) {
				return ops[*i]
			}
			return 0
		}
		for i := 0; i < len(ops); i++ {
			switch ops[i] % 8 {
			case 0: // send
				a := arg(&i)
				size := ByteCount(a)*5 + 1
				tsn++
				inflight = append(inflight, sent{d.Sent(tsn, FragmentRef(tsn), size, a%7 == 0), size})
				c.OnPacketSent(now, size, a%2 == 0)
			case 1: // acknowledge one fragment, with an RTT sample
				a := arg(&i)
				if len(inflight) > 0 {
					k := int(a) % len(inflight)
					pre := d.Outstanding()
					d.Acked(inflight[k].slot)
					acked := pre - d.Outstanding()
					var rep NAKReport
					rep, lost = d.AfterAcks(lost[:0])
					c.OnRTTSample(now, time.Duration(a)*4*time.Millisecond)
					c.OnAck(now, AckInfo{PreAckOutstanding: pre, Outstanding: d.Outstanding(), Acked: acked,
						Lost: rep.LostBytes, AnyNAKs: rep.AnyNAKs, AnyLoss: rep.AnyLoss, OtherSessionTC: a%5 == 0})
					inflight = append(inflight[:k], inflight[k+1:]...)
				}
			case 2: // time passes
				now = now.Add(time.Duration(arg(&i)) * 3 * time.Millisecond)
			case 3: // retransmission timeout
				lost = d.Timeout(lost[:0])
				c.OnTimeout(now, len(lost) > 0)
				inflight = inflight[:0]
			case 4:
				c.OnTCR(now)
			case 5: // an arbitrary timestamp echo
				cur := Timestamp(arg(&i))<<8 | Timestamp(arg(&i))
				echo := Timestamp(arg(&i))<<8 | Timestamp(arg(&i))
				c.OnTimestampEcho(now, cur, echo)
			case 6:
				c.ResetBaseRTT()
			case 7:
				c.SetCongestionDelay(time.Duration(arg(&i)) * time.Millisecond)
			}
			// A fragment given up by the NAK rule is no longer in flight.
			var want ByteCount
			for _, s := range inflight {
				if _, ok := d.NAKs(s.slot); ok {
					want += s.size
				}
			}
			st := c.Stats()
			switch {
			case d.Outstanding() != want:
				t.Fatalf("op %d: outstanding %d, want %d", i, d.Outstanding(), want)
			case st.CWND < TimedOutWindow:
				t.Fatalf("op %d: cwnd %d", i, st.CWND)
			case st.SSThresh < InitialWindow:
				t.Fatalf("op %d: ssthresh %d", i, st.SSThresh)
			case st.ERTO < MinimumERTO || st.ERTO > max(MaximumERTO, st.MRTO):
				t.Fatalf("op %d: ERTO %v (MRTO %v)", i, st.ERTO, st.MRTO)
			case c.pacer.Allowance() > MaxBurst:
				t.Fatalf("op %d: allowance %d", i, c.pacer.Allowance())
			case c.NextSendTime(now).Before(now):
				t.Fatalf("op %d: next send time in the past", i)
			}
		}
	})
}
