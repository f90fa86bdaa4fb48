// Package room is the call itself, free of any GUI: the roster, full-mesh
// joins and introductions, per-peer streams, chat, verification state and
// bitrate decisions. The Fyne front end and the headless participant mode
// drive the same API, so everything the GUI shows is testable without a
// display.
package room
