package tc

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// mediaGolden are audio and video payloads (after the TC message header)
// with their descriptions. Legacy forms follow the FLV tag specification and
// rtmfp-cpp's TCMessage.hpp constants; Enhanced forms the Enhanced RTMP
// specification.
var mediaGolden = []struct {
	name  string
	hex   string
	audio *AudioPacket
	video *VideoPacket
	// header is the number of header bytes: shorter prefixes must fail.
	header int
}{
	{name: "AAC config 0xaf 00", hex: "af | 00 | 12 10", header: 2,
		audio: &AudioPacket{Codec: AudioAAC, PacketType: AudioSequenceStart, Rate: 3, Bits16: true, Stereo: true, Payload: []byte{0x12, 0x10}}},
	{name: "AAC raw 0xaf 01", hex: "af | 01 | 21 00 49", header: 2,
		audio: &AudioPacket{Codec: AudioAAC, PacketType: AudioCodedFrames, Rate: 3, Bits16: true, Stereo: true, Payload: []byte{0x21, 0x00, 0x49}}},
	// Speex: format 11, rate field 0 (Flash writes 0; Speex is 16 kHz), 16-bit, mono.
	{name: "Speex 0xb2", hex: "b2 | 36 9d", header: 1,
		audio: &AudioPacket{Codec: AudioSpeex, PacketType: AudioCodedFrames, Rate: 0, Bits16: true, Payload: []byte{0x36, 0x9d}}},
	// Nellymoser: format 6, 44 kHz, 16-bit, mono.
	{name: "Nellymoser 0x6e", hex: "6e | 01 02 03", header: 1,
		audio: &AudioPacket{Codec: AudioNellymoser, PacketType: AudioCodedFrames, Rate: 3, Bits16: true, Payload: []byte{1, 2, 3}}},
	{name: "Nellymoser 8 kHz 0x52", hex: "52 | 04", header: 1,
		audio: &AudioPacket{Codec: AudioNellymoser8k, PacketType: AudioCodedFrames, Rate: 0, Bits16: true, Payload: []byte{4}}},
	{name: "MP3 0x2f", hex: "2f | ff fb", header: 1,
		audio: &AudioPacket{Codec: AudioMP3, PacketType: AudioCodedFrames, Rate: 3, Bits16: true, Stereo: true, Payload: []byte{0xff, 0xfb}}},
	// OpusHead (RFC 7845 §5.1): "OpusHead", version 1, 1 channel, pre-skip 312, 48000 Hz, gain 0, family 0.
	{name: "Opus sequence start", hex: "90 | 4f707573 | 4f70757348656164 01 01 3801 80bb0000 0000 00", header: 5,
		audio: &AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioSequenceStart,
			Payload: []byte("OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")}},
	{name: "Opus sequence end", hex: "92 | 4f707573", header: 5,
		audio: &AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioSequenceEnd, Payload: []byte{}}},
	{name: "AAC enhanced sequence start", hex: "90 | 6d703461 | 12 10", header: 5,
		audio: &AudioPacket{Codec: AudioEnhancedAAC, Enhanced: true, PacketType: AudioSequenceStart, Payload: []byte{0x12, 0x10}}},

	{name: "AVC sequence header 0x17 00", hex: "17 | 00 | 00 00 00 | 01 64 00 1f", header: 5,
		video: &VideoPacket{Codec: VideoAVC, FrameType: FrameKey, PacketType: VideoSequenceStart, Payload: []byte{1, 0x64, 0, 0x1f}}},
	{name: "AVC keyframe 0x17 01", hex: "17 | 01 | 00 00 42 | 00 00 00 02 65 88", header: 5,
		video: &VideoPacket{Codec: VideoAVC, FrameType: FrameKey, PacketType: VideoCodedFrames, CompositionTime: 66, Payload: []byte{0, 0, 0, 2, 0x65, 0x88}}},
	{name: "AVC inter frame 0x27 01, negative composition time", hex: "27 | 01 | ff ff fe | 00 00 00 01 41", header: 5,
		video: &VideoPacket{Codec: VideoAVC, FrameType: FrameInter, PacketType: VideoCodedFrames, CompositionTime: -2, Payload: []byte{0, 0, 0, 1, 0x41}}},
	{name: "AVC end of sequence 0x17 02", hex: "17 02 00 00 00", header: 5,
		video: &VideoPacket{Codec: VideoAVC, FrameType: FrameKey, PacketType: VideoSequenceEnd, Payload: []byte{}}},
	// VP6 keyframe: frame type 1, codec 4, then the size adjustment byte.
	{name: "VP6 keyframe 0x14", hex: "14 | 00 | 54 65", header: 1,
		video: &VideoPacket{Codec: VideoVP6, FrameType: FrameKey, PacketType: VideoCodedFrames, Payload: []byte{0, 0x54, 0x65}}},
	{name: "Sorenson H.263 disposable 0x32", hex: "32 | 00 00 84", header: 1,
		video: &VideoPacket{Codec: VideoSorensonH263, FrameType: FrameDisposable, PacketType: VideoCodedFrames, Payload: []byte{0, 0, 0x84}}},
	{name: "VP8 sequence start", hex: "90 | 76703038 | 01 00 00 00", header: 5,
		video: &VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameKey, PacketType: VideoSequenceStart, Payload: []byte{1, 0, 0, 0}}},
	{name: "VP8 sequence end", hex: "92 | 76703038", header: 5,
		video: &VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameKey, PacketType: VideoSequenceEnd, Payload: []byte{}}},
	// HEVC coded frames carry a composition time (rtmfp-cpp testtcmsg v2).
	{name: "HEVC coded frames with composition time", hex: "91 | 68766331 | 00 00 21 | aa bb", header: 8,
		video: &VideoPacket{Codec: VideoEnhancedHEVC, Enhanced: true, FrameType: FrameKey, PacketType: VideoCodedFrames, CompositionTime: 33, Payload: []byte{0xaa, 0xbb}}},
	{name: "HEVC coded frames X", hex: "a3 | 68766331 | aa bb", header: 5,
		video: &VideoPacket{Codec: VideoEnhancedHEVC, Enhanced: true, FrameType: FrameInter, PacketType: VideoCodedFramesX, Payload: []byte{0xaa, 0xbb}}},
	{name: "AV1 metadata", hex: "84 | 61763031 | 02 00", header: 5,
		video: &VideoPacket{Codec: VideoAV1, Enhanced: true, FrameType: 0, PacketType: VideoMetadata, Payload: []byte{2, 0}}},

	// camchat's media info in a ModEx entry (mediaext.go): packet type 7,
	// data size − 1, the record, ModEx type 15 | the real packet type.
	{name: "Opus coded frames with media info", hex: "97 | 03 | 61 0102 01 | f1 | 4f707573 | fc ff fe", header: 11,
		audio: &AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioCodedFrames,
			Ext: AudioExt{Present: true, Seq: 0x0102, Quiet: true}, Payload: []byte{0xfc, 0xff, 0xfe}}},
	{name: "Opus coded frames with media info, speech", hex: "97 | 03 | 61 ffff 00 | f1 | 4f707573 | fc", header: 11,
		audio: &AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioCodedFrames,
			Ext: AudioExt{Present: true, Seq: 0xffff}, Payload: []byte{0xfc}}},
	// Frame type 2 (inter) | packet type 7; layer 2, droppable; deps 5, 3, 1.
	{name: "VP8 inter frame with media info", hex: "a7 | 04 | 76 06 05 03 01 | f1 | 76703038 | 10 02 00", header: 12,
		video: &VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameInter, PacketType: VideoCodedFrames,
			Ext: VideoExt{Present: true, Layer: 2, Droppable: true, Deps: DepVector{5, 3, 1}}, Payload: []byte{0x10, 0x02, 0x00}}},
	{name: "VP8 keyframe with media info", hex: "97 | 04 | 76 00 07 07 07 | f1 | 76703038 | 50 42 00 9d 01 2a", header: 12,
		video: &VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameKey, PacketType: VideoCodedFrames,
			Ext: VideoExt{Present: true, Deps: DepVector{7, 7, 7}}, Payload: []byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a}}},
}

func TestMediaGolden(t *testing.T) {
	for _, g := range mediaGolden {
		t.Run(g.name, func(t *testing.T) {
			b := unhex(t, g.hex)
			var hdr []byte
			if g.audio != nil {
				p, err := ParseAudio(b)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(p, *g.audio) {
					t.Fatalf("parsed %+v\nwant %+v", p, *g.audio)
				}
				hdr = p.AppendHeader(nil)
			} else {
				p, err := ParseVideo(b)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(p, *g.video) {
					t.Fatalf("parsed %+v\nwant %+v", p, *g.video)
				}
				hdr = p.AppendHeader(nil)
			}
			if !bytes.Equal(hdr, b[:g.header]) {
				t.Fatalf("AppendHeader %x, want %x", hdr, b[:g.header])
			}
			for i := 1; i < len(b); i++ {
				var err error
				var n int
				if g.audio != nil {
					var p AudioPacket
					p, err = ParseAudio(b[:i])
					n = len(p.Payload)
				} else {
					var p VideoPacket
					p, err = ParseVideo(b[:i])
					n = len(p.Payload)
				}
				if i < g.header && !errors.Is(err, ErrTruncated) {
					t.Errorf("prefix %x: %v, want ErrTruncated", b[:i], err)
				}
				if i >= g.header && (err != nil || n != i-g.header) {
					t.Errorf("prefix %x: payload %d bytes, err %v", b[:i], n, err)
				}
			}
		})
	}
}

func TestMediaFlags(t *testing.T) {
	key, _ := ParseVideo(unhex(t, "91 76703038 00"))
	inter, _ := ParseVideo(unhex(t, "a1 76703038 00"))
	seq, _ := ParseVideo(unhex(t, "90 76703038"))
	avcSeq, _ := ParseVideo(unhex(t, "17 00 000000"))
	silence, _ := ParseVideo(nil)
	for _, c := range []struct {
		name                      string
		p                         VideoPacket
		keyframe, header, special bool
	}{
		{"vp8 key", key, true, false, false},
		{"vp8 inter", inter, false, false, false},
		{"vp8 sequence start", seq, false, true, true},
		{"avc sequence header", avcSeq, false, true, true},
		{"silence", silence, false, false, true},
	} {
		if c.p.Keyframe() != c.keyframe || c.p.SequenceHeader() != c.header || c.p.SequenceSpecial() != c.special {
			t.Errorf("%s: keyframe %v header %v special %v", c.name, c.p.Keyframe(), c.p.SequenceHeader(), c.p.SequenceSpecial())
		}
	}
	a, _ := ParseAudio(nil)
	if a.PacketType != AudioSequenceEnd || !a.SequenceSpecial() || a.SequenceHeader() {
		t.Errorf("audio silence: %+v", a)
	}
	cfg, _ := ParseAudio(unhex(t, "af 00"))
	if !cfg.SequenceHeader() || !cfg.SequenceSpecial() || cfg.SampleRate() != 44100 {
		t.Errorf("AAC config: %+v rate %d", cfg, cfg.SampleRate())
	}
	opus, _ := ParseAudio(unhex(t, "91 4f707573 00"))
	if opus.SequenceSpecial() || opus.SampleRate() != 0 || opus.Codec.String() != "Opus" {
		t.Errorf("opus: %+v %s", opus, opus.Codec)
	}
	if VideoVP8.String() != "vp08" || VideoAVC.String() != "AVC" || AudioSpeex.String() != "Speex" || FourCC(1).String() != "0x00000001" {
		t.Error("codec names")
	}
}

func TestMediaRejects(t *testing.T) {
	for _, c := range []struct {
		name  string
		hex   string
		video bool
		want  error
	}{
		{"audio multitrack", "95 00 4f707573", false, ErrUnsupportedMedia},
		{"audio modex without its FourCC", "97 00 00 01", false, ErrTruncated},
		{"audio modex running past the end", "97 05 61 00 00 00", false, ErrTruncated},
		{"audio modex 16-bit size cut", "97 ff 01", false, ErrTruncated},
		{"audio media info too short", "97 01 61 00 f1 4f707573", false, ErrMalformed},
		{"audio modex then multitrack", "97 00 00 05 00 4f707573", false, ErrUnsupportedMedia},
		{"AAC packet type 2", "af 02", false, ErrMalformed},
		{"video multitrack (rtmfp-cpp testtcmsg v3)", "86 00 68766331 01", true, ErrUnsupportedMedia},
		{"video modex", "87", true, ErrTruncated},
		{"video media info too short", "a7 03 76 00 00 00 f1 76703038", true, ErrMalformed},
		{"video media info layer 3", "a7 04 76 03 00 00 00 f1 76703038", true, ErrMalformed},
		{"video modex then multitrack", "87 00 00 06 00 76703038", true, ErrUnsupportedMedia},
		{"AVC packet type 3", "17 03 000000", true, ErrMalformed},
	} {
		var err error
		if c.video {
			_, err = ParseVideo(unhex(t, c.hex))
		} else {
			_, err = ParseAudio(unhex(t, c.hex))
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestMediaMessageRoundTrip(t *testing.T) {
	frame := []byte{1, 2, 3, 4}
	for _, p := range []VideoPacket{
		{Codec: VideoVP8, Enhanced: true, FrameType: FrameKey, PacketType: VideoCodedFrames, Payload: frame},
		{Codec: VideoEnhancedAVC, Enhanced: true, FrameType: FrameInter, PacketType: VideoCodedFrames, CompositionTime: -40, Payload: frame},
		{Codec: VideoAVC, FrameType: FrameKey, PacketType: VideoCodedFrames, CompositionTime: 8388607, Payload: frame},
		{Codec: VideoVP6, FrameType: FrameInter, PacketType: VideoCodedFrames, Payload: frame},
	} {
		b := AppendVideoMessage(nil, 123456, p)
		m, err := ParseMessage(b)
		if err != nil || m.Type != TypeVideo || m.Timestamp != 123456 {
			t.Fatalf("message %+v %v", m, err)
		}
		got, err := ParseVideo(m.Payload)
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Fatalf("video round trip %+v, want %+v (%v)", got, p, err)
		}
	}
	for _, p := range []AudioPacket{
		{Codec: AudioOpus, Enhanced: true, PacketType: AudioSequenceStart, Payload: frame},
		{Codec: AudioAAC, PacketType: AudioCodedFrames, Rate: 2, Bits16: true, Payload: frame},
		{Codec: AudioSpeex, PacketType: AudioCodedFrames, Bits16: true, Payload: frame},
	} {
		b := AppendAudioMessage(nil, 7, p)
		m, _ := ParseMessage(b)
		got, err := ParseAudio(m.Payload)
		if err != nil || !reflect.DeepEqual(got, p) || m.Type != TypeAudio {
			t.Fatalf("audio round trip %+v, want %+v (%v)", got, p, err)
		}
	}
	// Legacy sequence ends are the empty message.
	if b := (AudioPacket{PacketType: AudioSequenceEnd}).AppendHeader(nil); len(b) != 0 {
		t.Errorf("audio silence header %x", b)
	}
	if b := (VideoPacket{PacketType: VideoSequenceEnd}).AppendHeader(nil); len(b) != 0 {
		t.Errorf("video silence header %x", b)
	}
}

func TestOpusHead(t *testing.T) {
	// Mono, pre-skip 312 (libopus at 48 kHz), input 48000 Hz, gain 0, family 0.
	want := unhex(t, "4f 70 75 73 48 65 61 64 | 01 | 01 | 38 01 | 80 bb 00 00 | 00 00 | 00")
	h := OpusHead{Channels: 1, PreSkip: 312, InputRate: 48000}
	if b := h.Append(nil); !bytes.Equal(b, want) {
		t.Fatalf("Append %x", b)
	}
	got, err := ParseOpusHead(want)
	if err != nil || got != h {
		t.Fatalf("%+v %v", got, err)
	}
	// The sequence start golden vector carries the same header.
	p, _ := ParseAudio(unhex(t, mediaGolden[6].hex))
	if got, err := ParseOpusHead(p.Payload); err != nil || got != h {
		t.Fatalf("golden sequence start: %+v %v", got, err)
	}
	for i := range want {
		if _, err := ParseOpusHead(want[:i]); !errors.Is(err, ErrTruncated) {
			t.Errorf("prefix %d: %v", i, err)
		}
	}
	neg := OpusHead{Channels: 2, PreSkip: 3840, InputRate: 44100, OutputGain: -256, Mapping: 1}
	if got, err := ParseOpusHead(neg.Append(nil)); err != nil || got != neg {
		t.Fatalf("%+v %v", got, err)
	}
	for name, b := range map[string][]byte{
		"magic":      append([]byte("OpusTags"), want[8:]...),
		"version 0":  append(append([]byte{}, want[:8]...), append([]byte{0}, want[9:]...)...),
		"version 16": append(append([]byte{}, want[:8]...), append([]byte{16}, want[9:]...)...),
		"0 channels": append(append([]byte{}, want[:9]...), append([]byte{0}, want[10:]...)...),
		"short tags": []byte("OpusTags\x01"),
	} {
		if _, err := ParseOpusHead(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !(AudioPacket{PacketType: AudioCodedFrames}).Keyframe() || (AudioPacket{PacketType: AudioSequenceStart}).Keyframe() {
		t.Error("audio Keyframe")
	}
}
