package rtmfp

import (
	"bytes"
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/wire"
)

// chunkTypes decrypts a startup-mode datagram and lists its chunk types.
func chunkTypes(t *testing.T, b []byte) []wire.ChunkType {
	t.Helper()
	plain, err := flashcrypto.NewDefaultCipher().Open(nil, b[4:])
	if err != nil {
		return nil
	}
	_, n, err := wire.ParsePacketHeader(plain)
	if err != nil {
		t.Fatal(err)
	}
	var l []wire.ChunkType
	r := wire.NewChunkReader(plain[n:])
	for ty, _, ok := r.Next(); ok; ty, _, ok = r.Next() {
		l = append(l, ty)
	}
	return l
}

func TestRIKeyingRetransmittedOnRepeatedIIKeying(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 20 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		// Lose b's first RIKeying.
		lost := 0
		b.host.Uplink().Intercept(func(now time.Time, d rtmfptest.Datagram) ([]byte, bool) {
			for _, ty := range chunkTypes(t, d.Payload) {
				if ty == wire.ChunkRIKeying && lost == 0 {
					lost++
					return nil, false
				}
			}
			return d.Payload, true
		})
		start := time.Now()
		sa, sb := connectPair(t, a, b)
		if el := time.Since(start); el != 1080*time.Millisecond {
			t.Errorf("opened after %v, want the IIKeying retransmission at 1.04 s plus 40 ms", el)
		}
		st := b.ep.Stats()
		if lost != 1 || st.RIKeyingRetransmits != 1 || st.HandshakesAccepted != 1 {
			t.Fatalf("lost %d, stats %+v", lost, st)
		}
		if sa.NearNonce() != sb.FarNonce() {
			t.Fatal("nonces")
		}
	})
}

func TestResponderQueuesAtMostMaxPendingKeyings(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	// Initiators at addresses of as many /24s, each with a valid cookie.
	const n = MaxPendingKeying + 6
	for i := range n {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i), 1}), 1935)
		p.b.receive(p.now, from, p.b.sealStartup(p.now, 0, validIIKeying(p.b, from, p.now, wire.SessionID(i+1), flashcrypto.Group2).Append(nil), 0))
	}
	if got := p.b.pendingResponders(); got != MaxPendingKeying {
		t.Fatalf("%d queued", got)
	}
	if got := p.b.stats.Dropped[DropQueueFull]; got != n-MaxPendingKeying {
		t.Fatalf("%d dropped", got)
	}
	// A bad cookie is dropped before any queueing.
	c := wire.IIKeying{InitiatorSessionID: 99, Cookie: make([]byte, 64), Certificate: []byte{1}, SKIC: []byte{1}, Signature: []byte{0x58}}
	p.b.receive(p.now, p.addrA, p.b.sealStartup(p.now, 0, c.Append(nil), 0))
	if got := p.b.stats.Dropped[DropBadCookie]; got != 1 {
		t.Fatalf("bad cookies dropped: %d", got)
	}
}

// validIIKeying is an IIKeying from identity 0 at from, with a fresh
// cookie from e and a keying component selecting group g of its static
// keys (the agreement e would compute succeeds).
func validIIKeying(e *engine, from netip.AddrPort, now time.Time, isid wire.SessionID, g flashcrypto.Group) wire.IIKeying {
	kc := flashcrypto.KeyingComponent{HasGroupSelect: true, GroupSelect: g, ExtraRandomness: make([]byte, 64)}
	return wire.IIKeying{
		InitiatorSessionID: isid,
		Cookie:             e.cookies.Make(from, now),
		Certificate:        rtmfptest.Identity(0).Cert().Raw,
		SKIC:               kc.Append(nil),
		Signature:          []byte{flashcrypto.Signature},
	}
}

func TestNoAmplification(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	var out [][]byte
	send := func(_ netip.AddrPort, b []byte) { out = append(out, append([]byte(nil), b...)) }
	epd := flashcrypto.CanonicalEPD(p.b.id.PeerID())
	// Our own IHellos are padded, so the RHello fits within 3×.
	ih := p.a.sealStartup(p.now, 0, wire.IHello{EPD: epd, Tag: make([]byte, 16)}.Append(nil), ihelloPadTo)
	p.b.receive(p.now, p.addrA, ih)
	p.b.flush(p.now, send)
	if len(out) != 1 || len(out[0]) > AmplificationFactor*len(ih) {
		t.Fatalf("answers %d; sizes %d for %d", len(out), len(out[0]), len(ih))
	}
	if chunkTypes(t, out[0])[0] != wire.ChunkRHello {
		t.Fatal("not an RHello")
	}
	// A responder with a large certificate (three static keys) answers an
	// unpadded IHello (as the reference and Flash-era peers send them) only
	// from its over-answer budget: one answer here, and a flood of them from
	// spoofed addresses gets no more than the budget's burst.
	big, err := flashcrypto.NewStaticIdentity(rtmfptest.Rand(40), nil, flashcrypto.CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q := newMemPair(t, rtmfptest.Identity(0), big)
	out = nil
	small := q.a.sealStartup(q.now, 0, wire.IHello{EPD: flashcrypto.CanonicalEPD(big.PeerID()), Tag: make([]byte, 16)}.Append(nil), 0)
	q.b.receive(q.now, q.addrA, small)
	q.b.flush(q.now, send)
	if len(out) != 1 || len(out[0]) <= AmplificationFactor*len(small) || q.b.stats.OverAnswers != 1 {
		t.Fatalf("answered %d datagrams to a %d-byte IHello (over-answers %d)", len(out), len(small), q.b.stats.OverAnswers)
	}
	rhello := len(out[0])
	out = nil
	for i := range 1000 {
		spoofed := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), uint16(1000+i))
		q.b.receive(q.now, spoofed, small)
	}
	q.b.flush(q.now, send)
	budget := DefaultOverAnswerRate/4 - rhello // the burst, less the first answer
	if len(out)*rhello > budget || len(out) < budget/rhello || q.b.stats.Dropped[DropAmplification] != uint64(1000-len(out)) {
		t.Fatalf("flood of 1000 unpadded IHellos: %d answers of %d bytes (budget %d), %d dropped",
			len(out), rhello, budget, q.b.stats.Dropped[DropAmplification])
	}
	t.Logf("flood of 1000 %d-byte IHellos: %d answered (%d bytes), %d dropped", len(small), len(out), len(out)*rhello, q.b.stats.Dropped[DropAmplification])

	// A strict endpoint (OverAnswerRate < 0, for public servers) never
	// answers with more than three times the request.
	strict, err := newEngine(Config{Identity: big, Rand: rtmfptest.Rand(3), Now: func() time.Time { return q.now }, OverAnswerRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	out = nil
	strict.receive(q.now, q.addrA, small)
	strict.flush(q.now, send)
	if len(out) != 0 || strict.stats.Dropped[DropAmplification] != 1 {
		t.Fatalf("strict endpoint answered %d datagrams to a %d-byte IHello", len(out), len(small))
	}
	// The same responder answers a padded IHello, and the whole handshake
	// with the large certificate works.
	sa, sb := q.connect(t)
	if sa.farCert.PeerID != big.PeerID() || sb.farCert.PeerID != rtmfptest.Identity(0).PeerID() {
		t.Fatal("wrong peers")
	}
}

func TestDropsCountedByReason(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	sa, _ := p.connect(t)
	from := p.addrA
	p.b.receive(p.now, from, make([]byte, 10))
	p.b.receive(p.now, from, make([]byte, MaxDatagram+1))
	p.b.receive(p.now, from, make([]byte, 4+16)) // SID 0, garbage: checksum fails
	junk := make([]byte, 4+32)
	junk[0] = 0x55
	p.b.receive(p.now, from, junk) // unknown session
	// A session packet with a flipped bit fails the HMAC.
	good := make([]byte, 4, 64)
	good = sa.cipher.Seal(good, append([]byte{0x09, 0, 1}, wire.Ping{}.Append(nil)...))
	_ = wire.PutScrambledSessionID(good, sa.fsid)
	bad := append([]byte(nil), good...)
	bad[14] ^= 1 // after the two words that scramble the session ID
	p.b.receive(p.now, from, bad)
	// Its replay is refused by the sequence number window.
	p.b.receive(p.now, from, good)
	p.b.receive(p.now, from, good)
	d := p.b.stats.Dropped
	want := map[DropReason]uint64{DropTooShort: 1, DropTooLong: 1, DropChecksum: 1, DropUnknownSession: 1, DropDecrypt: 1, DropReplay: 1}
	for r, n := range want {
		if d[r] != n {
			t.Errorf("%v: %d drops, want %d (all: %v)", r, d[r], n, p.b.stats)
		}
	}
	// A packet with the sender's own mode is refused.
	own := make([]byte, 4, 64)
	own = sa.cipher.Seal(own, append([]byte{0x0a, 0, 2}, wire.Ping{}.Append(nil)...)) // responder mode, as b sends
	_ = wire.PutScrambledSessionID(own, sa.fsid)
	p.b.receive(p.now, from, own)
	if p.b.stats.Dropped[DropBadMode] != 1 {
		t.Fatalf("bad mode drops %d", p.b.stats.Dropped[DropBadMode])
	}
}

// rikeyingSKRC decrypts a startup-mode datagram and returns the SKRC of
// its RIKeying chunk, if any.
func rikeyingSKRC(t *testing.T, b []byte) []byte {
	t.Helper()
	plain, err := flashcrypto.NewDefaultCipher().Open(nil, b[4:])
	if err != nil {
		return nil
	}
	_, n, err := wire.ParsePacketHeader(plain)
	if err != nil {
		t.Fatal(err)
	}
	r := wire.NewChunkReader(plain[n:])
	for ty, p, ok := r.Next(); ok; ty, p, ok = r.Next() {
		if ty == wire.ChunkRIKeying {
			ri, err := wire.ParseRIKeying(p)
			if err != nil {
				t.Fatal(err)
			}
			return bytes.Clone(ri.SKRC)
		}
	}
	return nil
}

// TestFlashEraInitiator: an initiator that only offers HMAC and sequence
// numbers (as Flash Player and librtmfp do) is served without them, and
// the RIKeying it gets carries Flash Player's keying component byte for
// byte (librtmfp FlowManager::sendConnect refuses any other); a camchat
// initiator gets the reference's, with both protections.
func TestFlashEraInitiator(t *testing.T) {
	for _, c := range []struct {
		name   string
		policy flashcrypto.Policy
		head   []byte
		size   int
		plain  bool
	}{
		{"flash", flashcrypto.FlashCompatiblePolicy(), []byte{0x03, 0x1a, 0, 0, 0x02, 0x1e, 0, 0x41, 0x0e}, 73, true},
		{"camchat", flashcrypto.DefaultPolicy(), []byte{0x02, 0x1e, 0x07, 0x03, 0x1a, 0x07, 0x10, 0x41, 0x0e}, 73, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
				defer n.Close()
				a := newPeer(t, n, "a", "10.0.0.1", 0, func(cfg *Config) { cfg.Policy = c.policy })
				b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
				var skrcs [][]byte
				b.host.Uplink().Intercept(func(now time.Time, d rtmfptest.Datagram) ([]byte, bool) {
					if k := rikeyingSKRC(t, d.Payload); k != nil {
						skrcs = append(skrcs, k)
					}
					return d.Payload, true
				})
				sa, sb := connectPair(t, a, b)
				if len(skrcs) != 1 || len(skrcs[0]) != c.size || !bytes.HasPrefix(skrcs[0], c.head) {
					t.Fatalf("RIKeying SKRCs %x", skrcs)
				}
				na, nb := sa.Negotiated(), sb.Negotiated()
				if plain := !na.HMACSend && !na.SSEQSend && !nb.HMACSend && !nb.SSEQSend; plain != c.plain {
					t.Fatalf("negotiated %+v / %+v", na, nb)
				}
				if !c.plain && (!na.HMACSend || !na.SSEQSend || !nb.HMACSend || !nb.SSEQSend) {
					t.Fatalf("camchat peers without both protections: %+v / %+v", na, nb)
				}
				f, _ := sa.OpenFlow([]byte("m"), flow.PriorityImmediate)
				f.Write([]byte("both ways keyed from the SKRC sent"), WriteOptions{})
				rf, err := sb.AcceptFlow(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if m, err := rf.Read(context.Background()); err != nil || string(m) != "both ways keyed from the SKRC sent" {
					t.Fatal(m, err)
				}
			})
		})
	}
}

// TestFIHelloModes: the target of an FIHello answers with an RHello or an
// empty Redirect to the reply address, or ignores it.
func TestFIHelloModes(t *testing.T) {
	for _, tc := range []struct {
		mode FIHelloMode
		want wire.ChunkType
	}{{FIHelloSendRHello, wire.ChunkRHello}, {FIHelloSendRedirect, wire.ChunkRedirect}, {FIHelloIgnore, 0}} {
		p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
		sa, sb := p.connect(t)
		sb.fiMode = tc.mode
		reply := netip.MustParseAddrPort("10.7.7.7:5000")
		if err := sa.ForwardIHello(flashcrypto.CanonicalEPD(p.b.id.PeerID()), reply, []byte("tag")); err != nil {
			t.Fatal(err)
		}
		var got []wire.ChunkType
		p.a.flush(p.now, func(_ netip.AddrPort, b []byte) { p.b.receive(p.now, p.addrA, b) })
		p.b.flush(p.now, func(to netip.AddrPort, b []byte) {
			if to == reply {
				got = append(got, chunkTypes(t, b)...)
			}
		})
		if tc.want == 0 {
			if len(got) != 0 {
				t.Errorf("mode %d answered %v", tc.mode, got)
			}
			continue
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("mode %d answered %v, want %v", tc.mode, got, tc.want)
		}
	}
}

// TestEarlyPacketsReplayed: session packets that reach the initiator before
// the RIKeying (reordering) are kept and replayed once the session opens.
func TestEarlyPacketsReplayed(t *testing.T) {
	p := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	epdRaw := flashcrypto.CanonicalEPD(p.b.id.PeerID())
	epd, _ := flashcrypto.ParseEPD(epdRaw)
	sa, err := p.a.startInitiator(p.now, epdRaw, epd, []netip.AddrPort{p.addrB})
	if err != nil {
		t.Fatal(err)
	}
	var held [][]byte
	p.drop = func(from netip.AddrPort, b []byte) bool {
		if from == p.addrB && len(chunkTypes(t, b)) > 0 && chunkTypes(t, b)[0] == wire.ChunkRIKeying {
			held = append(held, append([]byte(nil), b...))
			return true
		}
		return false
	}
	p.pump()
	if len(held) != 1 || sa.state != stateKeyingSent || len(p.b.accepted) != 1 {
		t.Fatalf("held %d, state %d", len(held), sa.state)
	}
	sb := p.b.accepted[0]
	f, err := sb.OpenFlow([]byte("early"), flow.PriorityImmediate)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("before the RIKeying"), WriteOptions{})
	p.b.flush(p.now, func(_ netip.AddrPort, b []byte) { p.a.receive(p.now, p.addrB, b) })
	if len(sa.hs.early) != 1 {
		t.Fatalf("%d early packets kept", len(sa.hs.early))
	}
	p.a.receive(p.now, p.addrB, held[0])
	for p.a.work(p.now) { // the key agreement (pubkey.go)
	}
	if sa.state != stateOpen {
		t.Fatal("not open")
	}
	select {
	case rf := <-sa.flows.acceptQ:
		if m, ok := rf.r.Read(); !ok || string(m) != "before the RIKeying" {
			t.Fatalf("replayed flow delivered %q %v", m, ok)
		}
	default:
		t.Fatal("the early packet was not replayed")
	}
	// More than MaxEarlyPackets are not kept.
	q := newMemPair(t, rtmfptest.Identity(0), rtmfptest.Identity(1))
	s2, _ := q.a.startInitiator(q.now, epdRaw, epd, []netip.AddrPort{q.addrB})
	s2.state, s2.farAddr = stateKeyingSent, q.addrB // as onRHello leaves it
	for i := 0; i < MaxEarlyPackets+3; i++ {
		junk := make([]byte, 36)
		junk[20] = byte(i)
		w0, _ := wire.ScrambleSessionID(s2.rsid, junk[4:])
		junk[0], junk[1], junk[2], junk[3] = byte(w0>>24), byte(w0>>16), byte(w0>>8), byte(w0)
		q.a.receive(q.now, q.addrB, junk)
	}
	if len(s2.hs.early) != MaxEarlyPackets || q.a.stats.Dropped[DropEarlyOverflow] != 3 {
		t.Fatalf("kept %d, overflow %d", len(s2.hs.early), q.a.stats.Dropped[DropEarlyOverflow])
	}
}

func TestIdleLimitClosesSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 1, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		cfg := func(c *Config) { c.IdleLimit = 30 * time.Second }
		a := newPeer(t, n, "a", "10.0.0.1", 0, cfg)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		start := time.Now()
		<-sa.Done()
		if el := time.Since(start); el < 30*time.Second || el > 31*time.Second {
			t.Fatalf("closed after %v", el)
		}
		if sa.Err() != ErrIdle {
			t.Fatalf("err %v", sa.Err())
		}
		<-sb.Done()
		if sb.Err() != ErrSessionClosed {
			t.Fatalf("far end: %v", sb.Err())
		}
	})
}
