package rtmfp

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/wire"
)

// Hostile-input tests of the handshake and of FIHello handling: each drives
// two engines in memory and counts what would go out to third parties.

// sealFromA seals a plain session packet (header and chunks) as a's session
// to b would, so that a test can hand b arbitrary authenticated chunks.
func sealFromA(p *memPair, chunks []byte) []byte {
	plain := wire.PacketHeader{Mode: wire.ModeInitiator}.Append(nil)
	plain = append(plain, chunks...)
	dg := make([]byte, 4, 4+p.sa.cipher.SealedLen(len(plain)))
	dg = p.sa.cipher.Seal(dg, plain)
	_ = wire.PutScrambledSessionID(dg, p.sa.fsid)
	return dg
}

// countTo flushes e and counts the datagrams and bytes sent to addr.
func countTo(e *engine, now time.Time, addr netip.AddrPort) (pkts, n int) {
	e.flush(now, func(to netip.AddrPort, b []byte) {
		if to == addr {
			pkts++
			n += len(b)
		}
	})
	return pkts, n
}

// fiHellos returns as many FIHello chunks for b, answered at replyTo, as fit
// in one datagram.
func fiHellos(p *memPair, replyTo netip.AddrPort) ([]byte, int) {
	epd := flashcrypto.CanonicalEPD(p.b.id.PeerID())
	var chunks []byte
	n := 0
	for {
		c := wire.FIHello{EPD: epd, ReplyAddress: wire.Address{AddrPort: replyTo}, Tag: []byte{byte(n), byte(n >> 8)}}.Append(nil)
		if len(chunks)+len(c) > flashcrypto.MaxPacketLength-64 {
			return chunks, n
		}
		chunks = append(chunks, c...)
		n++
	}
}

// An authenticated far end cannot make us reflect RHellos at a third party:
// one FIHello per packet is answered, a session gets fiHelloBurst answers at
// once and fiHelloRate a second after that, and each answer is charged to
// the endpoint's over-answer budget (review finding 2: one datagram of 172
// FIHellos gave 172 RHellos, 100 more gave 17,200).
func TestFIHelloAnswersBounded(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	p.connect(t)
	p.sb.fiMode = FIHelloSendRHello
	victim := netip.MustParseAddrPort("192.0.2.99:80")
	chunks, n := fiHellos(p, victim)
	budget0 := p.b.overAnswer
	p.b.receive(p.now, p.addrA, sealFromA(p, chunks))
	pkts, by := countTo(p.b, p.now, victim)
	if pkts != 1 {
		t.Fatalf("one datagram of %d FIHellos: %d answers, want 1", n, pkts)
	}
	if got, sg := p.b.stats.Dropped[DropRateLimited], p.sb.stats.Dropped[DropRateLimited]; got != uint64(n-1) || sg != got {
		t.Errorf("rate-limited drops %d (session %d), want %d", got, sg, n-1)
	}
	if p.b.stats.OverAnswers != 1 {
		t.Errorf("over-answers %d, want 1", p.b.stats.OverAnswers)
	}
	if spent := budget0.burst - p.b.overAnswer.tokens; int(spent) != by {
		t.Errorf("over-answer budget charged %v bytes, want %d", spent, by)
	}
	total := 1
	for i := 0; i < 100; i++ {
		p.b.receive(p.now, p.addrA, sealFromA(p, chunks))
		k, _ := countTo(p.b, p.now, victim)
		total += k
	}
	if total != fiHelloBurst {
		t.Fatalf("101 datagrams in one instant: %d answers, want the burst %d", total, fiHelloBurst)
	}
	// One second later the bucket has refilled fiHelloRate answers.
	p.now = p.now.Add(time.Second)
	more := 0
	for i := 0; i < 20; i++ {
		p.b.receive(p.now, p.addrA, sealFromA(p, chunks))
		k, _ := countTo(p.b, p.now, victim)
		more += k
	}
	if more != fiHelloRate {
		t.Fatalf("after 1 s: %d answers, want %d", more, fiHelloRate)
	}
	t.Logf("%d FIHellos in 121 datagrams -> %d answers; drops %v", n*121, total+more, p.b.stats.Dropped)
}

// With the over-answer budget spent, a forwarded IHello is not answered.
func TestFIHelloChargedToOverAnswerBudget(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	p.connect(t)
	p.sb.fiMode = FIHelloSendRHello
	victim := netip.MustParseAddrPort("192.0.2.99:80")
	chunks, _ := fiHellos(p, victim)
	p.b.overAnswer = tokenBucket{rate: 1, burst: 1} // nearly nothing left
	p.b.receive(p.now, p.addrA, sealFromA(p, chunks[:len(wire.FIHello{EPD: flashcrypto.CanonicalEPD(p.b.id.PeerID()), ReplyAddress: wire.Address{AddrPort: victim}, Tag: []byte{0, 0}}.Append(nil))]))
	if k, _ := countTo(p.b, p.now, victim); k != 0 {
		t.Fatalf("%d answers with the budget spent, want 0", k)
	}
	if p.b.stats.Dropped[DropAmplification] != 1 {
		t.Fatalf("amplification drops %d, want 1", p.b.stats.Dropped[DropAmplification])
	}
}

// Reply addresses we must not send to are dropped and counted; loopback is
// allowed when our own socket is on loopback.
func TestFIHelloReplyAddressFiltered(t *testing.T) {
	bad := []string{"127.0.0.1:22", "169.254.1.1:80", "[fe80::1]:80", "0.0.0.0:9", "224.0.0.1:9", "255.255.255.255:9", "[ff02::1]:9", "[::]:9", "[::1]:22", "[::ffff:127.0.0.1]:22", "192.0.2.1:0"}
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	p.connect(t)
	p.sb.fiMode = FIHelloSendRHello
	epd := flashcrypto.CanonicalEPD(p.b.id.PeerID())
	sent := 0
	for i, a := range bad {
		ch := wire.FIHello{EPD: epd, ReplyAddress: wire.Address{AddrPort: netip.MustParseAddrPort(a)}, Tag: []byte{byte(i)}}.Append(nil)
		p.b.receive(p.now, p.addrA, sealFromA(p, ch))
		p.b.flush(p.now, func(to netip.AddrPort, b []byte) {
			if to != p.addrA {
				sent++
			}
		})
	}
	if sent != 0 || p.b.stats.Dropped[DropBadAddress] != uint64(len(bad)) {
		t.Fatalf("sent %d answers, bad-address drops %d; want 0 and %d", sent, p.b.stats.Dropped[DropBadAddress], len(bad))
	}
	p.b.localLoopback = true
	loop := netip.MustParseAddrPort("127.0.0.1:1935")
	ch := wire.FIHello{EPD: epd, ReplyAddress: wire.Address{AddrPort: loop}, Tag: []byte{99}}.Append(nil)
	p.b.receive(p.now, p.addrA, sealFromA(p, ch))
	if k, _ := countTo(p.b, p.now, loop); k != 1 {
		t.Fatalf("socket on loopback: %d answers to %v, want 1", k, loop)
	}
}

// One spoofed startup datagram full of IIKeyings with a genuine cookie gets
// one Cookie Change, not one per chunk (review finding 6: 106 answers).
func TestCookieChangeOnePerPacket(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	own := netip.MustParseAddrPort("203.0.113.66:4444")
	victim := netip.MustParseAddrPort("192.0.2.99:53")
	cookie := p.b.cookies.Make(own, p.now)
	var chunks []byte
	n := 0
	for {
		c := wire.IIKeying{InitiatorSessionID: 7, Cookie: cookie, Certificate: []byte{0}, SKIC: []byte{0}}.Append(nil)
		if len(chunks)+len(c) > flashcrypto.MaxPacketLength-64 {
			break
		}
		chunks = append(chunks, c...)
		n++
	}
	p.b.receive(p.now, victim, p.b.sealStartup(p.now, 0, chunks, 0))
	pkts, _ := countTo(p.b, p.now, victim)
	if pkts != 1 || p.b.stats.CookieChanges != 1 {
		t.Fatalf("%d IIKeyings in one datagram -> %d datagrams, %d cookie changes; want 1 and 1", n, pkts, p.b.stats.CookieChanges)
	}
	if got := p.b.stats.Dropped[DropRateLimited]; got != uint64(n-1) {
		t.Fatalf("rate-limited drops %d, want %d", got, n-1)
	}
}

// A Redirect cannot aim our IHellos at the unspecified address, multicast,
// broadcast or our own loopback services (review finding 7).
func TestRedirectCandidatesFiltered(t *testing.T) {
	for _, onLoopback := range []bool{false, true} {
		p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
		p.a.localLoopback = onLoopback
		hostile := netip.MustParseAddrPort("203.0.113.66:4444")
		epdRaw := flashcrypto.CanonicalEPD(p.b.id.PeerID())
		epd, _ := flashcrypto.ParseEPD(epdRaw)
		s, err := p.a.startInitiator(p.now, epdRaw, epd, []netip.AddrPort{hostile})
		if err != nil {
			t.Fatal(err)
		}
		p.a.flush(p.now, func(netip.AddrPort, []byte) {})
		loop := netip.MustParseAddrPort("127.0.0.1:22")
		bad := []netip.AddrPort{netip.MustParseAddrPort("255.255.255.255:9"),
			netip.MustParseAddrPort("224.0.0.1:9"), netip.MustParseAddrPort("0.0.0.0:9"),
			netip.MustParseAddrPort("[ff02::1]:9"), netip.MustParseAddrPort("192.0.2.7:0"),
			netip.MustParseAddrPort("169.254.1.1:80")}
		good := netip.MustParseAddrPort("192.0.2.1:1935")
		addrs := []wire.Address{{AddrPort: loop}, {AddrPort: good}}
		for _, a := range bad {
			addrs = append(addrs, wire.Address{AddrPort: a})
		}
		p.a.receive(p.now, hostile, p.a.sealStartup(p.now, 0, wire.Redirect{Tag: []byte(s.hs.tag), Addresses: addrs}.Append(nil), 0))
		dests := map[netip.AddrPort]int{}
		for i := 0; i < 200; i++ {
			p.a.timeout(p.now)
			p.a.flush(p.now, func(to netip.AddrPort, b []byte) { dests[to]++ })
			p.now = p.now.Add(100 * time.Millisecond)
		}
		for _, a := range bad {
			if dests[a] != 0 {
				t.Errorf("loopback %v: %d IHellos to %v", onLoopback, dests[a], a)
			}
		}
		if dests[good] == 0 {
			t.Errorf("loopback %v: no IHello to %v", onLoopback, good)
		}
		if (dests[loop] > 0) != onLoopback {
			t.Errorf("loopback %v: %d IHellos to %v", onLoopback, dests[loop], loop)
		}
		wantDrops := uint64(len(bad))
		if !onLoopback {
			wantDrops++
		}
		if got := p.a.stats.Dropped[DropBadAddress]; got != wantDrops {
			t.Errorf("loopback %v: bad-address drops %d, want %d", onLoopback, got, wantDrops)
		}
		if len(s.hs.candidates) != 2+btoi(onLoopback) {
			t.Errorf("loopback %v: %d candidates", onLoopback, len(s.hs.candidates))
		}
	}
}

// earlyDatagram is a datagram to s's session ID that the default key does not
// open (an early session packet, as far as s can tell).
func earlyDatagram(s *Session, body []byte) []byte {
	dg := append(make([]byte, 4), body...)
	_ = wire.PutScrambledSessionID(dg, s.rsid)
	return dg
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Receive session IDs are 32 random bits: not consecutive, not confined to
// 24 bits, distinct and non-zero (review finding 3).
func TestSessionIDsUnpredictable(t *testing.T) {
	e, err := newEngine(Config{Identity: rtmfptest.Identity(0), Rand: rtmfptest.Rand(1), Now: func() time.Time { return time.Unix(1_000_000, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[wire.SessionID]bool{}
	high, consecutive := 0, 0
	var prev wire.SessionID
	for i := 0; i < 1000; i++ {
		sid, err := e.newSID()
		if err != nil {
			t.Fatal(err)
		}
		if sid == 0 || seen[sid] {
			t.Fatalf("session ID %#x zero or repeated", uint32(sid))
		}
		seen[sid] = true
		if sid>>24 != 0 {
			high++
		}
		if sid == prev+1 {
			consecutive++
		}
		prev = sid
	}
	if high < 900 || consecutive > 0 {
		t.Fatalf("of 1000 IDs %d use the top byte and %d follow their predecessor", high, consecutive)
	}
}

// An off-path RIKeying sealed with the public default key, from an address
// other than the one our IIKeying went to, neither opens the session nor
// moves it; the genuine handshake then completes (review finding 3).
func TestRIKeyingOnlyFromKeyingAddress(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	attacker := netip.MustParseAddrPort("203.0.113.66:4444")
	epdRaw := flashcrypto.CanonicalEPD(p.b.id.PeerID())
	epd, _ := flashcrypto.ParseEPD(epdRaw)
	s, _ := p.a.startInitiator(p.now, epdRaw, epd, []netip.AddrPort{p.addrB})
	var toB, toA [][]byte
	p.a.flush(p.now, func(to netip.AddrPort, b []byte) { toB = append(toB, bytes.Clone(b)) })
	for _, d := range toB {
		p.b.receive(p.now, p.addrA, d)
	}
	p.b.flush(p.now, func(to netip.AddrPort, b []byte) { toA = append(toA, bytes.Clone(b)) })
	for _, d := range toA {
		p.a.receive(p.now, p.addrB, d)
	}
	for p.a.work(p.now) { // the key agreement (pubkey.go)
	}
	if s.state != stateKeyingSent {
		t.Fatalf("state %d, want keying sent", s.state)
	}
	skrc := append([]byte{0x02, 0x1e, 0x02, 0x03, 0x1a, 0x02, 0x10, 0x41, 0x0e}, make([]byte, 64)...)
	drops := p.a.stats.Dropped[DropHandshake]
	for _, ch := range [][]byte{
		wire.RIKeying{ResponderSessionID: 0x1234, SKRC: skrc, Signature: []byte{0x58}}.Append(nil),
		wire.RHelloCookieChange{OldCookie: s.hs.cookie, NewCookie: []byte("forged")}.Append(nil),
	} {
		p.a.receive(p.now, attacker, p.a.sealStartup(p.now, s.rsid, ch, 0))
	}
	if s.state != stateKeyingSent || s.farAddr != p.addrB || s.hs.cookieChanged {
		t.Fatalf("after forged RIKeying and Cookie Change: state %d farAddr %v cookie changed %v", s.state, s.farAddr, s.hs.cookieChanged)
	}
	// Nor can it fill the early-packet slots.
	for i := 0; i < MaxEarlyPackets; i++ {
		p.a.receive(p.now, attacker, earlyDatagram(s, make([]byte, 64)))
	}
	if len(s.hs.early) != 0 {
		t.Fatalf("%d early packets kept from %v", len(s.hs.early), attacker)
	}
	if got := p.a.stats.Dropped[DropHandshake] - drops; got != 2+MaxEarlyPackets {
		t.Fatalf("handshake drops %d, want %d", got, 2+MaxEarlyPackets)
	}
	p.pump()
	if s.state != stateOpen || s.farAddr != p.addrB {
		t.Fatalf("genuine handshake: state %d farAddr %v", s.state, s.farAddr)
	}
}
