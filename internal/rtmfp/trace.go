package rtmfp

import (
	"time"

	"camchat/internal/rtmfp/cc"
)

// TraceKind says what a TraceEvent reports.
type TraceKind uint8

// Trace events, in the spirit of qlog (draft-ietf-quic-qlog-main-schema):
// what the transport did and why, for a session at a time.
const (
	// TracePacketSent: a session packet left. Bytes is the datagram,
	// Data the user data in it, TimeCritical its TC flag, Count the
	// fragments it carried that were sent before (retransmissions).
	TracePacketSent TraceKind = iota
	// TraceAcked: a received packet's acknowledgements. Bytes were
	// acknowledged, Lost declared lost by the NAK rule (Count
	// transmissions), Abandoned messages given up meanwhile; CWND,
	// PacingRate and Outstanding are the state after it.
	TraceAcked
	// TraceTimeout: a retransmission timeout; Count transmissions
	// declared lost.
	TraceTimeout
	// TraceRTT: an RTT sample (RTT), with SRTT and BaseRTT after it.
	TraceRTT
	// TraceState: the session changed state (State).
	TraceState
)

func (k TraceKind) String() string {
	switch k {
	case TracePacketSent:
		return "packet_sent"
	case TraceAcked:
		return "acked"
	case TraceTimeout:
		return "timeout"
	case TraceRTT:
		return "rtt"
	case TraceState:
		return "state"
	}
	return "unknown"
}

// TraceEvent is one event of Config.Tracer. Fields not named for its kind
// are zero.
type TraceEvent struct {
	Time    time.Time
	Kind    TraceKind
	Session *Session

	Bytes, Data  int
	Count        int
	Lost         int // bytes
	Abandoned    int // messages
	TimeCritical bool

	CWND, Outstanding cc.ByteCount
	PacingRate        float64 // bytes per second; 0 outside real-time mode
	RTT, SRTT         time.Duration
	BaseRTT           time.Duration
	State             string
}

// trace hands ev to the tracer, if any; callers build ev only when
// tracing (e.tracer != nil), so an endpoint without one pays a nil check.
func (e *engine) trace(ev TraceEvent) { e.cfg.Tracer(ev) }

// traceState reports a state change.
func (s *Session) traceState(now time.Time) {
	if s.e.cfg.Tracer == nil {
		return
	}
	names := [...]string{"ihello_sent", "keying_sent", "open", "near_close", "far_close_linger", "closed"}
	s.e.trace(TraceEvent{Time: now, Kind: TraceState, Session: s, State: names[s.state]})
}
