package synth

import "image"

// glyphs is a 3×5 pixel font for the preview digits: one row per entry, the
// three low bits left to right.
var glyphs = map[byte][5]uint8{
	'0': {7, 5, 5, 5, 7}, '1': {2, 6, 2, 2, 7}, '2': {7, 1, 7, 4, 7}, '3': {7, 1, 7, 1, 7},
	'4': {5, 5, 7, 1, 1}, '5': {7, 4, 7, 1, 7}, '6': {7, 4, 7, 5, 7}, '7': {7, 1, 1, 1, 1},
	'8': {7, 5, 7, 5, 7}, '9': {7, 5, 7, 1, 7}, ':': {0, 2, 0, 2, 0}, '.': {0, 0, 0, 0, 2},
	'#': {5, 7, 5, 7, 5}, ' ': {},
}

// textHeight is the height of a text line drawn at scale s, with margins.
func textHeight(s int) int { return 7 * s }

// drawText draws s-scaled white digits on a black box at (x, y) in luma and
// neutral chroma; glyphs outside the picture are clipped.
func drawText(img *image.YCbCr, x, y, s int, text []byte) {
	box := image.Rect(x, y, x+len(text)*4*s+s, y+textHeight(s)).Intersect(img.Rect)
	for yy := box.Min.Y; yy < box.Max.Y; yy++ {
		o := img.YOffset(box.Min.X, yy)
		row := img.Y[o : o+box.Dx()]
		for i := range row {
			row[i] = stampBlack
		}
	}
	fillChroma(img, box, 128, 128)
	for i := 0; i < len(text); i++ {
		g := glyphs[text[i]]
		gx := x + s + i*4*s
		for gy, bits := range g {
			for b := range 3 {
				if bits>>(2-b)&1 == 0 {
					continue
				}
				px := image.Rect(gx+b*s, y+s+gy*s, gx+(b+1)*s, y+s+(gy+1)*s).Intersect(img.Rect)
				for yy := px.Min.Y; yy < px.Max.Y; yy++ {
					o := img.YOffset(px.Min.X, yy)
					for k := range px.Dx() {
						img.Y[o+k] = stampWhite
					}
				}
			}
		}
	}
}

// appendDigits appends v in decimal, zero-padded to width.
func appendDigits(b []byte, v uint64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v > 0 || i == len(tmp) {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	for n := len(tmp) - i; n < width; n++ {
		b = append(b, '0')
	}
	return append(b, tmp[i:]...)
}
