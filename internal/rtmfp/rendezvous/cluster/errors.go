package cluster

import "errors"

// Sentinel errors; functions wrap them with context.
var (
	// ErrConfig: a Config field is invalid.
	ErrConfig = errors.New("cluster: invalid config")
	// ErrClosed: the node was closed (or never started).
	ErrClosed = errors.New("cluster: node closed")
)
