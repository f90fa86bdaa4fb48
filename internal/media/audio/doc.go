// Package audio opens microphones and speakers through miniaudio (malgo) in
// the one format camchat uses: 48 kHz, mono, signed 16-bit, in 10 ms frames
// of 480 samples (20 ms Opus packets are two of them).
//
// A Context picks the backend: ModeAuto lets miniaudio try PulseAudio, ALSA
// and the others in its order; ModeNull opens miniaudio's null backend, a
// clock with no sound card, for tests and for machines without audio. The
// Context reads back the backend miniaudio actually chose (Context.Backend),
// because malgo v0.11.24's BackendNull constant names the custom backend, not
// the null one (see backend.go).
//
// Capture delivers each 10 ms frame as a *Frame from a fixed pool on a
// bounded channel; the consumer hands it back with Release. Playback asks a
// Source for one frame each 10 ms and plays silence when none is ready.
// Neither ever blocks the audio thread: a capture frame with no free buffer
// or no room in the channel is dropped and counted, a playback frame that is
// not ready is an underrun and counted.
//
// A device that disappears (unplugged, its PulseAudio sink unloaded, the
// backend stopping it, or its callbacks simply ceasing) is replaced by the
// default device, and an Event says so in words a user can read:
// "Microphone USB Headset was disconnected: switched to the default
// microphone".
//
// How a loss is noticed depends on the backend. miniaudio's stop
// notification covers backends that stop a device on error. PulseAudio
// moves the stream of a removed sink or source to the default one (the
// device list no longer shows the chosen ID) or, with nowhere to go, kills
// it, after which miniaudio simply stops calling back (the stall check).
// Closing such a device needs ma_device_stop before ma_device_uninit, or
// the join of the PulseAudio worker thread never returns (endpoint.go).
//
// Goroutine model: miniaudio runs one audio thread per open device and calls
// the data callback on it; that callback only copies samples, touches
// channels without blocking and updates atomics. Each Capture and Playback
// has one watcher goroutine that owns the open device: it reacts to the stop
// notification, checks every tick that callbacks still arrive and, for a
// device chosen by ID, that the device is still listed, and reopens the
// default device when one of these fails. Close stops the watcher and waits
// for it; the watcher closes the device, which waits for the audio thread.
// Every call into miniaudio that may touch the context (listing, opening,
// starting, closing) holds the Context's lock: the PulseAudio backend runs
// one pa_mainloop per context, and two threads in it abort the process.
package audio
