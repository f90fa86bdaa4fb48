package tc

import (
	"encoding/binary"
	"fmt"
)

// Enhanced-RTMP v2 "ModEx" (modifier extension) entries, which may precede
// the FourCC of an audio or video message (veovera/enhanced-rtmp,
// enhanced-rtmp-v2.md, ExAudioTagHeader and ExVideoTagHeader): the packet
// type nibble says ModEx (7), then
//
//	+---------------+--------------------+--------------------------/-+------------------+
//	| size−1 (u8)   | [size−1 (u16)]     | data (size bytes)          | type | packetType|
//	+---------------+--------------------+--------------------------/-+------------------+
//	  0..254; 255:    only when the u8 is                               4 bits   4 bits
//	  the u16 follows 255: size 256..65536                              ModEx    the next
//	                                                                   type     (ModEx again
//	                                                                            or the real one)
//
// A conforming parser loops over the entries, acts on the types it knows
// (the spec defines only TimestampOffsetNano, 0, a sub-millisecond offset
// of the timestamp, which camchat reads past too) and reads past the others,
// then reads the FourCC as usual. camchat puts its per-packet media fields
// in an entry of its own type, ModExMediaInfo; the first data byte says
// which record follows, and bytes after the record are ignored, so a
// record can grow.
//
// Audio ('a'), after the jitter buffer's needs (pipeline.AudioPacket):
//
//	+------+-------------+-------+-----/-+
//	| 0x61 | seq (u16)   | flags | …     |
//	+------+-------------+-------+-----/-+
//	  'a'   sent-packet     bit 0: quiet (no speech); other bits 0,
//	        counter, wraps  ignored by readers
//
// Video ('v'), after temporal scalability (pipeline.VideoPacket):
//
//	+------+------+---------+---------+---------+-----/-+
//	| 0x76 | info | deps[0] | deps[1] | deps[2] | …     |
//	+------+------+---------+---------+---------+-----/-+
//	  'v'   bits 0–1: temporal layer (0..2); bit 2: droppable (updates no
//	        reference); other bits 0, ignored by readers. deps: the
//	        dependency vector (DepVector).
//
// A whole 'Opus' message with the extension (6 bytes more than without):
//
//	08 | ts (u32) | 97 | 03 | 61 seq seq flags | f1 | 'O' 'p' 'u' 's' | Opus packet
//	                 ^9|ModEx  ^size 4            ^type 15 | coded frames (1)
const ModExMediaInfo = 15

// Record kinds: the first data byte of a ModExMediaInfo entry.
const (
	mediaInfoAudio = 'a'
	mediaInfoVideo = 'v'
)

const (
	audioInfoLen   = 4 // kind, seq, flags
	videoInfoLen   = 5 // kind, info, deps
	audioFlagQuiet = 0x01

	videoInfoLayer     = 0x03
	videoInfoDroppable = 0x04
)

// AudioExt is camchat's per-packet audio information, carried in a ModEx
// entry (ModExMediaInfo) of an Enhanced-RTMP audio message.
type AudioExt struct {
	// Present: the message carried it (parse); write it (append).
	Present bool
	// Seq counts sent packets and wraps at 2^16; a gap means loss.
	Seq uint16
	// Quiet is the sender's verdict that the packet holds no speech: the
	// player's jitter buffer changes its delay there.
	Quiet bool
}

// DepVector says which reference-updating frames a video frame may depend
// on: element l is the number (mod 256) of non-droppable frames of
// temporal layer l sent before this frame, a keyframe counting in every
// layer (design: RFC 7741's TL0PICIDX idea for every layer).
type DepVector [MaxVideoLayers]uint8

// VideoExt is camchat's per-frame video information, carried in a ModEx
// entry (ModExMediaInfo) of an Enhanced-RTMP video message.
type VideoExt struct {
	// Present: the message carried it (parse); write it (append).
	Present bool
	// Layer is the frame's temporal layer, below MaxVideoLayers. A
	// message without the extension counts as layer 0.
	Layer uint8
	// Droppable frames update no reference: losing one harms no other.
	Droppable bool
	// Deps is the frame's dependency vector.
	Deps DepVector
}

// appendModExSize appends the size field of an entry of n data bytes
// (1..65536).
func appendModExSize(b []byte, n int) []byte {
	if n < 256 {
		return append(b, byte(n-1))
	}
	return binary.BigEndian.AppendUint16(append(b, 0xff), uint16(n-1))
}

// appendAudioExt appends x's ModEx entry; next is the packet type that
// follows it.
func appendAudioExt(b []byte, x AudioExt, next AudioPacketType) []byte {
	var flags byte
	if x.Quiet {
		flags |= audioFlagQuiet
	}
	b = appendModExSize(b, audioInfoLen)
	b = append(b, mediaInfoAudio, byte(x.Seq>>8), byte(x.Seq), flags)
	return append(b, ModExMediaInfo<<4|byte(next&0x0f))
}

// appendVideoExt appends x's ModEx entry; next is the packet type that
// follows it.
func appendVideoExt(b []byte, x VideoExt, next VideoPacketType) []byte {
	info := x.Layer & videoInfoLayer
	if x.Droppable {
		info |= videoInfoDroppable
	}
	b = appendModExSize(b, videoInfoLen)
	b = append(b, mediaInfoVideo, info, x.Deps[0], x.Deps[1], x.Deps[2])
	return append(b, ModExMediaInfo<<4|byte(next&0x0f))
}

// nextModEx reads one ModEx entry at the start of b: its type, data, the
// packet type that follows, and the rest of b after it.
func nextModEx(b []byte) (typ uint8, data []byte, next uint8, rest []byte, err error) {
	if len(b) < 1 {
		return 0, nil, 0, nil, fmt.Errorf("tc: ModEx size: %w", ErrTruncated)
	}
	n := int(b[0]) + 1
	b = b[1:]
	if n == 256 {
		if len(b) < 2 {
			return 0, nil, 0, nil, fmt.Errorf("tc: ModEx size: %w", ErrTruncated)
		}
		n = int(binary.BigEndian.Uint16(b)) + 1
		b = b[2:]
	}
	if len(b) < n+1 {
		return 0, nil, 0, nil, fmt.Errorf("tc: ModEx data of %d bytes: %w", n, ErrTruncated)
	}
	return b[n] >> 4, b[:n], b[n] & 0x0f, b[n+1:], nil
}

// parseAudioExt reads an audio record; ok is false when data holds
// another kind of record.
func parseAudioExt(data []byte) (x AudioExt, ok bool, err error) {
	if data[0] != mediaInfoAudio {
		return AudioExt{}, false, nil
	}
	if len(data) < audioInfoLen {
		return AudioExt{}, false, fmt.Errorf("tc: audio media info of %d bytes: %w", len(data), ErrMalformed)
	}
	return AudioExt{Present: true, Seq: binary.BigEndian.Uint16(data[1:]), Quiet: data[3]&audioFlagQuiet != 0}, true, nil
}

// parseVideoExt reads a video record; ok is false when data holds
// another kind of record.
func parseVideoExt(data []byte) (x VideoExt, ok bool, err error) {
	if data[0] != mediaInfoVideo {
		return VideoExt{}, false, nil
	}
	if len(data) < videoInfoLen {
		return VideoExt{}, false, fmt.Errorf("tc: video media info of %d bytes: %w", len(data), ErrMalformed)
	}
	x = VideoExt{Present: true, Layer: data[1] & videoInfoLayer, Droppable: data[1]&videoInfoDroppable != 0,
		Deps: DepVector{data[2], data[3], data[4]}}
	if x.Layer >= MaxVideoLayers {
		return VideoExt{}, false, fmt.Errorf("tc: temporal layer %d: %w", x.Layer, ErrMalformed)
	}
	return x, true, nil
}

// AppendOpusMessageExt appends a whole TC audio message carrying one Opus
// packet as Enhanced-RTMP coded frames with x in a ModEx entry (none when
// x.Present is false: then it is AppendOpusMessage). It does not allocate
// when b has room for len(frame)+16 more bytes.
func AppendOpusMessageExt(b []byte, ts Timestamp, x AudioExt, frame []byte) []byte {
	if !x.Present {
		return AppendOpusMessage(b, ts, frame)
	}
	b = AppendMessageHeader(b, TypeAudio, ts)
	b = append(b, soundFormatExHeader<<4|byte(AudioModEx))
	b = appendAudioExt(b, x, AudioCodedFrames)
	b = binary.BigEndian.AppendUint32(b, uint32(FourCCOpus))
	return append(b, frame...)
}

// AppendVP8MessageExt appends a whole TC video message carrying one VP8
// frame as Enhanced-RTMP coded frames with x in a ModEx entry (none when
// x.Present is false: then it is AppendVP8Message). It does not allocate
// when b has room for len(frame)+17 more bytes.
func AppendVP8MessageExt(b []byte, ts Timestamp, keyframe bool, x VideoExt, frame []byte) []byte {
	if !x.Present {
		return AppendVP8Message(b, ts, keyframe, frame)
	}
	ft := FrameInter
	if keyframe {
		ft = FrameKey
	}
	b = AppendMessageHeader(b, TypeVideo, ts)
	b = append(b, videoExHeader|byte(ft&7)<<4|byte(VideoModEx))
	b = appendVideoExt(b, x, VideoCodedFrames)
	b = binary.BigEndian.AppendUint32(b, uint32(FourCCVP8))
	return append(b, frame...)
}
