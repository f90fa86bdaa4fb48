package wire

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// kat is one known-answer file from testdata (see testdata/README.md).
type kat struct {
	name  string
	lines map[string][]string
}

func (k kat) hex(t *testing.T, key string) []byte {
	t.Helper()
	v := k.lines[key]
	if len(v) == 0 {
		t.Fatalf("%s: no %s", k.name, key)
	}
	b, err := hex.DecodeString(v[0])
	if err != nil {
		t.Fatalf("%s: %s: %v", k.name, key, err)
	}
	return b
}

func loadKATs(t testing.TB) []kat {
	files, err := filepath.Glob("testdata/kat-*.txt")
	if err != nil || len(files) != 6 {
		t.Fatalf("known-answer files: %v %v", files, err)
	}
	var out []kat
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		k := kat{name: filepath.Base(f), lines: map[string][]string{}}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if key, val, ok := strings.Cut(line, "="); ok && !strings.Contains(key, " ") {
				k.lines[key] = append(k.lines[key], val)
			} else if key, rest, ok := strings.Cut(line, " "); ok {
				k.lines[key] = append(k.lines[key], rest)
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

// readPacket parses a decrypted packet: header, then every chunk.
func readPacket(t *testing.T, pkt []byte) (PacketHeader, []Chunk, int) {
	t.Helper()
	hd, n, err := ParsePacketHeader(pkt)
	if err != nil {
		t.Fatalf("header of % x: %v", pkt, err)
	}
	r := NewChunkReader(pkt[n:])
	var chunks []Chunk
	used := n
	for typ, p, ok := r.Next(); ok; typ, p, ok = r.Next() {
		c, err := parseChunk(typ, p)
		if err != nil {
			t.Fatalf("%v chunk: %v", typ, err)
		}
		chunks = append(chunks, c)
		used += ChunkHeaderLength + len(p)
	}
	if r.Err() != nil || r.Unknown() != 0 {
		t.Fatalf("reader: %v, %d unknown", r.Err(), r.Unknown())
	}
	return hd, chunks, used
}

func appendPacket(hd PacketHeader, chunks []Chunk) []byte {
	b := hd.Append(nil)
	for _, c := range chunks {
		b = c.Append(b)
	}
	return b
}

// TestKATStartupPlain decodes the real IHello packet rtmfp-cpp sent and
// re-encodes it byte for byte.
func TestKATStartupPlain(t *testing.T) {
	for _, k := range loadKATs(t) {
		pkt := k.hex(t, "startup_plain")
		hd, chunks, used := readPacket(t, pkt)
		if hd != (PacketHeader{Mode: ModeStartup, HasTimestamp: true, Timestamp: 0x0102}) {
			t.Fatalf("%s: header %+v", k.name, hd)
		}
		if len(chunks) != 1 || used != len(pkt) {
			t.Fatalf("%s: %d chunks, %d of %d bytes", k.name, len(chunks), used, len(pkt))
		}
		ih, ok := chunks[0].(IHello)
		if !ok || !bytes.Equal(ih.EPD, h("0a 00")) || !bytes.Equal(ih.Tag, h("aa bb")) {
			t.Fatalf("%s: %s", k.name, show(chunks[0]))
		}
		mustEqualBytes(t, k.name, appendPacket(hd, chunks), pkt)
	}
}

// TestKATSessionPacket decodes i2r_plain (a Ping from the initiator) and
// the responder's decryption of it, crypto prefix and padding included.
func TestKATSessionPacket(t *testing.T) {
	for _, k := range loadKATs(t) {
		pkt := k.hex(t, "i2r_plain")
		hd, chunks, _ := readPacket(t, pkt)
		if hd.Mode != ModeInitiator || !hd.HasTimestamp || hd.Timestamp != 0x1234 || hd.HasTimestampEcho {
			t.Fatalf("%s: header %+v", k.name, hd)
		}
		if len(chunks) != 1 || show(chunks[0]) != show(Ping{Message: []byte("abc")}) {
			t.Fatalf("%s: chunks %v", k.name, chunks)
		}
		mustEqualBytes(t, k.name, appendPacket(hd, chunks), pkt)

		// r_decrypt ok=1 frontMargin=N clear=<hex>: the cleartext after the
		// N-byte crypto prefix (SSEQ and/or checksum).
		for _, line := range k.lines["r_decrypt"] {
			var margin int
			var clear []byte
			for _, f := range strings.Fields(line) {
				key, val, _ := strings.Cut(f, "=")
				switch key {
				case "frontMargin":
					margin, _ = strconv.Atoi(val)
				case "clear":
					clear, _ = hex.DecodeString(val)
				}
			}
			if len(clear) == 0 || margin == 0 {
				t.Fatalf("%s: r_decrypt %q", k.name, line)
			}
			// clear starts after the crypto prefix of margin bytes.
			body := clear
			hd2, chunks2, used := readPacket(t, body)
			if hd2 != hd || len(chunks2) != 1 {
				t.Fatalf("%s: decrypted %+v %v", k.name, hd2, chunks2)
			}
			// Everything after the chunks is 0xff padding to the block size.
			mustEqualBytes(t, k.name+" re-encoded with padding",
				AppendPadding(appendPacket(hd2, chunks2), len(body)-used), body)
			if (margin+len(body))%16 != 0 {
				t.Fatalf("%s: cleartext of %d bytes", k.name, margin+len(body))
			}
		}
	}
}

// TestKATHandshakeChunks carries the real certificates, EPD, SKIC and SKRC
// of each handshake in IHello, RHello, IIKeying and RIKeying packets and
// decodes them back. rtmfp-cpp's own handshake chunks are not recorded, so
// the packets are assembled here from the recorded parts.
func TestKATHandshakeChunks(t *testing.T) {
	cookie := h(rep("c0", 64)) // Flash-style 64-byte cookie
	sig := h("58")
	for _, k := range loadKATs(t) {
		icert, rcert := k.hex(t, "icert"), k.hex(t, "rcert")
		iepd, ifinger := k.hex(t, "iepd"), k.hex(t, "ifinger")
		skic, skrc := k.hex(t, "skic"), k.hex(t, "skrc")

		// The EPD by peer ID is `21 0f <32-byte fingerprint>` (RFC 7425 §4.4).
		r := NewOptionReader(iepd)
		opt, ok := r.Next()
		if !ok || opt.Type != 0x0f || !bytes.Equal(opt.Value, ifinger) || r.Consumed() != len(iepd) || !bytes.Equal(iepd[:2], h("21 0f")) {
			t.Fatalf("%s: EPD option %v %v", k.name, opt, r.Err())
		}
		// Certificates and keying components are option lists filling
		// their field, in shortest form: re-encoding each option gives
		// the recorded bytes.
		for name, list := range map[string][]byte{"icert": icert, "rcert": rcert, "skic": skic, "skrc": skrc} {
			var re []byte
			rest := list
			for len(rest) > 0 {
				r := NewOptionReader(rest)
				for opt, ok := r.Next(); ok; opt, ok = r.Next() {
					re = AppendOption(re, opt.Type, opt.Value)
				}
				if r.Err() != nil {
					t.Fatalf("%s %s: %v", k.name, name, r.Err())
				}
				if r.SawMarker() {
					re = AppendMarker(re)
				}
				rest = r.Rest()
			}
			mustEqualBytes(t, k.name+" "+name, re, list)
		}

		startup := PacketHeader{Mode: ModeStartup, HasTimestamp: true, Timestamp: 250}
		ii := IIKeying{InitiatorSessionID: 0x01020304, Cookie: cookie, Certificate: icert, SKIC: skic, Signature: sig}
		ri := RIKeying{ResponderSessionID: 0x0a0b0c0d, SKRC: skrc, Signature: sig}
		packets := [][]Chunk{
			{IHello{EPD: iepd, Tag: tag16}},
			{RHello{Tag: tag16, Cookie: cookie, Certificate: rcert}},
			{ii},
			{ri},
		}
		for _, chunks := range packets {
			pkt := appendPacket(startup, chunks)
			pkt = AppendPadding(pkt, 15-(len(pkt)+15)%16)
			if len(pkt)%16 != 0 {
				t.Fatalf("padding: %d", len(pkt))
			}
			hd, got, used := readPacket(t, pkt)
			if hd != startup || len(got) != 1 {
				t.Fatalf("%s: %+v %v", k.name, hd, got)
			}
			want := chunks[0]
			switch c := got[0].(type) {
			case IIKeying:
				// The signed region runs from the session ID through the SKIC field.
				signed := append(append(append(h("01020304"), AppendField(nil, cookie)...),
					AppendField(nil, icert)...), AppendField(nil, skic)...)
				mustEqualBytes(t, "IIKeying signed", c.Signed, signed)
				mustEqualBytes(t, "IIKeying signed re-encoded", ii.AppendSignedRegion(nil), signed)
				want = IIKeying{0x01020304, cookie, icert, skic, sig, signed}
			case RIKeying:
				// RIKeying signs session ID + SKRC field + raw SKIC.
				data := append(append(h("0a0b0c0d"), AppendField(nil, skrc)...), skic...)
				mustEqualBytes(t, "RIKeying signed data", c.AppendSignedData(nil, skic), data)
				mustEqualBytes(t, "RIKeying signed data re-encoded", ri.AppendSignedData(nil, skic), data)
				want = RIKeying{0x0a0b0c0d, skrc, sig, data[:len(data)-len(skic)]}
			}
			if show(got[0]) != show(want) {
				t.Fatalf("%s: decoded %s\nwant %s", k.name, show(got[0]), show(want))
			}
			mustEqualBytes(t, k.name+" "+want.Type().String(), AppendPadding(appendPacket(hd, got), len(pkt)-used), pkt)
		}
	}
}
