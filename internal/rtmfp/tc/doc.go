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
//     video.go), the Opus identification header of an Opus sequence start
//     (RFC 7845 §5.1), and camchat's per-packet media fields in an
//     Enhanced-RTMP v2 ModEx entry (mediaext.go).
//   - Status info objects (onStatus, _result, _error) and the commands that
//     NetConnection and NetStream exchange: connect, setPeerInfo,
//     createStream, deleteStream, publish, play, closeStream, pause,
//     receiveAudio/receiveVideo, |RtmpSampleAccess and NetStream.send data;
//     camchat's feedback commands from a player to its publisher,
//     requestKeyframe and receiverReport (feedback.go).
//
// On top of the codecs sit the objects that speak them over the transport
// (package rtmfp):
//
//   - NetConnection (conn.go): the client of a Flash server or rendezvous
//     over one session (RFC 7425 §5.3; rtmfp-cpp src/TCConnection.cpp): control flow with TC
//     metadata for stream 0 at priority 5, connect (transaction 1), the
//     server's return flow, transactions, setPeerInfo, createStream and
//     deleteStream, onStatus events, Set Keepalive (RFC 7425 §5.3.4).
//   - NetStream (stream.go, mediasend.go, streamrecv.go): per-type flows for
//     data and commands (priority 5), audio (5) and video (4); audio frames
//     time critical with a ~300 ms lifetime, video frames chained to their
//     group's keyframe and the previous group abandoned at each keyframe;
//     received messages parsed (StreamMessage) and flows aligned by flow
//     sync barriers (RFC 7425 §5.2).
//   - Direct peer streams (RFC 7425 §5.4): Publisher
//     (publisher.go) answers players' play flows on three return flows and
//     fans every media message out to its subscribers; PlayPeer
//     (peerplay.go) plays a peer's stream over a session to it.
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
// The codecs have none: functions are pure; a Decoder and a SyncBarriers are
// used by one goroutine at a time (their owner's). Values (*Object,
// *ECMAArray, []Value) are not safe for concurrent mutation.
//
// NetConnection, NetStream and Publisher are safe for concurrent use and
// event driven: a NetConnection runs one goroutine accepting the server's
// flows and one reading its control flow; each received stream flow has a
// reader goroutine that hands parsed messages to the stream's bounded inbox
// (back pressure, nothing dropped) and waits at flow sync barriers; a
// Publisher runs one goroutine per served session and one per player.
// Every wait is on a channel or a context, so all of it blocks durably under
// testing/synctest; every goroutine stops when its object closes, and
// Close waits for it. Sending never starts a goroutine: writes go straight
// to the transport's flows (which copy them).
package tc
