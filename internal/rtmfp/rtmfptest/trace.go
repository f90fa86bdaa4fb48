package rtmfptest

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
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

// Recorder collects trace events; pass its Record method as Config.Trace.
// Events are recorded from timer callbacks, so read them with Events, which
// synchronizes, rather than sharing a slice with the callback.
type Recorder struct {
	mu     sync.Mutex
	events []TraceEvent // guarded by mu
}

// Record appends e, with a private copy of its payload.
func (r *Recorder) Record(e TraceEvent) {
	e.Payload = slices.Clone(e.Payload)
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events returns a copy of the events recorded so far, in order.
func (r *Recorder) Events() []TraceEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}
