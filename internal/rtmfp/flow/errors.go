package flow

import "errors"

// Sentinel errors. Callers test with errors.Is; the session wraps them with the
// flow ID.
var (
	// ErrClosed means the send flow no longer accepts messages: Close was
	// called or the receiver rejected the flow (RFC 7016 §3.6.2.1).
	ErrClosed = errors.New("flow: send flow is closed")
	// ErrTooLarge means a message is longer than MaxMessage.
	ErrTooLarge = errors.New("flow: message too large")
)
