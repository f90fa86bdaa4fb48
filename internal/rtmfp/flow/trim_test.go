package flow

import (
	"testing"

	"camchat/internal/rtmfp/wire"
)

// TestTrimReleasesIdleStorage: Trim keeps the queues of a flow with data in
// them and releases them once everything is acknowledged and read; the flow
// works on afterwards.
func TestTrimReleasesIdleStorage(t *testing.T) {
	s := NewSender(SendConfig{ID: 1, Metadata: []byte("m")})
	r := NewReceiver(RecvConfig{ID: 1})
	for round := 0; round < 2; round++ {
		if _, err := s.Write(at(round*1000), msgOf(100, byte(round)), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		b, _, _ := s.AppendData(nil, at(round*1000), cctsn(round+1), packetBudget)
		s.Trim()
		if s.msgs.buf == nil || s.frags.buf == nil || s.flight.buf == nil {
			t.Fatal("Trim released the queues of a flow with data in flight")
		}
		feed(t, r, at(round*1000+10), b)
		r.Trim()
		if r.ready.buf == nil {
			t.Fatal("Trim released a message not yet read")
		}
		msg, ok := r.Read()
		if !ok || len(msg) != 100 || msg[0] != byte(round) {
			t.Fatalf("round %d: read %d bytes, ok %v", round, len(msg), ok)
		}
		seq := wire.SeqNum(round + 1)
		if n, _ := ack(t, s, at(round*1000+20), 64, seq); n == 0 {
			t.Fatalf("round %d: ack acknowledged nothing", round)
		}
		s.Trim()
		r.Trim()
		if s.msgs.buf != nil || s.frags.buf != nil || s.flight.buf != nil || s.rtx.buf != nil {
			t.Fatalf("round %d: sender kept %d/%d/%d/%d slots", round, len(s.msgs.buf), len(s.frags.buf), len(s.flight.buf), len(s.rtx.buf))
		}
		if r.frags != nil || r.ready.buf != nil {
			t.Fatalf("round %d: receiver kept %d fragments, %d ready slots", round, cap(r.frags), len(r.ready.buf))
		}
	}
}
