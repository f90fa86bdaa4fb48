package tc

import (
	"encoding/binary"
	"fmt"
)

// AudioCodec identifies the codec of an audio message: a legacy FLV
// SoundFormat (0–15) or, for Enhanced-RTMP, a FourCC (always above 15), as
// rtmfp-cpp's getAudioCodec.
type AudioCodec uint32

// Legacy SoundFormat values (FLV tag specification, rtmfp-cpp TCMessage.hpp)
// and the Enhanced-RTMP codecs camchat knows.
const (
	AudioLPCM           AudioCodec = 0 // linear PCM, platform endian
	AudioADPCM          AudioCodec = 1
	AudioMP3            AudioCodec = 2
	AudioLPCMLE         AudioCodec = 3
	AudioNellymoser16k  AudioCodec = 4
	AudioNellymoser8k   AudioCodec = 5
	AudioNellymoser     AudioCodec = 6
	AudioG711ALaw       AudioCodec = 7
	AudioG711MuLaw      AudioCodec = 8
	AudioAAC            AudioCodec = 10
	AudioSpeex          AudioCodec = 11
	AudioMP38k          AudioCodec = 14
	AudioDeviceSpecific AudioCodec = 15

	AudioOpus        = AudioCodec(FourCCOpus)
	AudioEnhancedAAC = AudioCodec(FourCCAAC)
)

func (c AudioCodec) String() string {
	switch c {
	case AudioLPCM:
		return "LPCM"
	case AudioADPCM:
		return "ADPCM"
	case AudioMP3:
		return "MP3"
	case AudioLPCMLE:
		return "LPCM-LE"
	case AudioNellymoser16k:
		return "Nellymoser 16 kHz"
	case AudioNellymoser8k:
		return "Nellymoser 8 kHz"
	case AudioNellymoser:
		return "Nellymoser"
	case AudioG711ALaw:
		return "G.711 A-law"
	case AudioG711MuLaw:
		return "G.711 mu-law"
	case AudioAAC:
		return "AAC"
	case AudioSpeex:
		return "Speex"
	case AudioMP38k:
		return "MP3 8 kHz"
	case AudioDeviceSpecific:
		return "device specific"
	}
	if c > 15 {
		return FourCC(c).String()
	}
	return fmt.Sprintf("AudioCodec(%d)", uint32(c))
}

// AudioPacketType is the Enhanced-RTMP AudioPacketType. Legacy AAC packets
// map onto it (config → sequence start, raw → coded frames); other legacy
// audio is coded frames.
type AudioPacketType uint8

// Enhanced-RTMP audio packet types.
const (
	AudioSequenceStart      AudioPacketType = 0
	AudioCodedFrames        AudioPacketType = 1
	AudioSequenceEnd        AudioPacketType = 2
	AudioMultichannelConfig AudioPacketType = 4
	AudioMultitrack         AudioPacketType = 5 // not supported
	AudioModEx              AudioPacketType = 7 // ModEx entries precede the real type (mediaext.go)
)

const (
	soundFormatExHeader = 9 // SoundFormat of an Enhanced-RTMP audio header
	aacSequenceHeader   = 0 // AACPacketType: AudioSpecificConfig
	aacRaw              = 1 // AACPacketType: raw frames
)

// AudioPacket is the description of one audio message payload, legacy or
// Enhanced-RTMP.
//
// Enhanced-RTMP (camchat sends Opus this way):
//
//	+----------------+-----------+----------------/-+
//	| 9 | packetType | FourCC    | body             |
//	+----------------+-----------+----------------/-+
//	 4 bits  4 bits    u32        sequence start: codec config (OpusHead)
//	                              coded frames: one codec frame
//
// With packet type ModEx (7), modifier extension entries come between the
// first byte and the FourCC, the last one giving the real packet type
// (mediaext.go); camchat's own entry fills Ext, the others are skipped.
//
// Legacy FLV/RTMP:
//
//	+--------+------+------+------+-------------------+
//	| format | rate | size | type | [AACPacketType] … |
//	+--------+------+------+------+-------------------+
//	 4 bits   2 bits 1 bit  1 bit   only for AAC (10)
//
// An empty payload is "silence", the end of the sequence (as rtmfp-cpp
// treats it): PacketType AudioSequenceEnd, Codec 0.
type AudioPacket struct {
	Codec      AudioCodec
	Enhanced   bool
	PacketType AudioPacketType

	// Legacy header fields; zero for Enhanced-RTMP.
	Rate   uint8 // 0: 5.5 kHz, 1: 11 kHz, 2: 22 kHz, 3: 44 kHz
	Bits16 bool  // sample size 16 bits (else 8)
	Stereo bool

	// Ext is camchat's per-packet information (Enhanced-RTMP only).
	Ext AudioExt

	// Payload is the codec data after the header; it aliases the input.
	Payload []byte
}

// SequenceHeader reports whether p carries codec configuration (AAC
// AudioSpecificConfig, Enhanced-RTMP sequence start).
func (p AudioPacket) SequenceHeader() bool { return p.PacketType == AudioSequenceStart }

// Keyframe reports whether p is coded audio: every audio frame can be
// decoded on its own, so the same test as VideoPacket.Keyframe finds where a
// player may start.
func (p AudioPacket) Keyframe() bool { return p.PacketType == AudioCodedFrames }

// SequenceSpecial reports whether p must be delivered even when late: a
// sequence start or end, or a multichannel config (rtmfp-cpp
// isAudioSequenceSpecial).
func (p AudioPacket) SequenceSpecial() bool {
	switch p.PacketType {
	case AudioSequenceStart, AudioSequenceEnd, AudioMultichannelConfig:
		return true
	}
	return false
}

// ParseAudio describes an audio message payload without copying.
func ParseAudio(b []byte) (AudioPacket, error) {
	if len(b) == 0 {
		return AudioPacket{PacketType: AudioSequenceEnd}, nil
	}
	format := b[0] >> 4
	if format == soundFormatExHeader {
		pt := AudioPacketType(b[0] & 0x0f)
		rest := b[1:]
		var x AudioExt
		for pt == AudioModEx {
			typ, data, next, r, err := nextModEx(rest)
			if err != nil {
				return AudioPacket{}, err
			}
			if typ == ModExMediaInfo {
				if e, ok, err := parseAudioExt(data); err != nil {
					return AudioPacket{}, err
				} else if ok {
					x = e
				}
			}
			pt, rest = AudioPacketType(next), r
		}
		if pt == AudioMultitrack {
			return AudioPacket{}, fmt.Errorf("tc: audio packet type %d: %w", pt, ErrUnsupportedMedia)
		}
		if len(rest) < 4 {
			return AudioPacket{}, fmt.Errorf("tc: audio FourCC: %w", ErrTruncated)
		}
		return AudioPacket{
			Codec:      AudioCodec(binary.BigEndian.Uint32(rest)),
			Enhanced:   true,
			PacketType: pt,
			Ext:        x,
			Payload:    rest[4:],
		}, nil
	}
	p := AudioPacket{
		Codec:      AudioCodec(format),
		PacketType: AudioCodedFrames,
		Rate:       (b[0] >> 2) & 3,
		Bits16:     b[0]&2 != 0,
		Stereo:     b[0]&1 != 0,
		Payload:    b[1:],
	}
	if p.Codec == AudioAAC {
		if len(b) < 2 {
			return AudioPacket{}, fmt.Errorf("tc: AAC packet type: %w", ErrTruncated)
		}
		switch b[1] {
		case aacSequenceHeader:
			p.PacketType = AudioSequenceStart
		case aacRaw:
		default:
			return AudioPacket{}, fmt.Errorf("tc: AAC packet type %d: %w", b[1], ErrMalformed)
		}
		p.Payload = b[2:]
	}
	return p, nil
}

// AppendHeader appends the header that ParseAudio reads back as p (all but
// the payload). An Enhanced-RTMP header is written when p.Enhanced is set or
// the codec is a FourCC, with p.Ext in a ModEx entry when it is present. A
// legacy header cannot carry Ext; a legacy sequence end is the empty
// message, so nothing is written for it.
func (p AudioPacket) AppendHeader(b []byte) []byte {
	if p.Enhanced || p.Codec > 15 {
		if p.Ext.Present {
			b = append(b, soundFormatExHeader<<4|byte(AudioModEx))
			b = appendAudioExt(b, p.Ext, p.PacketType)
			return binary.BigEndian.AppendUint32(b, uint32(p.Codec))
		}
		return AppendAudioHeader(b, FourCC(p.Codec), p.PacketType)
	}
	if p.PacketType == AudioSequenceEnd {
		return b // legacy audio ends a sequence with an empty message
	}
	b0 := byte(p.Codec)<<4 | (p.Rate&3)<<2
	if p.Bits16 {
		b0 |= 2
	}
	if p.Stereo {
		b0 |= 1
	}
	b = append(b, b0)
	if p.Codec == AudioAAC {
		if p.PacketType == AudioSequenceStart {
			return append(b, aacSequenceHeader)
		}
		return append(b, aacRaw)
	}
	return b
}

// AppendAudioHeader appends the 5-byte Enhanced-RTMP audio header for codec
// and packet type t.
func AppendAudioHeader(b []byte, codec FourCC, t AudioPacketType) []byte {
	b = append(b, soundFormatExHeader<<4|byte(t&0x0f))
	return binary.BigEndian.AppendUint32(b, uint32(codec))
}

// AppendOpusMessage appends a whole TC audio message carrying one Opus
// packet as Enhanced-RTMP coded frames, timestamped with its capture time.
// It does not allocate when b has room for len(frame)+10 more bytes.
func AppendOpusMessage(b []byte, ts Timestamp, frame []byte) []byte {
	b = AppendMessageHeader(b, TypeAudio, ts)
	b = AppendAudioHeader(b, FourCCOpus, AudioCodedFrames)
	return append(b, frame...)
}

// AppendAudioMessage appends a whole TC audio message: header, p's media
// header and p.Payload.
func AppendAudioMessage(b []byte, ts Timestamp, p AudioPacket) []byte {
	b = AppendMessageHeader(b, TypeAudio, ts)
	b = p.AppendHeader(b)
	return append(b, p.Payload...)
}

// SampleRate returns the legacy rate field in Hz (Enhanced-RTMP codecs
// carry their rate in the codec data; 0 then).
func (p AudioPacket) SampleRate() int {
	if p.Enhanced {
		return 0
	}
	return [...]int{5512, 11025, 22050, 44100}[p.Rate&3]
}
