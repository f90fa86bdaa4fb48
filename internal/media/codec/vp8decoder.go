package codec

/*
#cgo pkg-config: vpx
#include <vpx/vpx_image.h>
#include "vpx_glue.h"
*/
import "C"

import (
	"fmt"
	"image"
	"sync"
	"unsafe"
)

// VP8Decoder decompresses VP8 frames into I420 *image.YCbCr.
type VP8Decoder struct {
	mu     sync.Mutex // guards everything below
	c      *C.camchat_vp8dec
	gotKey bool // a keyframe has been decoded; inter frames are acceptable
}

// NewVP8Decoder opens a single-threaded libvpx VP8 decoder. The caller must
// Close it.
func NewVP8Decoder() (*VP8Decoder, error) {
	var c *C.camchat_vp8dec
	if rc := C.camchat_vp8dec_open(1, &c); rc != C.VPX_CODEC_OK {
		return nil, fmt.Errorf("codec: vp8 decoder open: %s: %w",
			C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(rc))), ErrDecode)
	}
	return &VP8Decoder{c: c}, nil
}

// Decode decompresses one frame. The picture is written into dst when dst is
// an I420 image of the decoded size at the origin (reuse the previous result
// to avoid allocating), otherwise into a new image; the image written is
// returned.
//
// Errors, all of which mean "ask the sender for a keyframe":
//   - ErrNeedKeyframe: an inter frame before any keyframe (nothing decoded);
//   - ErrDecode: libvpx rejected the frame (truncated, malformed);
//   - ErrCorruptFrame: the frame decoded but libvpx flags it as corrupted
//     (VP8D_GET_FRAME_CORRUPTED); the damaged picture is still returned.
//
// A nil image with a nil error means the frame was not meant to be shown.
func (d *VP8Decoder) Decode(data []byte, dst *image.YCbCr) (*image.YCbCr, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		return nil, ErrClosed
	}
	hdr, err := ParseVP8FrameHeader(data)
	if err != nil {
		return nil, fmt.Errorf("codec: vp8 decode: %w", err)
	}
	if !hdr.Keyframe && !d.gotKey {
		return nil, ErrNeedKeyframe
	}
	rc := C.camchat_vp8dec_decode(d.c, (*C.uint8_t)(unsafe.Pointer(&data[0])), C.size_t(len(data)))
	if rc != C.VPX_CODEC_OK {
		return nil, fmt.Errorf("codec: vp8 decode %d bytes: %s: %w", len(data), C.GoString(C.camchat_vp8dec_error(d.c)), ErrDecode)
	}
	if hdr.Keyframe {
		d.gotKey = true
	}
	pic := C.camchat_vp8dec_picture(d.c)
	if pic.img == nil {
		return nil, nil
	}
	out, err := copyVPXImage(pic.img, dst)
	if err != nil {
		return nil, err
	}
	if pic.corrupted != 0 {
		return out, ErrCorruptFrame
	}
	return out, nil
}

// copyVPXImage copies an I420 vpx_image (C memory, valid until the next
// decode) into a Go image, honouring both sides' strides.
func copyVPXImage(img *C.vpx_image_t, dst *image.YCbCr) (*image.YCbCr, error) {
	if img.fmt != C.VPX_IMG_FMT_I420 {
		return nil, fmt.Errorf("codec: vp8 decode: image format %d is not I420: %w", int(img.fmt), ErrDecode)
	}
	w, h := int(img.d_w), int(img.d_h)
	cw, ch := (w+1)/2, (h+1)/2
	r := image.Rect(0, 0, w, h)
	if dst == nil || dst.Rect != r || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 ||
		dst.YStride < w || dst.CStride < cw ||
		len(dst.Y) < (h-1)*dst.YStride+w ||
		len(dst.Cb) < (ch-1)*dst.CStride+cw || len(dst.Cr) < (ch-1)*dst.CStride+cw {
		dst = image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
	}
	copyPlane(dst.Y, dst.YStride, img.planes[0], int(img.stride[0]), w, h)
	copyPlane(dst.Cb, dst.CStride, img.planes[1], int(img.stride[1]), cw, ch)
	copyPlane(dst.Cr, dst.CStride, img.planes[2], int(img.stride[2]), cw, ch)
	return dst, nil
}

func copyPlane(dst []byte, dstStride int, src *C.uchar, srcStride, w, h int) {
	if h == 0 || w == 0 {
		return
	}
	s := unsafe.Slice((*byte)(unsafe.Pointer(src)), (h-1)*srcStride+w)
	for r := range h {
		copy(dst[r*dstStride:r*dstStride+w], s[r*srcStride:r*srcStride+w])
	}
}

// Close frees the libvpx decoder. It is safe to call more than once.
func (d *VP8Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c != nil {
		C.camchat_vp8dec_close(d.c)
		d.c = nil
	}
	return nil
}
