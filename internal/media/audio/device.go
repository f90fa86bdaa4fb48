package audio

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/gen2brain/malgo"
)

// DeviceKind says which way a device carries sound.
type DeviceKind int

const (
	Microphone DeviceKind = iota + 1 // a capture device
	Speaker                          // a playback device: speakers or headphones
)

// noun is the word a user reads for a device kind.
func (k DeviceKind) noun() string {
	switch k {
	case Microphone:
		return "microphone"
	case Speaker:
		return "speaker"
	}
	return "audio device"
}

func (k DeviceKind) String() string { return k.noun() }

func (k DeviceKind) malgo() malgo.DeviceType {
	if k == Microphone {
		return malgo.Capture
	}
	return malgo.Playback
}

// DeviceID names a device to its backend: the hexadecimal form of
// miniaudio's ma_device_id (for PulseAudio the sink or source name, for ALSA
// the "hw:..." string), as malgo.DeviceID.String writes it. It is stable
// across runs, so settings can store it. The empty DeviceID means the
// default device.
type DeviceID string

// DefaultDevice selects the backend's default device.
const DefaultDevice DeviceID = ""

// IsDefault reports whether id selects the default device.
func (id DeviceID) IsDefault() bool { return id == DefaultDevice }

func deviceIDFromMalgo(id malgo.DeviceID) DeviceID { return DeviceID(id.String()) }

// malgo decodes the ID into miniaudio's fixed-size form; trailing bytes that
// String dropped were zero.
func (id DeviceID) malgo() (malgo.DeviceID, error) {
	var out malgo.DeviceID
	b, err := hex.DecodeString(string(id))
	if err != nil || len(b) == 0 || len(b) > len(out) {
		return out, fmt.Errorf("%w: %q", ErrBadDeviceID, string(id))
	}
	copy(out[:], b)
	return out, nil
}

// DeviceInfo describes one device as the backend lists it.
type DeviceInfo struct {
	ID        DeviceID
	Name      string // as the system shows it, e.g. "Built-in Audio Analog Stereo"
	Kind      DeviceKind
	IsDefault bool // the backend's current default of this kind
}

// label is the device's name for messages, never empty.
func (d DeviceInfo) label() string {
	if n := strings.TrimSpace(d.Name); n != "" {
		return n
	}
	if d.IsDefault || d.ID.IsDefault() {
		return "default " + d.Kind.noun()
	}
	return string(d.ID)
}
