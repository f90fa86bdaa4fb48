package cc

import "errors"

// ErrInvalidConfig is returned (wrapped) by New when a Config field is out of
// range, such as a negative congestion delay.
var ErrInvalidConfig = errors.New("cc: invalid config")
