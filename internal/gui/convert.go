package gui

import (
	"image"
)

// I420ToRGBA converts src into dst and returns dst, or a new image when dst
// is nil or not src's size (the only allocation: a tile converts every frame
// into the same buffers). The result's bounds start at (0, 0).
//
// Colours follow image/color.YCbCrToRGB exactly (BT.601, full range, as JFIF
// defines it), the range camchat's pictures are in: the synthetic camera
// draws with color.RGBToYCbCr, MJPEG cameras deliver JFIF, and VP8 carries
// the samples through unchanged. Cameras that send studio-range YUYV show
// slightly flat contrast, as in most viewers that assume full range.
//
// Fyne uploads an *image.RGBA to the GPU as it is; any other image type is
// converted on every refresh, which is why tiles hold RGBA. Alpha is 255.
func I420ToRGBA(dst *image.RGBA, src *image.YCbCr) *image.RGBA {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	if dst == nil || dst.Rect.Min != (image.Point{}) || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		dst = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	if w <= 0 || h <= 0 {
		return dst
	}
	if src.SubsampleRatio != image.YCbCrSubsampleRatio420 || !planesFit(src) {
		convertAny(dst, src)
		return dst
	}
	if src.Rect.Min.X&1 == 0 && src.Rect.Min.Y&1 == 0 {
		convertEven(dst, src, w, h)
	} else {
		convertAny(dst, src)
	}
	return dst
}

// convertEven is the fast path for an I420 picture whose origin is even
// (every decoded frame): each chroma sample colours a 2x2 block, so its three
// products are computed once for up to four pixels.
func convertEven(dst *image.RGBA, src *image.YCbCr, w, h int) {
	cw := (w + 1) / 2
	for y := 0; y < h; y += 2 {
		y1 := min(y+1, h-1) // an odd height's last row pairs with itself
		yr0 := src.Y[y*src.YStride : y*src.YStride+w]
		yr1 := src.Y[y1*src.YStride : y1*src.YStride+w]
		co := (y / 2) * src.CStride
		cb := src.Cb[co : co+cw]
		cr := src.Cr[co : co+cw]
		o0 := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		o1 := dst.Pix[y1*dst.Stride : y1*dst.Stride+4*w]
		for c := 0; c < cw; c++ {
			cb1 := int32(cb[c]) - 128
			cr1 := int32(cr[c]) - 128
			dr := 91881 * cr1
			dg := -22554*cb1 - 46802*cr1
			db := 116130 * cb1
			x := 2 * c
			yy := int32(yr0[x]) * 0x10101
			p := o0[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = clamp16(yy+dr), clamp16(yy+dg), clamp16(yy+db), 0xff
			yy = int32(yr1[x]) * 0x10101
			p = o1[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = clamp16(yy+dr), clamp16(yy+dg), clamp16(yy+db), 0xff
			if x+1 < w {
				yy = int32(yr0[x+1]) * 0x10101
				p = o0[4*x+4 : 4*x+8 : 4*x+8]
				p[0], p[1], p[2], p[3] = clamp16(yy+dr), clamp16(yy+dg), clamp16(yy+db), 0xff
				yy = int32(yr1[x+1]) * 0x10101
				p = o1[4*x+4 : 4*x+8 : 4*x+8]
				p[0], p[1], p[2], p[3] = clamp16(yy+dr), clamp16(yy+dg), clamp16(yy+db), 0xff
			}
		}
	}
}

// clamp16 is color.YCbCrToRGB's rounding and clamping of a 16.16 value.
// Written with min and max, which compile to conditional moves: no branch
// to mispredict on noisy pictures.
func clamp16(v int32) uint8 {
	return uint8(min(max(v>>16, 0), 255))
}

// planesFit reports whether the planes hold every sample the rectangle
// needs, so the fast path cannot index out of range on a malformed image.
func planesFit(src *image.YCbCr) bool {
	r := src.Rect
	if src.YStride < r.Dx() || src.CStride < (r.Max.X+1)/2-r.Min.X/2 {
		return false
	}
	last := src.YOffset(r.Max.X-1, r.Max.Y-1)
	clast := src.COffset(r.Max.X-1, r.Max.Y-1)
	return last >= 0 && last < len(src.Y) && clast >= 0 && clast < len(src.Cb) && clast < len(src.Cr) &&
		src.YOffset(r.Min.X, r.Min.Y) >= 0 && src.COffset(r.Min.X, r.Min.Y) >= 0
}

// convertAny handles other subsampling ratios and images whose planes are
// too short (those pixels stay black). Not used for camchat's own frames.
func convertAny(dst *image.RGBA, src *image.YCbCr) {
	r := src.Rect
	for y := r.Min.Y; y < r.Max.Y; y++ {
		out := dst.Pix[(y-r.Min.Y)*dst.Stride:]
		for x := r.Min.X; x < r.Max.X; x++ {
			p := out[4*(x-r.Min.X) : 4*(x-r.Min.X)+4]
			yi, ci := src.YOffset(x, y), src.COffset(x, y)
			if yi < 0 || yi >= len(src.Y) || ci < 0 || ci >= len(src.Cb) || ci >= len(src.Cr) {
				p[0], p[1], p[2], p[3] = 0, 0, 0, 0xff
				continue
			}
			cb1 := int32(src.Cb[ci]) - 128
			cr1 := int32(src.Cr[ci]) - 128
			yy1 := int32(src.Y[yi]) * 0x10101
			p[0] = clamp16(yy1 + 91881*cr1)
			p[1] = clamp16(yy1 - 22554*cb1 - 46802*cr1)
			p[2] = clamp16(yy1 + 116130*cb1)
			p[3] = 0xff
		}
	}
}
