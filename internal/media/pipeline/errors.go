package pipeline

import "errors"

var (
	// ErrConfig reports a configuration value out of its documented range.
	ErrConfig = errors.New("pipeline: invalid configuration")
	// ErrFrameSize reports an audio frame that is not 10 ms (480 samples)
	// long or a picture that does not match the video encoder.
	ErrFrameSize = errors.New("pipeline: frame size mismatch")
	// ErrClosed reports use of a pipeline after Close.
	ErrClosed = errors.New("pipeline: closed")
	// ErrSlot reports a Playback slot outside 0..playout.MaxStreams-1.
	ErrSlot = errors.New("pipeline: no such playback slot")
)
