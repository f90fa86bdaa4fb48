package tc

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

// fuzzLimits keep fuzzing fast while still hitting every limit.
var fuzzLimits = Limits{MaxDepth: 16, MaxElements: 4096, MaxStringLen: 1 << 16, MaxBytes: 1 << 18}

func addAMFSeeds(f *testing.F) {
	for _, g := range amf0Golden {
		f.Add(unhex(f, g.hex))
	}
	f.Add(unhex(f, "0a 00 00 00 02 03 00 01 6b 02 00 01 76 00 00 09 07 00 01"))
	f.Add(unhex(f, "03 00 01 61 07 00 00 00 00 09"))
	f.Add(unhex(f, "0c 00 00 00 02 68 69 0d 11"))
}

// FuzzAMF0 checks that decoding never panics and that decode → encode →
// decode → encode is stable: whatever the decoder accepts, the encoder can
// write, and the written form decodes to the same value.
func FuzzAMF0(f *testing.F) {
	addAMFSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, err := NewDecoder(b, fuzzLimits).DecodeAll()
		if err != nil {
			return
		}
		enc1, err := AppendValues(nil, vs...)
		if err != nil {
			t.Fatalf("decoded values do not encode: %v", err)
		}
		vs2, err := NewDecoder(enc1, Limits{MaxDepth: fuzzLimits.MaxDepth, MaxElements: fuzzLimits.MaxElements,
			MaxStringLen: fuzzLimits.MaxStringLen, MaxBytes: 1 << 30}).DecodeAll()
		if err != nil {
			t.Fatalf("re-encoded values do not decode: %v\n%x", err, enc1)
		}
		if len(vs2) != len(vs) {
			t.Fatalf("%d values, then %d", len(vs), len(vs2))
		}
		enc2, err := AppendValues(nil, vs2...)
		if err != nil || !bytes.Equal(enc1, enc2) {
			t.Fatalf("unstable encoding (%v):\n%x\n%x", err, enc1, enc2)
		}
		if len(enc1) > 2*fuzzLimits.MaxBytes {
			t.Fatalf("%d input bytes re-encode to %d", len(b), len(enc1))
		}
	})
}

// FuzzMessage parses arbitrary bytes as a TC message, then as the payload
// its type says (command, data, user control, shared object), as every
// command's parameters, and as TC flow metadata. Whatever parses must
// re-encode and parse to the same thing.
func FuzzMessage(f *testing.F) {
	for _, g := range goldenVectors(f) {
		f.Add(unhex(f, g.hex))
	}
	for _, c := range []Command{
		Connect{App: "a", TCURL: "rtmfp://h/a", FourCCList: []string{"*"}, Args: []Value{"x"}}.Command(),
		ConnectSuccess("ok"), ConnectRejected("no"), CreateStream(2), CreateStreamResult(2, 1),
		Publish{Name: "n", Type: "live"}.Command(), Toggle(CommandPause, true), CloseStream(),
		KeyframeRequest{Reason: KeyframeForJoin}.Command(),
		ReceiverReport{Interval: time.Second, AudioLost: 0.02, Jitter: 3 * time.Millisecond, Layers: 2, Bitrate: 500000}.Command(),
	} {
		b, _ := c.AppendMessage(nil, 0)
		f.Add(b)
	}
	f.Add(unhex(f, "13 00000000 0002534f 00000005 00000002 00000000 0100000000"))
	f.Add(unhex(f, goldenLibrtmfpPlayReset)) // onStatus without the null
	f.Add(unhex(f, "11 00000000 00"+amfStr("x")+"00 0000000000000000 05"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if md, n, err := ParseFlowMetadata(b); err == nil {
			out := md.Append(nil)
			md2, n2, err := ParseFlowMetadata(out)
			if err != nil || md2 != md || n2 != len(out) || n > len(b) {
				t.Fatalf("metadata %+v: re-parsed %+v %v", md, md2, err)
			}
		}
		m, err := ParseMessage(b)
		if err != nil {
			return
		}
		if !bytes.Equal(m.Append(nil), b) {
			t.Fatal("message does not re-frame to its bytes")
		}
		switch m.Type {
		case TypeCommand, TypeCommandEx:
			c, err := ParseCommandMessage(m, fuzzLimits)
			if err != nil {
				return
			}
			checkCommand(t, c)
		case TypeData, TypeDataEx:
			dm, err := ParseDataMessage(m, fuzzLimits)
			if err != nil {
				return
			}
			out, err := dm.AppendMessage(nil, m.Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			m2, _ := ParseMessage(out)
			dm2, err := ParseDataMessage(m2, fuzzLimits)
			if err != nil || dm2.Handler != dm.Handler || len(dm2.Args) != len(dm.Args) {
				t.Fatalf("data %+v re-parsed %+v %v", dm, dm2, err)
			}
		case TypeUserControl:
			u, err := ParseUserControlMessage(m)
			if err != nil {
				return
			}
			if !bytes.Equal(u.AppendMessage(nil)[5:], m.Payload) {
				t.Fatal("user control does not re-encode")
			}
			if fs, err := ParseFlowSync(u); err == nil {
				u2, _ := ParseUserControl(fs.AppendMessage(nil)[5:])
				if fs2, err := ParseFlowSync(u2); err != nil || fs2 != fs {
					t.Fatalf("flow sync %+v: %+v %v", fs, fs2, err)
				}
				// Drive barriers with sync IDs and counts from the input:
				// every held flow is released exactly once in the end.
				var bar SyncBarriers[int]
				held := map[int]bool{}
				for i := range 3 * MaxSyncBarriers {
					s := FlowSync{SyncID: fs.SyncID + uint32(i%(MaxSyncBarriers+3)), Count: fs.Count%5 + uint32(i%2)}
					rel, done := bar.Arrive(s, i)
					for _, r := range rel {
						if !held[r] {
							t.Fatalf("released flow %d that was not held", r)
						}
						delete(held, r)
					}
					if !done {
						held[i] = true
					}
					if bar.Open() > MaxSyncBarriers {
						t.Fatalf("%d barriers open", bar.Open())
					}
				}
				for f := range held {
					bar.Forget(f)
				}
				if bar.Open() != 0 {
					t.Fatalf("%d barriers open after every flow closed", bar.Open())
				}
			}
			if k, err := ParseSetKeepalive(u); err == nil || errors.Is(err, ErrKeepaliveTooShort) {
				u2, _ := ParseUserControl(k.AppendMessage(nil)[5:])
				if k2, err2 := ParseSetKeepalive(u2); k2 != k || (err == nil) != (err2 == nil) {
					t.Fatalf("keepalive %+v: %+v %v", k, k2, err2)
				}
			}
			if id, err := u.StreamEvent(); err == nil {
				if id2, err := StreamEventControl(u.Event, id).StreamEvent(); err != nil || id2 != id {
					t.Fatal("stream event")
				}
			}
		case TypeSharedObject, TypeSharedObjectEx:
			amf, err := m.AMF()
			if err != nil {
				return
			}
			h, err := ParseSharedObject(amf)
			if err != nil {
				return
			}
			if h2, err := ParseSharedObject(h.Append(nil)); err != nil || !reflect.DeepEqual(h2, h) {
				t.Fatalf("shared object %+v: %+v %v", h, h2, err)
			}
			for ev := h.Events; len(ev) > 0; {
				if _, _, ev, err = NextSharedObjectEvent(ev); err != nil {
					break
				}
			}
		}
	})
}

// checkCommand re-encodes c, checks that it parses back the same, and runs
// every command-specific parser on it.
func checkCommand(t *testing.T, c Command) {
	out, err := c.AppendMessage(nil, 0)
	if err != nil {
		t.Fatalf("parsed command does not encode: %v", err)
	}
	m2, _ := ParseMessage(out)
	c2, err := ParseCommandMessage(m2, Limits{MaxDepth: fuzzLimits.MaxDepth, MaxElements: fuzzLimits.MaxElements,
		MaxStringLen: fuzzLimits.MaxStringLen, MaxBytes: 1 << 30})
	if err != nil || c2.Name != c.Name || len(c2.Args) != len(c.Args) ||
		(c2.TransactionID != c.TransactionID && c.TransactionID == c.TransactionID) {
		t.Fatalf("command %q re-parsed %q %v", c.Name, c2.Name, err)
	}
	if s, err := c.Status(); err == nil {
		if _, err := ParseStatusInfo(s.Object()); err != nil {
			t.Fatalf("status %+v: %v", s, err)
		}
	}
	if p, err := ParseConnect(c); err == nil {
		if _, err := ParseConnect(p.Command()); err != nil {
			t.Fatal(err)
		}
	}
	if a, err := ParseSetPeerInfo(c); err == nil {
		if a2, _ := ParseSetPeerInfo(SetPeerInfo(a...)); len(a2) != len(a) {
			t.Fatal("setPeerInfo")
		}
	}
	if p, err := ParsePlay(c); err == nil {
		if p2, err := ParsePlay(p.Command()); err != nil || p2.Name != p.Name {
			t.Fatal("play")
		}
	}
	if p, err := ParsePublish(c); err == nil {
		if p2, err := ParsePublish(p.Command()); err != nil || p2 != p {
			t.Fatal("publish")
		}
	}
	if id, err := ParseCreateStreamResult(c); err == nil {
		if id2, err := ParseCreateStreamResult(CreateStreamResult(c.TransactionID, id)); err != nil || id2 != id {
			t.Fatal("createStream result")
		}
	}
	if id, err := ParseDeleteStream(c); err == nil {
		if id2, err := ParseDeleteStream(DeleteStream(id)); err != nil || id2 != id {
			t.Fatal("deleteStream")
		}
	}
	if on, err := ParseToggle(c); err == nil {
		if on2, err := ParseToggle(Toggle(c.Name, on)); err != nil || on2 != on {
			t.Fatal("toggle")
		}
	}
	checkFeedback(t, c)
}

// FuzzMedia parses arbitrary bytes as audio and as video payloads; whatever
// parses must re-encode (header + payload) and parse to the same
// description, and to the same bytes unless the input had ModEx entries
// (those camchat does not use are read past, not kept).
func FuzzMedia(f *testing.F) {
	for _, g := range mediaGolden {
		f.Add(unhex(f, g.hex))
	}
	for _, g := range goldenVectors(f) {
		if b := unhex(f, g.hex); len(b) > 5 && (b[0] == 8 || b[0] == 9) {
			f.Add(b[5:])
		}
	}
	f.Add(OpusHead{Channels: 1, PreSkip: 312, InputRate: 48000}.Append(nil))
	// ModEx chains: TimestampOffsetNano then media info; media info then
	// an unknown type with a 16-bit size.
	f.Add(unhex(f, "97 02 0001f4 07 03 61000700 f1 4f707573 fc"))
	f.Add(append(append(unhex(f, "97 04 7601020304 f7 ff 0100"), make([]byte, 257)...), unhex(f, "91 76703038 aa")...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseOpusHead(b); err == nil {
			if h2, err := ParseOpusHead(h.Append(nil)); err != nil || h2 != h {
				t.Fatalf("OpusHead %+v: %+v %v", h, h2, err)
			}
		}
		if p, err := ParseAudio(b); err == nil {
			if len(b) > 0 && p.PacketType != AudioSequenceEnd || p.Enhanced {
				out := append(p.AppendHeader(nil), p.Payload...)
				p2, err := ParseAudio(out)
				if err != nil || !reflect.DeepEqual(p2, p) || !bytes.Equal(out, b) && !modEx(b) {
					t.Fatalf("audio %+v\nre-parsed %+v %v\n%x\n%x", p, p2, err, b, out)
				}
			}
		}
		if p, err := ParseVideo(b); err == nil && len(b) > 0 {
			out := append(p.AppendHeader(nil), p.Payload...)
			p2, err := ParseVideo(out)
			if err != nil || !reflect.DeepEqual(p2, p) || !bytes.Equal(out, b) && !modEx(b) {
				t.Fatalf("video %+v\nre-parsed %+v %v\n%x\n%x", p, p2, err, b, out)
			}
			_ = p.Keyframe()
		}
	})
}

// modEx reports whether an Enhanced-RTMP media payload starts with ModEx
// entries (packet type 7, for audio and video alike).
func modEx(b []byte) bool { return len(b) > 0 && b[0]&0x0f == 7 && (b[0]>>4 == 9 || b[0]&0x80 != 0) }
