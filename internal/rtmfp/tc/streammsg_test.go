package tc

import (
	"bytes"
	"errors"
	"testing"
)

// streamSeeds are whole TC messages of every kind a stream delivers.
func streamSeeds(t testing.TB) [][]byte {
	var out [][]byte
	add := func(b []byte, err error) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	add(StreamStatus(LevelStatus, CodePlayStart, "Started", "cam").AppendMessage(nil, 0))
	add(SampleAccess(true, true).AppendMessage(nil, 0))
	add(Send("onChat", "hello", 1.0).AppendMessage(nil, 7))
	add(Play{Name: "camchat"}.Command().AppendMessage(nil, 0))
	out = append(out,
		AppendStreamEventMessage(nil, EventStreamBegin, DefaultPeerStreamID),
		FlowSync{SyncID: 3, Count: 3}.AppendMessage(nil),
		AppendOpusMessage(nil, 1234, []byte{0xfc, 1, 2, 3}),
		AppendAudioMessage(nil, 0, opusConfig(DefaultOpusHead())),
		AppendVP8Message(nil, 40, true, []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a}),
		AppendVideoMessage(nil, 0, vp8Config(nil)),
	)
	return out
}

func TestParseStreamMessage(t *testing.T) {
	seeds := streamSeeds(t)
	wantType := []MessageType{TypeCommand, TypeData, TypeData, TypeCommand, TypeUserControl, TypeUserControl, TypeAudio, TypeAudio, TypeVideo, TypeVideo}
	for i, b := range seeds {
		m, err := parseStreamMessage(b, Limits{})
		if err != nil || m.Type != wantType[i] || !bytes.Equal(m.Raw, b) {
			t.Fatalf("seed %d: %+v, %v", i, m, err)
		}
	}
	if m, _ := parseStreamMessage(seeds[0], Limits{}); !m.IsStatus(CodePlayStart) {
		t.Fatalf("status %+v", m.Status)
	}
	if m, _ := parseStreamMessage(seeds[6], Limits{}); m.Timestamp != 1234 || m.Audio.Codec != AudioOpus || !bytes.Equal(m.Audio.Payload, []byte{0xfc, 1, 2, 3}) {
		t.Fatalf("audio %+v", m)
	}
	// Every prefix shorter than the header, and every cut inside an AMF0
	// value, fails cleanly.
	for i, b := range seeds {
		for n := range len(b) {
			m, err := parseStreamMessage(b[:n], Limits{})
			if n < MessageHeaderLen && err == nil {
				t.Fatalf("seed %d: %d-byte prefix parsed", i, n)
			}
			if err == nil && m.Type != wantType[i] {
				t.Fatalf("seed %d prefix %d: type %v", i, n, m.Type)
			}
		}
	}
	if _, err := parseStreamMessage([]byte{byte(TypeSharedObject), 0, 0, 0, 0}, Limits{}); !errors.Is(err, ErrWrongType) {
		t.Fatalf("shared object on a stream: %v", err)
	}
}

// FuzzStreamMessage feeds arbitrary bytes to the parser every stream flow
// reader applies to what peers send.
func FuzzStreamMessage(f *testing.F) {
	for _, b := range streamSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseStreamMessage(b, Limits{})
		if err != nil {
			return
		}
		if !bytes.Equal(m.Raw, b) || m.Type != MessageType(b[0]) {
			t.Fatalf("parsed %+v from % x", m, b)
		}
		if m.Type == TypeUserControl && m.Control.Event == EventFlowSync {
			ParseFlowSync(m.Control)
		}
	})
}
