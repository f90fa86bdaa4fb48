package tc

import (
	"encoding/binary"
	"fmt"
)

// VideoCodec identifies the codec of a video message: a legacy FLV CodecID
// (0–15) or, for Enhanced-RTMP, a FourCC (always above 15), as rtmfp-cpp's
// getVideoCodec.
type VideoCodec uint32

// Legacy CodecID values (FLV tag specification, rtmfp-cpp TCMessage.hpp) and
// the Enhanced-RTMP codecs camchat knows.
const (
	VideoSorensonH263 VideoCodec = 2
	VideoScreen       VideoCodec = 3
	VideoVP6          VideoCodec = 4
	VideoVP6Alpha     VideoCodec = 5
	VideoScreenV2     VideoCodec = 6
	VideoAVC          VideoCodec = 7

	VideoVP8          = VideoCodec(FourCCVP8)
	VideoVP9          = VideoCodec(FourCCVP9)
	VideoAV1          = VideoCodec(FourCCAV1)
	VideoEnhancedAVC  = VideoCodec(FourCCAVC)
	VideoEnhancedHEVC = VideoCodec(FourCCHEVC)
)

func (c VideoCodec) String() string {
	switch c {
	case VideoSorensonH263:
		return "Sorenson H.263"
	case VideoScreen:
		return "Screen video"
	case VideoVP6:
		return "VP6"
	case VideoVP6Alpha:
		return "VP6 alpha"
	case VideoScreenV2:
		return "Screen video v2"
	case VideoAVC:
		return "AVC"
	}
	if c > 15 {
		return FourCC(c).String()
	}
	return fmt.Sprintf("VideoCodec(%d)", uint32(c))
}

// FrameType is the video frame type (3 bits in Enhanced-RTMP, 4 in legacy).
type FrameType uint8

// Video frame types.
const (
	FrameKey          FrameType = 1 // keyframe (IDR for AVC)
	FrameInter        FrameType = 2
	FrameDisposable   FrameType = 3 // disposable inter frame (H.263 only)
	FrameGeneratedKey FrameType = 4 // generated keyframe (server use)
	FrameCommand      FrameType = 5 // video info/command frame
)

// VideoPacketType is the Enhanced-RTMP VideoPacketType. Legacy AVC packets
// map onto it (sequence header → sequence start, NALU → coded frames, end of
// sequence → sequence end); other legacy video is coded frames.
type VideoPacketType uint8

// Enhanced-RTMP video packet types.
const (
	VideoSequenceStart        VideoPacketType = 0
	VideoCodedFrames          VideoPacketType = 1 // AVC/HEVC: with composition time
	VideoSequenceEnd          VideoPacketType = 2
	VideoCodedFramesX         VideoPacketType = 3 // AVC/HEVC: composition time 0, omitted
	VideoMetadata             VideoPacketType = 4
	VideoMPEG2TSSequenceStart VideoPacketType = 5
	VideoMultitrack           VideoPacketType = 6 // not supported
	VideoModEx                VideoPacketType = 7 // ModEx entries precede the real type (mediaext.go)
)

const videoExHeader = 0x80 // IsExHeader bit of an Enhanced-RTMP video header

// VideoPacket is the description of one video message payload, legacy or
// Enhanced-RTMP.
//
// Enhanced-RTMP (camchat sends VP8 this way):
//
//	+---+-----------+------------+-----------+-----------------+-------/-+
//	| 1 | frameType | packetType | FourCC    | [compTime SI24] | body    |
//	+---+-----------+------------+-----------+-----------------+-------/-+
//	 1 bit  3 bits     4 bits       u32        avc1/hvc1 coded frames only
//
// With packet type ModEx (7), modifier extension entries come between the
// first byte and the FourCC, the last one giving the real packet type
// (mediaext.go); camchat's own entry fills Ext, the others are skipped.
//
// Legacy FLV/RTMP:
//
//	+-----------+---------+------------------------------------+------/-+
//	| frameType | codecID | [AVCPacketType u8, compTime SI24]  | body   |
//	+-----------+---------+------------------------------------+------/-+
//	  4 bits      4 bits    only for AVC (7)
//
// An empty payload is "video silence", the end of the sequence (as
// rtmfp-cpp treats it): PacketType VideoSequenceEnd, Codec 0.
type VideoPacket struct {
	Codec      VideoCodec
	Enhanced   bool
	FrameType  FrameType
	PacketType VideoPacketType

	// CompositionTime is the AVC/HEVC presentation offset in ms.
	CompositionTime int32

	// Ext is camchat's per-frame information (Enhanced-RTMP only).
	Ext VideoExt

	// Payload is the codec data after the header (for a command frame,
	// starting with the command byte); it aliases the input.
	Payload []byte
}

// Keyframe reports whether p is a keyframe that decoding can start from
// (rtmfp-cpp isVideoKeyframe: frame type key, not a sequence header, end or
// metadata).
func (p VideoPacket) Keyframe() bool {
	return p.FrameType == FrameKey && !p.SequenceSpecial()
}

// SequenceHeader reports whether p carries codec configuration.
func (p VideoPacket) SequenceHeader() bool {
	return p.PacketType == VideoSequenceStart || p.PacketType == VideoMPEG2TSSequenceStart
}

// SequenceSpecial reports whether p must be delivered even when late: not
// coded frames (rtmfp-cpp isVideoSequenceSpecial).
func (p VideoPacket) SequenceSpecial() bool {
	return p.PacketType != VideoCodedFrames && p.PacketType != VideoCodedFramesX
}

// hasCompositionTime reports whether coded frames of codec c carry the SI24
// composition time offset (Enhanced RTMP: only avc1 and hvc1).
func hasCompositionTime(c VideoCodec) bool {
	return c == VideoEnhancedAVC || c == VideoEnhancedHEVC
}

func si24(b []byte) int32 {
	return int32(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8) >> 8
}

func appendSI24(b []byte, v int32) []byte {
	return append(b, byte(v>>16), byte(v>>8), byte(v))
}

// ParseVideo describes a video message payload without copying.
func ParseVideo(b []byte) (VideoPacket, error) {
	if len(b) == 0 {
		return VideoPacket{PacketType: VideoSequenceEnd}, nil
	}
	if b[0]&videoExHeader != 0 {
		p := VideoPacket{
			Enhanced:   true,
			FrameType:  FrameType(b[0] >> 4 & 7),
			PacketType: VideoPacketType(b[0] & 0x0f),
		}
		rest := b[1:]
		for p.PacketType == VideoModEx {
			typ, data, next, r, err := nextModEx(rest)
			if err != nil {
				return VideoPacket{}, err
			}
			if typ == ModExMediaInfo {
				if e, ok, err := parseVideoExt(data); err != nil {
					return VideoPacket{}, err
				} else if ok {
					p.Ext = e
				}
			}
			p.PacketType, rest = VideoPacketType(next), r
		}
		if p.PacketType == VideoMultitrack {
			return VideoPacket{}, fmt.Errorf("tc: video packet type %d: %w", p.PacketType, ErrUnsupportedMedia)
		}
		if len(rest) < 4 {
			return VideoPacket{}, fmt.Errorf("tc: video FourCC: %w", ErrTruncated)
		}
		p.Codec = VideoCodec(binary.BigEndian.Uint32(rest))
		p.Payload = rest[4:]
		if p.PacketType == VideoCodedFrames && p.FrameType != FrameCommand && hasCompositionTime(p.Codec) {
			if len(p.Payload) < 3 {
				return VideoPacket{}, fmt.Errorf("tc: %v composition time: %w", p.Codec, ErrTruncated)
			}
			p.CompositionTime = si24(p.Payload)
			p.Payload = p.Payload[3:]
		}
		return p, nil
	}
	p := VideoPacket{
		Codec:      VideoCodec(b[0] & 0x0f),
		FrameType:  FrameType(b[0] >> 4),
		PacketType: VideoCodedFrames,
		Payload:    b[1:],
	}
	if p.Codec == VideoAVC && p.FrameType != FrameCommand {
		if len(b) < 5 {
			return VideoPacket{}, fmt.Errorf("tc: AVC packet header: %w", ErrTruncated)
		}
		switch b[1] {
		case 0:
			p.PacketType = VideoSequenceStart
		case 1:
		case 2:
			p.PacketType = VideoSequenceEnd
		default:
			return VideoPacket{}, fmt.Errorf("tc: AVC packet type %d: %w", b[1], ErrMalformed)
		}
		p.CompositionTime = si24(b[2:])
		p.Payload = b[5:]
	}
	return p, nil
}

// AppendHeader appends the header that ParseVideo reads back as p (all but
// the payload). An Enhanced-RTMP header is written when p.Enhanced is set or
// the codec is a FourCC, with p.Ext in a ModEx entry when it is present. A
// legacy header cannot carry Ext; a legacy sequence end of a codec other
// than AVC is the empty message, so nothing is written for it.
func (p VideoPacket) AppendHeader(b []byte) []byte {
	if p.Enhanced || p.Codec > 15 {
		if p.Ext.Present {
			b = append(b, videoExHeader|byte(p.FrameType&7)<<4|byte(VideoModEx))
			b = appendVideoExt(b, p.Ext, p.PacketType)
			b = binary.BigEndian.AppendUint32(b, uint32(p.Codec))
		} else {
			b = AppendVideoHeader(b, FourCC(p.Codec), p.FrameType, p.PacketType)
		}
		if p.PacketType == VideoCodedFrames && p.FrameType != FrameCommand && hasCompositionTime(p.Codec) {
			b = appendSI24(b, p.CompositionTime)
		}
		return b
	}
	if p.Codec == VideoAVC && p.FrameType != FrameCommand {
		b = append(b, byte(p.FrameType&0x0f)<<4|byte(p.Codec))
		switch p.PacketType {
		case VideoSequenceStart:
			b = append(b, 0)
		case VideoSequenceEnd:
			b = append(b, 2)
		default:
			b = append(b, 1)
		}
		return appendSI24(b, p.CompositionTime)
	}
	if p.PacketType == VideoSequenceEnd {
		return b
	}
	return append(b, byte(p.FrameType&0x0f)<<4|byte(p.Codec&0x0f))
}

// AppendVideoHeader appends the 5-byte Enhanced-RTMP video header for codec,
// frame type ft and packet type t. For avc1/hvc1 coded frames the caller
// appends the composition time.
func AppendVideoHeader(b []byte, codec FourCC, ft FrameType, t VideoPacketType) []byte {
	b = append(b, videoExHeader|byte(ft&7)<<4|byte(t&0x0f))
	return binary.BigEndian.AppendUint32(b, uint32(codec))
}

// AppendVP8Message appends a whole TC video message carrying one VP8 frame
// as Enhanced-RTMP coded frames (key or inter), timestamped with its capture
// time. It does not allocate when b has room for len(frame)+10 more bytes.
func AppendVP8Message(b []byte, ts Timestamp, keyframe bool, frame []byte) []byte {
	ft := FrameInter
	if keyframe {
		ft = FrameKey
	}
	b = AppendMessageHeader(b, TypeVideo, ts)
	b = AppendVideoHeader(b, FourCCVP8, ft, VideoCodedFrames)
	return append(b, frame...)
}

// AppendVideoMessage appends a whole TC video message: header, p's media
// header and p.Payload.
func AppendVideoMessage(b []byte, ts Timestamp, p VideoPacket) []byte {
	b = AppendMessageHeader(b, TypeVideo, ts)
	b = p.AppendHeader(b)
	return append(b, p.Payload...)
}
