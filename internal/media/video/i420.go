package video

import "image"

// NewI420 allocates an I420 image (image.YCbCrSubsampleRatio420) of w×h with
// its top-left corner at the origin. Odd sizes round the chroma planes up.
func NewI420(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}

// reuseI420 returns dst when it is already an I420 image of w×h laid out as
// NewI420 lays it out, and a new image otherwise. Converters call it so that a
// caller passing back the previous frame's image allocates nothing.
func reuseI420(dst *image.YCbCr, w, h int) *image.YCbCr {
	if dst != nil && dst.SubsampleRatio == image.YCbCrSubsampleRatio420 &&
		dst.Rect == image.Rect(0, 0, w, h) && dst.YStride == w && dst.CStride == (w+1)/2 &&
		len(dst.Y) >= w*h && len(dst.Cb) >= dst.CStride*((h+1)/2) && len(dst.Cr) >= dst.CStride*((h+1)/2) {
		return dst
	}
	return NewI420(w, h)
}

// CopyI420 copies an I420 image into dst (reused when it has src's size, see
// NewI420) and returns it: what a deliver callback does to keep a frame past
// its return, with a dst taken from the caller's pool.
func CopyI420(dst, src *image.YCbCr) *image.YCbCr {
	r := src.Rect
	w, h := r.Dx(), r.Dy()
	dst = reuseI420(dst, w, h)
	for y := range h {
		o := src.YOffset(r.Min.X, r.Min.Y+y)
		copy(dst.Y[y*dst.YStride:y*dst.YStride+w], src.Y[o:o+w])
	}
	cw := (w + 1) / 2
	for y := range (h + 1) / 2 {
		o := src.COffset(r.Min.X, r.Min.Y+2*y)
		copy(dst.Cb[y*dst.CStride:y*dst.CStride+cw], src.Cb[o:o+cw])
		copy(dst.Cr[y*dst.CStride:y*dst.CStride+cw], src.Cr[o:o+cw])
	}
	return dst
}
