package cluster

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/wire"
)

// rawIHello is a startup packet carrying one IHello (RFC 7016 §2.3.2),
// sealed with the default key (RFC 7425 §4.1) and padded to pad bytes of
// cleartext.
func rawIHello(epd, tag []byte, pad int) []byte {
	h := wire.PacketHeader{Mode: wire.ModeStartup, HasTimestamp: true, Timestamp: 1}
	plain := h.Append(nil)
	plain = wire.IHello{EPD: epd, Tag: tag}.Append(plain)
	if len(plain) < pad {
		plain = wire.AppendPadding(plain, pad-len(plain))
	}
	c := flashcrypto.NewDefaultCipher()
	out := make([]byte, wire.SessionIDLength, wire.SessionIDLength+c.SealedLen(len(plain)))
	out = c.Seal(out, plain)
	_ = wire.PutScrambledSessionID(out, wire.StartupSessionID)
	return out
}

// readFor reads every datagram arriving on c within d and counts those
// from from (any source if from is the zero address). (P answers the
// forged initiator too: that is its FIHello at work, under P's own
// answer budget.)
func readFor(c *net.UDPConn, from netip.AddrPort, d time.Duration) (n, bytes int) {
	buf := make([]byte, 2048)
	_ = c.SetReadDeadline(time.Now().Add(d))
	for {
		k, src, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return n, bytes
		}
		if from.IsValid() && src != from {
			continue
		}
		n++
		bytes += k
	}
}

// TestIntroductionRateAcrossNodes: a flood of IHellos for P (on node A),
// sent to B and C at once from many tags, as a forger aiming P's RHellos
// at a victim would. B and C each begin at most their burst; A sends at
// most one burst of FIHellos in all: the target's limit holds across
// the cluster, not once per node.
func TestIntroductionRateAcrossNodes(t *testing.T) {
	w := newWorld(t)
	p := newPeer(t, listenUDP(t), 0)
	p.register(t, []netip.AddrPort{p.addr}, w.a.addr)
	pid := p.ep.PeerID()
	waitFor(t, 5*time.Second, "P in B's and C's directories", func() bool { return w.b.knows(pid) && w.c.knows(pid) })
	x := listenUDP(t)
	epd := flashcrypto.CanonicalEPD(pid)
	t0 := time.Now()
	const each = 60
	for i := range each {
		for _, to := range []netip.AddrPort{w.b.addr, w.c.addr} {
			tag := []byte{byte(i), byte(to.Port()), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
			if _, err := x.WriteToUDPAddrPort(rawIHello(epd, tag, 400), to); err != nil {
				t.Fatal(err)
			}
		}
	}
	readFor(x, netip.AddrPort{}, 300*time.Millisecond)
	elapsed := time.Since(t0).Seconds()
	burst, rate := rendezvous.DefaultLimits.IntroductionBurst, rendezvous.DefaultLimits.IntroductionRate
	out := w.b.cl.Stats().IntrosOut + w.c.cl.Stats().IntrosOut
	waitFor(t, 10*time.Second, "A received them", func() bool { return w.a.cl.Stats().IntrosIn == out })
	fi := w.a.srv.Stats().Forwarded
	if limit := uint64(burst + rate*elapsed + 1); fi > limit || fi < uint64(burst) {
		t.Fatalf("A sent %d FIHellos for %d introductions from B and C in %.2f s, want %v..%d", fi, out, elapsed, burst, limit)
	}
	if out <= uint64(burst)+1 {
		t.Fatalf("B and C began only %d introductions: the test shows nothing", out)
	}
	if w.a.srv.Stats().Dropped[rendezvous.DropIntroRate] == 0 || w.b.cl.Stats().Dropped[DropIntroRate] == 0 {
		t.Fatal("rate drops not counted")
	}
	t.Logf("%d IHellos to B and C: %d introductions forwarded to A, %d FIHellos sent by A", 2*each, out, fi)
}

// TestAmplificationAcrossNodes: node C answers an IHello for a peer of
// node A within C's own 3× budget: P reported sixteen IPv6 addresses, so
// the Redirect to a small IHello from an unverified address is held back;
// padded to a third of it, the IHello is answered.
func TestAmplificationAcrossNodes(t *testing.T) {
	w := newWorld(t)
	p := newPeer(t, listenUDP(t), 0)
	var reported []netip.AddrPort
	for i := range 16 {
		reported = append(reported, netip.AddrPortFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i + 1)}), 1935))
	}
	p.register(t, reported, w.a.addr)
	pid := p.ep.PeerID()
	waitFor(t, 5*time.Second, "P in C's directory", func() bool { return w.c.knows(pid) })
	x := listenUDP(t)
	small := rawIHello(flashcrypto.CanonicalEPD(pid), make([]byte, 16), 0)
	_, _ = x.WriteToUDPAddrPort(small, w.c.addr)
	if got, _ := readFor(x, w.c.addr, 300*time.Millisecond); got != 0 {
		t.Fatalf("%d answers to a %d-byte IHello", got, len(small))
	}
	if d := w.c.srv.Stats().Dropped[rendezvous.DropAmplification]; d != 1 {
		t.Fatalf("C counted %d amplification drops", d)
	}
	big := rawIHello(flashcrypto.CanonicalEPD(pid), make([]byte, 16), 150)
	_, _ = x.WriteToUDPAddrPort(big, w.c.addr)
	got, nb := readFor(x, w.c.addr, 300*time.Millisecond)
	if got != 1 || nb > 3*len(big) {
		t.Fatalf("%d-byte IHello: %d answers, %d bytes", len(big), got, nb)
	}
	t.Logf("IHello %d B: Redirect held back; IHello %d B: Redirect %d B", len(small), len(big), nb)
}

// TestMalformedClusterInput: introductions and bucket values that do not
// parse, or name a peer A does not hold, are dropped and counted; the
// directory keeps nothing of them, and real introductions still work.
func TestMalformedClusterInput(t *testing.T) {
	w := newWorld(t)
	nc, err := nats.Connect(w.nats.url())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	subj := w.a.cl.introSubject(w.a.cl.id)
	stranger := intro{target: flashcrypto.PeerID{1, 2, 3}, from: netip.MustParseAddrPort("192.0.2.1:1935"), tag: []byte("0123456789abcdef"), epd: []byte{0x21, 0x0f}}
	good := stranger.append(nil)
	bad := [][]byte{nil, {1}, {2}, good[:40], append(good[:33:33], 0x80), append([]byte{}, good[:len(good)-2]...)}
	for _, m := range append(bad, good) {
		if err := nc.Publish(subj, m); err != nil {
			t.Fatal(err)
		}
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	badKey := peerKey(flashcrypto.PeerID{9})
	entryOK := appendEntry(nil, 77, netip.MustParseAddrPort("192.0.2.9:1935"), nil)
	for _, kvp := range []struct {
		k string
		v []byte
	}{
		{badKey, []byte{1, 2, 3}},
		{badKey, append(append([]byte{}, entryOK...), 0)}, // trailing byte
		{badKey, append([]byte{2}, entryOK[1:]...)},       // unknown version
		{"p.zz", entryOK},                                 // not a peer ID
		{"x.y", entryOK},
	} {
		if _, err := kv.Put(ctx, kvp.k, kvp.v); err != nil {
			t.Fatal(err)
		}
	}
	wantBadMsg := uint64(len(bad))
	waitFor(t, 10*time.Second, "drops counted", func() bool {
		st := w.a.cl.Stats()
		return st.Dropped[DropBadEntry] >= 5 && st.Dropped[DropBadMessage] == wantBadMsg && st.Dropped[DropNoTarget] == 1
	})
	for _, n := range w.nodes() {
		if n.knows(flashcrypto.PeerID{9}) {
			t.Fatal("a malformed entry reached the directory")
		}
	}
	// The cluster still works (with time of its own: the steps above may
	// have used much of ctx's on a loaded machine).
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := newPeer(t, listenUDP(t), 0)
	p.register(t, []netip.AddrPort{p.addr}, w.a.addr)
	q := newPeer(t, listenUDP(t), 1)
	q.register(t, []netip.AddrPort{q.addr}, w.b.addr)
	waitFor(t, 5*time.Second, "P in B's directory", func() bool { return w.b.knows(p.ep.PeerID()) })
	accepted := p.acceptFrom(ctx, q)
	if _, err := q.call(ctx, p, w.b.addr); err != nil {
		t.Fatal(err)
	}
	<-accepted
	st := w.a.cl.Stats()
	t.Logf("dropped: %d bad messages, %d bad entries, %d for unknown targets", st.Dropped[DropBadMessage], st.Dropped[DropBadEntry], st.Dropped[DropNoTarget])
}
