// Package aec removes the far end's voice from the microphone signal
// (acoustic echo cancellation) and reduces steady background noise, so a call
// works on speakers without headphones.
//
// It wraps speexdsp (through cgo): the MDF adaptive echo canceller
// (speex_echo_*) followed by the preprocessor (speex_preprocess_*), whose
// residual-echo suppressor uses the canceller's state and whose noise
// suppressor removes stationary noise. speexdsp is small, plain C, packaged
// everywhere (libspeexdsp-dev), maintained, and fast enough at 48 kHz.
//
// A Canceller is used from one goroutine: the audio pipeline calls Process
// once per frame with the microphone frame and the frame that was sent to the
// speaker at the same moment. It allocates nothing per frame.
package aec
