package codec

import "errors"

var (
	// ErrInvalidConfig reports a configuration value out of range.
	ErrInvalidConfig = errors.New("codec: invalid configuration")
	// ErrClosed reports use of an encoder or decoder after Close.
	ErrClosed = errors.New("codec: closed")
	// ErrFrameFormat reports a raw frame or PCM buffer whose size or layout
	// does not match the encoder (wrong dimensions, not 4:2:0, short planes,
	// wrong sample count).
	ErrFrameFormat = errors.New("codec: frame does not match encoder format")
	// ErrEncode reports a failure inside the encoder library.
	ErrEncode = errors.New("codec: encode failed")
	// ErrDecode reports a compressed frame the decoder rejected; the receiver
	// should ask the sender for a keyframe.
	ErrDecode = errors.New("codec: decode failed")
	// ErrCorruptFrame reports a frame that decoded but references damaged
	// data (VP8D_GET_FRAME_CORRUPTED); the picture is returned anyway and the
	// receiver should ask for a keyframe.
	ErrCorruptFrame = errors.New("codec: decoded frame is corrupted")
	// ErrNeedKeyframe reports an inter frame given to a decoder that has not
	// decoded a keyframe yet.
	ErrNeedKeyframe = errors.New("codec: decoder needs a keyframe")
	// ErrTruncated reports a compressed frame too short for its header.
	ErrTruncated = errors.New("codec: truncated frame")
	// ErrSizeMismatch reports two frames of different sizes given to PSNRY.
	ErrSizeMismatch = errors.New("codec: frame sizes differ")
)
