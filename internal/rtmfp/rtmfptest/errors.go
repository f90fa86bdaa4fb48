package rtmfptest

import "errors"

// Sentinel errors. Callers test with errors.Is; the functions that return
// them wrap them with context.
var (
	// ErrAddrInUse is returned when an address or port is already bound.
	ErrAddrInUse = errors.New("rtmfptest: address already in use")
	// ErrNameInUse is returned when a host or NAT name is taken.
	ErrNameInUse = errors.New("rtmfptest: name already in use")
	// ErrBadAddress is returned for an invalid, foreign or unparsable address.
	ErrBadAddress = errors.New("rtmfptest: bad address")
	// ErrFamilyMismatch is returned when an IPv4 socket writes to an IPv6
	// destination or the other way round.
	ErrFamilyMismatch = errors.New("rtmfptest: address family mismatch")
	// ErrTooLarge is returned for a datagram larger than UDP allows.
	ErrTooLarge = errors.New("rtmfptest: datagram too large")
	// ErrNetworkClosed is returned after Network.Close.
	ErrNetworkClosed = errors.New("rtmfptest: network closed")
)
