package room

import (
	"bytes"
	"context"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/room/identity"
	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
)

// mitm is a man in the middle: it holds two identities of its own, answers
// Ada as if it were Bob (Ada was given its peer ID in Bob's place) and calls
// Bob as if it were Ada, and relays every flow between the two sessions,
// rewriting the peer IDs inside the messages so that each side sees a
// two-person call with the other. Only the short codes can tell.
type mitm struct {
	ctx     context.Context
	toAda   *rtmfp.Endpoint // Ada reaches this one
	toBob   *rtmfp.Endpoint // this one calls Bob
	bob     flashcrypto.PeerID
	bobAddr netip.AddrPort
	adaSide func([]byte) []byte // rewrites what goes to Ada
	bobSide func([]byte) []byte // rewrites what goes to Bob
}

func newMITM(t *testing.T, ctx context.Context, sc *scene, ada, bob *testMember) *mitm {
	listen := func(i int) *rtmfp.Endpoint {
		a := netip.AddrFrom4([4]byte{10, 9, 0, byte(i)})
		h, err := sc.net.AddHost("mitm"+string(rune('0'+i)), a)
		if err != nil {
			t.Fatal(err)
		}
		c, err := h.Listen(netip.AddrPortFrom(a, 1935))
		if err != nil {
			t.Fatal(err)
		}
		ep, err := rtmfp.NewEndpoint(c, rtmfp.Config{Identity: rtmfptest.Identity(i)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ep.Close() })
		return ep
	}
	m := &mitm{ctx: ctx, toAda: listen(6), toBob: listen(7), bob: bob.id, bobAddr: bob.addr}
	replace := func(pairs ...flashcrypto.PeerID) func([]byte) []byte {
		return func(b []byte) []byte {
			for i := 0; i < len(pairs); i += 2 {
				b = bytes.ReplaceAll(b, []byte(pairs[i].String()), []byte(pairs[i+1].String()))
			}
			return b
		}
	}
	// Ada must see only "Bob" (our toAda ID) and herself; Bob only "Ada"
	// (our toBob ID) and himself.
	m.adaSide = replace(bob.id, m.toAda.PeerID(), m.toBob.PeerID(), ada.id)
	m.bobSide = replace(ada.id, m.toBob.PeerID(), m.toAda.PeerID(), bob.id)
	go m.run()
	return m
}

// run waits for Ada's session, calls Bob, and relays both ways.
func (m *mitm) run() {
	sa, err := m.toAda.Accept(m.ctx)
	if err != nil {
		return
	}
	sb, err := m.toBob.Connect(m.ctx, flashcrypto.CanonicalEPD(m.bob), m.bobAddr)
	if err != nil {
		return
	}
	go m.relaySession(sa, sb, m.bobSide, m.adaSide)
	m.relaySession(sb, sa, m.adaSide, m.bobSide)
}

// relaySession mirrors every flow the far end of from opens onto to.
func (m *mitm) relaySession(from, to *rtmfp.Session, forward, back func([]byte) []byte) {
	for {
		rf, err := from.AcceptFlow(m.ctx)
		if err != nil {
			return
		}
		sf, err := to.OpenFlow(rf.Metadata(), rtmfp.Priority(5))
		if err != nil {
			return
		}
		go m.mirror(rf, sf, forward, back)
	}
}

// mirror copies rf's messages to sf, and mirrors the flows the far end
// opens in return to sf as return flows of rf.
func (m *mitm) mirror(rf *rtmfp.RecvFlow, sf *rtmfp.SendFlow, forward, back func([]byte) []byte) {
	go func() {
		for {
			rr, err := sf.AcceptReturn(m.ctx)
			if err != nil {
				return
			}
			rs, err := rf.OpenReturnFlow(rr.Metadata(), rtmfp.Priority(5))
			if err != nil {
				return
			}
			go m.mirror(rr, rs, back, forward)
		}
	}()
	for {
		b, err := rf.Read(m.ctx)
		if err != nil {
			sf.Close()
			return
		}
		if _, err := sf.Write(forward(b), rtmfp.WriteOptions{}); err != nil {
			return
		}
	}
}

// TestManInTheMiddleShowsInTheCodes: Ada was given the peer ID of a man in
// the middle in place of Bob's; it completes a handshake with each of them
// and relays everything, rewriting IDs, so both see a working two-person
// call. Their short codes differ. (TestTwoPeopleCall checks that without
// it they are equal.)
func TestManInTheMiddleShowsInTheCodes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 8)
		ada := sc.add(0, "Ada", nil)
		bob := sc.add(1, "Bob", nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		m := newMITM(t, ctx, sc, ada, bob)

		tampered, err := identity.FormatInvite(m.toAda.PeerID(), []netip.AddrPort{m.toAda.LocalAddr()}, "")
		if err != nil {
			t.Fatal(err)
		}
		jctx, jcancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer jcancel()
		if err := ada.r.Join(jctx, tampered); err != nil {
			t.Fatal(err)
		}
		sc.waitFor(5*time.Second, "a call on each side", func() bool {
			return len(ada.connectedTo()) == 1 && len(bob.connectedTo()) == 1
		})
		time.Sleep(3 * time.Second)
		a := ada.r.Snapshot().Members[0]
		b := bob.r.Snapshot().Members[0]
		if a.Name != "Bob" || b.Name != "Ada" || a.PeerID != m.toAda.PeerID() || b.PeerID != m.toBob.PeerID() {
			t.Fatalf("Ada sees %q (%s), Bob sees %q (%s)", a.Name, shortID(a.PeerID), b.Name, shortID(b.PeerID))
		}
		// The relay works: media flows both ways.
		if a.AudioPlayed < 100 || b.AudioPlayed < 100 || a.VideoShown < 20 || b.VideoShown < 20 {
			t.Fatalf("through the relay: Ada played %d/%d, Bob %d/%d audio/video frames", a.AudioPlayed, a.VideoShown, b.AudioPlayed, b.VideoShown)
		}
		if slices.Equal(a.Verification.Code, b.Verification.Code) {
			t.Fatalf("equal codes through a man in the middle: %v", a.Verification.Code)
		}
		if a.Verification.NearNonce == b.Verification.FarNonce || a.Verification.FarNonce == b.Verification.NearNonce {
			t.Fatal("nonces shared across the two sessions")
		}
		t.Logf("Ada reads %v, Bob reads %v", a.Verification.Code, b.Verification.Code)
	})
}
