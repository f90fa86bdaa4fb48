// Package media is camchat's media engine: capture (V4L2 webcams, malgo
// microphones and speakers, synthetic sources), codecs (Opus, VP8 through
// libvpx), the jitter buffer, mixing, echo cancellation and lip sync.
//
// It exposes frames and packets and knows nothing of RTMFP. It is the only
// place, besides the Fyne GUI, where cgo is used. The parts live in
// subpackages: codec (Opus, VP8), audio (devices), playout (jitter buffer,
// mixer, A/V sync), video (V4L2 and pixel conversion), synth (test-pattern
// camera and tone microphone) and mediatest (test helpers).
package media
