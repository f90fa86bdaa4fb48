package video

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// MJPEGDecoder turns MJPEG frames into I420. It keeps the buffer used for
// DHT insertion and its reader between frames, so after the first frame its
// own allocations are those image/jpeg makes for each decode. Not safe for
// concurrent use.
type MJPEGDecoder struct {
	buf []byte // src with the default DHT inserted, reused
	rd  bytes.Reader
}

// Decode decodes one MJPEG frame into dst (reused when it is an I420 image of
// the frame's size, see NewI420) and returns it. The default Huffman tables
// are inserted when the frame has none. JPEG chroma subsampling 4:2:0 is
// copied; 4:2:2 is averaged vertically; other subsamplings are averaged over
// each 2×2 luma block; greyscale gets neutral chroma. Odd sizes are kept.
func (d *MJPEGDecoder) Decode(dst *image.YCbCr, src []byte) (*image.YCbCr, error) {
	frame, inserted, err := InsertDHT(d.buf, src)
	if err != nil {
		return dst, err
	}
	if inserted {
		d.buf = frame
	}
	d.rd.Reset(frame)
	img, err := jpeg.Decode(&d.rd)
	if err != nil {
		return dst, fmt.Errorf("%w: %v", ErrBadJPEG, err)
	}
	return ToI420(dst, img)
}

// ToI420 converts a decoded JPEG image (*image.YCbCr of any subsampling, or
// *image.Gray) to I420 in dst, reused when it fits, and returns it.
func ToI420(dst *image.YCbCr, img image.Image) (*image.YCbCr, error) {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		return dst, fmt.Errorf("%w: %dx%d", ErrBadSize, w, h)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		dst = reuseI420(dst, w, h)
		ycbcrToI420(dst, m)
		return dst, nil
	case *image.Gray:
		dst = reuseI420(dst, w, h)
		for y := range h {
			o := m.PixOffset(r.Min.X, r.Min.Y+y)
			copy(dst.Y[y*dst.YStride:y*dst.YStride+w], m.Pix[o:o+w])
		}
		fill(dst.Cb, 128)
		fill(dst.Cr, 128)
		return dst, nil
	default:
		return dst, fmt.Errorf("%w: %T", ErrUnsupportedJPEG, img)
	}
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// ycbcrToI420 copies luma and resamples chroma from src (same size as dst).
func ycbcrToI420(dst, src *image.YCbCr) {
	r := src.Rect
	w, h := r.Dx(), r.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	for y := range h {
		o := src.YOffset(r.Min.X, r.Min.Y+y)
		copy(dst.Y[y*dst.YStride:y*dst.YStride+w], src.Y[o:o+w])
	}
	aligned := r.Min.X%2 == 0 && r.Min.Y%2 == 0
	switch {
	case src.SubsampleRatio == image.YCbCrSubsampleRatio420 && aligned:
		for cy := range ch {
			o := src.COffset(r.Min.X, r.Min.Y+2*cy)
			d := cy * dst.CStride
			copy(dst.Cb[d:d+cw], src.Cb[o:o+cw])
			copy(dst.Cr[d:d+cw], src.Cr[o:o+cw])
		}
	case src.SubsampleRatio == image.YCbCrSubsampleRatio422 && aligned:
		// Chroma is already halved horizontally: average row pairs.
		for cy := range ch {
			y0 := r.Min.Y + 2*cy
			y1 := min(y0+1, r.Max.Y-1)
			o0 := src.COffset(r.Min.X, y0)
			o1 := src.COffset(r.Min.X, y1)
			d := cy * dst.CStride
			avgRows(dst.Cb[d:d+cw], src.Cb[o0:o0+cw], src.Cb[o1:o1+cw])
			avgRows(dst.Cr[d:d+cw], src.Cr[o0:o0+cw], src.Cr[o1:o1+cw])
		}
	default:
		// Average the chroma samples that cover each 2×2 luma block. Slow
		// but general (4:4:4, 4:4:0, 4:1:1, 4:1:0 and odd origins); webcams
		// send 4:2:2 or 4:2:0.
		for cy := range ch {
			y0 := r.Min.Y + 2*cy
			y1 := min(y0+1, r.Max.Y-1)
			d := cy * dst.CStride
			for cx := range cw {
				x0 := r.Min.X + 2*cx
				x1 := min(x0+1, r.Max.X-1)
				a, b, c, e := src.COffset(x0, y0), src.COffset(x1, y0), src.COffset(x0, y1), src.COffset(x1, y1)
				dst.Cb[d+cx] = uint8((uint(src.Cb[a]) + uint(src.Cb[b]) + uint(src.Cb[c]) + uint(src.Cb[e]) + 2) >> 2)
				dst.Cr[d+cx] = uint8((uint(src.Cr[a]) + uint(src.Cr[b]) + uint(src.Cr[c]) + uint(src.Cr[e]) + 2) >> 2)
			}
		}
	}
}

func avgRows(dst, a, b []byte) {
	b = b[:len(a)]
	dst = dst[:len(a)]
	for i := range a {
		dst[i] = uint8((uint(a[i]) + uint(b[i]) + 1) >> 1)
	}
}
