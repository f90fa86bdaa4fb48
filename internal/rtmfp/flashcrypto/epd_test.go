package flashcrypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestEPDGolden(t *testing.T) {
	uri := "rtmfp://127.0.0.1:19361/live"
	// Client to server, as seen from tcconn.
	e := EPD{HasAncillary: true, Ancillary: []byte(uri)}
	want := append(h(t, "1d 0a"), uri...)
	if got := e.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("ancillary EPD %x", got)
	}
	p, err := ParseEPD(want)
	if err != nil || !p.HasAncillary || string(p.Ancillary) != uri || p.HasFingerprint || p.HasHostname {
		t.Fatalf("parsed %+v %v", p, err)
	}
	// By peer ID: the canonical EPD.
	var id PeerID
	for i := range id {
		id[i] = byte(i)
	}
	want = append(h(t, "21 0f"), id[:]...)
	if got := CanonicalEPD(id); !bytes.Equal(got, want) {
		t.Fatalf("canonical EPD %x", got)
	}
	// All three, in the reference's order, with a marker skipped.
	all := EPD{HasFingerprint: true, Fingerprint: id, HasHostname: true, Hostname: []byte("h"), HasAncillary: true, Ancillary: []byte("a")}
	enc := all.Append(nil)
	want = append(append(h(t, "21 0f"), id[:]...), h(t, "02 0a 61 | 02 00 68")...)
	if !bytes.Equal(enc, want) {
		t.Fatalf("full EPD %x", enc)
	}
	p, err = ParseEPD(append([]byte{0}, enc...))
	if err != nil || p.Fingerprint != id || string(p.Hostname) != "h" || string(p.Ancillary) != "a" {
		t.Fatalf("round trip %+v %v", p, err)
	}
}

func TestEPDInvalid(t *testing.T) {
	cases := map[string]string{
		"empty":           "",
		"only marker":     "00",
		"unknown only":    "02 33 44",
		"short fprint":    "03 0f aa bb",
		"truncated":       "05 0a 61",
		"open length VLU": "85",
	}
	for name, x := range cases {
		if _, err := ParseEPD(h(t, x)); !errors.Is(err, ErrBadEPD) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Every strict prefix of the canonical EPD is rejected.
	epd := CanonicalEPD(PeerID{1, 2, 3})
	for n := 0; n < len(epd); n++ {
		if _, err := ParseEPD(epd[:n]); err == nil {
			t.Errorf("prefix %d accepted", n)
		}
	}
}

func TestEPDSelection(t *testing.T) {
	rnd := bytes.Repeat([]byte{1}, 64)
	serverRaw, _ := BuildEphemeralCert(PreferredGroups, CertOptions{Hostname: "srv", AcceptsAncillary: true}, bytes.NewReader(rnd))
	server, _ := ParseCert(serverRaw)
	k, _ := GenerateKey(Group2, testRand(3))
	peer, _ := ParseCert(BuildStaticCert([]*PrivateKey{k}, CertOptions{}))

	byID := func(id PeerID, extra ...EPD) EPD {
		e := EPD{HasFingerprint: true, Fingerprint: id}
		if len(extra) > 0 {
			e.HasHostname, e.Hostname = true, []byte("wrong")
		}
		return e
	}
	cases := []struct {
		name string
		epd  EPD
		cert *Cert
		want bool
	}{
		{"fingerprint matches", byID(peer.PeerID), peer, true},
		{"fingerprint differs", byID(server.PeerID), peer, false},
		{"fingerprint decides over hostname", byID(server.PeerID, EPD{}), server, true},
		{"hostname matches", EPD{HasHostname: true, Hostname: []byte("srv")}, server, true},
		{"hostname differs", EPD{HasHostname: true, Hostname: []byte("srv2")}, server, false},
		{"hostname, cert has none", EPD{HasHostname: true, Hostname: []byte("srv")}, peer, false},
		{"ancillary to server", EPD{HasAncillary: true, Ancillary: []byte("rtmfp://x/app")}, server, true},
		{"ancillary to peer", EPD{HasAncillary: true, Ancillary: []byte("rtmfp://x/app")}, peer, false},
		{"hostname and ancillary", EPD{HasHostname: true, Hostname: []byte("srv"), HasAncillary: true}, server, true},
		{"nothing selects nothing", EPD{}, server, false},
	}
	for _, c := range cases {
		if got := c.epd.Selects(c.cert); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}
