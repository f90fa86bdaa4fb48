package tc

import (
	"encoding/binary"
	"fmt"
)

// SharedObjectHeader is the header of a shared object message (types 19
// and 16; RTMP §7.1.3). camchat does not use remote shared objects; it parses
// the header so that such messages can be logged and refused, and keeps the
// events raw.
//
//	+--------------------+-------------+-------------+--------------+----------/-+
//	| name (u16 string)  | version u32 | flags u32   | reserved u32 | events …   |
//	+--------------------+-------------+-------------+--------------+----------/-+
//	event: type u8 | length u32 | data
type SharedObjectHeader struct {
	Name    string
	Version uint32
	Flags   uint32 // 2 = persistent (as Flash writes it)
	Events  []byte // raw events; aliases the parsed input
}

// ParseSharedObject decodes the header of a shared object message payload
// (after the format byte of type 16, see Message.AMF).
func ParseSharedObject(p []byte) (SharedObjectHeader, error) {
	if len(p) < 2 {
		return SharedObjectHeader{}, fmt.Errorf("tc: shared object name: %w", ErrTruncated)
	}
	n := int(binary.BigEndian.Uint16(p))
	if len(p) < 2+n+12 {
		return SharedObjectHeader{}, fmt.Errorf("tc: shared object header: %w", ErrTruncated)
	}
	h := SharedObjectHeader{Name: string(p[2 : 2+n])}
	p = p[2+n:]
	h.Version = binary.BigEndian.Uint32(p)
	h.Flags = binary.BigEndian.Uint32(p[4:])
	h.Events = p[12:]
	return h, nil
}

// Append appends the header and the raw events.
func (h SharedObjectHeader) Append(b []byte) []byte {
	b = appendShortUTF8(b, h.Name[:min(len(h.Name), 0xffff)])
	b = binary.BigEndian.AppendUint32(b, h.Version)
	b = binary.BigEndian.AppendUint32(b, h.Flags)
	b = binary.BigEndian.AppendUint32(b, 0)
	return append(b, h.Events...)
}

// NextSharedObjectEvent splits the first event off raw shared object events
// and returns its type, data (aliasing events) and the remaining events.
func NextSharedObjectEvent(events []byte) (typ byte, data, rest []byte, err error) {
	if len(events) < 5 {
		return 0, nil, nil, fmt.Errorf("tc: shared object event header: %w", ErrTruncated)
	}
	n := uint64(binary.BigEndian.Uint32(events[1:]))
	if n > uint64(len(events)-5) {
		return 0, nil, nil, fmt.Errorf("tc: shared object event of %d bytes: %w", n, ErrTruncated)
	}
	return events[0], events[5 : 5+n], events[5+n:], nil
}
