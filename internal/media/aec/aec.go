package aec

/*
#cgo pkg-config: speexdsp
#include <stdlib.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

static int aec_ctl_int(SpeexPreprocessState *st, int req, int v) {
	return speex_preprocess_ctl(st, req, &v);
}
static int aec_set_rate(SpeexEchoState *st, int rate) {
	return speex_echo_ctl(st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
}
static int aec_link(SpeexPreprocessState *pp, SpeexEchoState *st) {
	return speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_ECHO_STATE, st);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// Config says how a Canceller works. The zero value of every field but
// SampleRate and FrameSize selects a default.
type Config struct {
	SampleRate int // samples per second, e.g. 48000
	FrameSize  int // samples per Process call, e.g. 480 (10 ms)

	// Tail is the longest echo path the adaptive filter models: the
	// speaker-to-microphone delay (buffers included) plus the room's
	// reverberation. Default 200 ms, enough for 120 ms of delay and the
	// reverberation of a normal room.
	Tail time.Duration

	// Disable echo cancellation (keep noise suppression only), e.g. with
	// headphones.
	NoEcho bool
	// Disable noise suppression.
	NoNoise bool

	// NoiseSuppress is the largest attenuation of noise in dB (negative).
	// Default -20.
	NoiseSuppress int
	// EchoSuppress and EchoSuppressActive are the largest attenuations of
	// residual echo in dB when only the far end talks and during double
	// talk. Defaults -40 and -15: strong when the near end is silent,
	// gentle when it speaks, so the near end's voice keeps its level.
	EchoSuppress       int
	EchoSuppressActive int
}

// ErrConfig reports an unusable Config.
var ErrConfig = errors.New("aec: invalid configuration")

// Canceller cancels echo and suppresses noise, one frame at a time.
// It is not safe for concurrent use.
type Canceller struct {
	cfg  Config
	echo *C.SpeexEchoState       // nil when NoEcho
	pp   *C.SpeexPreprocessState // always set: residual echo and noise
	buf  []int16                 // echo-cancelled frame before preprocessing
}

// New creates a Canceller. Close frees it.
func New(cfg Config) (*Canceller, error) {
	if cfg.SampleRate < 8000 || cfg.SampleRate > 48000 || cfg.FrameSize <= 0 ||
		cfg.FrameSize > cfg.SampleRate/10 {
		return nil, fmt.Errorf("%w: rate %d, frame %d", ErrConfig, cfg.SampleRate, cfg.FrameSize)
	}
	if cfg.Tail == 0 {
		cfg.Tail = 200 * time.Millisecond
	}
	if cfg.NoiseSuppress == 0 {
		cfg.NoiseSuppress = -20
	}
	if cfg.EchoSuppress == 0 {
		cfg.EchoSuppress = -40
	}
	if cfg.EchoSuppressActive == 0 {
		cfg.EchoSuppressActive = -15
	}
	tail := int(cfg.Tail.Seconds() * float64(cfg.SampleRate))
	if tail < cfg.FrameSize {
		return nil, fmt.Errorf("%w: tail %v shorter than a frame", ErrConfig, cfg.Tail)
	}
	c := &Canceller{cfg: cfg, buf: make([]int16, cfg.FrameSize)}
	c.pp = C.speex_preprocess_state_init(C.int(cfg.FrameSize), C.int(cfg.SampleRate))
	if c.pp == nil {
		return nil, fmt.Errorf("%w: preprocessor init failed", ErrConfig)
	}
	if !cfg.NoEcho {
		c.echo = C.speex_echo_state_init(C.int(cfg.FrameSize), C.int(tail))
		if c.echo == nil {
			c.Close()
			return nil, fmt.Errorf("%w: echo canceller init failed", ErrConfig)
		}
		C.aec_set_rate(c.echo, C.int(cfg.SampleRate))
		C.aec_link(c.pp, c.echo)
		C.aec_ctl_int(c.pp, C.SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, C.int(cfg.EchoSuppress))
		C.aec_ctl_int(c.pp, C.SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, C.int(cfg.EchoSuppressActive))
	}
	denoise := 1
	if cfg.NoNoise {
		denoise = 0
	}
	C.aec_ctl_int(c.pp, C.SPEEX_PREPROCESS_SET_DENOISE, C.int(denoise))
	C.aec_ctl_int(c.pp, C.SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, C.int(cfg.NoiseSuppress))
	C.aec_ctl_int(c.pp, C.SPEEX_PREPROCESS_SET_AGC, 0)
	C.aec_ctl_int(c.pp, C.SPEEX_PREPROCESS_SET_DEREVERB, 0)
	return c, nil
}

// FrameSize is the number of samples Process takes and writes.
func (c *Canceller) FrameSize() int { return c.cfg.FrameSize }

// Process writes into out the microphone frame mic with the echo of far
// removed and noise suppressed. far is the frame played on the speaker at the
// time mic was captured (nil or silence when nothing plays). All three have
// FrameSize samples; out may be mic. It reports whether the preprocessor
// judged the frame to be speech; its voice activity detector stays off
// (speexdsp itself calls it a hack and warns on stderr when it is enabled),
// so this is always true: callers judge quiet frames by level.
func (c *Canceller) Process(mic, far, out []int16) (speech bool) {
	n := c.cfg.FrameSize
	if len(mic) != n || len(out) != n || (far != nil && len(far) != n) {
		panic(fmt.Sprintf("aec: frame sizes mic %d far %d out %d, want %d", len(mic), len(far), len(out), n))
	}
	if c.echo != nil {
		if far == nil {
			far = zeros(n)
		}
		C.speex_echo_cancellation(c.echo,
			(*C.spx_int16_t)(unsafe.Pointer(&mic[0])),
			(*C.spx_int16_t)(unsafe.Pointer(&far[0])),
			(*C.spx_int16_t)(unsafe.Pointer(&c.buf[0])))
		copy(out, c.buf)
	} else {
		copy(out, mic)
	}
	if c.cfg.NoNoise && c.echo == nil {
		return true
	}
	return C.speex_preprocess_run(c.pp, (*C.spx_int16_t)(unsafe.Pointer(&out[0]))) != 0
}

// Latency is how much later than its input the signal comes out of Process:
// the preprocessor's overlap-add delays it by one frame.
func (c *Canceller) Latency() time.Duration {
	return time.Duration(c.cfg.FrameSize) * time.Second / time.Duration(c.cfg.SampleRate)
}

// Reset forgets the learned echo path, e.g. after the output device changed.
func (c *Canceller) Reset() {
	if c.echo != nil {
		C.speex_echo_state_reset(c.echo)
	}
}

// Close frees the C state. The Canceller must not be used afterwards.
func (c *Canceller) Close() {
	if c.echo != nil {
		C.speex_echo_state_destroy(c.echo)
		c.echo = nil
	}
	if c.pp != nil {
		C.speex_preprocess_state_destroy(c.pp)
		c.pp = nil
	}
}

var silence [4800]int16

// zeros returns n samples of silence without allocating.
func zeros(n int) []int16 {
	if n <= len(silence) {
		return silence[:n]
	}
	return make([]int16, n)
}
