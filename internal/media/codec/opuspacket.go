package codec

// What an Opus packet carries, read without decoding it (RFC 6716).

// OpusHasFEC reports whether an Opus packet carries in-band FEC for the
// packet before it: LBRR data in the SILK layer of its first frame (RFC
// 6716 §2.1.7, §4.2.3), which is what a decoder's FEC call uses. libopus
// adds LBRR only when its expected loss is above zero and the bitrate
// leaves room; without it a FEC call conceals like a lost packet, and must
// not be counted as a recovery.
//
// The packet comes from the network: anything malformed, CELT-only
// packets (no SILK layer) and empty frames report false. It reads at most
// a few bytes and allocates nothing.
func OpusHasFEC(pkt []byte) bool {
	if len(pkt) == 0 {
		return false
	}
	toc := pkt[0]
	config := int(toc >> 3)
	var silkFrames int // 20 ms SILK frames (a 10 ms one counts as one)
	switch {
	case config < 12: // SILK only: 10, 20, 40, 60 ms
		silkFrames = max(1, config%4) // 10 and 20 ms: one frame, 40: two, 60: three
	case config < 16: // hybrid: 10 or 20 ms, one SILK frame
		silkFrames = 1
	default: // CELT only
		return false
	}
	frame, ok := opusFirstFrame(pkt)
	if !ok || len(frame) == 0 {
		return false
	}
	// The SILK header (§4.2.3): one VAD flag per SILK frame of the mid
	// channel, then the LBRR flag, each a bit of probability 1/2 in the
	// range coder.
	var d rangeDecoder
	d.init(frame)
	for range silkFrames {
		d.bit()
	}
	return d.bit()
}

// opusFirstFrame returns the first frame of an Opus packet (RFC 6716 §3.2),
// or false when the packet is malformed.
func opusFirstFrame(pkt []byte) ([]byte, bool) {
	switch pkt[0] & 3 {
	case 0: // one frame
		return pkt[1:], len(pkt)-1 <= 1275
	case 1: // two frames of equal size
		n := len(pkt) - 1
		if n%2 != 0 || n/2 > 1275 {
			return nil, false
		}
		return pkt[1 : 1+n/2], true
	case 2: // two frames, the first one's size coded
		size, used, ok := opusFrameSize(pkt[1:])
		if !ok || 1+used+size > len(pkt) {
			return nil, false
		}
		return pkt[1+used : 1+used+size], true
	default: // an arbitrary number of frames
		if len(pkt) < 2 {
			return nil, false
		}
		count, padded, vbr := int(pkt[1]&0x3f), pkt[1]&0x40 != 0, pkt[1]&0x80 != 0
		if count == 0 {
			return nil, false
		}
		at, padding := 2, 0
		if padded {
			for {
				if at >= len(pkt) {
					return nil, false
				}
				b := int(pkt[at])
				at++
				if b < 255 {
					padding += b
					break
				}
				padding += 254
			}
		}
		end := len(pkt) - padding
		if end < at {
			return nil, false
		}
		if vbr {
			size, used, ok := opusFrameSize(pkt[at:end])
			if !ok {
				return nil, false
			}
			// The other count-2 sizes follow; the first frame starts
			// after all of them.
			rest := at + used
			for range count - 2 {
				_, u, ok := opusFrameSize(pkt[rest:end])
				if !ok {
					return nil, false
				}
				rest += u
			}
			if rest+size > end {
				return nil, false
			}
			return pkt[rest : rest+size], true
		}
		n := end - at
		if n%count != 0 || n/count > 1275 {
			return nil, false
		}
		return pkt[at : at+n/count], true
	}
}

// opusFrameSize reads a frame length (RFC 6716 §3.2.1): one byte below 252,
// else two.
func opusFrameSize(b []byte) (size, used int, ok bool) {
	switch {
	case len(b) == 0:
		return 0, 0, false
	case b[0] < 252:
		return int(b[0]), 1, true
	case len(b) < 2:
		return 0, 0, false
	default:
		return int(b[0]) + 4*int(b[1]), 2, true
	}
}

// rangeDecoder is the start of RFC 6716's range decoder (§4.1): enough to
// read bits of a given probability (libopus: celt/entdec.c).
type rangeDecoder struct {
	buf      []byte
	at       int
	rng, val uint32
	rem      int
}

func (d *rangeDecoder) byte() int {
	if d.at < len(d.buf) {
		b := int(d.buf[d.at])
		d.at++
		return b
	}
	return 0
}

// init is ec_dec_init (§4.1.1).
func (d *rangeDecoder) init(buf []byte) {
	d.buf, d.at = buf, 0
	d.rem = d.byte()
	d.rng = 128
	d.val = d.rng - 1 - uint32(d.rem>>1)
	d.normalize()
}

// normalize is ec_dec_normalize (§4.1.2.1).
func (d *rangeDecoder) normalize() {
	for d.rng <= 1<<23 {
		d.rng <<= 8
		sym := d.rem
		d.rem = d.byte()
		sym = (sym<<8 | d.rem) >> 1
		d.val = ((d.val << 8) + uint32(255&^sym)) & (1<<31 - 1)
	}
}

// bit decodes a bit that is 1 with probability 1/2 (ec_dec_bit_logp with
// logp 1, §4.1.3.2).
func (d *rangeDecoder) bit() bool {
	s := d.rng >> 1
	one := d.val < s
	if one {
		d.rng = s
	} else {
		d.val -= s
		d.rng -= s
	}
	d.normalize()
	return one
}
