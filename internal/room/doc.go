// Package room is the call itself, free of any GUI: the roster, full-mesh
// joins and introductions, per-peer streams, chat, verification state and
// bitrate decisions. The Fyne front end and the headless participant drive
// the same API (New, Join, Leave, SetMic, SetCamera, SetDevices, SendChat,
// SetVerdict, Snapshot, Events), so everything the GUI shows is testable
// without a display.
//
// # How a call works
//
// Each member has one rtmfp.Endpoint (its identity's static key: its peer
// ID), publishes one stream with a tc.Publisher and plays every other
// member's with tc.PlayPeer, the Flash direct-connection model of RFC 7425
// §5.4. The call protocol (protocol.go) rides on those streams as data
// messages and commands; admission happens in the publisher's Accept hook
// before any media flows (member.go). Whoever you reach sends its roster;
// you open sessions to everyone in it, introduced by that member through
// its session (RFC 7016 §3.5.1.4–§3.5.1.6) or by a rendezvous server
// (rendezvous.go). Paths that hole punching cannot open go through a TURN
// relay (relay.go) or another member (forward.go); nat.go watches for
// silent members and re-punches when a NAT changes its mapping.
//
// The media engine (media.go) runs the devices and the pipelines; the tick
// (control.go) turns session statistics and receiver reports into each
// member's video layers and the encoder's bitrate; verification (verify.go)
// derives the short code from the session nonces and keeps verdicts in an
// identity.Trust.
//
// # Goroutines and locks
//
// The endpoint's and the publisher's goroutines (packages rtmfp and tc);
// one accepting sessions; one per member reading its stream and one
// sending its data messages in order (outbox.go); one per connection
// attempt; the rendezvous connection; the 500 ms tick; the media engine's
// microphone, camera, speaker and display goroutines. Room.mu guards the
// roster and everything a snapshot reads; it is never held across a
// network call or a Diffie-Hellman computation. Lock order: Room.mu, then
// the relay's and the engine's locks. Close stops everything and waits.
package room
