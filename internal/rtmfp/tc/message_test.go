package tc

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestMessageFraming(t *testing.T) {
	payload := []byte{0xde, 0xad}
	b := Message{Type: TypeData, Timestamp: 0x01020304, Payload: payload}.Append([]byte{0xff})
	if want := unhex(t, "ff | 12 | 01 02 03 04 | de ad"); !bytes.Equal(b, want) {
		t.Fatalf("Append %x, want %x", b, want)
	}
	m, err := ParseMessage(b[1:])
	if err != nil || m.Type != TypeData || m.Timestamp != 0x01020304 || !bytes.Equal(m.Payload, payload) || m.Length() != 7 {
		t.Fatalf("parse %+v %v", m, err)
	}
	if &m.Payload[0] != &b[6] {
		t.Error("payload is a copy, want a sub-slice")
	}
	for i := range 5 {
		if _, err := ParseMessage(b[1 : 1+i]); !errors.Is(err, ErrTruncated) {
			t.Errorf("%d bytes: %v", i, err)
		}
	}
	if m, err := ParseMessage(unhex(t, "09 00000000")); err != nil || len(m.Payload) != 0 {
		t.Errorf("empty payload: %+v %v", m, err)
	}
}

func TestMessageAMFFormatByte(t *testing.T) {
	cmd, _ := CloseStream().Append(nil)
	for _, c := range []struct {
		m    Message
		want error
		amf  []byte
	}{
		{Message{Type: TypeCommand, Payload: cmd}, nil, cmd},
		{Message{Type: TypeCommandEx, Payload: append([]byte{0}, cmd...)}, nil, cmd},
		{Message{Type: TypeDataEx, Payload: []byte{0}}, nil, []byte{}},
		{Message{Type: TypeCommandEx, Payload: append([]byte{1}, cmd...)}, ErrUnknownFormat, nil},
		{Message{Type: TypeSharedObjectEx, Payload: nil}, ErrTruncated, nil},
		{Message{Type: TypeAudio, Payload: cmd}, ErrWrongType, nil},
	} {
		amf, err := c.m.AMF()
		if !errors.Is(err, c.want) || (c.want == nil && !bytes.Equal(amf, c.amf)) {
			t.Errorf("%v %x: %x %v, want %v", c.m.Type, c.m.Payload, amf, err, c.want)
		}
	}
	// A command-ex parses like a command (RFC 7425 §5.3.3).
	c, err := ParseCommandMessage(Message{Type: TypeCommandEx, Payload: append([]byte{0}, cmd...)}, Limits{})
	if err != nil || c.Name != CommandCloseStream || c.Object != nil {
		t.Fatalf("command-ex: %+v %v", c, err)
	}
	if !TypeDataEx.IsEx() || TypeData.IsEx() || TypeCommand.String() != "command" || MessageType(99).String() != "MessageType(99)" {
		t.Error("MessageType methods")
	}
}

func TestTimestamps(t *testing.T) {
	// rtmfp-cpp testtcmsg timestamp_lt / timestamp_diff cases.
	if !Timestamp(1).Before(2) || !Timestamp(0x90000000).Before(0xa0000000) || !Timestamp(0xf0000000).Before(0) ||
		!Timestamp(0xf0000000).Before(0x60000000) || Timestamp(2).Before(1) || Timestamp(2).Before(2) ||
		!Timestamp(2).After(1) || Timestamp(2).After(2) {
		t.Error("Before/After")
	}
	for _, c := range []struct {
		l, r Timestamp
		d    time.Duration
	}{
		{2, 1, time.Millisecond},
		{1, 2, -time.Millisecond},
		{0xffffff9c, 1, -101 * time.Millisecond}, // 0 − 100
		{0xf0000005, 0xf0000004, time.Millisecond},
		{5, 0xfffffffb, 10 * time.Millisecond},
	} {
		if got := c.l.Sub(c.r); got != c.d {
			t.Errorf("%d − %d = %v, want %v", c.l, c.r, got, c.d)
		}
	}
	if TimestampOf(20*time.Millisecond+999*time.Microsecond) != 20 {
		t.Error("TimestampOf truncates to the millisecond")
	}
	if TimestampOf((1<<32+5)*time.Millisecond) != 5 {
		t.Error("TimestampOf wraps modulo 2^32")
	}
}

func TestFlowMetadataErrors(t *testing.T) {
	for _, c := range []struct {
		hex  string
		want error
	}{
		{"54 43 00 01", ErrNotTC},        // no SID flag (rtmfp-cpp md_bad2)
		{"54 43 04 81 80", ErrTruncated}, // incomplete VLU (md_bad1)
		{"54 44 04 00", ErrNotTC},
		{"00 54 43 04 00", ErrNotTC}, // the option type byte is the transport's
		{"", ErrTruncated},
		{"54 43 04 90 80 80 80 00", ErrMalformed}, // 2^32: above a stream ID
		{"54 43 04 ff ff ff ff ff ff ff ff ff 7f", ErrMalformed},
	} {
		if _, _, err := ParseFlowMetadata(unhex(t, c.hex)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.hex, err, c.want)
		}
	}
	// Reserved flag bits are ignored; only bit 0 is the intent.
	m, n, err := ParseFlowMetadata(unhex(t, "54 43 fe 05 ee"))
	if err != nil || m.StreamID != 5 || m.Intent != IntentOriginalOrder || n != 4 {
		t.Errorf("reserved bits: %+v %d %v", m, n, err)
	}
	if l := (FlowMetadata{StreamID: 2000001}).Length(); l != 6 {
		t.Errorf("Length %d", l)
	}
	if IntentNetworkOrder.String() != "network order" {
		t.Error("intent name")
	}
}

func TestUserControl(t *testing.T) {
	u, err := ParseUserControl(unhex(t, "00 03 | 00 00 00 01 | 00 00 0b b8"))
	if err != nil || u.Event != EventSetBufferLength {
		t.Fatal(u, err)
	}
	if id, err := u.StreamEvent(); err != nil || id != 1 {
		t.Fatal(id, err)
	}
	if b := u.AppendMessage(nil); !bytes.Equal(b, unhex(t, "04 00000000 0003 00000001 00000bb8")) {
		t.Fatalf("AppendMessage %x", b)
	}
	if b := StreamEventControl(EventStreamEOF, 3).Append(nil); !bytes.Equal(b, unhex(t, "0001 00000003")) {
		t.Fatalf("StreamEOF %x", b)
	}
	if _, err := ParseUserControl([]byte{0}); !errors.Is(err, ErrTruncated) {
		t.Error(err)
	}
	if _, err := ParseUserControlMessage(Message{Type: TypeAudio}); !errors.Is(err, ErrWrongType) {
		t.Error(err)
	}
	ping := UserControl{Event: EventPingRequest, Data: []byte{0, 0, 0, 1}}
	if _, err := ping.StreamEvent(); !errors.Is(err, ErrWrongType) {
		t.Error(err)
	}
	if _, err := ParseFlowSync(ping); !errors.Is(err, ErrWrongType) {
		t.Error(err)
	}
	if _, err := ParseSetKeepalive(ping); !errors.Is(err, ErrWrongType) {
		t.Error(err)
	}
	if EventFlowSync.String() != "FlowSync" || UserControlEvent(99).String() != "UserControlEvent(99)" {
		t.Error("event names")
	}
}

func TestSetKeepaliveMinimum(t *testing.T) {
	for _, c := range []struct {
		server, peer uint32
		ok           bool
	}{
		{5000, 5000, true},
		{4999, 5000, false},
		{5000, 4999, false}, // the peer period is checked on its own
		{0, 0, false},
		{0xffffffff, 60000, true},
	} {
		b := SetKeepalive{Server: time.Duration(c.server) * time.Millisecond, Peer: time.Duration(c.peer) * time.Millisecond}.AppendMessage(nil)
		u, _ := parseUC(b)
		k, err := ParseSetKeepalive(u)
		if c.ok != (err == nil) || (!c.ok && !errors.Is(err, ErrKeepaliveTooShort)) {
			t.Errorf("%d/%d: %v", c.server, c.peer, err)
		}
		// The decoded periods come back either way, for a caller that clamps.
		if k.Server != time.Duration(c.server)*time.Millisecond || k.Peer != time.Duration(c.peer)*time.Millisecond {
			t.Errorf("%d/%d: decoded %+v", c.server, c.peer, k)
		}
	}
	if b := (SetKeepalive{Server: -time.Second, Peer: 1 << 62}).AppendMessage(nil); !bytes.Equal(b[7:], unhex(t, "00000000 ffffffff")) {
		t.Errorf("saturation: %x", b[7:])
	}
}

func TestSharedObject(t *testing.T) {
	b := unhex(t, `00 02 53 4f // name "SO"
		00 00 00 05 // version 5
		00 00 00 02 // persistent
		00 00 00 00 // reserved
		01 00 00 00 00 // event 1 (use), empty
		04 00 00 00 02 ab cd // event 4, 2 bytes`)
	h, err := ParseSharedObject(b)
	if err != nil || h.Name != "SO" || h.Version != 5 || h.Flags != 2 || len(h.Events) != 12 {
		t.Fatalf("%+v %v", h, err)
	}
	if out := h.Append(nil); !bytes.Equal(out, b) {
		t.Fatalf("Append %x", out)
	}
	typ, data, rest, err := NextSharedObjectEvent(h.Events)
	if err != nil || typ != 1 || len(data) != 0 {
		t.Fatal(typ, data, err)
	}
	typ, data, rest, err = NextSharedObjectEvent(rest)
	if err != nil || typ != 4 || !bytes.Equal(data, []byte{0xab, 0xcd}) || len(rest) != 0 {
		t.Fatal(typ, data, rest, err)
	}
	for i := range 16 {
		if _, err := ParseSharedObject(b[:i]); !errors.Is(err, ErrTruncated) {
			t.Errorf("prefix %d: %v", i, err)
		}
	}
	for i := range 7 {
		if _, _, _, err := NextSharedObjectEvent(h.Events[5 : 5+i]); !errors.Is(err, ErrTruncated) {
			t.Errorf("event prefix %d: %v", i, err)
		}
	}
}

func TestAlwaysDeliver(t *testing.T) {
	opus := AppendOpusMessage(nil, 0, []byte{1})
	vp8 := AppendVP8Message(nil, 0, true, []byte{1})
	seq := AppendVideoMessage(nil, 0, VideoPacket{Codec: VideoVP8, FrameType: FrameKey, PacketType: VideoSequenceStart})
	aseq := AppendAudioMessage(nil, 0, AudioPacket{Codec: AudioOpus, PacketType: AudioSequenceStart})
	cmd, _ := CloseStream().AppendMessage(nil, 0)
	for _, c := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"opus frame", opus, false},
		{"vp8 keyframe", vp8, false},
		{"vp8 sequence start", seq, true},
		{"opus sequence start", aseq, true},
		{"video silence", unhex(t, "09 00000000"), true},
		{"audio silence", unhex(t, "08 00000000"), true},
		{"command", cmd, true},
		{"flow sync", FlowSync{1, 3}.AppendMessage(nil), true},
		{"bad video", unhex(t, "09 00000000 87"), false},
	} {
		m, _ := ParseMessage(c.b)
		if got := m.AlwaysDeliver(); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}
