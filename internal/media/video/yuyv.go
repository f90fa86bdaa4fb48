package video

import (
	"fmt"
	"image"
)

// YUYVToI420 converts one packed 4:2:2 frame (bytes Y0 U Y1 V per pixel pair,
// V4L2_PIX_FMT_YUYV) of width×height to I420. stride is the number of bytes
// per source row (0 means 2*width; drivers may pad rows).
//
// Luma is copied. Each I420 chroma sample averages the two vertically
// adjacent 4:2:2 samples (rounding half up); for an odd height the last row
// stands alone. An odd width is rejected: YUYV stores pixels in pairs.
//
// dst is reused when it is an I420 image of the right size (see NewI420);
// otherwise a new one is allocated. The result is returned.
func YUYVToI420(dst *image.YCbCr, src []byte, width, height, stride int) (*image.YCbCr, error) {
	if width <= 0 || height <= 0 || width%2 != 0 {
		return dst, fmt.Errorf("%w: YUYV %dx%d (width must be even and positive)", ErrBadSize, width, height)
	}
	if stride == 0 {
		stride = 2 * width
	}
	if stride < 2*width {
		return dst, fmt.Errorf("%w: YUYV stride %d < %d", ErrBadSize, stride, 2*width)
	}
	if need := stride*(height-1) + 2*width; len(src) < need {
		return dst, fmt.Errorf("%w: YUYV %dx%d needs %d bytes, got %d", ErrShortFrame, width, height, need, len(src))
	}
	dst = reuseI420(dst, width, height)
	cw := width / 2
	for cy := 0; cy < (height+1)/2; cy++ {
		y0 := 2 * cy
		y1 := min(y0+1, height-1)
		r0 := src[y0*stride : y0*stride+2*width]
		r1 := src[y1*stride : y1*stride+2*width]
		l0 := dst.Y[y0*dst.YStride : y0*dst.YStride+width]
		l1 := dst.Y[y1*dst.YStride : y1*dst.YStride+width]
		cb := dst.Cb[cy*dst.CStride : cy*dst.CStride+cw]
		cr := dst.Cr[cy*dst.CStride : cy*dst.CStride+cw]
		for x := range cw {
			p0 := r0[4*x : 4*x+4 : 4*x+4]
			p1 := r1[4*x : 4*x+4 : 4*x+4]
			l0[2*x] = p0[0]
			l0[2*x+1] = p0[2]
			l1[2*x] = p1[0]
			l1[2*x+1] = p1[2]
			cb[x] = uint8((uint(p0[1]) + uint(p1[1]) + 1) >> 1)
			cr[x] = uint8((uint(p0[3]) + uint(p1[3]) + 1) >> 1)
		}
	}
	return dst, nil
}
