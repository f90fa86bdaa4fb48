package flashcrypto

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"io"
	"testing"
)

// librtmfpKeys derives the keys of a Flash-era peer independently, as
// librtmfp does (RTMFP.cpp RTMFP::ComputeAsymetricKeys): the request key
// encrypts what the initiator sends, the response key what the responder
// sends.
func librtmfpKeys(secret, skic, skrc []byte) (request, response [32]byte) {
	mac := func(key, msg []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write(msg)
		return m.Sum(nil)
	}
	copy(request[:], mac(secret, mac(skrc, skic)))
	copy(response[:], mac(secret, mac(skic, skrc)))
	return request, response
}

// TestRespondFlashForm: a Flash-era initiator (SOR only for both
// protections) gets Flash Player's responder keying component byte for
// byte, and the keys come from exactly those bytes; initiators that ask
// for, or always send, a protection keep the reference's form.
func TestRespondFlashForm(t *testing.T) {
	a := mustStatic(t, 30, Group2) // the Flash-era initiator
	b := mustStatic(t, 31, Group2)
	skic := flashSKIC(t)

	// A static responder: 03 1a 00 00 | 02 1e 00 | 41 0e <64 random>, the
	// 73 bytes librtmfp FlowManager::sendConnect accepts (it compares the
	// first 7 and the length).
	rnd := make([]byte, 64)
	io.ReadFull(testRand(12), rnd)
	skrc, re, err := Respond(b, a.Cert(), skic, DefaultPolicy(), testRand(12))
	if err != nil {
		t.Fatal(err)
	}
	want := append(h(t, "03 1a 00 00 | 02 1e 00 | 41 0e"), rnd...)
	if !bytes.Equal(skrc, want) || len(skrc) != 73 {
		t.Fatalf("SKRC\n got %x\nwant %x", skrc, want)
	}
	if re.Negotiated != (Negotiated{}) {
		t.Fatalf("negotiated %+v", re.Negotiated)
	}
	bPub, _ := b.Cert().StaticKey(Group2)
	secret, err := a.staticKey(Group2).SharedSecret(bPub)
	if err != nil {
		t.Fatal(err)
	}
	request, response := librtmfpKeys(secret, skic, skrc)
	if re.Keys.DecryptKey != request || re.Keys.EncryptKey != response {
		t.Fatal("responder keys are not derived from the SKRC sent")
	}
	// A packet the responder seals opens with the initiator's keys
	// (checksum, no sequence number).
	rc, err := re.Cipher()
	if err != nil {
		t.Fatal(err)
	}
	ic, err := NewSessionCipher(&SessionKeys{EncryptKey: request, DecryptKey: response}, Negotiated{})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := ic.Open(nil, rc.Seal(nil, []byte("\x4a\x01\x02"))); err != nil || !bytes.HasPrefix(c, []byte("\x4a\x01\x02")) {
		t.Fatalf("responder → initiator: %x %v", c, err)
	}

	// An ephemeral responder (a server) answers as Flash-era servers do:
	// 03 1a 00 00 | 02 1e 00 | 81 02 0d 02 <128-byte key>, the key at
	// offset 11 (Cumulus Handshake.cpp; librtmfp FlowManager::sendConnect).
	server, err := NewEphemeralIdentity(testRand(32), nil, CertOptions{AcceptsAncillary: true})
	if err != nil {
		t.Fatal(err)
	}
	skrc, se, err := Respond(server, a.Cert(), skic, DefaultPolicy(), testRand(33))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(skrc[:11], h(t, "03 1a 00 00 | 02 1e 00 | 81 02 0d 02")) || len(skrc) != 139 {
		t.Fatalf("server SKRC %x", skrc)
	}
	if secret, err = a.staticKey(Group2).SharedSecret(skrc[11:]); err != nil {
		t.Fatal(err)
	}
	if request, response = librtmfpKeys(secret, skic, skrc); se.Keys.DecryptKey != request || se.Keys.EncryptKey != response {
		t.Fatal("server keys are not derived from the SKRC sent")
	}

	// The reference's form wherever a protection is used.
	for _, c := range []struct {
		name   string
		skic   []byte
		policy Policy
		head   string
	}{
		// A camchat initiator asks for both (SND|SOR|REQ).
		{"camchat", nil, DefaultPolicy(), "02 1e 07 | 03 1a 07 10"},
		// A strict responder requires them from a Flash-era initiator.
		{"strict", skic, StrictPolicy(), "02 1e 07 | 03 1a 07 10"},
		// An initiator that always sends HMAC shows it implements it: a
		// default responder then requires it both ways (ModePrefer).
		{"hmac always sent", h(t, "02 1d 02 | 03 1a 04 10 | 02 1e 02"), DefaultPolicy(), "02 1e 02 | 03 1a 07 10"},
		// Likewise for sequence numbers asked for.
		{"sseq asked", h(t, "02 1d 02 | 03 1a 02 0a | 02 1e 03"), DefaultPolicy(), "02 1e 07 | 03 1a 02 10"},
	} {
		ini := c.skic
		if ini == nil {
			in, err := NewInitiator(a, b.Cert(), DefaultPolicy(), testRand(34))
			if err != nil {
				t.Fatal(err)
			}
			ini = in.SKIC()
		}
		skrc, e, err := Respond(b, a.Cert(), ini, c.policy, testRand(35))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if head := h(t, c.head); !bytes.Equal(skrc[:len(head)], head) || e.Negotiated == (Negotiated{}) {
			t.Errorf("%s: SKRC %x…, negotiated %+v", c.name, skrc[:8], e.Negotiated)
		}
	}
}
