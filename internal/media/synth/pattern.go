package synth

import (
	"fmt"
	"image"
	"image/color"
	"time"
)

// Pattern renders the synthetic camera's frames at one size. The static
// part (stamp band, colour bars, luma ramp) is drawn once; each frame copies
// it and draws the moving square, the stamp and the digits. Not safe for
// concurrent use.
type Pattern struct {
	w, h  int
	cell  int          // stamp cell size
	scale int          // digit pixel size
	bg    *image.YCbCr // static background
	text  []byte       // digits buffer, reused
	// Area the square moves in (the colour bars) and its side.
	area image.Rectangle
	side int
}

// NewPattern prepares a w×h pattern. w must be at least MinStampWidth and
// even, h at least 60 and even (I420 for a video encoder).
func NewPattern(w, h int) (*Pattern, error) {
	if w < MinStampWidth || h < 60 || w%2 != 0 || h%2 != 0 || w > 4096 || h > 4096 {
		return nil, fmt.Errorf("%w: pattern size %dx%d (want even, at least %dx60)", ErrBadConfig, w, h, MinStampWidth)
	}
	p := &Pattern{w: w, h: h, cell: cellSize(w)}
	p.scale = max(1, p.cell/4)
	top := StampHeight(w) + textHeight(p.scale)
	bars := top + (h-top)*2/3
	p.area = image.Rect(0, top, w, bars)
	p.side = max(4, (bars-top)/2) &^ 1
	p.bg = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	// 75% colour bars: white, yellow, cyan, green, magenta, red, blue.
	barColors := [7][3]uint8{{191, 191, 191}, {191, 191, 0}, {0, 191, 191}, {0, 191, 0}, {191, 0, 191}, {191, 0, 0}, {0, 0, 191}}
	for i, c := range barColors {
		y, cb, cr := color.RGBToYCbCr(c[0], c[1], c[2])
		fillRect(p.bg, image.Rect(i*w/7, top, (i+1)*w/7, bars), y, cb, cr)
	}
	// Luma ramp, black to white, neutral chroma.
	for x := range w {
		v := uint8(16 + x*(235-16)/max(w-1, 1))
		fillRect(p.bg, image.Rect(x, bars, x+1, h), v, 128, 128)
	}
	fillRect(p.bg, image.Rect(0, 0, w, top), stampBlack, 128, 128)
	return p, nil
}

// Size returns the pattern's width and height.
func (p *Pattern) Size() (w, h int) { return p.w, p.h }

// SquareAt is the position of the moving square in frame n: it sweeps
// across the bars and back, 2 pixels per frame per 160 pixels of width, and
// bobs up and down.
func (p *Pattern) SquareAt(n uint32) image.Rectangle {
	span := p.area.Dx() - p.side
	step := max(2, p.w/80)
	pos := int(uint64(n) * uint64(step) % uint64(2*span))
	if pos > span {
		pos = 2*span - pos
	}
	vspan := p.area.Dy() - p.side
	vpos := int(uint64(n) % uint64(2*max(vspan, 1)))
	if vpos > vspan {
		vpos = 2*vspan - vpos
	}
	x, y := (p.area.Min.X+pos)&^1, (p.area.Min.Y+max(vpos, 0))&^1
	return image.Rect(x, y, x+p.side, y+p.side)
}

// Render draws frame n, stamped with ts, into dst (reused when it is a w×h
// I420 image, otherwise allocated) and returns it.
func (p *Pattern) Render(dst *image.YCbCr, n uint32, ts time.Duration) *image.YCbCr {
	if dst == nil || dst.Rect != p.bg.Rect || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 ||
		dst.YStride != p.bg.YStride || dst.CStride != p.bg.CStride || len(dst.Y) != len(p.bg.Y) || len(dst.Cb) != len(p.bg.Cb) {
		dst = image.NewYCbCr(p.bg.Rect, image.YCbCrSubsampleRatio420)
	}
	copy(dst.Y, p.bg.Y)
	copy(dst.Cb, p.bg.Cb)
	copy(dst.Cr, p.bg.Cr)
	sq := p.SquareAt(n)
	// A black square with a white border shows on every bar.
	fillRect(dst, sq, stampWhite, 128, 128)
	b := max(2, p.side/8) &^ 1
	fillRect(dst, sq.Inset(b), stampBlack, 128, 128)
	DrawStamp(dst, n, ts)
	// "#frame mm:ss.mmm" of the stamp time.
	ms := uint64(ts / time.Millisecond)
	t := append(p.text[:0], '#')
	t = appendDigits(t, uint64(n), 6)
	t = append(t, ' ')
	t = appendDigits(t, ms/60000%60, 2)
	t = append(t, ':')
	t = appendDigits(t, ms/1000%60, 2)
	t = append(t, '.')
	t = appendDigits(t, ms%1000, 3)
	p.text = t
	drawText(dst, 0, StampHeight(p.w), p.scale, t)
	return dst
}

// fillRect paints rect (clipped) with one colour; chroma covers the samples
// whose 2×2 block starts inside rect.
func fillRect(img *image.YCbCr, rect image.Rectangle, y, cb, cr uint8) {
	rect = rect.Intersect(img.Rect)
	if rect.Empty() {
		return
	}
	for yy := rect.Min.Y; yy < rect.Max.Y; yy++ {
		o := img.YOffset(rect.Min.X, yy)
		row := img.Y[o : o+rect.Dx()]
		for i := range row {
			row[i] = y
		}
	}
	fillChroma(img, rect, cb, cr)
}
