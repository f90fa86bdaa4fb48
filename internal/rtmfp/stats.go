package rtmfp

import (
	"fmt"
	"strings"
	"time"

	"camchat/internal/rtmfp/cc"
)

// DropReason says why the endpoint discarded a received datagram or chunk.
// Every drop is counted (design: nothing unauthenticated is answered with
// work an attacker can multiply, and nothing is dropped silently).
type DropReason int

const (
	DropTooShort       DropReason = iota // shorter than a session ID and one cipher block
	DropTooLong                          // longer than 8192 bytes (rtmfp-cpp DECRYPT_BUF_LENGTH)
	DropBadLength                        // ciphertext not a positive multiple of 16
	DropUnknownSession                   // no session has this session ID
	DropDecrypt                          // HMAC mismatch (or undecryptable)
	DropReplay                           // session sequence number replayed or too old
	DropChecksum                         // Internet checksum mismatch
	DropBadMode                          // packet mode forbidden or wrong for the session
	DropMalformed                        // header or chunk malformed
	DropRateLimited                      // answer suppressed by a rate limit
	DropQueueFull                        // DH queue full
	DropBadCookie                        // IIKeying with an invalid or expired cookie
	DropHandshake                        // handshake chunk that matches nothing, or keying failed
	DropEarlyOverflow                    // undecryptable early packet beyond the 18 kept
	DropAmplification                    // answer would exceed 3× the unauthenticated request
	DropBadAddress                       // FIHello reply address or Redirect candidate we must not send to
	DropTooManyFlows                     // new receive flow beyond the session's MaxRecvFlows
	DropRecvMemory                       // fragment or new flow beyond a receive memory budget
	DropSessionLimit                     // IIKeying beyond a session cap (Config.Admission)
	DropKeyingBudget                     // IIKeying beyond its prefix's key agreement budget
	DropCookieUsed                       // IIKeying with a cookie that already had its key agreement
	NumDropReasons
)

var dropNames = [NumDropReasons]string{
	"too short", "too long", "bad length", "unknown session", "decrypt/HMAC",
	"replay", "checksum", "bad mode", "malformed", "rate limited",
	"queue full", "bad cookie", "handshake", "early overflow", "amplification",
	"bad address", "too many flows", "receive memory", "session limit",
	"keying budget", "cookie used",
}

func (r DropReason) String() string {
	if r >= 0 && r < NumDropReasons {
		return dropNames[r]
	}
	return fmt.Sprintf("DropReason(%d)", int(r))
}

// EndpointStats are the endpoint's counters.
type EndpointStats struct {
	PacketsReceived uint64
	PacketsSent     uint64
	BytesReceived   uint64
	BytesSent       uint64
	Dropped         [NumDropReasons]uint64

	HandshakesInitiated uint64 // Connect attempts that reached IHello
	HandshakesCompleted uint64 // sessions opened as initiator
	HandshakesAccepted  uint64 // sessions opened as responder
	CookieChanges       uint64 // RHello Cookie Change sent
	RIKeyingRetransmits uint64
	Redirects           uint64 // Redirects received and applied
	OverAnswers         uint64 // answers beyond 3× sent from Config.OverAnswerRate
	Sessions            int    // sessions currently known (any state)

	// RecvMemory is what the receive flows of all sessions hold now
	// (Config.EndpointRecvMemory bounds it), RecvMemoryPeak the most they
	// ever held, and RecvMemoryCloses counts the sessions closed for
	// going over a receive memory budget (ErrRecvMemory).
	RecvMemory       int
	RecvMemoryPeak   int
	RecvMemoryCloses uint64
}

// TotalDropped sums the drops over all reasons.
func (s EndpointStats) TotalDropped() uint64 {
	var t uint64
	for _, d := range s.Dropped {
		t += d
	}
	return t
}

func (s EndpointStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rx %d pkts %d B, tx %d pkts %d B", s.PacketsReceived, s.BytesReceived, s.PacketsSent, s.BytesSent)
	for r, d := range s.Dropped {
		if d > 0 {
			fmt.Fprintf(&b, ", drop %s %d", DropReason(r), d)
		}
	}
	return b.String()
}

// SessionStats are one session's figures. Reading them costs a few sums
// and allocates nothing, so a stats view or a bitrate controller may poll
// them often.
type SessionStats struct {
	LatestRTT    time.Duration // the most recent RTT sample; 0 before the first
	SRTT, RTTVar time.Duration // smoothed RTT and its variation (RFC 7016 §3.5.2.2)
	BaseRTT      time.Duration // the least RTT over about three minutes; 0 when unknown
	CWND         cc.ByteCount  // congestion window
	Outstanding  cc.ByteCount  // bytes in flight (chunk bytes)
	// SendQueue is the message bytes written to the session's send flows
	// and not yet sent once: what waits for the congestion window, a
	// receiver's window or pacing.
	SendQueue int
	// PacingRate is the rate the session paces its data to, in user data
	// bytes per second, while it sends time-critical data with
	// delay-based detection on (cc's real-time mode); 0 otherwise.
	PacingRate float64

	// Over the last StatsWindow (see there): Loss is the fraction of the
	// data chunks sent (first sends and retransmissions) that were
	// declared lost in the window, by three NAKs or a retransmission
	// timeout (0 when nothing was sent); SendRate and RecvRate are the
	// bytes per second of the session's datagrams (UDP payload) sent and
	// received (authenticated ones only).
	Loss               float64
	SendRate, RecvRate float64

	PacketsSent, PacketsReceived uint64
	// LastReceived is when the last authenticated packet came from the
	// far end (the engine's clock; zero before the first): a call that
	// hears nothing from a member sending media knows its path broke.
	LastReceived             time.Time
	BytesSent, BytesReceived uint64 // UDP payload bytes
	DataBytesSent            uint64 // user data in fragments, retransmissions included
	Retransmits              uint64 // fragments sent again
	Abandoned                uint64 // messages abandoned by send flows
	LossCuts, DelayCuts      uint64
	Timeouts                 uint64
	Dropped                  [NumDropReasons]uint64
	// RecvMemory is what the session's receive flows hold now
	// (Config.SessionRecvMemory bounds it), RecvMemoryPeak the most they
	// held.
	RecvMemory, RecvMemoryPeak int
}
