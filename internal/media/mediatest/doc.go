// Package mediatest holds test helpers shared by the media packages.
//
// PulseServer starts a private PulseAudio daemon for one test: its own
// runtime directory, a native-protocol socket with anonymous access and no
// autospawn, null sinks loaded on demand, and PULSE_SERVER pointed at it for
// the rest of the test. Tests that need it skip only when the pulseaudio
// binary is absent.
//
// An idle null sink renders two seconds ahead and ignores new latency
// requests until that block runs out, so a fresh stream would wait up to two
// seconds for its first sample. Two measures remove that gap: every null
// sink gets a keeper (a 10 ms monitor reader) for its lifetime, and
// MonitorReader, which records a monitor source for a test through parec
// with a 10 ms latency request, restarts (suspends and resumes) a sink that
// has no keeper once its stream is connected. Tone, Goertzel and ToneBlocks
// generate test tones and judge recordings of them block by block.
//
// Goroutine model: a PulseServer owns one daemon process, waited for by one
// goroutine; a MonitorReader owns one parec process and one goroutine that
// copies its output. Both are stopped by t.Cleanup, which waits for them.
package mediatest
