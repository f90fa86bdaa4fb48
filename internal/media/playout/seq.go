package playout

// SeqNum is an audio packet sequence number. It is 16 bits wide and wraps,
// like an RTP sequence number; senders with wider counters pass the low 16
// bits. Order is decided by serial-number arithmetic, so two numbers compare
// correctly as long as they are less than 32768 apart.
type SeqNum uint16

// Before reports whether s comes before o in serial order.
func (s SeqNum) Before(o SeqNum) bool { return int16(s-o) < 0 }

// Distance returns o-s as a signed count of packets (positive when o is
// after s).
func (s SeqNum) Distance(o SeqNum) int { return int(int16(o - s)) }
