package video

import (
	"fmt"
	"image"
)

// Scaler fits I420 frames to a send size: it crops the centre of the source
// to the destination's aspect ratio, then halves it with a 2×2 box filter
// when the crop is exactly twice the destination, copies it when it is the
// same size, and otherwise samples the nearest pixel. It caches the sampling
// tables between frames of the same geometry. Not safe for concurrent use.
type Scaler struct {
	key                        [4]int // src w, h, dst w, h the tables are for
	yx, yy, cx, cy             []int  // nearest-neighbour source index per column / row
	cropX, cropY, cropW, cropH int
}

// Scale writes src into dst (reused when it is I420 of size w×h) and
// returns dst. Both are I420.
func (s *Scaler) Scale(dst, src *image.YCbCr, w, h int) (*image.YCbCr, error) {
	if w <= 0 || h <= 0 {
		return dst, fmt.Errorf("%w: scale to %dx%d", ErrBadSize, w, h)
	}
	if src.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return dst, fmt.Errorf("%w: scale needs I420, got %v", ErrBadSize, src.SubsampleRatio)
	}
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if sw <= 0 || sh <= 0 {
		return dst, fmt.Errorf("%w: scale from %dx%d", ErrBadSize, sw, sh)
	}
	dst = reuseI420(dst, w, h)
	s.prepare(sw, sh, w, h)
	// Work on the crop only; the crop origin is even so chroma stays aligned.
	ox, oy := src.Rect.Min.X+s.cropX, src.Rect.Min.Y+s.cropY
	cw, ch := (w+1)/2, (h+1)/2
	switch {
	case s.cropW == w && s.cropH == h:
		for y := range h {
			o := src.YOffset(ox, oy+y)
			copy(dst.Y[y*dst.YStride:y*dst.YStride+w], src.Y[o:o+w])
		}
		for y := range ch {
			o := src.COffset(ox, oy+2*y)
			copy(dst.Cb[y*dst.CStride:y*dst.CStride+cw], src.Cb[o:o+cw])
			copy(dst.Cr[y*dst.CStride:y*dst.CStride+cw], src.Cr[o:o+cw])
		}
	case s.cropW == 2*w && s.cropH == 2*h && w%2 == 0 && h%2 == 0:
		yo := src.YOffset(ox, oy)
		co := src.COffset(ox, oy)
		halve(dst.Y, dst.YStride, w, h, src.Y[yo:], src.YStride)
		halve(dst.Cb, dst.CStride, cw, ch, src.Cb[co:], src.CStride)
		halve(dst.Cr, dst.CStride, cw, ch, src.Cr[co:], src.CStride)
	default:
		yo := src.YOffset(ox, oy)
		co := src.COffset(ox, oy)
		nearest(dst.Y, dst.YStride, src.Y[yo:], src.YStride, s.yx, s.yy)
		nearest(dst.Cb, dst.CStride, src.Cb[co:], src.CStride, s.cx, s.cy)
		nearest(dst.Cr, dst.CStride, src.Cr[co:], src.CStride, s.cx, s.cy)
	}
	return dst, nil
}

// prepare computes the centre crop and the sampling tables for a geometry.
func (s *Scaler) prepare(sw, sh, w, h int) {
	k := [4]int{sw, sh, w, h}
	if s.key == k && s.yx != nil {
		return
	}
	s.key = k
	// Largest crop of the destination's aspect ratio: compare sw/sh with w/h.
	cw, ch := sw, sh
	if sw*h > sh*w {
		cw = sh * w / h
	} else if sw*h < sh*w {
		ch = sw * h / w
	}
	cw, ch = max(cw, 1), max(ch, 1)
	s.cropX, s.cropY = ((sw-cw)/2)&^1, ((sh-ch)/2)&^1
	s.cropW, s.cropH = cw, ch
	s.yx, s.yy = table(s.yx, cw, w), table(s.yy, ch, h)
	s.cx, s.cy = table(s.cx, (cw+1)/2, (w+1)/2), table(s.cy, (ch+1)/2, (h+1)/2)
}

// table maps each of n destination positions to the centre-nearest of m
// source positions.
func table(t []int, m, n int) []int {
	t = t[:0]
	for i := range n {
		t = append(t, min((2*i+1)*m/(2*n), m-1))
	}
	return t
}

func nearest(dst []byte, dstStride int, src []byte, srcStride int, xs, ys []int) {
	for y, sy := range ys {
		row := src[sy*srcStride:]
		d := dst[y*dstStride : y*dstStride+len(xs)]
		for x, sx := range xs {
			d[x] = row[sx]
		}
	}
}

// halve box-filters a 2w×2h plane down to w×h.
func halve(dst []byte, dstStride, w, h int, src []byte, srcStride int) {
	for y := range h {
		r0 := src[2*y*srcStride : 2*y*srcStride+2*w]
		r1 := src[(2*y+1)*srcStride : (2*y+1)*srcStride+2*w]
		d := dst[y*dstStride : y*dstStride+w]
		for x := range d {
			d[x] = uint8((uint(r0[2*x]) + uint(r0[2*x+1]) + uint(r1[2*x]) + uint(r1[2*x+1]) + 2) >> 2)
		}
	}
}
