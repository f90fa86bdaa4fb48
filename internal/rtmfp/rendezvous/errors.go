package rendezvous

import "errors"

// Sentinel errors; functions wrap them with context.
var (
	// ErrConfig: a Config field is invalid.
	ErrConfig = errors.New("rendezvous: invalid config")
	// ErrClosed: the server was shut down.
	ErrClosed = errors.New("rendezvous: server closed")
	// ErrKeyFile: the static key file could not be read or created.
	ErrKeyFile = errors.New("rendezvous: key file")
	// ErrNoTarget: the peer to introduce is not registered here.
	ErrNoTarget = errors.New("rendezvous: no such introduction target")
	// ErrIntroRate: introductions to the peer are over their rate.
	ErrIntroRate = errors.New("rendezvous: introduction rate exceeded")
)
