package video

import (
	"fmt"
	"image"
)

// maxRowPadding is the most padding per YUYV row taken as stride alignment.
const maxRowPadding = 256

// Converter turns raw V4L2 frames of one format into I420 frames of the
// send size, reusing its buffers: the image it returns is overwritten by the
// next call. Not safe for concurrent use.
type Converter struct {
	format PixelFormat
	size   Size // capture size (YUYV needs it; MJPEG frames carry their own)
	out    Size // delivered size; zero means as captured

	mjpeg  MJPEGDecoder
	scaler Scaler
	full   *image.YCbCr // frame at capture size
	scaled *image.YCbCr // frame at out size
}

// NewConverter returns a converter from format at size to I420 at out (zero
// out keeps the capture size).
func NewConverter(format PixelFormat, size, out Size) (*Converter, error) {
	if !format.Convertible() {
		return nil, fmt.Errorf("%w: pixel format %v", ErrUnsupportedFormat, format)
	}
	return &Converter{format: format, size: size, out: out}, nil
}

// Convert converts one raw frame. The result stays valid until the next call.
func (c *Converter) Convert(raw []byte) (*image.YCbCr, error) {
	var err error
	switch c.format {
	case FormatYUYV:
		w, h := c.size.Width, c.size.Height
		stride := 0
		if h > 0 && len(raw) != 2*w*h {
			// Some drivers pad rows; a payload that is a whole number of
			// slightly longer rows reveals the stride. Anything else is a
			// frame of another size (see doc.go) or a torn one.
			if pad := len(raw)/h - 2*w; len(raw)%h != 0 || pad <= 0 || pad > maxRowPadding {
				return nil, fmt.Errorf("%w: %d-byte YUYV frame for %v", ErrBadSize, len(raw), c.size)
			}
			stride = len(raw) / h
		}
		c.full, err = YUYVToI420(c.full, raw, w, h, stride)
	default:
		c.full, err = c.mjpeg.Decode(c.full, raw)
	}
	if err != nil {
		return nil, err
	}
	if c.out == (Size{}) || (c.out.Width == c.full.Rect.Dx() && c.out.Height == c.full.Rect.Dy()) {
		return c.full, nil
	}
	c.scaled, err = c.scaler.Scale(c.scaled, c.full, c.out.Width, c.out.Height)
	if err != nil {
		return nil, err
	}
	return c.scaled, nil
}
