package wire

import (
	"encoding/binary"
	"fmt"
)

// Packet header flag bits (RFC 7016 §2.2.4; rtmfp-cpp packet.hpp).
const (
	flagTC      = 0x80 // time critical
	flagTCR     = 0x40 // time critical reverse
	flagTS      = 0x08 // timestamp present
	flagTSE     = 0x04 // timestamp echo present
	flagModMask = 0x03
)

// MaxHeaderLength is the longest packet header: flags and both timestamps.
const MaxHeaderLength = 5

// Mode is the packet mode, the low 2 bits of the header flags.
type Mode uint8

// Packet modes. Mode 0 is forbidden.
const (
	ModeInitiator Mode = 1 // sent by the session's initiator
	ModeResponder Mode = 2 // sent by the session's responder
	ModeStartup   Mode = 3 // session startup (handshake) packets
)

func (m Mode) String() string {
	switch m {
	case ModeInitiator:
		return "initiator"
	case ModeResponder:
		return "responder"
	case ModeStartup:
		return "startup"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// PacketHeader is the start of a decrypted packet, after any crypto-profile
// prefix (RFC 7016 §2.2.4):
//
//	 0 1 2 3 4 5 6 7
//	+-+-+-+-+-+-+-+-+
//	|T|T| r |T|T| M |
//	|C|C| s |S|S| O |
//	| |R| v | |E| D |
//	+-+-+-+-+-+-+-+-+
//	+-------------------------------+
//	|  timestamp (u16) if TS        |
//	+-------------------------------+
//	|  timestamp echo (u16) if TSE  |
//	+-------------------------------+
//	|  chunks ... padding           |
//
// Reserved bits are ignored on parse and sent as 0.
type PacketHeader struct {
	TimeCritical        bool // TC: this packet carries time-critical data
	TimeCriticalReverse bool // TCR: time-critical data arrived recently on another session
	Mode                Mode

	HasTimestamp bool
	Timestamp    Timestamp // sender's clock, when HasTimestamp

	HasTimestampEcho bool
	TimestampEcho    Timestamp // echo of the peer's clock, when HasTimestampEcho
}

// Length returns the encoded header length (1, 3 or 5).
func (h PacketHeader) Length() int {
	n := 1
	if h.HasTimestamp {
		n += 2
	}
	if h.HasTimestampEcho {
		n += 2
	}
	return n
}

// Append appends the header. It does not check the mode.
func (h PacketHeader) Append(b []byte) []byte {
	flags := byte(h.Mode) & flagModMask
	if h.TimeCritical {
		flags |= flagTC
	}
	if h.TimeCriticalReverse {
		flags |= flagTCR
	}
	if h.HasTimestamp {
		flags |= flagTS
	}
	if h.HasTimestampEcho {
		flags |= flagTSE
	}
	b = append(b, flags)
	if h.HasTimestamp {
		b = binary.BigEndian.AppendUint16(b, uint16(h.Timestamp))
	}
	if h.HasTimestampEcho {
		b = binary.BigEndian.AppendUint16(b, uint16(h.TimestampEcho))
	}
	return b
}

// ParsePacketHeader decodes the header at the start of a decrypted packet
// and returns the number of bytes used; the chunks follow. Mode 0 is
// ErrForbiddenMode. Whether the mode suits the session (startup packets
// must use ModeStartup, a session drops its own role's mode) is for the
// caller to decide.
func ParsePacketHeader(b []byte) (PacketHeader, int, error) {
	if len(b) < 1 {
		return PacketHeader{}, 0, fmt.Errorf("packet flags: %w", ErrTruncated)
	}
	f := b[0]
	h := PacketHeader{
		TimeCritical:        f&flagTC != 0,
		TimeCriticalReverse: f&flagTCR != 0,
		Mode:                Mode(f & flagModMask),
		HasTimestamp:        f&flagTS != 0,
		HasTimestampEcho:    f&flagTSE != 0,
	}
	if h.Mode == 0 {
		return PacketHeader{}, 0, ErrForbiddenMode
	}
	n := 1
	if h.HasTimestamp {
		if len(b) < n+2 {
			return PacketHeader{}, 0, fmt.Errorf("timestamp: %w", ErrTruncated)
		}
		h.Timestamp = Timestamp(binary.BigEndian.Uint16(b[n:]))
		n += 2
	}
	if h.HasTimestampEcho {
		if len(b) < n+2 {
			return PacketHeader{}, 0, fmt.Errorf("timestamp echo: %w", ErrTruncated)
		}
		h.TimestampEcho = Timestamp(binary.BigEndian.Uint16(b[n:]))
		n += 2
	}
	return h, n, nil
}
