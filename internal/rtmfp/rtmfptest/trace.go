package rtmfptest

import (
	"fmt"
	"net/netip"
	"time"
)

// TraceKind says what happened to a datagram in a TraceEvent.
type TraceKind int

// Trace kinds.
const (
	TraceSend    TraceKind = iota // written by a socket
	TraceDeliver                  // queued to the receiving socket
	TraceDrop                     // discarded; see Reason
)

func (k TraceKind) String() string {
	switch k {
	case TraceSend:
		return "send"
	case TraceDeliver:
		return "deliver"
	case TraceDrop:
		return "drop"
	}
	return fmt.Sprintf("TraceKind(%d)", int(k))
}

// TraceEvent reports one step of a datagram to Config.Trace.
type TraceEvent struct {
	Kind   TraceKind
	Time   time.Time  // virtual time of the event
	Where  string     // host, NAT or link name ("a", "nat", "a->b", "a/up")
	Reason DropReason // for TraceDrop
	// Src and Dst are the addresses where the event happened: after a NAT
	// has rewritten them, the translated ones.
	Src, Dst netip.AddrPort
	Payload  []byte // shared: never modify or retain it
}

func (e TraceEvent) String() string {
	s := fmt.Sprintf("%s %s %v->%v %dB at %s", e.Time.Format("15:04:05.000000"), e.Kind, e.Src, e.Dst, len(e.Payload), e.Where)
	if e.Kind == TraceDrop {
		s += " (" + e.Reason.String() + ")"
	}
	return s
}
