package audio

import (
	"fmt"
	"strings"
)

// EventKind says what happened to a device.
type EventKind int

const (
	// EventSwitched: the device in use was lost and the default device of
	// the same kind now records or plays in its place.
	EventSwitched EventKind = iota + 1
	// EventUnavailable: the device in use was lost and no device of that
	// kind could be opened; the stream keeps retrying the default device
	// and sends EventSwitched when one opens.
	EventUnavailable
)

func (k EventKind) String() string {
	switch k {
	case EventSwitched:
		return "switched"
	case EventUnavailable:
		return "unavailable"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// LossReason says how a lost device was noticed.
type LossReason int

const (
	// LossNone: nothing was lost; a device became available again after
	// EventUnavailable.
	LossNone LossReason = iota
	// LossStopped: the backend stopped the device on its own (miniaudio's
	// stop notification while the device was not being closed).
	LossStopped
	// LossStalled: the device stayed open but its callbacks stopped
	// arriving (PulseAudio kills a stream whose device vanished with
	// nowhere to move it, and miniaudio reports nothing).
	LossStalled
	// LossRemoved: the device chosen by ID is no longer listed (PulseAudio
	// moves the stream of an unplugged device to the default device, so
	// sound goes on but not where the user asked).
	LossRemoved
)

func (r LossReason) String() string {
	switch r {
	case LossNone:
		return "none"
	case LossStopped:
		return "stopped"
	case LossStalled:
		return "stalled"
	case LossRemoved:
		return "removed"
	}
	return fmt.Sprintf("LossReason(%d)", int(r))
}

// Event reports a device change that the user should hear about.
type Event struct {
	Kind   EventKind
	Device DeviceKind // microphone or speaker
	Lost   DeviceInfo // the device that went away
	Now    DeviceInfo // the device in use after the event; zero for EventUnavailable
	Reason LossReason
	// Err is the error that prevented reopening (EventUnavailable only).
	Err error
	// Message is the sentence to show the user.
	Message string
}

func switchedMessage(kind DeviceKind, lost DeviceInfo) string {
	return fmt.Sprintf("%s %s was disconnected: switched to the default %s",
		capitalize(kind.noun()), lost.label(), kind.noun())
}

func unavailableMessage(kind DeviceKind, lost DeviceInfo) string {
	return fmt.Sprintf("%s %s was disconnected and no other %s could be opened: connect one or pick another in the settings",
		capitalize(kind.noun()), lost.label(), kind.noun())
}

func recoveredMessage(kind DeviceKind, now DeviceInfo) string {
	return fmt.Sprintf("%s %s is available again: using it as the default %s",
		capitalize(kind.noun()), now.label(), kind.noun())
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
