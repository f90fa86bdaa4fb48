package audio

import "errors"

var (
	// ErrClosed is returned by operations on a closed Context, Capture or
	// Playback.
	ErrClosed = errors.New("audio: closed")
	// ErrNoDevice means the backend has no device of the requested kind.
	ErrNoDevice = errors.New("audio: no such device")
	// ErrBadDeviceID means a DeviceID is not one this package produced.
	ErrBadDeviceID = errors.New("audio: malformed device ID")
	// ErrFormat means the device was opened but not at 48 kHz mono int16,
	// which miniaudio converts to and so should never happen.
	ErrFormat = errors.New("audio: device format is not 48 kHz mono int16")
	// ErrBackendUnknown means the context's backend could not be read back
	// because the miniaudio context layout is not the one this package was
	// written against (a malgo upgrade changed it).
	ErrBackendUnknown = errors.New("audio: cannot read the context's backend")
	// ErrBusy means a Context was closed while devices opened from it were
	// still open.
	ErrBusy = errors.New("audio: devices still open")
	// ErrNoSource means a Playback was configured without a Source.
	ErrNoSource = errors.New("audio: playback needs a source")
)
