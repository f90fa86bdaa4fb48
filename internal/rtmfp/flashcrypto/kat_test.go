package flashcrypto

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// katHMAC is one "hmac I|R key=… msg=… out=…" line.
type katHMAC struct {
	side          string
	key, msg, out []byte
}

// katPacket is one initiator-to-responder packet with what the responder
// recovered.
type katPacket struct {
	plain, cipher []byte
	hmac          *katHMAC // the sender's HMAC over the ciphertext, if any
	frontMargin   int
	clear         []byte
}

type katFile struct {
	name                        string
	config                      map[string]int
	icert, rcert, iepd          []byte
	ifinger, rfinger            []byte
	iWins, rWins                bool
	startupPlain, startupCipher []byte
	skic, skrc                  []byte
	derive                      map[string][]katHMAC // per side, key derivation only
	iNear, iFar, rNear, rFar    []byte
	packets                     []katPacket
	allHMAC                     []katHMAC
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func fields(line string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
	return m
}

func loadKAT(t *testing.T, path string) *katFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k := &katFile{name: filepath.Base(path), config: map[string]int{}, derive: map[string][]katHMAC{}}
	var cur *katPacket
	derivationDone := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
		case strings.HasPrefix(line, "config "):
			for key, v := range fields(line) {
				n, _ := strconv.Atoi(v)
				k.config[key] = n
			}
		case strings.HasPrefix(line, "glare: "):
			// "glare: I wins=0 R wins=1"
			parts := strings.Fields(line)
			k.iWins = parts[2] == "wins=1"
			k.rWins = parts[4] == "wins=1"
		case strings.HasPrefix(line, "hmac "):
			parts := strings.Fields(line)
			m := fields(line)
			h := katHMAC{side: parts[1], key: unhex(t, m["key"]), msg: unhex(t, m["msg"]), out: unhex(t, m["out"])}
			k.allHMAC = append(k.allHMAC, h)
			if !derivationDone[h.side] {
				k.derive[h.side] = append(k.derive[h.side], h)
			} else if h.side == "I" {
				cur = &katPacket{hmac: &h}
			}
		case strings.HasPrefix(line, "r_decrypt "):
			m := fields(line)
			if m["ok"] != "1" {
				t.Fatalf("%s: unexpected r_decrypt %q", k.name, line)
			}
			p := &k.packets[len(k.packets)-1]
			p.frontMargin, _ = strconv.Atoi(m["frontMargin"])
			p.clear = unhex(t, m["clear"])
		default:
			key, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("%s: unparsed line %q", k.name, line)
			}
			b := unhex(t, v)
			switch key {
			case "icert":
				k.icert = b
			case "rcert":
				k.rcert = b
			case "ifinger":
				k.ifinger = b
			case "rfinger":
				k.rfinger = b
			case "iepd":
				k.iepd = b
			case "startup_plain":
				k.startupPlain = b
			case "startup_cipher":
				k.startupCipher = b
			case "skic":
				k.skic = b
			case "skrc":
				k.skrc = b
			case "I.near":
				k.iNear = b
				derivationDone["I"], derivationDone["R"] = true, true
			case "I.far":
				k.iFar = b
			case "R.near":
				k.rNear = b
			case "R.far":
				k.rFar = b
			case "i2r_plain":
				if cur == nil {
					cur = &katPacket{}
				}
				cur.plain = b
			case "i2r_cipher":
				cur.cipher = b
				k.packets = append(k.packets, *cur)
				cur = nil
			default:
				t.Fatalf("%s: unknown key %q", k.name, key)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return k
}

func katFiles(t *testing.T) []*katFile {
	t.Helper()
	paths, err := filepath.Glob("testdata/rtmfp-kat/kat-*.txt")
	if err != nil || len(paths) != 6 {
		t.Fatalf("want 6 KAT files, got %d (%v)", len(paths), err)
	}
	var ks []*katFile
	for _, p := range paths {
		ks = append(ks, loadKAT(t, p))
	}
	return ks
}

// featureFromFlags is the state an end announced in its own component.
func featureFromFlags(f NegotiationFlags) feature {
	return feature{sendAlways: f&FlagSND != 0, recvRequired: f&FlagREQ != 0}
}

func TestKnownAnswers(t *testing.T) {
	for _, k := range katFiles(t) {
		t.Run(k.name, func(t *testing.T) {
			testKAT(t, k)
		})
	}
}

func testKAT(t *testing.T, k *katFile) {
	// Certificates and fingerprints.
	icert, err := ParseCert(k.icert)
	if err != nil {
		t.Fatalf("icert: %v", err)
	}
	rcert, err := ParseCert(k.rcert)
	if err != nil {
		t.Fatalf("rcert: %v", err)
	}
	if !bytes.Equal(icert.PeerID[:], k.ifinger) || !bytes.Equal(rcert.PeerID[:], k.rfinger) {
		t.Fatalf("fingerprints %x %x, want %x %x", icert.PeerID, rcert.PeerID, k.ifinger, k.rfinger)
	}
	if !icert.IsStatic() {
		t.Error("initiator certificate should be static")
	}
	if rcert.IsStatic() == (k.config["serverEphemeral"] == 1) {
		t.Errorf("responder static=%v with serverEphemeral=%d", rcert.IsStatic(), k.config["serverEphemeral"])
	}
	if k.config["group2only"] == 1 {
		if len(k.icert) != 132 || !bytes.Equal(k.icert[:4], []byte{0x81, 0x02, 0x1d, 0x02}) {
			t.Errorf("group-2 certificate not in the 132-byte Flash form: % x", k.icert[:4])
		}
		if g := icert.SupportedGroups(); len(g) != 1 || g[0] != Group2 {
			t.Errorf("groups %v", g)
		}
	} else if g := icert.SupportedGroups(); len(g) != 3 || g[0] != Group16 || g[1] != Group14 || g[2] != Group2 {
		t.Errorf("groups %v, want [16 14 2]", g)
	}

	// EPD.
	id, _ := ParseEPD(k.iepd)
	if !bytes.Equal(CanonicalEPD(icert.PeerID), k.iepd) || !bytes.Equal(icert.CanonicalEPD(), k.iepd) {
		t.Errorf("canonical EPD mismatch")
	}
	if !id.Selects(icert) || id.Selects(rcert) {
		t.Errorf("EPD selection wrong")
	}

	// Glare.
	if NearWinsGlare(k.icert, k.rcert) != k.iWins || NearWinsGlare(k.rcert, k.icert) != k.rWins {
		t.Errorf("glare: I wins=%v R wins=%v, want %v %v",
			NearWinsGlare(k.icert, k.rcert), NearWinsGlare(k.rcert, k.icert), k.iWins, k.rWins)
	}

	// Startup packet with the default key.
	dc := NewDefaultCipher()
	if got := dc.Seal(nil, k.startupPlain); !bytes.Equal(got, k.startupCipher) {
		t.Errorf("startup cipher %x, want %x", got, k.startupCipher)
	}
	clear, fm, err := dc.open(nil, k.startupCipher)
	if err != nil || fm != 2 || !bytes.HasPrefix(clear, k.startupPlain) || len(clear)+fm != len(k.startupCipher) {
		t.Errorf("startup open: %x fm=%d err=%v", clear, fm, err)
	}

	// Keying components: parse and re-encode byte for byte.
	skic, err := ParseKeyingComponent(k.skic)
	if err != nil {
		t.Fatal(err)
	}
	skrc, err := ParseKeyingComponent(k.skrc)
	if err != nil {
		t.Fatal(err)
	}
	if got := skic.Append(nil); !bytes.Equal(got, k.skic) {
		t.Errorf("SKIC re-encoding differs:\n got %x\nwant %x", got, k.skic)
	}
	if got := skrc.Append(nil); !bytes.Equal(got, k.skrc) {
		t.Errorf("SKRC re-encoding differs:\n got %x\nwant %x", got, k.skrc)
	}
	if !skic.HasGroupSelect || len(skic.ExtraRandomness) != 64 || skic.Layout != LayoutInitiator || skrc.Layout == LayoutInitiator {
		t.Errorf("SKIC/SKRC fields: %+v / %+v", skic, skrc)
	}
	if rcert.IsStatic() == (len(skrc.EphemeralKeys) == 1) {
		t.Errorf("SKRC ephemeral keys %d with static responder %v", len(skrc.EphemeralKeys), rcert.IsStatic())
	}

	// Every HMAC line is a genuine HMAC-SHA256.
	for i, h := range k.allHMAC {
		m := hmac.New(sha256.New, h.key)
		m.Write(h.msg)
		if !bytes.Equal(m.Sum(nil), h.out) {
			t.Errorf("hmac line %d does not verify", i)
		}
	}

	// Key derivation reproduces each side's transcript exactly.
	keys := map[string]*SessionKeys{}
	nonces := map[string]Nonces{}
	for _, side := range []string{"I", "R"} {
		near, far := k.skic, k.skrc
		if side == "R" {
			near, far = k.skrc, k.skic
		}
		var secret []byte
		for _, h := range k.derive[side] {
			if bytes.Equal(h.msg, k.skic) && len(h.key) > 32 {
				secret = h.key
				break
			}
		}
		if secret == nil {
			t.Fatalf("%s: no shared secret in transcript", side)
		}
		var trace []katHMAC
		ks, ns := deriveSessionKeys(secret, near, far, func(key, msg, out []byte) {
			trace = append(trace, katHMAC{side, bytes.Clone(key), bytes.Clone(msg), bytes.Clone(out)})
		})
		want := k.derive[side]
		if len(want) != 6 && len(want) != 8 || len(want) > len(trace) {
			t.Fatalf("%s: %d derivation lines", side, len(want))
		}
		for i := range want {
			if !bytes.Equal(trace[i].key, want[i].key) || !bytes.Equal(trace[i].msg, want[i].msg) || !bytes.Equal(trace[i].out, want[i].out) {
				t.Errorf("%s: derivation step %d differs", side, i)
			}
		}
		keys[side], nonces[side] = ks, ns
	}
	nI, nR := nonces["I"], nonces["R"]
	if !bytes.Equal(nI.Near[:], k.iNear) || !bytes.Equal(nI.Far[:], k.iFar) ||
		!bytes.Equal(nR.Near[:], k.rNear) || !bytes.Equal(nR.Far[:], k.rFar) {
		t.Errorf("nonces differ")
	}
	if keys["I"].EncryptKey != keys["R"].DecryptKey || keys["I"].SendHMACKey != keys["R"].RecvHMACKey {
		t.Errorf("initiator's send keys are not the responder's receive keys")
	}
	if ShortAuthCode(nonces["I"]) != ShortAuthCode(nonces["R"]) {
		t.Errorf("short authentication codes differ")
	}

	// Negotiation: each end's announced flags, combined with the other's,
	// give the configuration the reference ran with.
	iH, iS := featureFromFlags(skic.HMAC.Flags), featureFromFlags(skic.SSEQ.Flags)
	if err := iH.negotiate(skrc.HMAC.Flags); err != nil {
		t.Fatal(err)
	}
	if err := iS.negotiate(skrc.SSEQ.Flags); err != nil {
		t.Fatal(err)
	}
	rH, rS := featureFromFlags(skrc.HMAC.Flags), featureFromFlags(skrc.SSEQ.Flags)
	if err := rH.negotiate(skic.HMAC.Flags); err != nil {
		t.Fatal(err)
	}
	if err := rS.negotiate(skic.SSEQ.Flags); err != nil {
		t.Fatal(err)
	}
	hmacOn, sseqOn := k.config["hmac"] == 1, k.config["sseq"] == 1
	if iH.sendAlways != hmacOn || rH.recvRequired != hmacOn || iS.sendAlways != sseqOn || rS.recvRequired != sseqOn {
		t.Fatalf("negotiation: I hmac %+v sseq %+v, R hmac %+v sseq %+v; config hmac=%v sseq=%v", iH, iS, rH, rS, hmacOn, sseqOn)
	}
	iNeg := negotiated(iH, iS, skic.HMAC.Length, skrc.HMAC.Length)
	rNeg := negotiated(rH, rS, skrc.HMAC.Length, skic.HMAC.Length)

	// Session packets, initiator to responder.
	ic, err := NewSessionCipher(keys["I"], iNeg)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := NewSessionCipher(keys["R"], rNeg)
	if err != nil {
		t.Fatal(err)
	}
	if len(k.packets) != 2 {
		t.Fatalf("%d packets", len(k.packets))
	}
	for i, p := range k.packets {
		got := ic.Seal(nil, p.plain)
		if !bytes.Equal(got, p.cipher) {
			t.Errorf("packet %d: sealed %x, want %x", i, got, p.cipher)
		}
		if hmacOn {
			if p.hmac == nil || !bytes.Equal(p.hmac.key, keys["I"].SendHMACKey[:]) {
				t.Fatalf("packet %d: HMAC key not the derived send key", i)
			}
			n := len(p.cipher) - len(p.hmac.msg)
			if n != skic.HMAC.Length || !bytes.Equal(p.cipher[len(p.hmac.msg):], p.hmac.out[:n]) {
				t.Errorf("packet %d: appended HMAC is not the truncated HMAC", i)
			}
		}
		clear, fm, err := rc.open(nil, p.cipher)
		if err != nil {
			t.Fatalf("packet %d: open: %v", i, err)
		}
		if fm != p.frontMargin || !bytes.Equal(clear, p.clear) {
			t.Errorf("packet %d: open fm=%d %x, want fm=%d %x", i, fm, clear, p.frontMargin, p.clear)
		}
		// The same packet again is a replay once sequence numbers are on;
		// without them it is indistinguishable and accepted.
		_, _, err = rc.open(nil, p.cipher)
		if sseqOn && err != ErrReplayed || !sseqOn && err != nil {
			t.Errorf("packet %d: second open: %v", i, err)
		}
	}
	if sseqOn == bytes.Equal(k.packets[0].cipher, k.packets[1].cipher) {
		t.Errorf("identical plaintexts: ciphertexts equal=%v with sseq=%v", !sseqOn, sseqOn)
	}
}

// rfc1071Checksum is the checksum with RFC 1071's padding (odd byte in the
// high half of a word), which the reference does not use.
func rfc1071Checksum(b []byte) uint16 {
	if len(b)%2 == 1 {
		b = append(bytes.Clone(b), 0)
	}
	return internetChecksum(b)
}

// TestKATOddChecksum: the odd-length vector passes only with the reference
// rule.
func TestKATOddChecksum(t *testing.T) {
	k := loadKAT(t, "testdata/rtmfp-kat/kat-cs-sseq-cksum.txt")
	var secret []byte
	for _, h := range k.derive["R"] {
		if bytes.Equal(h.msg, k.skic) && len(h.key) > 32 {
			secret = h.key
			break
		}
	}
	keys, _ := DeriveSessionKeys(secret, k.skrc, k.skic)
	for i, p := range k.packets {
		c, err := NewSessionCipher(keys, Negotiated{SSEQRecv: true})
		if err != nil {
			t.Fatal(err)
		}
		clear, fm, err := c.open(nil, p.cipher)
		if err != nil || fm != 3 {
			t.Fatalf("packet %d: %v fm=%d", i, err, fm)
		}
		// Rebuild the whole cleartext to look at the checksum field.
		body := make([]byte, len(p.cipher))
		c.decIV.SetIV(zeroIV[:])
		c.dec.CryptBlocks(body, p.cipher)
		covered := body[3:]
		if len(covered)%2 != 1 || !bytes.Equal(covered, clear) {
			t.Fatalf("packet %d: covered length %d", i, len(covered))
		}
		field := uint16(body[1])<<8 | uint16(body[2])
		if internetChecksum(covered) != field {
			t.Errorf("packet %d: reference rule fails", i)
		}
		if rfc1071Checksum(covered) == field {
			t.Errorf("packet %d: RFC 1071 rule should not match", i)
		}
	}
}
