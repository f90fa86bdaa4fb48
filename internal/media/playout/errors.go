package playout

import "errors"

var (
	// ErrConfig reports a configuration value out of its documented range.
	ErrConfig = errors.New("playout: invalid configuration")
	// ErrPayloadTooLarge reports a packet whose payload exceeds the
	// buffer's MaxPayload; the packet is dropped and counted.
	ErrPayloadTooLarge = errors.New("playout: payload too large")
	// ErrStream reports a mixer stream index outside 0..MaxStreams-1.
	ErrStream = errors.New("playout: no such stream")
	// ErrFrameSize reports PCM whose length does not match the mixer frame.
	ErrFrameSize = errors.New("playout: frame size mismatch")
	// ErrVolume reports a volume outside 0..MaxVolume.
	ErrVolume = errors.New("playout: volume out of range")
)
