package room

import (
	"fmt"
	"image"
	"log/slog"
	"net"
	"time"

	"camchat/internal/media/audio"
	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
)

// MaxMembers is the most people in one call, this member included.
const MaxMembers = 5

// MaxNameBytes bounds a display name; longer names are cut (at a rune
// boundary) rather than refused.
const MaxNameBytes = 64

// MaxChatBytes bounds one chat message.
const MaxChatBytes = 4096

// Synthetic names the synthetic source in Devices: the moving test pattern
// for the camera, a tone with a click every 500 ms for the microphone, and
// for the speaker a sink with no sound card that plays the mix on a 10 ms
// clock (the headless participant's ear).
const Synthetic = "synthetic"

// Devices chooses the camera, microphone and speaker.
type Devices struct {
	// Camera is a V4L2 device path ("/dev/video0"), "" for the first
	// camera found (the test pattern when there is none), or Synthetic.
	Camera string
	// Microphone and Speaker are device IDs from Config.Audio's lists
	// (audio.DeviceID), "" for the default device, or Synthetic. Without
	// an audio context both are synthetic.
	Microphone, Speaker string
}

// VideoConfig sets the picture sent to others.
type VideoConfig struct {
	// Width and Height of the encoded picture (default 320x240: five
	// people must fit in about 1 Mbit/s of uplink).
	Width, Height int
	// FPS is the capture and encoding rate (default 15).
	FPS int
	// MaxBitrate caps the video bitrate sent to one peer in bits per
	// second (default 400 kbit/s).
	MaxBitrate int
}

// Config sets up a Room. Identity is required; every other zero value
// selects a default.
type Config struct {
	// Identity is this member's static key and certificate: its peer ID.
	Identity *flashcrypto.Identity
	// Name is the display name others see (cut to MaxNameBytes).
	Name string
	// Rendezvous is the "host:port" of a camchat (or Cirrus-compatible)
	// rendezvous server through which peers find each other by peer ID;
	// empty for none (peers then join with invites).
	Rendezvous string
	// Listen is the local UDP address ("" means all interfaces, a port
	// chosen by the system). Ignored when Conn is set.
	Listen string
	// Conn, if set, is the socket to use; the room owns it from then on.
	Conn net.PacketConn
	// Relay chooses the TURN relay for members no direct path reaches
	// (relay.go); by default the rendezvous server's, if it offers one.
	Relay RelayConfig
	// Audio is the sound system the microphone and speaker are opened
	// from; nil makes both synthetic. The room does not close it.
	Audio *audio.Context
	// Devices are the initial devices.
	Devices Devices
	// MicOff and CameraOff start the call muted or without video.
	MicOff, CameraOff bool
	// Video sets the picture sent.
	Video VideoConfig
	// Trust remembers verification verdicts across calls; nil keeps them
	// for this Room only (identity.MemoryTrust).
	Trust *identity.Trust
	// OnFrame receives every picture to show: each remote member's video
	// when it is due (lip-synced to its audio) and the local preview. It
	// runs on the room's display goroutine, never on the network's, and
	// must not keep the image after it returns (copy or convert it).
	OnFrame func(VideoFrame)
	// OnPlayout, if set, receives each remote member's audio as it is
	// played, 10 ms at a time, before mixing (on the speaker's thread:
	// it must return at once). The headless participant measures delay
	// from it.
	OnPlayout func(peer flashcrypto.PeerID, frame []int16, at time.Time)
	// Now is the clock (default time.Now; virtual under testing/synctest).
	Now func() time.Time
	// Logger receives diagnostics (default: discarded).
	Logger *slog.Logger
}

// VideoFrame is one picture for the screen.
type VideoFrame struct {
	// Peer is whose picture it is: a remote member, or this member for
	// the local preview.
	Peer flashcrypto.PeerID
	// Image is I420; valid only during OnFrame.
	Image *image.YCbCr
	// Timestamp is the capture time on the sender's media clock.
	Timestamp time.Duration
	// Local is set for the local preview.
	Local bool
	// Synthetic is set when the picture is the test pattern (the sender
	// has no camera), so that a tile can say so.
	Synthetic bool
}

func (c Config) withDefaults() (Config, error) {
	if c.Identity == nil {
		return c, fmt.Errorf("%w: no identity", ErrConfig)
	}
	if !c.Identity.IsStatic() {
		return c, fmt.Errorf("%w: the identity must have a static key (peer IDs are bound to it)", ErrConfig)
	}
	c.Name = cutName(c.Name)
	if c.Video.Width == 0 && c.Video.Height == 0 {
		c.Video.Width, c.Video.Height = 320, 240
	}
	if c.Video.Width <= 0 || c.Video.Height <= 0 || c.Video.Width%2 != 0 || c.Video.Height%2 != 0 {
		return c, fmt.Errorf("%w: video size %dx%d (even, positive)", ErrConfig, c.Video.Width, c.Video.Height)
	}
	if c.Video.FPS == 0 {
		c.Video.FPS = 15
	}
	if c.Video.FPS < 1 || c.Video.FPS > 60 {
		return c, fmt.Errorf("%w: %d frames per second (1..60)", ErrConfig, c.Video.FPS)
	}
	if c.Video.MaxBitrate == 0 {
		c.Video.MaxBitrate = 400_000
	}
	if c.Audio == nil {
		c.Devices.Microphone, c.Devices.Speaker = Synthetic, Synthetic
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Trust == nil {
		c.Trust = identity.MemoryTrust()
	}
	return c, nil
}

// cutName trims a display name to MaxNameBytes at a rune boundary and
// removes control characters.
func cutName(s string) string {
	b := make([]rune, 0, len(s))
	n := 0
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			continue
		}
		l := len(string(r))
		if n+l > MaxNameBytes {
			break
		}
		n += l
		b = append(b, r)
	}
	return string(b)
}
