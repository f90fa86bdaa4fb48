package synth

import (
	"encoding/binary"
	"image"
	"time"
)

// The stamp is 80 cells in two rows of 40 at the top-left of the picture,
// each cell cellSize(width) pixels square, black (Y=16) for 0 and white
// (Y=235) for 1, most significant bit first, left to right then top to
// bottom:
//
//	 cell 0                               39
//	+----------------------------------------+
//	|     frame number (32)    | time (8 hi) |  row 0
//	+----------------------------------------+
//	| time (24 lo)     |     CRC-16 (16)     |  row 1
//	+----------------------------------------+
//
// time is milliseconds since the camera's epoch modulo 2^32; the CRC is
// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over the 8 bytes of frame
// number and time, so a damaged or absent stamp reads as not ok.
const (
	stampCols  = 40
	stampRows  = 2
	stampBytes = 10
	stampBlack = 16
	stampWhite = 235
	// minContrast is the least difference between the darkest and the
	// brightest cell for a picture to be read at all.
	minContrast = 64
)

// MinStampWidth is the narrowest picture that holds a stamp (2-pixel cells).
const MinStampWidth = 2 * stampCols

func cellSize(width int) int { return width / stampCols }

// StampHeight is the height in pixels of the stamp band of a picture of the
// given width.
func StampHeight(width int) int { return stampRows * cellSize(width) }

func crc16(b []byte) uint16 {
	crc := uint16(0xffff)
	for _, v := range b {
		crc ^= uint16(v) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func stampPayload(frame uint32, ts time.Duration) [stampBytes]byte {
	var b [stampBytes]byte
	binary.BigEndian.PutUint32(b[0:], frame)
	binary.BigEndian.PutUint32(b[4:], uint32(ts/time.Millisecond))
	binary.BigEndian.PutUint16(b[8:], crc16(b[:8]))
	return b
}

// DrawStamp writes the stamp for frame and ts (truncated to whole
// milliseconds, modulo 2^32 ms) into img. Chroma under the band is set to
// neutral so colour does not bleed into the cells. Pictures narrower than
// MinStampWidth or shorter than the band are left alone.
func DrawStamp(img *image.YCbCr, frame uint32, ts time.Duration) {
	r := img.Rect
	c := cellSize(r.Dx())
	if c < 2 || r.Dy() < stampRows*c {
		return
	}
	p := stampPayload(frame, ts)
	for i := range stampRows * stampCols {
		v := uint8(stampBlack)
		if p[i/8]>>(7-i%8)&1 != 0 {
			v = stampWhite
		}
		x0, y0 := r.Min.X+(i%stampCols)*c, r.Min.Y+(i/stampCols)*c
		for y := y0; y < y0+c; y++ {
			o := img.YOffset(x0, y)
			row := img.Y[o : o+c]
			for k := range row {
				row[k] = v
			}
		}
	}
	fillChroma(img, image.Rect(r.Min.X, r.Min.Y, r.Min.X+stampCols*c, r.Min.Y+stampRows*c), 128, 128)
}

// ReadStamp reads the stamp from a received picture: for each cell it
// averages the luma of the cell's central half (edges suffer most from
// compression and scaling), thresholds halfway between the darkest and the
// brightest cell and checks the CRC. ok is false when the picture is too
// small, too flat or the CRC fails; ts is in whole milliseconds. Any
// *image.YCbCr is accepted, including inconsistent ones (never panics).
func ReadStamp(img *image.YCbCr) (frame uint32, ts time.Duration, ok bool) {
	if img == nil {
		return 0, 0, false
	}
	r := img.Rect
	c := cellSize(r.Dx())
	if c < 2 || r.Dy() < stampRows*c || img.YStride < r.Dx() || r.Min.X < 0 || r.Min.Y < 0 {
		return 0, 0, false
	}
	// Every offset read below is inside the band; check the last one.
	last := img.YOffset(r.Min.X+stampCols*c-1, r.Min.Y+stampRows*c-1)
	if last < 0 || last >= len(img.Y) || img.YOffset(r.Min.X, r.Min.Y) < 0 {
		return 0, 0, false
	}
	m := c / 4 // margin excluded on each side of a cell
	var means [stampRows * stampCols]int
	lo, hi := 255, 0
	for i := range means {
		x0, y0 := r.Min.X+(i%stampCols)*c+m, r.Min.Y+(i/stampCols)*c+m
		n := c - 2*m
		sum := 0
		for y := y0; y < y0+n; y++ {
			o := img.YOffset(x0, y)
			for _, v := range img.Y[o : o+n] {
				sum += int(v)
			}
		}
		means[i] = sum / (n * n)
		lo, hi = min(lo, means[i]), max(hi, means[i])
	}
	if hi-lo < minContrast {
		return 0, 0, false
	}
	threshold := (lo + hi) / 2
	var p [stampBytes]byte
	for i, v := range means {
		if v > threshold {
			p[i/8] |= 1 << (7 - i%8)
		}
	}
	if crc16(p[:8]) != binary.BigEndian.Uint16(p[8:]) {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(p[0:]), time.Duration(binary.BigEndian.Uint32(p[4:])) * time.Millisecond, true
}

// StampTime is the stamp time of t: milliseconds since epoch modulo 2^32
// (about 49.7 days), as a Duration.
func StampTime(t, epoch time.Time) time.Duration {
	ms := t.Sub(epoch).Milliseconds()
	return time.Duration(uint32(ms)) * time.Millisecond
}

// StampAge is how long before now a stamp time was taken, for a receiver
// whose clock shares the sender's epoch (the same machine, or clocks synced
// by NTP). The modulo-2^32 wrap is undone; the result is negative when the
// stamp is from the future (clock skew).
func StampAge(now, epoch time.Time, stamped time.Duration) time.Duration {
	d := uint32(StampTime(now, epoch)/time.Millisecond) - uint32(stamped/time.Millisecond)
	return time.Duration(int32(d)) * time.Millisecond
}

// fillChroma sets Cb and Cr over the chroma samples covering rect.
func fillChroma(img *image.YCbCr, rect image.Rectangle, cb, cr uint8) {
	rect = rect.Intersect(img.Rect)
	if rect.Empty() {
		return
	}
	prev := -1
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		a := img.COffset(rect.Min.X, y)
		if a == prev {
			continue // same chroma row as the luma row above (4:2:0)
		}
		prev = a
		b := img.COffset(rect.Max.X-1, y)
		cbRow, crRow := img.Cb[a:b+1], img.Cr[a:b+1]
		for i := range cbRow {
			cbRow[i] = cb
		}
		for i := range crRow {
			crRow[i] = cr
		}
	}
}
