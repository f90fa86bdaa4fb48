package tc

import "errors"

// Sentinel errors. Parsers wrap them with the name of what failed, so callers
// test with errors.Is.
var (
	// ErrTruncated means the input ended before a field was complete.
	ErrTruncated = errors.New("tc: truncated")
	// ErrMalformed means the input is structurally invalid.
	ErrMalformed = errors.New("tc: malformed")

	// ErrUnknownMarker means an AMF0 type marker that this decoder does not
	// accept (movieclip 0x04, recordset 0x0e, or above 0x11).
	ErrUnknownMarker = errors.New("tc: unknown AMF0 type marker")
	// ErrAVMPlus means the AMF0 "switch to AMF3" marker 0x11. camchat speaks
	// objectEncoding 0 only (RFC 7425 §5.1.2 allows either).
	ErrAVMPlus = errors.New("tc: AMF3 (avmplus-object marker 0x11) is not supported")
	// ErrBadReference means an AMF0 reference (0x07) to a complex value
	// that was not decoded yet or is not complete (which would make a loop).
	ErrBadReference = errors.New("tc: bad AMF0 reference")
	// ErrLimit means decoding would exceed one of the Decoder's Limits.
	ErrLimit = errors.New("tc: AMF0 decoding limit exceeded")
	// ErrUnsupportedValue means the encoder was given a Go value that has no
	// AMF0 form, a property key or class name longer than 65535 bytes, or a
	// value graph nested deeper than MaxEncodeDepth (a cycle).
	ErrUnsupportedValue = errors.New("tc: value cannot be encoded as AMF0")

	// ErrNotTC means flow metadata that is not TC metadata ('T' 'C' with the
	// stream ID present flag, RFC 7425 §5.1.1).
	ErrNotTC = errors.New("tc: not TC flow metadata")
	// ErrUnknownFormat means a command-ex, data-ex or shared-object-ex
	// message whose format byte is not 0, the only format defined
	// (RFC 7425 §5.1.2).
	ErrUnknownFormat = errors.New("tc: unknown -ex message format")
	// ErrWrongType means a message or user control event of another type
	// than the parser expects.
	ErrWrongType = errors.New("tc: wrong message type")
	// ErrKeepaliveTooShort means a Set Keepalive event (RFC 7425 §5.3.4)
	// asking for a period below MinKeepalive.
	ErrKeepaliveTooShort = errors.New("tc: keepalive period below the 5 s minimum")
	// ErrBadCommand means an AMF0 command or data message whose shape is
	// wrong: no name string, no numeric transaction ID, or arguments of the
	// wrong type for the named command.
	ErrBadCommand = errors.New("tc: bad command")
	// ErrUnsupportedMedia means a media header this package recognises but
	// does not decode (Enhanced-RTMP multitrack and ModEx packets).
	ErrUnsupportedMedia = errors.New("tc: unsupported media packet")
)
