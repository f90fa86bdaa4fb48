package rtmfp

import "errors"

// Sentinel errors. Functions wrap them with context; callers test with
// errors.Is. A Session keeps the first fatal error it meets and returns it
// from every later call.
var (
	// ErrEndpointClosed: the Endpoint was closed.
	ErrEndpointClosed = errors.New("rtmfp: endpoint closed")
	// ErrSocket: the endpoint's socket failed for good (the network
	// interface went away, the socket was closed underneath), so the
	// endpoint stopped and its sessions ended; Endpoint.Err wraps it with
	// the socket's error. Open a new endpoint to go on.
	ErrSocket = errors.New("rtmfp: socket failed, endpoint stopped")
	// ErrSessionClosed: the session was closed in an orderly way, by
	// either end (RFC 7016 §3.5.5).
	ErrSessionClosed = errors.New("rtmfp: session closed")
	// ErrSessionAborted: the session was closed abruptly (Abort, a Close
	// Acknowledgement in the open state, or the endpoint closing).
	ErrSessionAborted = errors.New("rtmfp: session aborted")
	// ErrHandshakeTimeout: no session could be opened within the ultimate
	// session timeout of 95 s (RFC 7016 §3.5.1.1; rtmfp-cpp
	// ULTIMATE_SESSION_TIMEOUT).
	ErrHandshakeTimeout = errors.New("rtmfp: handshake timed out")
	// ErrHandshakeFailed: the far end's certificate or keying component was
	// unusable (no common group, a required protection refused, ...).
	ErrHandshakeFailed = errors.New("rtmfp: handshake failed")
	// ErrRetransmitLimit: data or a keepalive went unacknowledged for the
	// retransmit limit; the far end is presumed gone (RFC 7016 §3.5.2.2).
	ErrRetransmitLimit = errors.New("rtmfp: far end stopped answering")
	// ErrIdle: the session had no flows for the idle limit.
	ErrIdle = errors.New("rtmfp: session idle")
	// ErrReplaced: the session was replaced by a new one from the same
	// certificate (RFC 7425 §4.3.7) or lost a glare (RFC 7016 §3.5.1.3).
	ErrReplaced = errors.New("rtmfp: session replaced")
	// ErrRecvMemory: the far end made the session's receive flows hold
	// more than Config.SessionRecvMemory (an honest sender stays within
	// the windows advertised), or the endpoint reached
	// Config.EndpointRecvMemory and this session held the most.
	ErrRecvMemory = errors.New("rtmfp: session closed: far end exceeded the receive memory budget")
	// ErrNoAddress: Connect was given no address to try.
	ErrNoAddress = errors.New("rtmfp: no candidate address")
	// ErrBadEPD: the endpoint discriminator could not be parsed.
	ErrBadEPD = errors.New("rtmfp: invalid endpoint discriminator")
	// ErrFlowClosed: the flow was closed, or the session under it ended.
	ErrFlowClosed = errors.New("rtmfp: flow closed")
	// ErrFlowRejected: the receiver rejected the flow with a Flow Exception
	// Report (RFC 7016 §3.6.3.5); the code is in FlowRejectedError.
	ErrFlowRejected = errors.New("rtmfp: flow rejected by the receiver")
	// ErrMetadataTooLarge: flow metadata over 512 bytes (rtmfp-cpp's limit,
	// which keeps the first fragment of every flow inside one packet).
	ErrMetadataTooLarge = errors.New("rtmfp: flow metadata too large")
	// ErrNotOpen: the operation needs an open session.
	ErrNotOpen = errors.New("rtmfp: session not open")
	// ErrConfig: a Config field is invalid.
	ErrConfig = errors.New("rtmfp: invalid config")
)
