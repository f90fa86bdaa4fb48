package codec

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <vpx/vp8cx.h>
#include "vpx_glue.h"
*/
import "C"

import (
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"unsafe"
)

// DefaultVP8Speed is the libvpx VP8E_SET_CPUUSED value used when
// VP8EncoderConfig.Speed is 0. In VP8 realtime mode a negative value fixes
// the speed at its magnitude, while a positive value lets libvpx choose a
// speed between 4 and 16 from measured encode times, which makes the output
// depend on machine load. Fixed speed 6 is what WebRTC uses on desktops: on
// the 320x240 test pattern at 300 kbit/s it needs about a quarter less CPU
// than speed 4 for 0.15 dB less PSNR-Y.
const DefaultVP8Speed = -6

// Bitrate bounds accepted by the VP8 encoder, in bits per second.
const (
	MinVP8Bitrate = 20_000
	MaxVP8Bitrate = 20_000_000
)

// VP8EncoderConfig sets up a VP8Encoder. Zero values select the defaults
// noted on each field.
type VP8EncoderConfig struct {
	Width, Height int // pixels, 16..4096 each
	FrameRate     int // frames per second, 1..120
	Bitrate       int // target bits per second, MinVP8Bitrate..MaxVP8Bitrate
	// KeyframeInterval is the largest number of frames between keyframes;
	// 0 means ten seconds' worth. Receivers ask for keyframes after loss,
	// so this only bounds how long a late joiner without feedback waits.
	KeyframeInterval int
	// TemporalLayers is 1..MaxTemporalLayers; 0 means 1.
	TemporalLayers int
	// Speed is VP8E_SET_CPUUSED, -16..16 without 0; 0 means
	// DefaultVP8Speed. Negative: fixed speed -Speed (higher is faster).
	// Positive: adaptive, libvpx keeps encoding within (16-Speed)/16 of the
	// frame interval.
	Speed int
	// Threads is the number of encoder threads; 0 means 1.
	Threads int
	// FrameDropThreshold lets rate control skip input frames when its buffer
	// falls below this percent (rc_dropframe_thresh); 0 never skips.
	FrameDropThreshold int
}

func (c *VP8EncoderConfig) withDefaults() (VP8EncoderConfig, error) {
	v := *c
	if v.TemporalLayers == 0 {
		v.TemporalLayers = 1
	}
	if v.Speed == 0 {
		v.Speed = DefaultVP8Speed
	}
	if v.Threads == 0 {
		v.Threads = 1
	}
	if v.KeyframeInterval == 0 {
		v.KeyframeInterval = 10 * v.FrameRate
	}
	switch {
	case v.Width < 16 || v.Width > 4096 || v.Height < 16 || v.Height > 4096:
		return v, fmt.Errorf("codec: vp8 size %dx%d: %w", v.Width, v.Height, ErrInvalidConfig)
	case v.FrameRate < 1 || v.FrameRate > 120:
		return v, fmt.Errorf("codec: vp8 frame rate %d: %w", v.FrameRate, ErrInvalidConfig)
	case v.Bitrate < MinVP8Bitrate || v.Bitrate > MaxVP8Bitrate:
		return v, fmt.Errorf("codec: vp8 bitrate %d: %w", v.Bitrate, ErrInvalidConfig)
	case v.KeyframeInterval < 1:
		return v, fmt.Errorf("codec: vp8 keyframe interval %d: %w", v.KeyframeInterval, ErrInvalidConfig)
	case v.TemporalLayers < 1 || v.TemporalLayers > MaxTemporalLayers:
		return v, fmt.Errorf("codec: vp8 temporal layers %d: %w", v.TemporalLayers, ErrInvalidConfig)
	case v.Speed < -16 || v.Speed > 16:
		return v, fmt.Errorf("codec: vp8 speed %d: %w", v.Speed, ErrInvalidConfig)
	case v.Threads < 1 || v.Threads > 16:
		return v, fmt.Errorf("codec: vp8 threads %d: %w", v.Threads, ErrInvalidConfig)
	case v.FrameDropThreshold < 0 || v.FrameDropThreshold > 100:
		return v, fmt.Errorf("codec: vp8 frame drop threshold %d: %w", v.FrameDropThreshold, ErrInvalidConfig)
	}
	return v, nil
}

// VP8Frame is one encoder output.
type VP8Frame struct {
	// Data is the compressed frame, appended to the dst given to Encode.
	Data []byte
	// Keyframe is set for an intra frame; a decoder may start here.
	Keyframe bool
	// Droppable is libvpx's VPX_FRAME_IS_DROPPABLE: no later frame
	// references this one, so it may be discarded without harm.
	Droppable bool
	// TemporalLayer is the frame's layer (always 0 for keyframes).
	TemporalLayer TemporalLayerID
	// Dropped is set when rate control skipped the input frame; Data is
	// then dst unchanged. Only possible with FrameDropThreshold > 0.
	Dropped bool
}

// VP8Encoder compresses I420 frames with libvpx in realtime CBR mode.
type VP8Encoder struct {
	// Set by NewVP8Encoder, then read-only.
	cfg     VP8EncoderConfig
	pattern *layerPattern

	// Written by any goroutine, consumed by Encode.
	keyRequested atomic.Bool
	pendingBps   atomic.Int64 // 0 when no change is pending

	mu        sync.Mutex // guards everything below
	c         *C.camchat_vp8enc
	pts       int64
	slot      int // index into pattern.frames of the next frame
	sinceKey  int // frames since the last keyframe
	bitrate   int
	forceNext bool // first frame must be a keyframe
}

// NewVP8Encoder opens a libvpx VP8 encoder. The caller must Close it.
func NewVP8Encoder(cfg VP8EncoderConfig) (*VP8Encoder, error) {
	v, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	pat := &layerPatterns[v.TemporalLayers]
	var p C.camchat_vp8enc_params
	p.width = C.uint(v.Width)
	p.height = C.uint(v.Height)
	p.fps = C.uint(v.FrameRate)
	p.kbps = C.uint(v.Bitrate / 1000)
	p.speed = C.int(v.Speed)
	p.threads = C.uint(v.Threads)
	p.drop_thresh = C.uint(v.FrameDropThreshold)
	p.layers = C.uint(v.TemporalLayers)
	p.periodicity = C.uint(len(pat.frames))
	for i, f := range pat.frames {
		p.layer_ids[i] = C.uint(f.id)
	}
	kbps := pat.layerKbps(v.Bitrate)
	for i := range v.TemporalLayers {
		p.decimators[i] = C.uint(pat.decimators[i])
		p.layer_kbps[i] = C.uint(kbps[i])
	}
	// Cap a keyframe at half the 600 ms rate-control buffer (the rule WebRTC
	// uses) so a keyframe does not stall the stream for long.
	p.max_intra_pct = C.uint(600 * v.FrameRate / 20)

	var c *C.camchat_vp8enc
	if rc := C.camchat_vp8enc_open(&p, &c); rc != C.VPX_CODEC_OK {
		return nil, fmt.Errorf("codec: vp8 encoder open: %s: %w",
			C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(rc))), ErrInvalidConfig)
	}
	return &VP8Encoder{cfg: v, pattern: pat, c: c, bitrate: v.Bitrate, forceNext: true}, nil
}

// Config returns the configuration in effect, defaults filled in.
func (e *VP8Encoder) Config() VP8EncoderConfig { return e.cfg }

// RequestKeyframe makes the next Encode produce a keyframe. Safe from any
// goroutine.
func (e *VP8Encoder) RequestKeyframe() { e.keyRequested.Store(true) }

// SetBitrate changes the target bitrate (bits per second) from the next
// Encode on, keeping the temporal layer split. It never forces a keyframe.
// Safe from any goroutine.
func (e *VP8Encoder) SetBitrate(bps int) error {
	if bps < MinVP8Bitrate || bps > MaxVP8Bitrate {
		return fmt.Errorf("codec: vp8 bitrate %d: %w", bps, ErrInvalidConfig)
	}
	e.pendingBps.Store(int64(bps))
	return nil
}

// Bitrate returns the target bitrate in force (bits per second).
func (e *VP8Encoder) Bitrate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.bitrate
}

// Encode compresses frame, which must be I420 of the configured size, and
// appends the compressed data to dst (pass buf[:0] to reuse a buffer).
func (e *VP8Encoder) Encode(dst []byte, frame *image.YCbCr) (VP8Frame, error) {
	out := VP8Frame{Data: dst}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return out, ErrClosed
	}
	yOff, cOff, err := e.checkFrame(frame)
	if err != nil {
		return out, err
	}
	if bps := e.pendingBps.Swap(0); bps != 0 && int(bps) != e.bitrate {
		if err := e.applyBitrate(int(bps)); err != nil {
			return out, err
		}
	}

	requested := e.keyRequested.Swap(false) // consume even when forceNext is set
	key := e.forceNext || requested || e.sinceKey >= e.cfg.KeyframeInterval
	if key {
		e.slot = 0 // a keyframe starts the layer pattern on the base layer
	}
	lf := e.pattern.frames[e.slot]
	flags := C.long(0)
	layer := C.int(-1)
	if e.cfg.TemporalLayers > 1 {
		layer = C.int(lf.id)
		flags = C.VP8_EFLAG_NO_REF_ARF | C.VP8_EFLAG_NO_UPD_ARF
		if !lf.refGolden {
			flags |= C.VP8_EFLAG_NO_REF_GF
		}
		if !lf.updLast {
			flags |= C.VP8_EFLAG_NO_UPD_LAST
		}
		if !lf.updGolden {
			flags |= C.VP8_EFLAG_NO_UPD_GF
		}
	}
	if key {
		flags = C.VPX_EFLAG_FORCE_KF
	}

	rc := C.camchat_vp8enc_encode(e.c,
		(*C.uint8_t)(unsafe.Pointer(&frame.Y[yOff])), C.int(frame.YStride),
		(*C.uint8_t)(unsafe.Pointer(&frame.Cb[cOff])),
		(*C.uint8_t)(unsafe.Pointer(&frame.Cr[cOff])), C.int(frame.CStride),
		C.int64_t(e.pts), flags, layer)
	if rc != C.VPX_CODEC_OK {
		return out, fmt.Errorf("codec: vp8 encode: %s: %w", C.GoString(C.camchat_vp8enc_error(e.c)), ErrEncode)
	}
	e.pts++
	e.forceNext = false

	pkt := C.camchat_vp8enc_next(e.c)
	if pkt == nil {
		// Rate control skipped the frame: the layer pattern still advances,
		// so layer IDs keep their meaning for the frames that follow.
		out.Dropped = true
		if key {
			// Never lose a keyframe that was asked for: retry next frame.
			e.keyRequested.Store(true)
		}
		e.advance()
		return out, nil
	}
	out.Data = append(dst, unsafe.Slice((*byte)(unsafe.Pointer(pkt.buf)), int(pkt.size))...)
	pf := pkt.flags
	out.Keyframe = pf&C.VPX_FRAME_IS_KEY != 0
	out.Droppable = pf&C.VPX_FRAME_IS_DROPPABLE != 0
	out.TemporalLayer = lf.id
	if out.Keyframe {
		out.TemporalLayer = 0
		e.slot = 0
		e.sinceKey = 0
	}
	e.advance()
	return out, nil
}

func (e *VP8Encoder) advance() {
	e.slot = (e.slot + 1) % len(e.pattern.frames)
	e.sinceKey++
}

// applyBitrate reconfigures libvpx in place (vpx_codec_enc_config_set).
// Caller holds mu.
func (e *VP8Encoder) applyBitrate(bps int) error {
	kbps := e.pattern.layerKbps(bps)
	var layer [5]C.uint
	for i := range e.cfg.TemporalLayers {
		layer[i] = C.uint(kbps[i])
	}
	if rc := C.camchat_vp8enc_set_rate(e.c, C.uint(bps/1000), &layer[0]); rc != C.VPX_CODEC_OK {
		return fmt.Errorf("codec: vp8 set bitrate %d: %s: %w", bps, C.GoString(C.camchat_vp8enc_error(e.c)), ErrEncode)
	}
	e.bitrate = bps
	return nil
}

// checkFrame verifies the layout so that C never reads outside the Go
// slices, and returns the offsets of the top-left luma and chroma samples.
func (e *VP8Encoder) checkFrame(f *image.YCbCr) (yOff, cOff int, err error) {
	w, h := e.cfg.Width, e.cfg.Height
	if f == nil || f.SubsampleRatio != image.YCbCrSubsampleRatio420 ||
		f.Rect.Dx() != w || f.Rect.Dy() != h {
		return 0, 0, fmt.Errorf("codec: vp8 encode: want %dx%d 4:2:0: %w", w, h, ErrFrameFormat)
	}
	cw, ch := (w+1)/2, (h+1)/2
	yOff = f.YOffset(f.Rect.Min.X, f.Rect.Min.Y)
	cOff = f.COffset(f.Rect.Min.X, f.Rect.Min.Y)
	if f.YStride < w || f.CStride < cw || yOff < 0 || cOff < 0 ||
		len(f.Y) < yOff+(h-1)*f.YStride+w ||
		len(f.Cb) < cOff+(ch-1)*f.CStride+cw ||
		len(f.Cr) < cOff+(ch-1)*f.CStride+cw {
		return 0, 0, fmt.Errorf("codec: vp8 encode: short planes: %w", ErrFrameFormat)
	}
	return yOff, cOff, nil
}

// Close frees the libvpx encoder. It is safe to call more than once.
func (e *VP8Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c != nil {
		C.camchat_vp8enc_close(e.c)
		e.c = nil
	}
	return nil
}
