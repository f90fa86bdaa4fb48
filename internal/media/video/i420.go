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
