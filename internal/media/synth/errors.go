package synth

import "errors"

var (
	// ErrBadConfig: a size, rate or level the source cannot produce.
	ErrBadConfig = errors.New("synth: bad config")
	// ErrClosed: the camera was closed.
	ErrClosed = errors.New("synth: closed")
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("synth: already started")
)
