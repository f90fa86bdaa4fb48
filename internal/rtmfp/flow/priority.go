package flow

// Priority is a send flow's precedence (rtmfp-cpp Priority.hpp): eight strict
// levels. A session serves higher levels first and round-robins within one.
type Priority uint8

// Priorities, lowest first. The names are rtmfp-cpp's.
const (
	PriorityRoutine Priority = iota
	PriorityBackground
	PriorityBulk
	PriorityImportant
	PriorityPriority
	PriorityImmediate
	PriorityFlash
	PriorityFlashOverride
)

// TimeCritical reports whether data at this priority is time-critical: a
// packet carrying it gets the TC header flag (RFC 7016 §3.5.2.1:
// levels 4 and up).
func (p Priority) TimeCritical() bool { return p >= PriorityPriority }

// Valid reports whether p is one of the eight levels.
func (p Priority) Valid() bool { return p <= PriorityFlashOverride }
