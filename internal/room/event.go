package room

import (
	"time"

	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
)

// EventKind says what an Event reports.
type EventKind uint8

const (
	// EventJoined: a member entered the call (Peer, Name).
	EventJoined EventKind = iota + 1
	// EventLeft: a member left (Peer, Name, Reason).
	EventLeft
	// EventChat: a chat message arrived or was sent (Chat).
	EventChat
	// EventChatDelivered: a message of ours reached a member (Chat, Peer).
	EventChatDelivered
	// EventVerification: a member's verification status changed (Peer,
	// Status); when Status.State.Warning() it must be shown loudly.
	EventVerification
	// EventRoom: this member entered a call (RoomID set) or is alone
	// again (RoomID empty).
	EventRoom
	// EventError: something went wrong that the user should read (Err,
	// Text); the room goes on unless the error is ErrSocket.
	EventError
	// EventDevice: a device changed on its own (unplugged, switched to
	// the default); Text says what happened.
	EventDevice
	// EventUpdate: a member changed its name, microphone or camera.
	EventUpdate
)

func (k EventKind) String() string {
	switch k {
	case EventJoined:
		return "joined"
	case EventLeft:
		return "left"
	case EventChat:
		return "chat"
	case EventChatDelivered:
		return "chat delivered"
	case EventVerification:
		return "verification"
	case EventRoom:
		return "room"
	case EventError:
		return "error"
	case EventDevice:
		return "device"
	case EventUpdate:
		return "update"
	}
	return "unknown"
}

// Event is one thing that happened in the room. Fields that do not apply to
// Kind are zero.
type Event struct {
	Kind   EventKind
	At     time.Time
	Peer   flashcrypto.PeerID
	Name   string
	Reason string // EventLeft: "left the call", "connection lost", …
	RoomID string
	Status identity.Status
	Chat   ChatMessage
	Err    error
	// Text is the event in words, for a log or a status line.
	Text string
}

// ChatMessage is one message of the call's chat.
type ChatMessage struct {
	// ID is unique per sender and increasing.
	ID   uint64
	From flashcrypto.PeerID
	Name string
	Text string
	// Sent is the sender's time (its clock); Received ours (equal to Sent
	// for our own messages).
	Sent, Received time.Time
	// Mine is set for messages this member sent.
	Mine bool
	// For our messages: the members it was sent to and those that have
	// confirmed it.
	To, DeliveredTo []flashcrypto.PeerID
}

// Delivered reports whether every addressee confirmed the message.
func (m ChatMessage) Delivered() bool {
	return m.Mine && len(m.DeliveredTo) >= len(m.To)
}
