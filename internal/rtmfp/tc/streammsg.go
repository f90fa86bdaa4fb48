package tc

import (
	"fmt"
	"time"
)

// StreamMessage is one message a NetStream received, parsed by type. The
// fields that apply to Type are set; byte slices alias Raw, which the
// message owns.
type StreamMessage struct {
	Type      MessageType
	Timestamp Timestamp
	// Arrived is when the transport made the message available
	// (rtmfp.RecvFlow.ReadMessage, on the endpoint's clock): its arrival
	// on the network, not the time Read returned it, so that a jitter
	// buffer fed by a reader that lags still sees the path's real delay.
	Arrived time.Time

	// Command is set for TypeCommand and TypeCommandEx; Status too when the
	// command is onStatus with a valid info object.
	Command Command
	Status  StatusInfo
	// Data is set for TypeData and TypeDataEx (NetStream.send,
	// |RtmpSampleAccess, onMetaData).
	Data DataMessage
	// Control is set for TypeUserControl (StreamBegin, …).
	Control UserControl
	// Audio and Video are set for TypeAudio and TypeVideo.
	Audio AudioPacket
	Video VideoPacket

	// Raw is the whole TC message as received (header and payload).
	Raw []byte
}

// IsStatus reports whether m is an onStatus event with the given code.
func (m StreamMessage) IsStatus(code string) bool {
	return (m.Type == TypeCommand || m.Type == TypeCommandEx) && m.Command.Name == CommandOnStatus && m.Status.Code == code
}

// parseStreamMessage parses a whole TC message received on a stream flow.
// b is owned by the result.
func parseStreamMessage(b []byte, lim Limits) (StreamMessage, error) {
	m, err := ParseMessage(b)
	if err != nil {
		return StreamMessage{}, err
	}
	sm := StreamMessage{Type: m.Type, Timestamp: m.Timestamp, Raw: b}
	switch m.Type {
	case TypeCommand, TypeCommandEx:
		sm.Command, err = ParseCommandMessage(m, lim)
		if err == nil && sm.Command.Name == CommandOnStatus {
			sm.Status, err = sm.Command.Status()
		}
	case TypeData, TypeDataEx:
		sm.Data, err = ParseDataMessage(m, lim)
	case TypeUserControl:
		sm.Control, err = ParseUserControlMessage(m)
	case TypeAudio:
		sm.Audio, err = ParseAudio(m.Payload)
	case TypeVideo:
		sm.Video, err = ParseVideo(m.Payload)
	default:
		err = fmt.Errorf("tc: %s message on a stream: %w", m.Type, ErrWrongType)
	}
	if err != nil {
		return StreamMessage{}, err
	}
	return sm, nil
}
