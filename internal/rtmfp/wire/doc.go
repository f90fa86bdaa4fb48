// Package wire holds the RTMFP (RFC 7016) wire codecs used by camchat: the
// variable-length unsigned integer (VLU, RFC 7016 §2.1.2), fields and option
// lists (§2.1.3), encoded socket addresses (§2.1.5 and the rtmfp-cpp
// encoding), the scrambled session ID (§2.2.1), the decrypted packet header
// (§2.2.2, §2.2.4), chunk framing (§2.3) and every chunk in the catalogue
// (§2.3.1–§2.3.18): IHello, FIHello, RHello, Responder Redirect, RHello Cookie
// Change, IIKeying, RIKeying, Ping, Ping Reply, User Data, Next User Data,
// Data Acknowledgement Bitmap and Ranges, Buffer Probe, Flow Exception Report,
// Session Close Request and Acknowledgement, padding, and rtmfp-cpp's
// experimental ECN report.
//
// The package is pure: no state, no clock, no randomness, no cryptography
// (packet protection is RFC 7425 §4 and lives in package flashcrypto). Parsers
// take the exact bytes to decode and return values whose byte slices alias
// the input, so the data path (User Data, acknowledgements, the chunk reader)
// decodes without allocating. Appenders follow the append idiom and do not
// allocate when the destination has the capacity.
//
// Every chunk type is a struct with Append(b []byte) []byte, which writes the
// whole chunk including its 3-byte header, and Length() int, the number of
// bytes Append writes. ParseXxx(payload) decodes a chunk's payload as yielded
// by ChunkReader. Inputs that come from the network never panic; the only
// panics are programming errors on the sending side (a chunk payload over
// 65535 bytes, which no RTMFP packet can carry).
//
// Parsers are as lenient as rtmfp-cpp where the RFC allows it: bytes after the
// last field of a fixed-layout chunk are ignored, non-shortest VLUs are
// accepted, reserved flag bits are ignored. Appenders always emit the shortest
// form, so parse→append→parse is stable.
//
// Goroutine model: there is none. All functions are safe for concurrent use
// on distinct buffers.
package wire
