package rtmfp

import (
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/wire"
)

// A session with checksums only (both ends offering HMAC and sequence
// numbers but neither asking, as with Flash-era peers) accepts a replayed
// packet as it was (RFC 7425 §4.6.5: nothing else tells it from the
// first). Its address can still move only to where the far end answers a
// check, and only the answer to the latest check counts: the far end moves
// from A1 to A2 to A3, and its answer from A2, replayed from A2 later, no
// longer takes the session back there (before: it did, for 120 s).
func TestReplayedMobilityAnswer(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	clock := func() time.Time { return p.now }
	for i, e := range []**engine{&p.a, &p.b} {
		var err error
		*e, err = newEngine(Config{Identity: rtmfptest.Identity(i), Rand: rtmfptest.Rand(byte(i + 1)), Now: clock,
			Policy: flashcrypto.FlashCompatiblePolicy()})
		if err != nil {
			t.Fatal(err)
		}
	}
	sa, sb := p.connect(t)
	if n := sb.est.Negotiated; n.SSEQRecv || n.HMACRecv {
		t.Fatalf("negotiated %+v, want checksums only", n)
	}
	// from carries a's packets to b as if sent from addr; b's go to a,
	// and the answers to mobility checks are kept.
	var answers [][]byte
	from := func(addr netip.AddrPort) {
		for round := 0; round < 10; round++ {
			var q [][]byte
			p.a.flush(p.now, func(_ netip.AddrPort, b []byte) { q = append(q, append([]byte(nil), b...)) })
			for _, d := range q {
				if chunkHas(t, sb, d, wire.ChunkPingReply) {
					answers = append(answers, d)
				}
				p.b.receive(p.now, addr, d)
			}
			var back [][]byte
			p.b.flush(p.now, func(_ netip.AddrPort, b []byte) { back = append(back, append([]byte(nil), b...)) })
			for _, d := range back {
				p.a.receive(p.now, p.addrB, d)
			}
			if len(q) == 0 && len(back) == 0 {
				return
			}
		}
	}
	a2 := netip.MustParseAddrPort("10.0.9.2:1935")
	a3 := netip.MustParseAddrPort("10.0.9.3:1935")
	p.now = p.now.Add(2 * time.Second)
	sa.sendKeepalive(p.now)
	p.a.touch(sa)
	from(a2)
	if sb.farAddr != a2 || len(answers) != 1 {
		t.Fatalf("after moving to A2: far address %v, %d answers", sb.farAddr, len(answers))
	}
	fromA2 := answers[0]
	p.now = p.now.Add(3 * time.Second)
	sa.sendKeepalive(p.now)
	p.a.touch(sa)
	from(a3)
	if sb.farAddr != a3 {
		t.Fatalf("after moving to A3: far address %v", sb.farAddr)
	}
	p.now = p.now.Add(3 * time.Second)
	before := p.b.stats.Dropped[DropReplay]
	p.b.receive(p.now, a2, fromA2)
	if sb.farAddr != a3 || p.b.stats.Dropped[DropReplay] != before+1 {
		t.Fatalf("replayed answer from A2: far address %v, %d replays dropped", sb.farAddr, p.b.stats.Dropped[DropReplay]-before)
	}
}

// chunkHas reports whether the session packet d to s carries a chunk of
// type ty.
func chunkHas(t *testing.T, s *Session, d []byte, ty wire.ChunkType) bool {
	plain, err := s.cipher.Open(nil, d[wire.SessionIDLength:])
	if err != nil {
		return false
	}
	_, n, err := wire.ParsePacketHeader(plain)
	if err != nil {
		t.Fatal(err)
	}
	r := wire.NewChunkReader(plain[n:])
	for c, _, ok := r.Next(); ok; c, _, ok = r.Next() {
		if c == ty {
			return true
		}
	}
	return false
}
