package flow

import (
	"bytes"
	"testing"

	"camchat/internal/rtmfp/wire"
)

// TestGoldenBytes pins the exact chunks of a first message, its ack, a Next
// User Data chunk, an ABN|FIN carrier and a rejected flow's exception report
// (RFC 7016 §2.3.11, §2.3.12, §2.3.14, §2.3.16; flags per rtmfp-cpp
// packet.hpp).
func TestGoldenBytes(t *testing.T) {
	s := NewSender(SendConfig{ID: 3, Metadata: []byte("TC\x04\x01")})
	r := NewReceiver(RecvConfig{ID: 3})
	s.Write(at(0), []byte("hi"), WriteOptions{})
	s.Write(at(0), []byte("yo"), WriteOptions{})
	got, _, _ := s.AppendData(nil, at(0), 1, packetBudget)
	want := []byte{
		0x10, 0x00, 0x0d, // User Data, 13 bytes
		0x80,             // OPT, whole
		0x03, 0x01, 0x01, // flow 3, seq 1, FSN offset 1 (FSN 0)
		0x05, 0x00, 'T', 'C', 0x04, 0x01, // metadata option
		0x00,     // marker
		'h', 'i', // data
		0x11, 0x00, 0x03, // Next User Data, 3 bytes
		0x00,     // whole, no options
		'y', 'o', // data (seq 2, FSN 0)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("data\n got % x\nwant % x", got, want)
	}
	feed(t, r, at(20), got)
	ack := r.AppendAck(nil, packetBudget)
	// 65536 − 2·(2+64) bytes free → 64 blocks; cumulative ack 2; no ranges.
	if want := []byte{0x51, 0x00, 0x03, 0x03, 0x40, 0x02}; !bytes.Equal(ack, want) {
		t.Fatalf("ack\n got % x\nwant % x", ack, want)
	}
	a, it, err := wire.NewAckRangeIter(ack[wire.ChunkHeaderLength:])
	if err != nil {
		t.Fatal(err)
	}
	s.OnAck(at(40), a, it)
	s.Close(at(40))
	got, _, _ = s.AppendData(nil, at(40), 2, packetBudget)
	// The empty carrier: ABN|FIN, seq 3, FSN 2 (offset 1), no options now.
	if want := []byte{0x10, 0x00, 0x04, 0x03, 0x03, 0x03, 0x01}; !bytes.Equal(got, want) {
		t.Fatalf("FIN\n got % x\nwant % x", got, want)
	}
	r2 := NewReceiver(RecvConfig{ID: 9})
	r2.OnData(at(0), 1, 0, whole, nil)
	r2.OnData(at(0), 3, 0, whole, nil)
	r2.Reject(at(0), 0x21)
	got = r2.AppendAck(nil, packetBudget)
	want = []byte{
		0x5e, 0x00, 0x02, 0x09, 0x21, // Flow Exception Report: flow 9, code 0x21
		0x51, 0x00, 0x05, 0x09, 0x40, 0x01, // Ack Ranges: flow 9, 64 blocks, cum 1
		0x00, 0x00, // holesMinusOne 0, receivedMinusOne 0: seq 3
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("reject\n got % x\nwant % x", got, want)
	}
}
