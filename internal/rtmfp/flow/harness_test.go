package flow

import (
	"math/rand/v2"
	"testing"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/wire"
)

// t0 is the arbitrary start of every test's explicit clock.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// packetBudget is the room for chunks in a 1200-byte session packet after the
// 5-byte header.
const packetBudget = 1195

// datagram is a packet on its way through the test pipe.
type datagram struct {
	at  time.Time
	b   []byte
	tsn cc.TSN
}

// pipe wires one Sender to one Receiver through a lossy, reordering,
// duplicating link in both directions, with the session's part (TSNs, the NAK
// pass, the timeout, delayed acks, a fixed congestion window) reduced to the
// minimum. Everything is driven by an explicit clock and a seeded generator.
type pipe struct {
	t   testing.TB
	rng *rand.Rand
	now time.Time
	s   *Sender
	r   *Receiver

	delay, jitter     time.Duration
	loss, dup         float64 // forward direction
	reorder           float64 // chance that a datagram is held up to jitter longer
	ackLoss           float64
	cwnd              cc.ByteCount
	erto              time.Duration
	budget            int
	perStep           int // packets the sender may send per step (pacing)
	fwd, back         []datagram
	tsn, highest      cc.TSN
	lastProgress      time.Time
	delivered         [][]byte
	deliveredAt       []time.Time
	readEvery         bool
	dataTx            map[wire.SeqNum]int // data-carrying transmissions per sequence number
	abnTx             map[wire.SeqNum]int
	lastDataTx        map[wire.SeqNum]time.Time
	seqMsg            map[wire.SeqNum]uint64 // message ID (write order from 0) of each sequence number
	optsSeen, optsMax int                    // packets whose first chunk carried options; last packet number with options
	packets           int
	probes            int
	acksApplied       int
	timeouts          int
}

func newPipe(t testing.TB, seed uint64, s *Sender, r *Receiver) *pipe {
	return &pipe{
		t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now: t0, s: s, r: r,
		delay: 20 * time.Millisecond, cwnd: 64 << 10, erto: time.Second, budget: packetBudget, perStep: 8,
		lastProgress: t0, readEvery: true,
		dataTx: map[wire.SeqNum]int{}, abnTx: map[wire.SeqNum]int{}, lastDataTx: map[wire.SeqNum]time.Time{},
		seqMsg: map[wire.SeqNum]uint64{},
	}
}

func (p *pipe) enqueue(q *[]datagram, b []byte, tsn cc.TSN, loss float64, dup float64) {
	if p.rng.Float64() < loss {
		return
	}
	n := 1
	if p.rng.Float64() < dup {
		n = 2
	}
	for range n {
		d := p.delay
		if p.jitter > 0 && p.rng.Float64() < p.reorder {
			d += time.Duration(p.rng.Int64N(int64(p.jitter)))
		}
		*q = append(*q, datagram{at: p.now.Add(d), b: append([]byte(nil), b...), tsn: tsn})
	}
}

// due removes and returns the datagrams of q due by now, in arrival order.
func (p *pipe) due(q *[]datagram) []datagram {
	var out, keep []datagram
	for _, d := range *q {
		if !d.at.After(p.now) {
			out = append(out, d)
		} else {
			keep = append(keep, d)
		}
	}
	*q = keep
	for i := 1; i < len(out); i++ { // stable sort by arrival time
		for j := i; j > 0 && out[j].at.Before(out[j-1].at); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// receive feeds one data packet to the receiver, as the session would.
func (p *pipe) receive(b []byte) {
	cr := wire.NewChunkReader(b)
	var prev wire.UserData
	have, any := false, false
	for typ, payload, ok := cr.Next(); ok; typ, payload, ok = cr.Next() {
		var ud wire.UserData
		switch typ {
		case wire.ChunkUserData:
			u, err := wire.ParseUserData(payload)
			if err != nil {
				p.t.Fatalf("bad user data: %v", err)
			}
			ud = u
		case wire.ChunkNextUserData:
			n, err := wire.ParseNextUserData(payload)
			if err != nil || !have {
				p.t.Fatalf("bad next user data: %v", err)
			}
			ud = n.Follow(prev)
		default:
			continue
		}
		prev, have, any = ud, true, true
		p.r.OnData(p.now, ud.SeqNum, ud.FSN(), ud.Flags, ud.Data)
	}
	if any {
		p.r.OnDataPacket()
	}
}

// inspect records what the sender put in a packet.
func (p *pipe) inspect(b []byte) {
	cr := wire.NewChunkReader(b)
	var prev wire.UserData
	first := true
	for typ, payload, ok := cr.Next(); ok; typ, payload, ok = cr.Next() {
		var ud wire.UserData
		if typ == wire.ChunkUserData {
			ud, _ = wire.ParseUserData(payload)
		} else {
			n, _ := wire.ParseNextUserData(payload)
			ud = n.Follow(prev)
		}
		if first && ud.Flags.Options() {
			p.optsSeen++
			p.optsMax = p.packets
		}
		if !first && ud.Flags.Options() {
			p.t.Fatalf("options on a chunk other than the first")
		}
		if f := p.s.frag(ud.SeqNum); !f.released {
			p.seqMsg[ud.SeqNum] = f.msg
		}
		if ud.Flags.Abandoned() {
			if len(ud.Data) != 0 {
				p.t.Fatalf("ABN chunk with %d bytes of data", len(ud.Data))
			}
			p.abnTx[ud.SeqNum]++
		} else {
			p.dataTx[ud.SeqNum]++
			p.lastDataTx[ud.SeqNum] = p.now
		}
		prev, first = ud, false
	}
}

// ackArrived applies one ack packet at the sender.
func (p *pipe) ackArrived(b []byte) {
	cr := wire.NewChunkReader(b)
	any := false
	for typ, payload, ok := cr.Next(); ok; typ, payload, ok = cr.Next() {
		switch typ {
		case wire.ChunkAckRanges:
			ack, it, err := wire.NewAckRangeIter(payload)
			if err != nil {
				p.t.Fatalf("bad ack: %v", err)
			}
			if _, ok := p.s.OnAck(p.now, ack, it); ok {
				p.lastProgress = p.now
			}
			any = true
			p.acksApplied++
		case wire.ChunkFlowException:
			ex, _ := wire.ParseFlowException(payload)
			p.s.OnException(ex.Code)
		case wire.ChunkBufferProbe:
		}
	}
	if any {
		p.highest = max(p.highest, p.s.MaxAckedTSN())
		p.s.ApplyNAKs(p.highest)
	}
}

// step advances the clock by d and runs one round of every party.
func (p *pipe) step(d time.Duration) {
	p.now = p.now.Add(d)
	for _, dg := range p.due(&p.fwd) {
		if len(dg.b) > 0 && dg.b[0] == byte(wire.ChunkBufferProbe) {
			p.r.OnBufferProbe(p.now)
			continue
		}
		p.receive(dg.b)
	}
	for _, dg := range p.due(&p.back) {
		p.ackArrived(dg.b)
	}
	if due, imm := p.r.AckDue(); due && (imm || !p.now.Before(p.r.AckDeadline())) {
		if b := p.r.AppendAck(nil, p.budget); len(b) > 0 {
			p.enqueue(&p.back, b, 0, p.ackLoss, 0)
		}
	}
	if dl := p.s.NextDeadline(); !dl.IsZero() && !p.now.Before(dl) {
		p.s.OnDeadline(p.now)
	}
	if p.r.NextDeadline() != (time.Time{}) && !p.now.Before(p.r.NextDeadline()) {
		p.r.OnDeadline(p.now)
	}
	if pt := p.s.NextBufferProbe(p.erto); !pt.IsZero() && !p.now.Before(pt) {
		p.probes++
		p.enqueue(&p.fwd, wire.BufferProbe{FlowID: p.s.ID()}.Append(nil), 0, 0, 0)
		p.s.OnBufferProbeSent(p.now, p.erto)
	}
	for sent := 0; sent < p.perStep && p.s.Outstanding() < p.cwnd && p.s.WantsToSend(p.now); sent++ {
		p.tsn++
		b, n, _ := p.s.AppendData(nil, p.now, p.tsn, p.budget)
		if n == 0 {
			p.tsn--
			break
		}
		if n > p.budget {
			p.t.Fatalf("AppendData wrote %d bytes into a budget of %d", n, p.budget)
		}
		p.packets++
		p.inspect(b)
		p.enqueue(&p.fwd, b, p.tsn, p.loss, p.dup)
	}
	if p.s.Outstanding() > 0 && p.now.Sub(p.lastProgress) >= p.erto {
		p.timeouts++
		p.s.OnTimeout(p.now)
		p.lastProgress = p.now
	}
	if p.s.Outstanding() == 0 {
		p.lastProgress = p.now
	}
	if p.readEvery {
		p.readAll()
	}
}

func (p *pipe) readAll() {
	for {
		m, ok := p.r.Read()
		if !ok {
			return
		}
		p.delivered = append(p.delivered, m)
		p.deliveredAt = append(p.deliveredAt, p.now)
	}
}

// runUntil steps until cond holds or limit of virtual time passes.
func (p *pipe) runUntil(limit time.Duration, cond func() bool) bool {
	end := p.now.Add(limit)
	for p.now.Before(end) {
		p.step(time.Millisecond)
		if cond() {
			return true
		}
	}
	return false
}
