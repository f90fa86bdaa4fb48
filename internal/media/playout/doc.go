// Package playout turns received audio and video into what the speaker and
// the screen should present, and when.
//
// It knows nothing of RTMFP or of codecs. It sees audio packets as sequence
// numbers, capture timestamps on the sender's media clock and opaque
// payloads, and decoded audio as 48 kHz mono int16 PCM in frames of 20 ms
// (960 samples) or 10 ms (480 samples).
//
// Three parts:
//
//   - JitterBuffer (jitterbuffer.go) absorbs network jitter for one remote
//     audio stream. Packets go in with their arrival time; the audio device
//     pulls one frame per playout tick and gets an instruction: decode a
//     packet, decode the in-band FEC carried by the next packet, conceal a
//     loss, or play quiet. The buffer keeps its delay near the 95th
//     percentile of recent relative arrival delay, and moves toward that
//     target by dropping or inserting frames where the sender marked the
//     audio as quiet.
//   - Mixer (mixer.go) sums up to four decoded remote streams with per-peer
//     volume and mute, a soft limiter instead of integer wraparound, and a
//     per-peer speech level with a hysteresis "speaking" flag for the GUI.
//   - VideoScheduler (lipsync.go) holds decoded video frames until the audio
//     playout clock reaches their capture timestamp, so that picture and
//     sound stay within ±80 ms of each other; frames that can no longer make
//     it are dropped and counted.
//
// Standards: sequence numbers compare by serial number arithmetic
// (RFC 1982, as RTP does with RFC 3550 §A.1); ActionFEC asks the decoder
// for the low-bit-rate redundancy that Opus carries for the previous frame
// (RFC 6716 §2.1.7, §4.2.5). The transport below (RTMFP, RFC 7016 §6)
// delivers audio in time-critical flows that the sender abandons after
// about 300 ms, so the receiver must expect both loss and late arrival.
//
// Goroutine model: none. Every type here is a plain state machine owned by
// one goroutine at a time (the audio callback or the media loop); none of
// them is safe for concurrent use and none starts goroutines. Time is always
// passed in as a `now` argument, so the same code runs on the real clock, in
// testing/synctest bubbles and in benchmarks.
//
// Steady-state operation allocates nothing: payloads are copied into a ring
// of fixed buffers allocated once, and the delay statistics live in
// preallocated arrays.
package playout
