package cc_test

import (
	"fmt"
	"time"

	"camchat/internal/rtmfp/cc"
)

// A session's use of the package: stamp and record every data packet, and
// process each received packet's acknowledgements in one step.
func Example() {
	ctl, _ := cc.New(cc.Config{}) // delay-based detection on, 50 ms
	var loss cc.LossDetector
	var lost []cc.LostFragment
	epoch := time.Unix(0, 0)
	now := epoch

	// Send loop: while the window and the pacer allow, send a packet with
	// the next TSN and record its fragments.
	var tsn cc.TSN
	var slots []cc.Slot
	for ctl.CanSend(loss.Outstanding()) && !ctl.NextSendTime(now).After(now) {
		tsn++
		slots = append(slots, loss.Sent(tsn, cc.FragmentRef(tsn), cc.MSS, false))
		ctl.OnPacketSent(now, cc.MSS, false)
	}
	fmt.Println("sent", len(slots), "packets, outstanding", loss.Outstanding())

	// 52 ms later a packet arrives acknowledging the second and third
	// fragments and echoing the first packet's timestamp.
	now = now.Add(52 * time.Millisecond)
	rtt, _ := ctl.OnTimestampEcho(now, cc.TimestampAt(now.Sub(epoch)), cc.TimestampAt(0))
	pre := loss.Outstanding()
	loss.Acked(slots[1])
	loss.Acked(slots[2])
	acked := pre - loss.Outstanding()
	var rep cc.NAKReport
	rep, lost = loss.AfterAcks(lost[:0])
	ctl.OnAck(now, cc.AckInfo{
		PreAckOutstanding: pre, Outstanding: loss.Outstanding(),
		Acked: acked, Lost: rep.LostBytes, AnyNAKs: rep.AnyNAKs, AnyLoss: rep.AnyLoss,
	})
	// The first fragment is now behind an acknowledged one: one NAK, and
	// a NAK holds the window where it is.
	n, _ := loss.NAKs(slots[0])
	fmt.Println("rtt", rtt, "srtt", ctl.SRTT(), "ERTO", ctl.ERTO())
	fmt.Println("first fragment NAKs", n, "lost", len(lost), "cwnd", ctl.CWND())
	// Output:
	// sent 3 packets, outstanding 3483
	// rtt 52ms srtt 52ms ERTO 356ms
	// first fragment NAKs 1 lost 0 cwnd 3483
}
