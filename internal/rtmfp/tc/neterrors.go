package tc

import (
	"errors"
	"fmt"
)

// Sentinel errors of the NetConnection and NetStream objects. Functions
// wrap them with context; callers test with errors.Is.
var (
	// ErrConnectRejected means the server answered connect with _error
	// and NetConnection.Connect.Rejected (a StatusError carries the info).
	ErrConnectRejected = errors.New("tc: connection rejected by the server")
	// ErrConnectFailed means connect failed for another reason: another
	// _error code, no answer before the session or the control flow ended,
	// or a malformed answer.
	ErrConnectFailed = errors.New("tc: connection failed")
	// ErrConnClosed means the NetConnection is closed (by Close, by the
	// server or because its session ended).
	ErrConnClosed = errors.New("tc: connection closed")
	// ErrCallFailed means a transaction was answered with _error.
	ErrCallFailed = errors.New("tc: call failed")
	// ErrStreamClosed means the NetStream was closed or deleted.
	ErrStreamClosed = errors.New("tc: stream closed")
	// ErrNoFlow means a NetStream cannot send this kind of message: a
	// stream played from a peer sends only commands.
	ErrNoFlow = errors.New("tc: stream has no flow for this message type")
	// ErrPublisherClosed means the Publisher was closed.
	ErrPublisherClosed = errors.New("tc: publisher closed")
	// ErrNoSubscriber means SendTo named no current subscriber.
	ErrNoSubscriber = errors.New("tc: no such subscriber")
	// ErrBackPressure means a coded media frame was not sent because its
	// flow already holds more than MediaOptions.MaxQueue of media: the
	// path to the far end does not carry the stream (or has stalled).
	ErrBackPressure = errors.New("tc: frame skipped: the flow holds more than MaxQueue of media")
)

// StatusError is an error that a status info object explains: an _error
// answer or a failing onStatus. Err is the sentinel it wraps.
type StatusError struct {
	Info StatusInfo
	Err  error
}

func (e *StatusError) Error() string {
	if e.Info.Description != "" {
		return fmt.Sprintf("%v: %s (%s)", e.Err, e.Info.Code, e.Info.Description)
	}
	return fmt.Sprintf("%v: %s", e.Err, e.Info.Code)
}

func (e *StatusError) Unwrap() error { return e.Err }
