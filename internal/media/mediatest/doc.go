// Package mediatest holds test helpers shared by the media packages.
//
// PulseServer starts a private PulseAudio daemon for one test: its own
// runtime directory, a native-protocol socket with anonymous access and no
// autospawn, null sinks loaded on demand, and PULSE_SERVER pointed at it for
// the rest of the test. MonitorReader records what a null sink plays through
// its monitor source with a small latency request, so that a test does not
// wait through PulseAudio's default of about two seconds of buffering before
// the first sample arrives. Tone and Goertzel generate and detect test
// tones.
//
// Goroutine model: a PulseServer owns one daemon process, waited for by one
// goroutine; a MonitorReader owns one parec process and one goroutine that
// copies its output. Both are stopped by t.Cleanup, which waits for them.
package mediatest
