package tc

import (
	"bytes"
	"reflect"
	"testing"
)

// TestModExReadPast: entries camchat does not use (TimestampOffsetNano,
// unknown types, a 16-bit size) are read past; records of another kind,
// and bytes after a known record, are ignored.
func TestModExReadPast(t *testing.T) {
	big := bytes.Repeat([]byte{0xee}, 300)
	cases := []struct {
		name  string
		hex   string
		audio *AudioPacket
		video *VideoPacket
	}{
		{
			name: "TimestampOffsetNano, then media info",
			hex: "97 | 02 | 00 01 f4 | 07 | " + // 500 ns; type 0 | next ModEx
				"03 | 61 0007 00 | f1 | 4f707573 | fc",
			audio: &AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioCodedFrames,
				Ext: AudioExt{Present: true, Seq: 7}, Payload: []byte{0xfc}},
		},
		{
			name: "media info, then an unknown type with a 16-bit size",
			hex: "97 | 04 | 76 01 02 03 04 | f7 | " + // layer 1; type 15 | next ModEx
				"ff 012b | " + hexOf(big) + " | 91 | 76703038 | aa", // 300 bytes; type 9 | coded frames
			video: &VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameKey, PacketType: VideoCodedFrames,
				Ext: VideoExt{Present: true, Layer: 1, Deps: DepVector{2, 3, 4}}, Payload: []byte{0xaa}},
		},
		{
			name: "a longer record of a later version",
			hex:  "97 | 05 | 61 0100 03 99 98 | f0 | 4f707573 | 4f70757348656164", // flags: quiet + unknown bit 1
			audio: &AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioSequenceStart,
				Ext: AudioExt{Present: true, Seq: 256, Quiet: true}, Payload: []byte("OpusHead")},
		},
		{
			name:  "another kind of record",
			hex:   "97 | 02 | 7a 01 02 | f1 | 4f707573 | fc", // 'z'
			audio: &AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioCodedFrames, Payload: []byte{0xfc}},
		},
		{
			name:  "a video record in an audio message",
			hex:   "97 | 04 | 76 00 00 00 00 | f1 | 4f707573 | fc",
			audio: &AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioCodedFrames, Payload: []byte{0xfc}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := unhex(t, c.hex)
			if c.audio != nil {
				p, err := ParseAudio(b)
				if err != nil || !reflect.DeepEqual(p, *c.audio) {
					t.Fatalf("parsed %+v, %v\nwant %+v", p, err, *c.audio)
				}
				// Written back with only what camchat uses, it parses the same.
				if p2, err := ParseAudio(append(p.AppendHeader(nil), p.Payload...)); err != nil || !reflect.DeepEqual(p2, p) {
					t.Fatalf("re-parsed %+v, %v", p2, err)
				}
				return
			}
			p, err := ParseVideo(b)
			if err != nil || !reflect.DeepEqual(p, *c.video) {
				t.Fatalf("parsed %+v, %v\nwant %+v", p, err, *c.video)
			}
			if p2, err := ParseVideo(append(p.AppendHeader(nil), p.Payload...)); err != nil || !reflect.DeepEqual(p2, p) {
				t.Fatalf("re-parsed %+v, %v", p2, err)
			}
		})
	}
}

// TestMediaExtBuilders: the message builders with an absent extension are
// the plain ones, and AppendHeader of a described packet writes the same
// bytes as the builders.
func TestMediaExtBuilders(t *testing.T) {
	frame := []byte{1, 2, 3}
	if !bytes.Equal(AppendOpusMessageExt(nil, 5, AudioExt{Seq: 9}, frame), AppendOpusMessage(nil, 5, frame)) {
		t.Fatal("absent audio extension written")
	}
	if !bytes.Equal(AppendVP8MessageExt(nil, 5, true, VideoExt{Layer: 1}, frame), AppendVP8Message(nil, 5, true, frame)) {
		t.Fatal("absent video extension written")
	}
	ax := AudioExt{Present: true, Seq: 65535, Quiet: true}
	ap := AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioCodedFrames, Ext: ax, Payload: frame}
	if a, b := AppendAudioMessage(nil, 7, ap), AppendOpusMessageExt(nil, 7, ax, frame); !bytes.Equal(a, b) {
		t.Fatalf("audio %x, builder %x", a, b)
	}
	vx := VideoExt{Present: true, Layer: 1, Deps: DepVector{4, 2, 0}}
	vp := VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameInter, PacketType: VideoCodedFrames, Ext: vx, Payload: frame}
	if a, b := AppendVideoMessage(nil, 7, vp), AppendVP8MessageExt(nil, 7, false, vx, frame); !bytes.Equal(a, b) {
		t.Fatalf("video %x, builder %x", a, b)
	}
	// A legacy header has no room for it: the packet is written without.
	legacy := AudioPacket{Codec: AudioSpeex, PacketType: AudioCodedFrames, Bits16: true, Ext: ax, Payload: frame}
	if p, err := ParseAudio(append(legacy.AppendHeader(nil), frame...)); err != nil || p.Ext.Present || p.Codec != AudioSpeex {
		t.Fatalf("legacy %+v %v", p, err)
	}
	// Message-level helpers treat an extended frame as coded media.
	m, _ := ParseMessage(AppendVP8MessageExt(nil, 1, true, vx, frame))
	if m.AlwaysDeliver() {
		t.Fatal("an extended coded frame is always delivered")
	}
	if v, _ := ParseVideo(m.Payload); !v.Keyframe() || v.SequenceSpecial() {
		t.Fatalf("extended keyframe %+v", v)
	}
}
