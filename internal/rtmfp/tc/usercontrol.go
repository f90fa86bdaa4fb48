package tc

import (
	"encoding/binary"
	"fmt"
	"time"
)

// UserControlEvent is the event type of a user control message (type 4).
type UserControlEvent uint16

// User control events (RTMP §7.1.7; RFC 7425 §5.2 and §5.3.4 for 34 and 41).
const (
	EventStreamBegin      UserControlEvent = 0  // stream ID u32
	EventStreamEOF        UserControlEvent = 1  // stream ID u32
	EventStreamDry        UserControlEvent = 2  // stream ID u32
	EventSetBufferLength  UserControlEvent = 3  // stream ID u32, buffer length ms u32
	EventStreamIsRecorded UserControlEvent = 4  // stream ID u32
	EventPingRequest      UserControlEvent = 6  // timestamp u32; not used over RTMFP
	EventPingResponse     UserControlEvent = 7  // timestamp u32; not used over RTMFP
	EventFlowSync         UserControlEvent = 34 // sync ID u32, count u32 (RFC 7425 §5.2)
	EventSetKeepalive     UserControlEvent = 41 // server ms u32, peer ms u32 (RFC 7425 §5.3.4)
)

func (e UserControlEvent) String() string {
	switch e {
	case EventStreamBegin:
		return "StreamBegin"
	case EventStreamEOF:
		return "StreamEOF"
	case EventStreamDry:
		return "StreamDry"
	case EventSetBufferLength:
		return "SetBufferLength"
	case EventStreamIsRecorded:
		return "StreamIsRecorded"
	case EventPingRequest:
		return "PingRequest"
	case EventPingResponse:
		return "PingResponse"
	case EventFlowSync:
		return "FlowSync"
	case EventSetKeepalive:
		return "SetKeepalive"
	}
	return fmt.Sprintf("UserControlEvent(%d)", uint16(e))
}

// UserControl is the payload of a user control message (type 4).
//
//	+--------------+-------------/-+
//	| event (u16)  | event data    |
//	+--------------+-------------/-+
type UserControl struct {
	Event UserControlEvent
	Data  []byte // aliases the parsed input
}

// ParseUserControl splits a user control payload.
func ParseUserControl(payload []byte) (UserControl, error) {
	if len(payload) < 2 {
		return UserControl{}, fmt.Errorf("tc: user control event type: %w", ErrTruncated)
	}
	return UserControl{Event: UserControlEvent(binary.BigEndian.Uint16(payload)), Data: payload[2:]}, nil
}

// ParseUserControlMessage splits the payload of a TypeUserControl message.
func ParseUserControlMessage(m Message) (UserControl, error) {
	if m.Type != TypeUserControl {
		return UserControl{}, fmt.Errorf("tc: %v message is not user control: %w", m.Type, ErrWrongType)
	}
	return ParseUserControl(m.Payload)
}

// Append appends the user control payload.
func (u UserControl) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(u.Event))
	return append(b, u.Data...)
}

// AppendMessage appends u as a whole TC message with timestamp 0.
func (u UserControl) AppendMessage(b []byte) []byte {
	return u.Append(AppendMessageHeader(b, TypeUserControl, 0))
}

// StreamEvent returns the stream ID of a StreamBegin, StreamEOF, StreamDry,
// StreamIsRecorded or SetBufferLength event.
func (u UserControl) StreamEvent() (StreamID, error) {
	switch u.Event {
	case EventStreamBegin, EventStreamEOF, EventStreamDry, EventStreamIsRecorded, EventSetBufferLength:
	default:
		return 0, fmt.Errorf("tc: %v is not a stream event: %w", u.Event, ErrWrongType)
	}
	if len(u.Data) < 4 {
		return 0, fmt.Errorf("tc: %v stream ID: %w", u.Event, ErrTruncated)
	}
	return StreamID(binary.BigEndian.Uint32(u.Data)), nil
}

// StreamEventControl returns the user control event ev (StreamBegin,
// StreamEOF, StreamDry, StreamIsRecorded) for stream id.
func StreamEventControl(ev UserControlEvent, id StreamID) UserControl {
	return UserControl{Event: ev, Data: binary.BigEndian.AppendUint32(nil, uint32(id))}
}

// AppendStreamEventMessage appends a whole user control message for a
// stream event without allocating, as the publisher sends StreamBegin
// before NetStream.Play.Reset (RFC 7425 §5.4).
func AppendStreamEventMessage(b []byte, ev UserControlEvent, id StreamID) []byte {
	b = AppendMessageHeader(b, TypeUserControl, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(ev))
	return binary.BigEndian.AppendUint32(b, uint32(id))
}

// FlowSync is the flow synchronisation event (RFC 7425 §5.2): the sender
// writes the same SyncID and Count on each of the Count flows of a stream,
// and the receiver holds each flow at this barrier until all Count flows have
// reached it.
//
//	+---------------+--------------+--------------+
//	| event 34 u16  | syncID u32   | count u32    |
//	+---------------+--------------+--------------+
type FlowSync struct {
	SyncID uint32
	Count  uint32
}

// ParseFlowSync decodes the data of a FlowSync event.
func ParseFlowSync(u UserControl) (FlowSync, error) {
	if u.Event != EventFlowSync {
		return FlowSync{}, fmt.Errorf("tc: %v is not FlowSync: %w", u.Event, ErrWrongType)
	}
	if len(u.Data) < 8 {
		return FlowSync{}, fmt.Errorf("tc: FlowSync: %w", ErrTruncated)
	}
	return FlowSync{SyncID: binary.BigEndian.Uint32(u.Data), Count: binary.BigEndian.Uint32(u.Data[4:])}, nil
}

// AppendMessage appends the whole TC message (user control, timestamp 0)
// that carries f, 15 bytes, as rtmfp-cpp's FlowSyncManager::makeSyncMessage.
func (f FlowSync) AppendMessage(b []byte) []byte {
	b = AppendMessageHeader(b, TypeUserControl, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(EventFlowSync))
	b = binary.BigEndian.AppendUint32(b, f.SyncID)
	return binary.BigEndian.AppendUint32(b, f.Count)
}

// MinKeepalive is the shortest keepalive period a Set Keepalive event may
// ask for (RFC 7425 §5.3.4).
const MinKeepalive = 5 * time.Second

// SetKeepalive is the Set Keepalive event (RFC 7425 §5.3.4) a server sends
// to a client: the keepalive period for the client's session to the server,
// and the default for its sessions to peers.
//
//	+---------------+------------------+------------------+
//	| event 41 u16  | server ms u32    | peer ms u32      |
//	+---------------+------------------+------------------+
type SetKeepalive struct {
	Server time.Duration
	Peer   time.Duration
}

// ParseSetKeepalive decodes a Set Keepalive event. Each period must be at
// least MinKeepalive; when one is not, the decoded periods are returned with
// an error wrapping ErrKeepaliveTooShort, so that a caller may clamp them
// instead (each on its own: rtmfp-cpp wrongly clamps the peer period from the
// server's).
func ParseSetKeepalive(u UserControl) (SetKeepalive, error) {
	if u.Event != EventSetKeepalive {
		return SetKeepalive{}, fmt.Errorf("tc: %v is not SetKeepalive: %w", u.Event, ErrWrongType)
	}
	if len(u.Data) < 8 {
		return SetKeepalive{}, fmt.Errorf("tc: SetKeepalive: %w", ErrTruncated)
	}
	k := SetKeepalive{
		Server: time.Duration(binary.BigEndian.Uint32(u.Data)) * time.Millisecond,
		Peer:   time.Duration(binary.BigEndian.Uint32(u.Data[4:])) * time.Millisecond,
	}
	if k.Server < MinKeepalive {
		return k, fmt.Errorf("tc: SetKeepalive server period %v: %w", k.Server, ErrKeepaliveTooShort)
	}
	if k.Peer < MinKeepalive {
		return k, fmt.Errorf("tc: SetKeepalive peer period %v: %w", k.Peer, ErrKeepaliveTooShort)
	}
	return k, nil
}

// AppendMessage appends the whole TC message (user control, timestamp 0)
// that carries k. Periods are written in whole milliseconds, saturating at
// 2^32−1.
func (k SetKeepalive) AppendMessage(b []byte) []byte {
	b = AppendMessageHeader(b, TypeUserControl, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(EventSetKeepalive))
	b = binary.BigEndian.AppendUint32(b, durationMillis32(k.Server))
	return binary.BigEndian.AppendUint32(b, durationMillis32(k.Peer))
}

func durationMillis32(d time.Duration) uint32 {
	ms := d.Milliseconds()
	if ms < 0 {
		return 0
	}
	return uint32(min(ms, 1<<32-1))
}
