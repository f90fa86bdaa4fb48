package rtmfp

import (
	"camchat/internal/rtmfp/rtmfptest"
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
)

// memPair drives two engines back to back in memory, without goroutines or
// sockets: the sans-I/O seam used by the fuzz target and the benchmarks.
type memPair struct {
	a, b       *engine
	addrA      netip.AddrPort
	addrB      netip.AddrPort
	now        time.Time
	q, spare   []memPkt
	bufs       [][]byte // reusable copies
	sent       int      // datagrams carried
	drop       func(from netip.AddrPort, b []byte) bool
	sa, sb     *Session
	onDeliverB func(b []byte)
}

type memPkt struct {
	from, to netip.AddrPort
	b        []byte
}

func newMemPair(tb testing.TB, idA, idB *flashcrypto.Identity) *memPair {
	tb.Helper()
	p := &memPair{
		addrA: netip.MustParseAddrPort("10.0.0.1:1935"),
		addrB: netip.MustParseAddrPort("10.0.0.2:1935"),
		now:   time.Unix(1_000_000, 0),
	}
	clock := func() time.Time { return p.now }
	var err error
	if p.a, err = newEngine(Config{Identity: idA, Rand: rtmfptest.Rand(1), Now: clock}); err != nil {
		tb.Fatal(err)
	}
	if p.b, err = newEngine(Config{Identity: idB, Rand: rtmfptest.Rand(2), Now: clock}); err != nil {
		tb.Fatal(err)
	}
	return p
}

// connect runs a handshake from a to b and returns both sessions.
func (p *memPair) connect(tb testing.TB) (*Session, *Session) {
	tb.Helper()
	epdRaw := flashcrypto.CanonicalEPD(p.b.id.PeerID())
	epd, _ := flashcrypto.ParseEPD(epdRaw)
	s, err := p.a.startInitiator(p.now, epdRaw, epd, []netip.AddrPort{p.addrB})
	if err != nil {
		tb.Fatal(err)
	}
	p.pump()
	if s.state != stateOpen || len(p.b.accepted) == 0 {
		tb.Fatalf("handshake did not complete: state %d", s.state)
	}
	p.sa, p.sb = s, p.b.accepted[len(p.b.accepted)-1]
	p.b.accepted = p.b.accepted[:0]
	return p.sa, p.sb
}

func (p *memPair) capture(from netip.AddrPort) func(netip.AddrPort, []byte) {
	return func(to netip.AddrPort, b []byte) {
		var buf []byte
		if n := len(p.bufs); n > 0 {
			buf, p.bufs = p.bufs[n-1][:0], p.bufs[:n-1]
		}
		p.q = append(p.q, memPkt{from: from, to: to, b: append(buf, b...)})
	}
}

// pump flushes both engines and delivers datagrams until none are left.
func (p *memPair) pump() {
	sendA, sendB := p.capture(p.addrA), p.capture(p.addrB)
	for round := 0; round < 1000; round++ {
		p.a.flush(p.now, sendA)
		p.b.flush(p.now, sendB)
		if len(p.q) == 0 {
			return
		}
		q := p.q
		p.q = p.spare[:0]
		for i := range q {
			d := &q[i]
			p.sent++
			if p.drop == nil || !p.drop(d.from, d.b) {
				switch d.to {
				case p.addrB:
					if p.onDeliverB != nil {
						p.onDeliverB(d.b)
					}
					p.b.receive(p.now, d.from, d.b)
					for p.b.work(p.now) {
					}
				case p.addrA:
					p.a.receive(p.now, d.from, d.b)
					for p.a.work(p.now) {
					}
				}
			}
			p.bufs = append(p.bufs, d.b)
			d.b = nil
		}
		p.spare = q[:0]
	}
}

// advance moves the clock and runs due timers.
func (p *memPair) advance(d time.Duration) {
	p.now = p.now.Add(d)
	p.a.timeout(p.now)
	p.b.timeout(p.now)
}
