package rendezvous

// DropReason says why the server discarded a datagram, an answer or an
// introduction request. Every drop is counted (Stats.Dropped).
type DropReason int

const (
	DropRateGlobal         DropReason = iota // startup packet over the global handshake rate
	DropRateSource                           // startup packet over its source IP's handshake rate
	DropSessionsGlobal                       // startup packet while the server is at MaxSessions
	DropSessionsSource                       // startup packet from a source IP at MaxSessionsPerIP
	DropSourcesFull                          // startup packet from a new source while the source table is full
	DropAmplification                        // answer to an unverified address over 3× what it sent
	DropUnknownTarget                        // IHello for a fingerprint no connected client has
	DropTargetNotReady                       // IHello for a client that has not done connect and setPeerInfo
	DropNoFingerprint                        // unmatched IHello without a fingerprint (or unparsable EPD)
	DropForwarded                            // FIHello forwarded to the server by a client: not introduced
	DropNotTC                                // first flow of a session is not a TC stream-0 flow
	DropBadCommand                           // malformed or unexpected command on the control flow
	DropStreamFlow                           // NetStream flow refused (no media is relayed)
	DropConnectTimeout                       // session closed for not completing connect in time
	DropIntroRate                            // IHello for a target over its introduction rate
	DropEphemeralPeer                        // setPeerInfo from a client with an ephemeral certificate
	DropPeerAddr                             // setPeerInfo address that no initiator should be sent to
	DropBadStartup                           // startup packet that is no IHello or IIKeying for us, or has a bad cookie
	DropUnanswerable                         // IHello whose answer would exceed 3× what its address sent
	DropRateKeying                           // IIKeying with a valid cookie over its source IP's keying rate
	DropIntroAmplification                   // introduction whose target's RHello would exceed 3× what the initiator sent
	NumDropReasons
)

var dropNames = [NumDropReasons]string{
	"rate_global", "rate_source", "sessions_global", "sessions_source",
	"sources_full", "amplification", "unknown_target", "target_not_ready",
	"no_fingerprint", "forwarded", "not_tc", "bad_command", "stream_flow",
	"connect_timeout", "intro_rate", "ephemeral_peer", "peer_addr",
	"bad_startup", "unanswerable", "rate_keying", "intro_amplification",
}

// String is the reason's name as used in logs and metrics labels.
func (r DropReason) String() string {
	if r < 0 || r >= NumDropReasons {
		return "unknown"
	}
	return dropNames[r]
}

// Stats are the server's figures.
type Stats struct {
	Peers     int // sessions with a NetConnection (connect succeeded)
	Sessions  int // sessions accepted and not yet ended
	Reachable int // peers that did connect and setPeerInfo: introducible

	Accepted       uint64 // sessions accepted (handshakes completed)
	Connects       uint64 // connect commands answered with success
	Rejects        uint64 // connect commands rejected (allow-list)
	PeerInfos      uint64 // setPeerInfo commands
	Streams        uint64 // createStream answered
	Introductions  uint64 // Redirect (and FIHello) sent for an IHello
	Removed        uint64 // peers removed (session closed or timed out)
	HandshakeBytes uint64 // bytes of startup packets received
	Dropped        [NumDropReasons]uint64

	// With a Directory: introductions of peers another server holds
	// (counted in Introductions too), and FIHellos sent to peers held
	// here for introductions other servers began.
	RemoteIntroductions uint64
	Forwarded           uint64
}

// TotalDropped sums Dropped.
func (s Stats) TotalDropped() uint64 {
	var n uint64
	for _, d := range s.Dropped {
		n += d
	}
	return n
}
