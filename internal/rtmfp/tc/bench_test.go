package tc

import (
	"testing"
)

func benchConnect() Command {
	return Connect{
		App: "camchat", FlashVer: "WIN 20,0,0,286", TCURL: "rtmfp://rendezvous.example:1935/camchat",
		AudioCodecs: 0xffff, VideoCodecs: 0xffff, CapsEx: CapsExReconnect, FourCCList: []string{"Opus", "vp08"},
		VideoFourCCInfoMap: Properties{{"vp08", 7.0}}, AudioFourCCInfoMap: Properties{{"Opus", 7.0}},
	}.Command()
}

func BenchmarkCommandEncodeConnect(b *testing.B) {
	c := benchConnect()
	buf, _ := c.AppendMessage(nil, 0)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = c.AppendMessage(buf[:0], 0)
	}
}

func BenchmarkCommandDecodeConnect(b *testing.B) {
	msg, _ := benchConnect().AppendMessage(nil, 0)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		m, _ := ParseMessage(msg)
		c, err := ParseCommandMessage(m, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseConnect(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCommandDecodeOnStatus(b *testing.B) {
	msg, _ := StreamStatus(LevelStatus, CodePlayStart, "Subscribe", "camchat-stream").AppendMessage(nil, 0)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		m, _ := ParseMessage(msg)
		c, err := ParseCommandMessage(m, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Status(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCommandEncodePlay(b *testing.B) {
	c := Play{Name: "camchat-stream"}.Command()
	buf, _ := c.AppendMessage(nil, 0)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = c.AppendMessage(buf[:0], 0)
	}
}

// BenchmarkOpusFraming frames a 20 ms Opus packet (about 60 bytes at
// 24 kbit/s) into a reused buffer and parses it back to sub-slices: the audio
// hot path on both sides. It must not allocate.
func BenchmarkOpusFraming(b *testing.B) {
	frame := make([]byte, 60)
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	ts := Timestamp(0)
	for b.Loop() {
		buf = AppendOpusMessage(buf[:0], ts, frame)
		m, err := ParseMessage(buf)
		if err != nil {
			b.Fatal(err)
		}
		p, err := ParseAudio(m.Payload)
		if err != nil || len(p.Payload) != len(frame) {
			b.Fatal(err)
		}
		ts += 20
	}
}

// BenchmarkVP8Framing frames a 1200-byte VP8 inter frame into a reused
// buffer and parses it back. It must not allocate.
func BenchmarkVP8Framing(b *testing.B) {
	frame := make([]byte, 1200)
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	ts := Timestamp(0)
	for b.Loop() {
		buf = AppendVP8Message(buf[:0], ts, false, frame)
		m, err := ParseMessage(buf)
		if err != nil {
			b.Fatal(err)
		}
		p, err := ParseVideo(m.Payload)
		if err != nil || p.Keyframe() || len(p.Payload) != len(frame) {
			b.Fatal(err)
		}
		ts += 33
	}
}

// BenchmarkOpusFramingExt is BenchmarkOpusFraming with camchat's media
// info (sequence number, quiet flag) in a ModEx entry. It must not
// allocate.
func BenchmarkOpusFramingExt(b *testing.B) {
	frame := make([]byte, 60)
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	x := AudioExt{Present: true}
	for b.Loop() {
		buf = AppendOpusMessageExt(buf[:0], Timestamp(x.Seq)*20, x, frame)
		m, err := ParseMessage(buf)
		if err != nil {
			b.Fatal(err)
		}
		p, err := ParseAudio(m.Payload)
		if err != nil || p.Ext.Seq != x.Seq || len(p.Payload) != len(frame) {
			b.Fatal(err)
		}
		x.Seq++
	}
}

// BenchmarkVP8FramingExt is BenchmarkVP8Framing with camchat's media info
// (layer, droppable, dependency vector) in a ModEx entry. It must not
// allocate.
func BenchmarkVP8FramingExt(b *testing.B) {
	frame := make([]byte, 1200)
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	x := VideoExt{Present: true, Layer: 1, Deps: DepVector{3, 2, 0}}
	ts := Timestamp(0)
	for b.Loop() {
		buf = AppendVP8MessageExt(buf[:0], ts, false, x, frame)
		m, err := ParseMessage(buf)
		if err != nil {
			b.Fatal(err)
		}
		p, err := ParseVideo(m.Payload)
		if err != nil || p.Ext != x || len(p.Payload) != len(frame) {
			b.Fatal(err)
		}
		ts += 33
	}
}

func BenchmarkFlowMetadataParse(b *testing.B) {
	md := FlowMetadata{StreamID: 2000001}.Append(nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseFlowMetadata(md); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMediaFramingDoesNotAllocate(t *testing.T) {
	frame := make([]byte, 1200)
	buf := make([]byte, 0, 2048)
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendVP8Message(buf[:0], 1, true, frame)
		m, _ := ParseMessage(buf)
		_, _ = ParseVideo(m.Payload)
		buf = AppendOpusMessage(buf[:0], 1, frame[:60])
		m, _ = ParseMessage(buf)
		_, _ = ParseAudio(m.Payload)
		buf = FlowSync{SyncID: 1, Count: 3}.AppendMessage(buf[:0])
		buf = AppendStreamEventMessage(buf[:0], EventStreamBegin, 1)
		_, _, _ = ParseFlowMetadata([]byte{'T', 'C', 4, 1})
		buf = AppendVP8MessageExt(buf[:0], 1, false, VideoExt{Present: true, Layer: 2, Droppable: true}, frame)
		m, _ = ParseMessage(buf)
		_, _ = ParseVideo(m.Payload)
		buf = AppendOpusMessageExt(buf[:0], 1, AudioExt{Present: true, Seq: 3}, frame[:60])
		m, _ = ParseMessage(buf)
		_, _ = ParseAudio(m.Payload)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame, want 0", allocs)
	}
}
