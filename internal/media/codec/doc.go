// Package codec wraps the two media codecs camchat sends over RTMFP: VP8
// video through a small cgo layer of its own over libvpx, and Opus audio
// through gopkg.in/hraban/opus.v2. It also measures picture quality (PSNR-Y)
// for tests and benchmarks.
//
// Video is tuned for a realtime call: one-pass CBR, no lookahead
// (g_lag_in_frames = 0), error-resilient bitstream (no cross-frame entropy
// state, so a lost frame cannot desynchronise later ones), the realtime
// deadline, and optional VP8 temporal scalability with up to three layers so
// that a congested receiver can be sent only the base layer. The target
// bitrate follows the network at run time without forcing a keyframe, and a
// keyframe can be requested at any moment (receivers ask for one after loss
// or when the decoder reports corruption). Frames are I420 *image.YCbCr.
//
// Audio is 48 kHz mono Opus in VoIP mode with 20 ms (or 10 ms) frames,
// in-band FEC whose strength follows the reported packet loss, optional DTX,
// and on the receiving side FEC recovery from the next packet or packet-loss
// concealment. OpusHasFEC tells from a packet's bytes whether it carries
// FEC data for its predecessor (opuspacket.go: RFC 6716 §3 framing and the
// first bits of the SILK layer through its range decoder).
//
// Memory: the libvpx contexts and images live in C memory owned by one Go
// value each and are freed by its Close; there are no finalizers, so every
// encoder and decoder must be closed. No Go pointer is kept by C after a call
// returns: raw planes and compressed frames are copied into C buffers before
// libvpx sees them, and compressed output is copied into caller-owned Go
// slices (append style) so a steady stream does not allocate per frame.
//
// Goroutines: the package starts none. Each encoder and decoder is used by
// one goroutine at a time (the capture or playout loop); a mutex makes a
// stray concurrent call safe but not useful. The feedback knobs that the
// network side drives (SetBitrate, RequestKeyframe, SetPacketLossPercent)
// may be called from any goroutine: they are recorded atomically and take
// effect at the next Encode.
package codec
