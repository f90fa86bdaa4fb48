package tc

import (
	"encoding/binary"
	"fmt"
	"time"
)

// MessageType is the RTMP message type of a TC message (RFC 7425 §5.1.2).
type MessageType uint8

// Message types used over RTMFP. RTMP's chunk-layer types 1, 2, 3, 5 and 6
// and the aggregate type 22 are not used over RTMFP (rtmfp-cpp TCMessage.hpp).
const (
	TypeUserControl    MessageType = 4
	TypeAudio          MessageType = 8
	TypeVideo          MessageType = 9
	TypeDataEx         MessageType = 15 // format byte 0, then as TypeData
	TypeSharedObjectEx MessageType = 16 // format byte 0, then as TypeSharedObject
	TypeCommandEx      MessageType = 17 // format byte 0, then as TypeCommand (RFC 7425 §5.3.3)
	TypeData           MessageType = 18
	TypeSharedObject   MessageType = 19
	TypeCommand        MessageType = 20
	TypeAggregate      MessageType = 22 // not to be used over RTMFP
)

func (t MessageType) String() string {
	switch t {
	case TypeUserControl:
		return "user control"
	case TypeAudio:
		return "audio"
	case TypeVideo:
		return "video"
	case TypeDataEx:
		return "data-ex"
	case TypeSharedObjectEx:
		return "shared object-ex"
	case TypeCommandEx:
		return "command-ex"
	case TypeData:
		return "data"
	case TypeSharedObject:
		return "shared object"
	case TypeCommand:
		return "command"
	case TypeAggregate:
		return "aggregate"
	}
	return fmt.Sprintf("MessageType(%d)", uint8(t))
}

// IsEx reports whether messages of type t start with a format byte.
func (t MessageType) IsEx() bool {
	return t == TypeDataEx || t == TypeSharedObjectEx || t == TypeCommandEx
}

// Timestamp is a TC message timestamp in milliseconds, modulo 2^32. For
// audio and video it is the capture time (see the package documentation).
type Timestamp uint32

// TimestampOf returns the timestamp of a capture time d after the stream's
// epoch, truncated to the millisecond and wrapped modulo 2^32.
func TimestampOf(d time.Duration) Timestamp {
	return Timestamp(uint32(uint64(d.Milliseconds())))
}

// Sub returns t−u, taking the two to be within 2^31−1 ms of each other
// (serial number arithmetic across the wrap, as rtmfp-cpp timestamp_diff).
func (t Timestamp) Sub(u Timestamp) time.Duration {
	return time.Duration(int32(t-u)) * time.Millisecond
}

// Before reports whether t is earlier than u across the wrap.
func (t Timestamp) Before(u Timestamp) bool { return int32(t-u) < 0 }

// After reports whether t is later than u across the wrap.
func (t Timestamp) After(u Timestamp) bool { return int32(t-u) > 0 }

// MessageHeaderLen is the size of the TC message header.
const MessageHeaderLen = 5

// Message is one TC message, the unit written to and read from a TC flow
// (RFC 7425 §5.1.2). The stream ID is not in the message: it comes from the
// flow's metadata.
//
//	+------+-----------------------+-------------/-+
//	| type | timestamp (u32, ms)   | payload       |
//	+------+-----------------------+-------------/-+
type Message struct {
	Type      MessageType
	Timestamp Timestamp
	Payload   []byte // aliases the parsed input
}

// ParseMessage splits a TC message into header fields and payload, without
// copying. Any type is accepted; the payload may be empty.
func ParseMessage(b []byte) (Message, error) {
	if len(b) < MessageHeaderLen {
		return Message{}, fmt.Errorf("tc: message header of %d bytes: %w", len(b), ErrTruncated)
	}
	return Message{
		Type:      MessageType(b[0]),
		Timestamp: Timestamp(binary.BigEndian.Uint32(b[1:])),
		Payload:   b[MessageHeaderLen:],
	}, nil
}

// AppendMessageHeader appends the 5-byte header of a TC message; the payload
// follows.
func AppendMessageHeader(b []byte, t MessageType, ts Timestamp) []byte {
	b = append(b, byte(t))
	return binary.BigEndian.AppendUint32(b, uint32(ts))
}

// Append appends the whole message, header and payload.
func (m Message) Append(b []byte) []byte {
	b = AppendMessageHeader(b, m.Type, m.Timestamp)
	return append(b, m.Payload...)
}

// Length returns the number of bytes Append writes.
func (m Message) Length() int { return MessageHeaderLen + len(m.Payload) }

// AMF returns the AMF0 part of a command, data or shared object message: the
// payload, after checking and removing the format byte of an -ex type. Other
// types fail with ErrWrongType.
func (m Message) AMF() ([]byte, error) {
	switch m.Type {
	case TypeCommand, TypeData, TypeSharedObject:
		return m.Payload, nil
	case TypeCommandEx, TypeDataEx, TypeSharedObjectEx:
		if len(m.Payload) < 1 {
			return nil, fmt.Errorf("tc: %v format byte: %w", m.Type, ErrTruncated)
		}
		if m.Payload[0] != 0 {
			return nil, fmt.Errorf("tc: %v format %d: %w", m.Type, m.Payload[0], ErrUnknownFormat)
		}
		return m.Payload[1:], nil
	}
	return nil, fmt.Errorf("tc: %v message has no AMF payload: %w", m.Type, ErrWrongType)
}

// AlwaysDeliver reports whether a receiver that delivers in network order
// must deliver m even when it arrives late, after messages sent after it:
// everything except coded audio and video frames, which are useless late
// (rtmfp-cpp RTMFPTCConnection::shouldAlwaysDeliver). Media that does not
// parse is not delivered late.
func (m Message) AlwaysDeliver() bool {
	switch m.Type {
	case TypeAudio:
		p, err := ParseAudio(m.Payload)
		return err == nil && p.SequenceSpecial()
	case TypeVideo:
		p, err := ParseVideo(m.Payload)
		return err == nil && p.SequenceSpecial()
	}
	return true
}
