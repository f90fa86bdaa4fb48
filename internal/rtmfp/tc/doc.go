// Package tc holds the codecs of camchat's Flash communication layer, the
// "TC" (Tin-Can) application profile of RTMFP (RFC 7425 §5): everything that
// the NetConnection and NetStream objects put on, or read from, an RTMFP flow.
//
//   - AMF0 (Adobe's Action Message Format, version 0): a Go-shaped value model
//     (Value), append-style encoders and a bounded Decoder (amf0_*.go).
//   - TC flow metadata, 'T' 'C' flags [stream ID] (RFC 7425 §5.1.1), carried
//     by the transport in the flow's metadata option (RFC 7016 §2.3.11.1.1).
//   - TC message framing, type | timestamp | payload (RFC 7425 §5.1.2), and the
//     payload formats: commands and data (AMF0, plain and "-ex" forms), shared
//     object headers, user control events including flow synchronisation
//     (RFC 7425 §5.2) and Set Keepalive (RFC 7425 §5.3.4), and the receive
//     side's flow sync barriers (SyncBarriers).
//   - Media framing: Enhanced-RTMP FourCC headers for 'Opus' audio and 'vp08'
//     video, and the legacy FLV/RTMP audio and video tags (AAC, Speex,
//     Nellymoser, AVC, VP6, …) parsed into one description (audio.go,
//     video.go), and the Opus identification header of an Opus sequence
//     start (RFC 7845 §5.1).
//   - Status info objects (onStatus, _result, _error) and the commands that
//     NetConnection and NetStream exchange: connect, setPeerInfo,
//     createStream, deleteStream, publish, play, closeStream, pause,
//     receiveAudio/receiveVideo, |RtmpSampleAccess and NetStream.send data.
//
// # Timestamps
//
// A TC message carries a 32-bit millisecond timestamp (Timestamp). camchat's
// convention for audio and video: the timestamp is the capture time of the
// first sample of the frame, in milliseconds on the publisher's capture clock,
// measured from an epoch of the publisher's choosing (the start of the
// stream), the same clock for the audio and the video of one stream so that a
// player can align them (lip sync). It wraps modulo 2^32 (about 49.7 days);
// compare timestamps with Timestamp.Before and Timestamp.Sub, never with <.
// Commands, data messages and user control events use timestamp 0 unless they
// must be ordered against media (as rtmfp-cpp's tcserver does for
// UnpublishNotify).
//
// # Untrusted input
//
// Every parser takes bytes from the network and never panics. Parsed byte
// slices (message payloads, media frames) alias the input so that the media
// path does not allocate; AMF0 strings are copied into Go strings. The AMF0
// Decoder enforces Limits (nesting depth, total element count, string length
// and total decoded size, with references counted as if expanded), so that
// hostile input can neither exhaust memory nor the stack, and a decoded value
// can always be re-encoded within the same bounds.
//
// # Goroutine model
//
// There is none. Functions are pure; a Decoder and a SyncBarriers are used
// by one goroutine at a time (their owner's loop). Values (*Object, *ECMAArray, []Value) are not safe for concurrent
// mutation.
package tc
