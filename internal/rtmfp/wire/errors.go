package wire

import (
	"errors"
	"fmt"
)

// Sentinel errors. Parsers wrap them with the name of the field that failed,
// so callers test with errors.Is.
var (
	// ErrTruncated means the input ended before a field was complete.
	ErrTruncated = errors.New("wire: truncated")
	// ErrMalformed means the input is structurally invalid.
	ErrMalformed = errors.New("wire: malformed")
	// ErrVLUOverflow means a VLU encodes a value above 2^64-1. It wraps
	// ErrMalformed.
	ErrVLUOverflow = fmt.Errorf("%w: VLU overflows 64 bits", ErrMalformed)
	// ErrChunkOverrun means a chunk header or length runs past the end of
	// the packet body (RFC 7016 §2.3). It is distinct from the clean end of
	// a packet at padding. Chunks yielded before it are intact.
	ErrChunkOverrun = errors.New("wire: chunk runs past the end of the packet")
	// ErrForbiddenMode means a packet header has mode 0 (RFC 7016 §2.2.4).
	ErrForbiddenMode = errors.New("wire: forbidden packet mode 0")
	// ErrFSNOffset means a User Data chunk's forward sequence number offset
	// is larger than its sequence number (RFC 7016 §2.3.11).
	ErrFSNOffset = errors.New("wire: forward sequence number offset exceeds sequence number")
	// ErrNoMarker means an option list that must end in a marker ran to
	// the end of its input without one.
	ErrNoMarker = errors.New("wire: option list has no end marker")
)
