package codec

import "fmt"

// VP8FrameHeader is the uncompressed data chunk at the start of every VP8
// frame (RFC 6386 §9.1). A receiver reads it before decoding to tell a
// keyframe (where a decoder may start or resynchronise) from an inter frame.
//
//	 0                   1                   2
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
//	+-+-----+-+---------------------------------------+
//	|P| ver |S|        first_part_size (19 bits)      |  frame tag, little endian
//	+-+-----+-+---------------------------------------+
//	P = 0 for a keyframe, S = show_frame. Keyframes continue:
//	+---------------+---------------+---------------+
//	|     0x9d      |     0x01      |     0x2a      |  start code
//	+---------------+---------------+---------------+
//	|  width (14 bits) | hscale (2) | height (14 bits) | vscale (2) |  16-bit LE each
type VP8FrameHeader struct {
	Keyframe       bool
	Version        uint8
	ShowFrame      bool
	FirstPartSize  uint32
	Width, Height  uint16 // keyframes only
	HScale, VScale uint8  // keyframes only
}

const (
	vp8FrameTagLen    = 3
	vp8KeyHeaderLen   = 10
	vp8StartCode0     = 0x9d
	vp8StartCode1     = 0x01
	vp8StartCode2     = 0x2a
	vp8MaxFirstPartSz = 1<<19 - 1
)

// ParseVP8FrameHeader reads the frame tag and, for a keyframe, the start code
// and dimensions. It does not check that first_part_size fits in b; the
// decoder does that.
func ParseVP8FrameHeader(b []byte) (VP8FrameHeader, error) {
	var h VP8FrameHeader
	if len(b) < vp8FrameTagLen {
		return h, fmt.Errorf("codec: vp8 frame tag: %d bytes: %w", len(b), ErrTruncated)
	}
	tag := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
	h.Keyframe = tag&1 == 0
	h.Version = uint8(tag>>1) & 7
	h.ShowFrame = tag>>4&1 == 1
	h.FirstPartSize = tag >> 5
	if !h.Keyframe {
		return h, nil
	}
	if len(b) < vp8KeyHeaderLen {
		return h, fmt.Errorf("codec: vp8 keyframe header: %d bytes: %w", len(b), ErrTruncated)
	}
	if b[3] != vp8StartCode0 || b[4] != vp8StartCode1 || b[5] != vp8StartCode2 {
		return h, fmt.Errorf("codec: vp8 keyframe start code % x: %w", b[3:6], ErrDecode)
	}
	w := uint16(b[6]) | uint16(b[7])<<8
	ht := uint16(b[8]) | uint16(b[9])<<8
	h.Width, h.HScale = w&0x3fff, uint8(w>>14)
	h.Height, h.VScale = ht&0x3fff, uint8(ht>>14)
	return h, nil
}

// IsVP8Keyframe reports whether b starts with a well-formed VP8 keyframe
// header.
func IsVP8Keyframe(b []byte) bool {
	h, err := ParseVP8FrameHeader(b)
	return err == nil && h.Keyframe
}
