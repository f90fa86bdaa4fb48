// Package pipeline joins camchat's media parts into the four paths a call
// runs for every peer: microphone to packets (AudioSender), camera to
// packets (VideoSender), packets to the speaker mix (AudioReceiver and
// Playback) and packets to the screen (VideoReceiver).
//
// It sits between the devices (internal/media/audio, internal/media/video or
// the synthetic sources of internal/media/synth) and the network, and knows
// nothing of RTMFP: senders hand out AudioPacket and VideoPacket values
// through a callback, receivers take them with their arrival time. The call
// (internal/room) carries them in Enhanced-RTMP 'Opus' and 'vp08' messages
// and feeds the receivers' keyframe requests and the network's loss and
// bandwidth estimates back to the senders.
//
// Audio: 10 ms microphone frames (48 kHz mono int16) go through echo
// cancellation and noise suppression (aec) against the far-end reference that
// Playback reports, and are coded as 20 ms Opus frames with in-band FEC
// (RFC 6716 §2.1.7). Each receiver runs a playout.JitterBuffer and decodes,
// recovers a lost frame from the FEC in the next packet, or conceals it; the
// Playback mixes up to four receivers into 10 ms output frames.
//
// Video: I420 frames are coded as VP8 in realtime CBR with up to three
// temporal layers. Every packet carries a DepVector, the count of
// reference-updating frames of each layer sent before it, so a receiver knows
// exactly when a frame it is about to decode depends on one it never got (the
// idea of RFC 7741's TL0PICIDX, extended to every layer). A missing
// dependency, a decode error or a corrupted frame makes the receiver ask for a
// keyframe (rate-limited) and skip what it cannot decode; the sender honours
// requests with a minimum interval between forced keyframes. Decoded frames
// wait in a playout.VideoScheduler until that peer's audio playout clock
// reaches their capture time (lip sync).
//
// Timestamps: both senders of a peer stamp packets with the capture time
// relative to one shared Epoch, corrected for the processing delay in front of
// the encoder (the echo canceller's frame and Opus's look-ahead), so that an
// audio timestamp names the capture time of the first sample the receiver's
// decoder outputs for it, and the audio playout clock and video capture times
// are directly comparable.
//
// Goroutine model: the package starts no goroutines. Time is always a `now`
// or capture-time argument. Each type has a mutex so that the goroutines of a
// call may use it as they naturally do: the capture loop calls
// AudioSender.Process while the playback path calls AudioSender.FarEnd; the
// network side calls Push, RequestKeyframe and the Set* knobs while the audio
// output calls Playback.ReadFrame and the display loop calls
// VideoReceiver.Due. Lock order: VideoReceiver, then AudioReceiver (the video
// side reads the audio clock); Playback, then AudioReceiver; AudioSender's
// far-end queue has a lock of its own, held only to copy a frame, so that
// the speaker's thread never waits for an encode. Packet payloads handed to a Send callback are
// valid only during the call.
package pipeline
