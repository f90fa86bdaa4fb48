package tc

import (
	"encoding/binary"
	"fmt"
)

// OpusHead is the Opus identification header (RFC 7845 §5.1), the body of
// an Enhanced-RTMP 'Opus' sequence start, which tells the player the channel
// count and how many decoded samples to discard at the start.
//
//	+-----------+---------+----------+--------------+--------------+-----------+---------+
//	| "OpusHead"| version | channels | pre-skip     | input rate   | gain      | mapping |
//	|  8 bytes  | u8 = 1  | u8       | u16 LE       | u32 LE (Hz)  | s16 LE Q8 | u8 = 0  |
//	+-----------+---------+----------+--------------+--------------+-----------+---------+
//
// Only channel mapping family 0 (mono or stereo, no mapping table) is
// written; ParseOpusHead accepts other families and leaves their table in
// the input.
type OpusHead struct {
	Channels   uint8
	PreSkip    uint16 // samples at 48 kHz
	InputRate  uint32 // Hz, informational
	OutputGain int16  // Q7.8 dB
	Mapping    uint8  // channel mapping family
}

// OpusHeadLen is the length of an OpusHead with mapping family 0.
const OpusHeadLen = 19

// Append appends the header.
func (h OpusHead) Append(b []byte) []byte {
	b = append(b, "OpusHead"...)
	b = append(b, 1, h.Channels)
	b = binary.LittleEndian.AppendUint16(b, h.PreSkip)
	b = binary.LittleEndian.AppendUint32(b, h.InputRate)
	b = binary.LittleEndian.AppendUint16(b, uint16(h.OutputGain))
	return append(b, h.Mapping)
}

// ParseOpusHead decodes an Opus identification header. Versions 1–15 are
// accepted (RFC 7845 §5.1: same major version); a zero channel count is
// malformed.
func ParseOpusHead(b []byte) (OpusHead, error) {
	if len(b) < OpusHeadLen {
		if len(b) >= 8 && string(b[:8]) != "OpusHead" {
			return OpusHead{}, fmt.Errorf("tc: OpusHead magic: %w", ErrMalformed)
		}
		return OpusHead{}, fmt.Errorf("tc: OpusHead: %w", ErrTruncated)
	}
	if string(b[:8]) != "OpusHead" {
		return OpusHead{}, fmt.Errorf("tc: OpusHead magic: %w", ErrMalformed)
	}
	if v := b[8]; v == 0 || v > 15 {
		return OpusHead{}, fmt.Errorf("tc: OpusHead version %d: %w", v, ErrMalformed)
	}
	h := OpusHead{
		Channels:   b[9],
		PreSkip:    binary.LittleEndian.Uint16(b[10:]),
		InputRate:  binary.LittleEndian.Uint32(b[12:]),
		OutputGain: int16(binary.LittleEndian.Uint16(b[16:])),
		Mapping:    b[18],
	}
	if h.Channels == 0 {
		return OpusHead{}, fmt.Errorf("tc: OpusHead with 0 channels: %w", ErrMalformed)
	}
	return h, nil
}
