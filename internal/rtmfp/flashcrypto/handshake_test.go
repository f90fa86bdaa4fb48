package flashcrypto

import (
	"bytes"
	"errors"
	"testing"
)

// handshake runs a full key agreement and checks that both ends agree.
func handshake(t *testing.T, ini, resp *Identity, ip, rp Policy) (*Established, *Established) {
	t.Helper()
	// The initiator sees the responder's certificate as received.
	rcert, err := ParseCert(resp.Cert().Raw)
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewInitiator(ini, rcert, ip, testRand(50))
	if err != nil {
		t.Fatal(err)
	}
	icert, err := ParseCert(ini.Cert().Raw)
	if err != nil {
		t.Fatal(err)
	}
	skrc, re, err := Respond(resp, icert, in.SKIC(), rp, testRand(51))
	if err != nil {
		t.Fatal(err)
	}
	ie, err := in.Complete(skrc)
	if err != nil {
		t.Fatal(err)
	}
	if ie.Nonces.Near != re.Nonces.Far || ie.Nonces.Far != re.Nonces.Near {
		t.Fatal("nonces do not cross")
	}
	if ie.Keys.EncryptKey != re.Keys.DecryptKey || ie.Keys.DecryptKey != re.Keys.EncryptKey {
		t.Fatal("keys do not cross")
	}
	if ie.Group != re.Group || ie.Group != in.Group() {
		t.Fatalf("groups %v %v", ie.Group, re.Group)
	}
	if ShortAuthCode(ie.Nonces) != ShortAuthCode(re.Nonces) {
		t.Fatal("short authentication codes differ")
	}
	ni, nr := ie.Negotiated, re.Negotiated
	if ni.HMACSend != nr.HMACRecv || ni.HMACRecv != nr.HMACSend || ni.SSEQSend != nr.SSEQRecv || ni.SSEQRecv != nr.SSEQSend ||
		ni.HMACSendLength != nr.HMACRecvLength || ni.HMACRecvLength != nr.HMACSendLength {
		t.Fatalf("negotiation disagrees: %+v vs %+v", ni, nr)
	}
	// Packets flow both ways.
	ic, err := ie.Cipher()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := re.Cipher()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if c, err := rc.Open(nil, ic.Seal(nil, []byte("\x09ping"))); err != nil || !bytes.HasPrefix(c, []byte("\x09ping")) {
			t.Fatalf("initiator→responder: %v", err)
		}
		if c, err := ic.Open(nil, rc.Seal(nil, []byte("\x0apong"))); err != nil || !bytes.HasPrefix(c, []byte("\x0apong")) {
			t.Fatalf("responder→initiator: %v", err)
		}
	}
	return ie, re
}

func mustStatic(t *testing.T, seed byte, groups ...Group) *Identity {
	t.Helper()
	id, err := NewStaticIdentity(testRand(seed), groups, CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestHandshakeStaticStatic(t *testing.T) {
	a := mustStatic(t, 1, Group2)
	b := mustStatic(t, 2, Group14, Group2)
	ie, re := handshake(t, a, b, DefaultPolicy(), DefaultPolicy())
	if ie.Group != Group2 {
		t.Errorf("group %v", ie.Group)
	}
	all := Negotiated{HMACSend: true, HMACSendLength: 16, HMACRecv: true, HMACRecvLength: 16, SSEQSend: true, SSEQRecv: true}
	if ie.Negotiated != all || re.Negotiated != all {
		t.Errorf("camchat peers must negotiate everything: %+v %+v", ie.Negotiated, re.Negotiated)
	}
	// The group comes from the initiator's preference among the
	// responder's: b initiating to a 14+2 peer picks 14.
	c := mustStatic(t, 3, Group14, Group2)
	ie, _ = handshake(t, b, c, DefaultPolicy(), DefaultPolicy())
	if ie.Group != Group14 {
		t.Errorf("group %v, want 14", ie.Group)
	}
	// The static secret is the same in every session between the same two
	// identities, but the random components make the keys differ.
	e1, _ := handshake(t, a, b, DefaultPolicy(), DefaultPolicy())
	in, _ := NewInitiator(a, b.Cert(), DefaultPolicy(), testRand(99))
	skrc, _, err := Respond(b, a.Cert(), in.SKIC(), DefaultPolicy(), testRand(98))
	if err != nil {
		t.Fatal(err)
	}
	e2, err := in.Complete(skrc)
	if err != nil {
		t.Fatal(err)
	}
	if e1.Nonces == e2.Nonces || e1.Keys.EncryptKey == e2.Keys.EncryptKey {
		t.Error("two sessions share nonces or keys")
	}
}

func TestHandshakeClientServer(t *testing.T) {
	client := mustStatic(t, 4, Group2)
	server, err := NewEphemeralIdentity(testRand(5), nil, CertOptions{AcceptsAncillary: true})
	if err != nil {
		t.Fatal(err)
	}
	if server.IsStatic() || !server.Cert().AcceptsAncillary {
		t.Fatal("server identity wrong")
	}
	ie, _ := handshake(t, client, server, DefaultPolicy(), DefaultPolicy())
	if ie.Group != Group2 {
		t.Errorf("group %v", ie.Group)
	}
	// A client with all groups gets group 16 from a server listing 16 first.
	big := mustStatic(t, 6, PreferredGroups...)
	in, err := NewInitiator(big, server.Cert(), StrictPolicy(), testRand(7))
	if err != nil {
		t.Fatal(err)
	}
	kc, _ := ParseKeyingComponent(in.SKIC())
	if kc.GroupSelect != Group16 || len(kc.EphemeralKeys) != 0 || len(kc.ExtraRandomness) != 64 {
		t.Errorf("SKIC %+v", kc)
	}
	skrc, _, err := Respond(server, big.Cert(), in.SKIC(), DefaultPolicy(), testRand(8))
	if err != nil {
		t.Fatal(err)
	}
	rk, _ := ParseKeyingComponent(skrc)
	if len(rk.EphemeralKeys) != 1 || rk.EphemeralKeys[0].Group != Group16 || rk.ExtraRandomness != nil {
		t.Errorf("SKRC %+v", rk)
	}
	if _, err := in.Complete(skrc); err != nil {
		t.Fatal(err)
	}
	// An ephemeral initiator (a server opening a session) to a static peer.
	handshake(t, server, client, DefaultPolicy(), DefaultPolicy())
	// Two ephemeral ends.
	server2, _ := NewEphemeralIdentity(testRand(9), []Group{Group2}, CertOptions{})
	handshake(t, server, server2, DefaultPolicy(), DefaultPolicy())
}

// flashSKIC is the keying component a Flash-era initiator sends: group 2,
// HMAC and sequence numbers "send if asked" only.
func flashSKIC(t *testing.T) []byte {
	return append(append(h(t, "02 1d 02 41 0e"), bytes.Repeat([]byte{9}, 64)...), h(t, "03 1a 02 0a 02 1e 02")...)
}

func TestNegotiationPolicies(t *testing.T) {
	a := mustStatic(t, 10, Group2)
	b := mustStatic(t, 11, Group2)
	all := Negotiated{HMACSend: true, HMACSendLength: 16, HMACRecv: true, HMACRecvLength: 16, SSEQSend: true, SSEQRecv: true}

	// A camchat initiator is served by a responder in any mode, and gets
	// both protections both ways.
	for _, rp := range []Policy{DefaultPolicy(), StrictPolicy(), FlashCompatiblePolicy()} {
		ie, re := handshake(t, a, b, DefaultPolicy(), rp)
		if ie.Negotiated != all || re.Negotiated != all {
			t.Errorf("responder policy %+v: %+v / %+v", rp, ie.Negotiated, re.Negotiated)
		}
	}
	// Two Flash-compatible ends: nothing, checksums both ways.
	ie, _ := handshake(t, a, b, FlashCompatiblePolicy(), FlashCompatiblePolicy())
	if ie.Negotiated != (Negotiated{}) {
		t.Errorf("offer/offer: %+v", ie.Negotiated)
	}
	// A Flash-compatible initiator with a default responder: the responder
	// sees SOR only and does not require.
	ie, _ = handshake(t, a, b, FlashCompatiblePolicy(), DefaultPolicy())
	if ie.Negotiated != (Negotiated{}) {
		t.Errorf("offer/prefer: %+v", ie.Negotiated)
	}
	// ...a strict responder requires and gets them (the initiator offered SOR).
	ie, _ = handshake(t, a, b, FlashCompatiblePolicy(), StrictPolicy())
	if ie.Negotiated != all {
		t.Errorf("offer/strict: %+v", ie.Negotiated)
	}
	// Mixed modes per feature and an HMAC length of 4 one way.
	ie, re := handshake(t, a, b, Policy{HMAC: ModeRequire, SSEQ: ModeOffer, HMACLength: 4}, Policy{HMAC: ModePrefer, SSEQ: ModePrefer, HMACLength: 32})
	want := Negotiated{HMACSend: true, HMACSendLength: 4, HMACRecv: true, HMACRecvLength: 32}
	if ie.Negotiated != want || re.Negotiated.SSEQSend {
		t.Errorf("mixed: %+v / %+v", ie.Negotiated, re.Negotiated)
	}

	// A Flash-era initiator: a default responder serves it with checksums
	// and no sequence numbers, in Flash Player's form (TestRespondFlashForm).
	skrc, re, err := Respond(b, a.Cert(), flashSKIC(t), DefaultPolicy(), testRand(12))
	if err != nil {
		t.Fatal(err)
	}
	if re.Negotiated != (Negotiated{}) {
		t.Errorf("flash initiator: %+v", re.Negotiated)
	}
	if rk, _ := ParseKeyingComponent(skrc); rk.HMAC.Flags != 0 || rk.SSEQ.Flags != 0 || rk.Layout != LayoutFlash {
		t.Errorf("SKRC %+v", rk)
	}

	// An initiator offering nothing at all cannot satisfy a strict
	// responder; a default responder still serves it.
	bare := h(t, "02 1d 02")
	if _, _, err := Respond(b, a.Cert(), bare, StrictPolicy(), testRand(13)); !errors.Is(err, ErrNegotiation) {
		t.Errorf("strict vs bare: %v", err)
	}
	if _, re, err := Respond(b, a.Cert(), bare, DefaultPolicy(), testRand(13)); err != nil || re.Negotiated != (Negotiated{}) {
		t.Errorf("default vs bare: %v", err)
	}
	// An initiator that requires HMAC but announces a bad length is refused
	// by a responder that therefore must verify.
	badLen := h(t, "02 1d 02 03 1a 07 02 02 1e 07")
	if _, _, err := Respond(b, a.Cert(), badLen, DefaultPolicy(), testRand(14)); !errors.Is(err, ErrBadHMACLength) {
		t.Errorf("bad length: %v", err)
	}

	// A default initiator facing a Flash-era responder (SOR only, or
	// nothing) fails; a Flash-compatible initiator succeeds.
	for _, flashSKRC := range [][]byte{
		append(h(t, "03 1a 00 00 02 1e 00 41 0e"), bytes.Repeat([]byte{1}, 64)...),
	} {
		in, _ := NewInitiator(a, b.Cert(), DefaultPolicy(), testRand(15))
		if _, err := in.Complete(flashSKRC); !errors.Is(err, ErrNegotiation) {
			t.Errorf("default initiator vs nothing-offering responder: %v", err)
		}
		in, _ = NewInitiator(a, b.Cert(), FlashCompatiblePolicy(), testRand(15))
		if e, err := in.Complete(flashSKRC); err != nil || e.Negotiated != (Negotiated{}) {
			t.Errorf("compatible initiator: %v", err)
		}
	}
	if _, err := NewInitiator(a, b.Cert(), Policy{HMACLength: 40}, testRand(1)); !errors.Is(err, ErrBadHMACLength) {
		t.Errorf("policy length 40: %v", err)
	}
}

func TestHandshakeFailures(t *testing.T) {
	a := mustStatic(t, 20, Group2)
	b14 := mustStatic(t, 21, Group14)
	if _, err := NewInitiator(a, b14.Cert(), DefaultPolicy(), testRand(1)); !errors.Is(err, ErrNoCommonGroup) {
		t.Errorf("no common group: %v", err)
	}
	b := mustStatic(t, 22, Group2)
	in, _ := NewInitiator(a, b.Cert(), DefaultPolicy(), testRand(2))
	// Responder lacking the selected group.
	if _, _, err := Respond(b14, a.Cert(), in.SKIC(), DefaultPolicy(), testRand(3)); !errors.Is(err, ErrMissingPublicKey) && !errors.Is(err, ErrUnsupportedGroup) {
		t.Errorf("unsupported group: %v", err)
	}
	// Static initiator without a group select.
	if _, _, err := Respond(b, a.Cert(), h(t, "02 1e 07"), DefaultPolicy(), testRand(3)); !errors.Is(err, ErrBadKeyingComponent) {
		t.Errorf("no group select: %v", err)
	}
	// Ephemeral responder: the SKRC must carry its key, and a valid one.
	server, _ := NewEphemeralIdentity(testRand(4), nil, CertOptions{})
	in, _ = NewInitiator(a, server.Cert(), DefaultPolicy(), testRand(5))
	if _, err := in.Complete(h(t, "02 1e 07 03 1a 07 10")); !errors.Is(err, ErrMissingPublicKey) {
		t.Errorf("no key: %v", err)
	}
	if _, err := in.Complete(h(t, "02 1e 07 03 1a 07 10 03 0d 02 01")); !errors.Is(err, ErrBadPublicKey) {
		t.Errorf("key 1: %v", err)
	}
	// A server meeting an ephemeral initiator whose key is invalid.
	if _, _, err := Respond(server, server.Cert(), h(t, "04 0d 02 00 02 02 1e 07 03 1a 07 10"), DefaultPolicy(), testRand(6)); !errors.Is(err, ErrBadPublicKey) {
		t.Errorf("bad ephemeral initiator key: %v", err)
	}
	// Malformed components.
	if _, _, err := Respond(b, a.Cert(), h(t, "05 1d"), DefaultPolicy(), testRand(7)); !errors.Is(err, ErrBadKeyingComponent) {
		t.Errorf("malformed SKIC: %v", err)
	}
	if _, err := in.Complete(h(t, "05 1d")); !errors.Is(err, ErrBadKeyingComponent) {
		t.Errorf("malformed SKRC: %v", err)
	}
}

func TestSignature(t *testing.T) {
	if Signature != 'X' {
		t.Fatal("the Flash profile's signature is 'X'")
	}
}
