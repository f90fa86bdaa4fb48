package room

import (
	"net/netip"
	"time"

	"camchat/internal/media/playout"
	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
)

// Snapshot is a copy of the room's state for a screen or a report: it
// shares nothing with the room and may be kept.
type Snapshot struct {
	// PeerID is this member's peer ID; Name its display name.
	PeerID flashcrypto.PeerID
	Name   string
	// Invite is an invite string with this member's peer ID and the
	// addresses it can be reached at (for calls without a rendezvous).
	Invite string
	// LocalAddr is the socket's address.
	LocalAddr netip.AddrPort
	// Rendezvous is the state of the connection to the rendezvous server.
	Rendezvous RendezvousState
	// RoomID identifies the call (hex); empty while alone.
	RoomID string
	// MicOn and CameraOn are this member's toggles.
	MicOn, CameraOn bool
	// Devices are the devices in use; CameraName, MicrophoneName and
	// SpeakerName say what they are in words.
	Devices                                 Devices
	CameraName, MicrophoneName, SpeakerName string
	// CameraSynthetic is set while the picture sent is the test pattern.
	CameraSynthetic bool
	// Level is this member's microphone level (after echo cancellation).
	Level playout.Level
	// Members are the other participants, in the order they joined.
	Members []Member
	// AllVerified is set when every pair of people in the call has
	// compared codes and found them equal: each pair involving this member
	// by its own verdicts, the others by what the members report. It is
	// false while alone.
	AllVerified bool
}

// RendezvousState describes the connection to the rendezvous server.
type RendezvousState struct {
	Addr      string // as configured; empty for none
	Connected bool
	// Err says why the last attempt failed, in words ("" when connected
	// or not configured).
	Err string
}

// MemberState is where a remote participant stands.
type MemberState uint8

const (
	// StateConnecting: opening the session or waiting for the room's
	// answer.
	StateConnecting MemberState = iota + 1
	// StateConnected: in the call; media flows.
	StateConnected
	// StateLeft: gone (kept briefly in snapshots so a screen can say so).
	StateLeft
)

func (s MemberState) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateLeft:
		return "left"
	}
	return "unknown"
}

// Member is one other participant as this member sees it.
type Member struct {
	PeerID flashcrypto.PeerID
	Name   string
	State  MemberState
	// Addr is where packets to the member go; Relayed says whether that
	// is a relay rather than the member itself, and Via names the relay.
	Addr    netip.AddrPort
	Relayed bool
	Via     string
	// MicOn and CameraOn are the member's own toggles, as it reports them.
	MicOn, CameraOn bool
	// CameraSynthetic: the member sends the test pattern (no camera).
	CameraSynthetic bool
	// JoinedAt is when the member entered the call (on our clock).
	JoinedAt time.Time

	// Network, from the session to the member.
	RTT, SmoothedRTT, BaseRTT time.Duration
	Loss                      float64 // fraction of our packets lost on the way (0..1)
	SendBitrate, RecvBitrate  int     // bits per second, everything on the session
	// TargetBitrate is the video bitrate the encoder aims for; the member
	// gets VideoLayersSent of its temporal layers.
	TargetBitrate   int
	VideoLayersSent int

	// Audio from the member.
	AudioDelay     time.Duration // jitter-buffer delay now
	JitterTarget   time.Duration // where the jitter buffer steers it
	AudioPlayed    uint64        // 20 ms frames decoded normally
	AudioFEC       uint64        // frames rebuilt from forward error correction
	AudioConcealed uint64        // frames concealed (lost, late, or stretched to grow the buffer)
	AudioLost      uint64        // packets that never came
	AudioLate      uint64        // packets that came after their turn to play
	AudioDropped   uint64        // packets dropped to bring the delay down
	Level          playout.Level // speech level, for the speaking highlight

	// Video from the member.
	VideoFPS   float64 // frames shown per second, over the last second
	VideoShown uint64
	// VideoLayer is the highest temporal layer received recently (-1: none).
	VideoLayer int

	Verification Verification
}

// Verification is what a person needs to check that nobody sits between
// them and a member: the short code both read aloud, the nonces behind it,
// and the verdict.
type Verification struct {
	// Code is the short authentication code as words (RFC 7425 nonces,
	// 66 bits); the member sees the same words.
	Code []string
	// NearNonce and FarNonce are this end's and the member's session
	// nonces (Flash's NetConnection.nearNonce and farNonce).
	NearNonce, FarNonce [32]byte
	// Status is what the trust store says about this peer: the state
	// (verified, codes differ, identity changed, …), the stored verdict,
	// and Status.Message for the words to show.
	Status identity.Status
}

// Snapshot returns a copy of the room's state.
func (r *Room) Snapshot() Snapshot {
	ms := r.media.state()
	r.mu.Lock()
	s := Snapshot{
		PeerID:          r.ep.PeerID(),
		Name:            r.name,
		LocalAddr:       r.ep.LocalAddr(),
		Rendezvous:      r.rv,
		MicOn:           ms.micOn,
		CameraOn:        ms.camOn,
		Devices:         ms.devices,
		CameraName:      ms.names[0],
		MicrophoneName:  ms.names[1],
		SpeakerName:     ms.names[2],
		CameraSynthetic: ms.camSynth,
		Level:           ms.level,
	}
	if len(r.liveMembers()) > 0 {
		s.RoomID = r.room.String()
	}
	type live struct {
		i  int
		pm *peerMedia
	}
	var media []live
	for _, m := range r.order {
		x := Member{
			PeerID: m.id, Name: m.name, State: m.state,
			MicOn: m.mic, CameraOn: m.cam, CameraSynthetic: m.syn,
			JoinedAt:      m.joinedAt,
			Loss:          m.ctl.loss,
			SendBitrate:   m.ctl.sendBps,
			RecvBitrate:   m.ctl.recvBps,
			TargetBitrate: r.ctl.bitrate,
			VideoFPS:      m.ctl.fps,
			VideoLayer:    -1,
			Verification:  verificationOf(m),
		}
		x.VideoLayersSent = m.ctl.layers
		if m.sess != nil {
			x.Addr = m.sess.FarAddr()
			x.Relayed, x.Via = r.pathOf(m)
			st := m.sess.Stats()
			x.RTT, x.SmoothedRTT, x.BaseRTT = st.LatestRTT, st.SRTT, st.BaseRTT
		}
		if m.pm != nil {
			media = append(media, live{len(s.Members), m.pm})
		}
		s.Members = append(s.Members, x)
	}
	s.AllVerified = r.allVerified()
	r.mu.Unlock()
	levels := r.media.pb.Levels()
	for _, l := range media {
		x := &s.Members[l.i]
		as := l.pm.ar.Stats()
		x.AudioDelay, x.JitterTarget = as.Jitter.CurrentDelay, as.Jitter.TargetDelay
		x.AudioPlayed, x.AudioFEC, x.AudioConcealed, x.AudioLost = as.Decoded, as.FEC, as.Concealed, as.Jitter.Lost
		x.AudioLate, x.AudioDropped = as.Jitter.Late, as.Jitter.DroppedCatchUp
		x.Level = levels[l.pm.slot]
		l.pm.mu.Lock()
		x.VideoShown, x.VideoLayer = l.pm.shown, l.pm.maxLayer
		l.pm.mu.Unlock()
	}
	s.Invite = r.invite()
	return s
}

// invite is this member's invite: its peer ID, the addresses it listens
// on, and the rendezvous server if any.
func (r *Room) invite() string {
	addrs := r.listenAddrs()
	s, err := identity.FormatInvite(r.ep.PeerID(), addrs, r.rendezvousServer(true))
	if err != nil {
		return r.ep.PeerID().String()
	}
	return s
}
