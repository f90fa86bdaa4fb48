package flow_test

import (
	"fmt"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/wire"
)

// Example shows one message crossing from a Sender to a Receiver, with the
// session's part (packets, TSNs, ack routing) reduced to a few lines.
func Example() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := flow.NewSender(flow.SendConfig{ID: 1, Metadata: []byte("TC\x04\x01"), Priority: flow.PriorityImmediate})
	r := flow.NewReceiver(flow.RecvConfig{ID: 1, Metadata: []byte("TC\x04\x01")})

	receipt, _ := s.Write(now, []byte("hello, flow"), flow.WriteOptions{FinishBy: 2 * time.Second})

	// The session builds a packet numbered tsn with room for 1195 bytes.
	pkt, _, tc := s.AppendData(nil, now, cc.TSN(1), 1195)

	// The far session decodes the chunks and hands each to the receiver.
	cr := wire.NewChunkReader(pkt)
	for typ, payload, ok := cr.Next(); ok; typ, payload, ok = cr.Next() {
		if typ == wire.ChunkUserData {
			ud, _ := wire.ParseUserData(payload)
			r.OnData(now, ud.SeqNum, ud.FSN(), ud.Flags, ud.Data)
		}
	}
	r.OnDataPacket()
	msg, _ := r.Read()

	// It acknowledges; the sender applies the ack and the NAK pass.
	ackChunk := r.AppendAck(nil, 1195)
	ack, it, _ := wire.NewAckRangeIter(ackChunk[wire.ChunkHeaderLength:])
	acked, _ := s.OnAck(now, ack, it)
	s.ApplyNAKs(s.MaxAckedTSN())

	fmt.Printf("%s, tc=%v, acked %d bytes, delivered=%v, in flight %d\n", msg, tc, acked, receipt.Delivered(), s.Outstanding())
	// Output: hello, flow, tc=true, acked 25 bytes, delivered=true, in flight 0
}
