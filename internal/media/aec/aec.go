package aec

import (
	"errors"
	"fmt"
	"math"
	"time"

	"camchat/internal/media/aec/internal/fft"
)

// Config says how a Canceller works. The zero value of every field but
// SampleRate and FrameSize selects a default.
type Config struct {
	SampleRate int // samples per second, e.g. 48000
	FrameSize  int // samples per Process call, e.g. 480 (10 ms)

	// MaxDelay is the longest speaker-to-microphone delay (device buffers
	// and air) the canceller looks for. Default 400 ms.
	MaxDelay time.Duration
	// Tail is how much of the room's reverberation after the direct
	// path the adaptive filter models. Default 180 ms; later echo is
	// left to the suppressor.
	Tail time.Duration

	// Disable echo cancellation (keep noise suppression only), e.g. with
	// headphones.
	NoEcho bool
	// Disable noise suppression.
	NoNoise bool

	// NoiseSuppress is the largest attenuation of noise in dB (negative).
	// Default -20.
	NoiseSuppress int
	// EchoSuppress is the largest attenuation of residual echo in dB
	// (negative). Default -60.
	EchoSuppress int
}

// ErrConfig reports an unusable Config.
var ErrConfig = errors.New("aec: invalid configuration")

// Canceller cancels echo and suppresses noise, one frame at a time.
// It is not safe for concurrent use.
//
// Signal flow of a frame: the far end's reference and the microphone are
// halved in rate (48 to 24 kHz: the adaptive filter models the echo up to
// about 10 kHz, where speech has its energy, at a quarter of the work of
// the full band); a delay estimator aligns the reference with the echo; a
// partitioned-block frequency-domain adaptive filter (two of them, a
// shadow that adapts and a main one that takes the shadow's coefficients
// when they do better) predicts the echo, which is brought back to 48 kHz
// and subtracted from the microphone (delayed by the resampling's
// latency); a suppressor removes what is left of the echo and stationary
// noise in the frequency domain.
type Canceller struct {
	cfg Config
	// Constant after New.
	frame  int // L, samples per frame
	n      int // suppressor transform length, a power of two >= 2L
	bins   int // n/2+1
	lin    int // suppressor bins the adaptive filter covers
	down   int // rate reduction for the adaptive filter: 1 or 2
	frame2 int // L/down
	n2     int // adaptive filter transform length, >= 2·frame2
	bins2  int // n2/2+1
	fb     int // bins the adaptive filter models (to adaptiveBand), <= bins2
	parts  int // partitions of the adaptive filter
	margin int // partitions in front of the estimated delay
	maxLag int // frames
	f, f2  *fft.Real
	win    []float32 // sqrt-Hann of 2L: analysis and synthesis window
	hb     halfband

	// Far end.
	farDec    decimator
	far2      []float32 // frame2: the reference at the filter's rate
	farBuf    []float32 // n2: the last n2 reference samples at that rate
	ringLen   int
	head      int       // ring row of the newest far spectrum
	ringRe    []float32 // ringLen × bins2: far spectra for the filter
	ringIm    []float32
	ringPow   []float32 // ringLen × bins2: their power
	ringHi    []float32 // ringLen: far power above the filter's band, per suppressor bin
	ringFrame []float32 // ringLen: far frame power (mean square)
	// ringQuiet marks the far spectra of a silent far end (this frame
	// and the two before it under quietLevel): the filters skip them.
	ringQuiet  []bool
	farLevel   float32 // smoothed far frame power, for activity
	farActive  bool
	delayKnown bool // the estimator has made up its mind
	de         *delayEstimator
	// A new delay estimate is tried on the shadow filter first; one it
	// fails with is not tried again for a while.
	trial       bool
	rejected    int // the delay that failed
	rejectUntil int // frame count until which it stays rejected
	frames      int
	copies      int // shadow to main
	trialCopies int
	restores    int // main to shadow

	// Adaptive filters: shadow adapts quickly; main is the one used, a
	// copy of shadow taken when shadow does better (two-path scheme).
	main, shadow     blockFilter
	h2               []float32 // parts × bins2: |main|², valid unless h2Stale
	gain2            []float32 // bins2: Σ over partitions of h2
	hTail            []float32 // bins2: the fitted reverberation at the last partition
	decay            float32   // the fitted reverberation's power decay per frame
	h2Stale          bool
	h2At, h2Delay    int       // frame and main delay of the last refresh
	accRe, accIm     []float32 // bins2
	acc2Re, acc2Im   []float32 // bins2
	psi, inc         []float32 // bins2: see estimates
	psiDelay         int       // the shadow's delay when psi was computed
	gRe, gIm         []float32 // bins2
	norm             []float32 // bins2
	kP               []float32 // parts × bins2: the shadow's error variances
	phi              []float32 // bins2: near-end and noise power in its error
	buf              []float32 // n2
	micDec           decimator
	y2               []float32 // frame2: the microphone at the filter's rate
	hatMain, hatShad []float32 // frame2: echo estimates
	eMain, eShadow   []float32 // frame2: errors
	up               interpolator
	echo             []float32 // L: main's estimate at the full rate
	// The two-path test's statistics.
	davg1, davg2, dvar1, dvar2 float64
	constrainAt                int // next partition to constrain

	sup  suppressor
	dist distortion

	// The microphone delayed by the resampling's latency, and the
	// previous frames for the suppressor's windows.
	micLine        []float32 // roundTripDelay + L
	yIn            []float32 // L: this frame's microphone, delayed
	e              []float32 // L: this frame's error at the full rate
	micPrev, ePrev []float32 // L
	scratch        []float32
}

// New creates a Canceller. Close frees it.
func New(cfg Config) (*Canceller, error) {
	if cfg.SampleRate < 8000 || cfg.SampleRate > 48000 || cfg.FrameSize <= 0 ||
		cfg.FrameSize > cfg.SampleRate/10 {
		return nil, fmt.Errorf("%w: rate %d, frame %d", ErrConfig, cfg.SampleRate, cfg.FrameSize)
	}
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = 400 * time.Millisecond
	}
	if cfg.Tail == 0 {
		cfg.Tail = 180 * time.Millisecond
	}
	if cfg.NoiseSuppress == 0 {
		cfg.NoiseSuppress = -20
	}
	if cfg.EchoSuppress == 0 {
		cfg.EchoSuppress = -60
	}
	frameDur := time.Duration(cfg.FrameSize) * time.Second / time.Duration(cfg.SampleRate)
	if cfg.Tail < frameDur || cfg.Tail > 2*time.Second || cfg.MaxDelay < 0 || cfg.MaxDelay > 2*time.Second {
		return nil, fmt.Errorf("%w: tail %v, max delay %v (frames of %v)", ErrConfig, cfg.Tail, cfg.MaxDelay, frameDur)
	}
	if cfg.NoiseSuppress > 0 || cfg.EchoSuppress > 0 {
		return nil, fmt.Errorf("%w: suppression %d/%d dB must be negative", ErrConfig, cfg.NoiseSuppress, cfg.EchoSuppress)
	}
	L := cfg.FrameSize
	c := &Canceller{cfg: cfg, frame: L, margin: 2, down: 1, hb: newHalfband()}
	if cfg.SampleRate > 24000 && L%2 == 0 {
		c.down = 2
	}
	c.frame2 = L / c.down
	c.n, c.n2 = pow2(2*L), pow2(2*c.frame2)
	var err error
	if c.f, err = fft.NewReal(c.n); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.f2, err = fft.NewReal(c.n2); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c.bins, c.bins2 = c.n/2+1, c.n2/2+1
	c.fb = c.bins2
	binHz := float64(cfg.SampleRate) / float64(c.n)
	c.lin = c.bins
	if c.down == 2 {
		c.lin = int(adaptiveBand/binHz) + 1
		c.fb = min(c.bins2, c.lin+c.lin/20)
	}
	c.maxLag = int(cfg.MaxDelay / frameDur)
	c.parts = c.margin + int((cfg.Tail+frameDur-1)/frameDur)
	c.ringLen = c.maxLag + c.parts + 1
	c.win = make([]float32, 2*L)
	for i := range c.win {
		c.win[i] = float32(math.Sqrt(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(2*L))))
	}
	b2 := c.bins2
	c.farDec, c.micDec = newDecimator(&c.hb, L), newDecimator(&c.hb, L)
	c.up = newInterpolator(&c.hb, c.frame2)
	c.far2, c.y2 = make([]float32, c.frame2), make([]float32, c.frame2)
	c.farBuf = make([]float32, c.n2)
	c.ringRe, c.ringIm = make([]float32, c.ringLen*b2), make([]float32, c.ringLen*b2)
	c.ringPow, c.ringHi, c.ringFrame = make([]float32, c.ringLen*b2), make([]float32, c.ringLen), make([]float32, c.ringLen)
	c.ringQuiet = make([]bool, c.ringLen)
	c.de = newDelayEstimator(binHz, b2, c.maxLag)
	fb := c.fb
	c.main, c.shadow = newBlockFilter(c.parts, fb), newBlockFilter(c.parts, fb)
	c.h2, c.gain2, c.hTail = make([]float32, c.parts*fb), make([]float32, b2), make([]float32, b2)
	c.decay = reverbDecay
	c.accRe, c.accIm = make([]float32, b2), make([]float32, b2)
	c.acc2Re, c.acc2Im, c.psi, c.inc = make([]float32, b2), make([]float32, b2), make([]float32, b2), make([]float32, b2)
	c.gRe, c.gIm, c.norm = make([]float32, b2), make([]float32, b2), make([]float32, b2)
	c.kP, c.phi = make([]float32, c.parts*fb), make([]float32, b2)
	c.buf = make([]float32, c.n2)
	c.hatMain, c.hatShad = make([]float32, c.frame2), make([]float32, c.frame2)
	c.eMain, c.eShadow = make([]float32, c.frame2), make([]float32, c.frame2)
	c.echo = make([]float32, L)
	delay := 0
	if c.down == 2 {
		delay = roundTripDelay
	}
	c.micLine = make([]float32, delay+L)
	c.yIn, c.e = make([]float32, L), make([]float32, L)
	c.micPrev, c.ePrev = make([]float32, L), make([]float32, L)
	c.scratch = make([]float32, c.bins+b2)
	c.sup = newSuppressor(c)
	c.dist = newDistortion(c.ringLen, len(c.sup.beta), c.parts)
	c.forget()
	return c, nil
}

func pow2(n int) int {
	p := 4
	for p < n {
		p *= 2
	}
	return p
}

// adaptiveBand is the top of the band the adaptive filter models (Hz) at
// 48 kHz: below the resampler's edge, above most of speech's energy.
// Echo above it is left to the suppressor.
const adaptiveBand = 10000

// FrameSize is the number of samples Process takes and writes.
func (c *Canceller) FrameSize() int { return c.cfg.FrameSize }

// Latency is how much later than its input the signal comes out of
// Process: the suppressor's overlapping windows delay it by one frame,
// and the adaptive filter's change of rate by about a millisecond.
func (c *Canceller) Latency() time.Duration {
	return time.Duration(c.frame+len(c.micLine)-c.frame) * time.Second / time.Duration(c.cfg.SampleRate)
}

// Delay returns the echo delay the canceller has found (the time from a
// far-end frame's Process call to its echo in the microphone, within a
// frame) and whether it has found one.
func (c *Canceller) Delay() (time.Duration, bool) {
	return time.Duration(c.main.delay*c.frame) * time.Second / time.Duration(c.cfg.SampleRate), c.delayKnown
}

// Process writes into out the microphone frame mic with the echo of far
// removed and noise suppressed. far is the frame played on the speaker at the
// time mic was captured (nil or silence when nothing plays). All three have
// FrameSize samples; out may be mic. It reports whether the frame holds
// near-end speech by the suppressor's judgement (output well above the
// noise floor and the residual echo in enough bins).
func (c *Canceller) Process(mic, far, out []int16) (speech bool) {
	L := c.frame
	if len(mic) != L || len(out) != L || (far != nil && len(far) != L) {
		panic(fmt.Sprintf("aec: frame sizes mic %d far %d out %d, want %d", len(mic), len(far), len(out), L))
	}
	// The microphone, delayed to meet the echo estimate.
	d := len(c.micLine) - L
	copy(c.micLine, c.micLine[L:])
	y := c.micLine[d:]
	for i, v := range mic {
		y[i] = float32(v)
	}
	copy(c.yIn, c.micLine[:L])
	copy(c.e, c.yIn)
	if !c.cfg.NoEcho {
		c.farEnd(far)
		c.cancel(y)
	}
	speech = c.sup.process(c, c.yIn, c.e)
	for i, v := range c.sup.out {
		out[i] = toInt16(v)
	}
	copy(c.micPrev, c.yIn)
	copy(c.ePrev, c.e)
	return speech
}

// toInt16 rounds v to the nearest sample value (half away from zero),
// saturating.
func toInt16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v < 0:
		return int16(v - 0.5)
	}
	return int16(v + 0.5)
}

// farEnd takes the reference frame into the ring of far spectra.
func (c *Canceller) farEnd(far []int16) {
	L, n2, f2 := c.frame, c.n2, c.frame2
	x := c.scratch[:L]
	var p, peak float32
	if far == nil {
		clear(x)
	} else {
		for i, v := range far {
			x[i] = float32(v)
			p += x[i] * x[i]
			if a := x[i]; a > peak {
				peak = a
			} else if -a > peak {
				peak = -a
			}
		}
	}
	p /= float32(L)
	c.farLevel = max(p, 0.9*c.farLevel)
	c.farActive = p > farActiveLevel
	copy(c.farBuf, c.farBuf[f2:])
	var hi float32
	if c.down == 2 {
		hi = c.farDec.run(x, c.farBuf[n2-f2:])
	} else {
		copy(c.farBuf[n2-f2:], x)
	}
	c.head = (c.head + 1) % c.ringLen
	b2 := c.bins2
	re, im := c.ringRe[c.head*b2:(c.head+1)*b2], c.ringIm[c.head*b2:(c.head+1)*b2]
	c.f2.Forward(c.farBuf, re, im)
	pw := c.ringPow[c.head*b2 : (c.head+1)*b2]
	for k := range pw {
		pw[k] = re[k]*re[k] + im[k]*im[k]
	}
	// The removed band's energy (sampled at every second sample) as a
	// power per bin of the suppressor's window.
	c.ringHi[c.head] = 4 * hi
	c.ringFrame[c.head] = p
	// The spectrum spans this frame and a little of the two before.
	c.ringQuiet[c.head] = max(p, c.ringLevel(1), c.ringLevel(2)) < quietLevel
	c.dist.farFrame(c.head, x, peak)
}

// ringLevel is the far frame power lag frames old (0 if out of reach).
func (c *Canceller) ringLevel(lag int) float32 {
	if r := c.row(lag); r >= 0 {
		return c.ringFrame[r]
	}
	return 0
}

// farActiveLevel is the mean square of a frame above which the far end
// counts as playing (-60 dBFS).
const farActiveLevel = 32768 * 32768 * 1e-6

// quietLevel is the mean square of a frame under which the far end is
// silent for the filters (-80 dBFS): its echo would be 15 dB under the
// quietest microphone's noise, and skipping its spectrum saves their
// work in the pauses of speech.
const quietLevel = 32768 * 32768 * 1e-8

// row returns the ring row of the far spectrum lag frames old, or -1.
func (c *Canceller) row(lag int) int {
	if lag < 0 || lag >= c.ringLen {
		return -1
	}
	return (c.head - lag + c.ringLen) % c.ringLen
}

// farPow returns the far power spectrum (filter rate) lag frames old (nil
// if out of reach).
func (c *Canceller) farPow(lag int) []float32 {
	r := c.row(lag)
	if r < 0 {
		return nil
	}
	return c.ringPow[r*c.bins2 : (r+1)*c.bins2]
}

// cancel runs the delay estimator and the adaptive filters on the newest
// microphone samples y, and leaves in c.e the delayed microphone frame
// less the main filter's echo estimate.
func (c *Canceller) cancel(y []float32) {
	f2 := c.frame2
	if c.down == 2 {
		c.micDec.run(y, c.y2)
	} else {
		copy(c.y2, y)
	}
	// The microphone's power spectrum for the delay estimator: the
	// suppressor's analysis of this frame.
	c.sup.analyzeMic(c, c.yIn)
	d, known := c.de.update(c.farPow(0), c.sup.yPow, c.farActive, c.scratch)
	c.frames++
	c.delayKnown = c.delayKnown || known
	if known && d != c.shadow.delay && (d != c.rejected || c.frames > c.rejectUntil) {
		// Try the new delay on the shadow: if the echo path moved, the
		// shifted shadow does better than main at once and main takes
		// it; if not, it does worse and is restored from main.
		// The path moved if the main filter stopped working; else the
		// estimate has only become more exact.
		c.realignShadow(d, c.sup.converged && !c.sup.linear)
		c.trial = d != c.main.delay
	}

	// Echo estimates of both filters.
	c.estimates()

	// Two-path: the shadow adapts; main takes its coefficients when the
	// shadow's error is smaller by more than chance allows, and the
	// shadow restarts from main when its error is larger by as much
	// (it went astray in double talk, or a delay it tried was wrong).
	// The test is speexdsp's (mdf.c, speex_echo_cancellation): the
	// difference of the error energies against its variance, the main
	// error's energy times that of the difference between the two
	// estimates, over a short and a longer window. A near talker
	// raises the variance, so double talk alone never makes a copy.
	var sff, see, dbf float64
	for i := range f2 {
		em, es, d := float64(c.eMain[i]), float64(c.eShadow[i]), float64(c.hatShad[i]-c.hatMain[i])
		sff += em * em
		see += es * es
		dbf += d * d
	}
	diff := sff - see
	c.davg1 = 0.6*c.davg1 + 0.4*diff
	c.davg2 = 0.85*c.davg2 + 0.15*diff
	c.dvar1 = 0.36*c.dvar1 + 0.16*sff*dbf
	c.dvar2 = 0.7225*c.dvar2 + 0.0225*sff*dbf
	hat := c.hatMain
	switch {
	case c.sup.nearActive():
		// Double talk: no verdict either way.
	case diff*math.Abs(diff) > sff*dbf || c.davg1*math.Abs(c.davg1) > 0.5*c.dvar1 || c.davg2*math.Abs(c.davg2) > 0.25*c.dvar2:
		c.main.copyFrom(&c.shadow)
		c.copies++
		if c.trial {
			c.trialCopies++
		}
		c.trial = false
		c.h2Stale = true
		hat = c.hatShad
		c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
	case -diff*math.Abs(diff) > 4*sff*dbf || -c.davg1*math.Abs(c.davg1) > 4*c.dvar1 || -c.davg2*math.Abs(c.davg2) > 4*c.dvar2:
		if c.trial {
			c.rejected, c.rejectUntil = c.shadow.delay, c.frames+rejectFrames
			c.trial = false
		}
		c.shadow.copyFrom(&c.main)
		c.restores++
		c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
	}
	c.adapt(c.eShadow)

	// Back to the full rate and out of the microphone.
	if c.down == 2 {
		c.up.run(hat, c.echo)
	} else {
		copy(c.echo, hat)
	}
	for i := range c.e {
		c.e[i] = c.yIn[i] - c.echo[i]
	}
}

// estimates filters the far ring with both filters: hatMain and hatShad
// are this frame's echo estimates at the filter's rate, eMain and eShadow
// the microphone less them. It also leaves in psi the residual echo the
// shadow's variances predict, Σ_p kP_p·|X_p|² (see adapt), and in inc the
// echo's power as main predicts it, Σ_p |W_p|²·|X_p|² (see the
// suppressor's echoEstimate). While the two filters are aligned to one
// delay (nearly always), one pass over the far spectra serves both, two
// partitions at a time.
func (c *Canceller) estimates() {
	b2, fb := c.bins2, c.fb
	clear(c.accRe)
	clear(c.accIm)
	clear(c.acc2Re)
	clear(c.acc2Im)
	psi, inc := c.psi[:fb], c.inc[:fb]
	clear(psi)
	clear(inc)
	c.psiDelay = c.shadow.delay
	same := c.main.delay == c.shadow.delay
	p0 := 0
	if same {
		for ; p0+1 < c.parts; p0 += 2 {
			r, r1 := c.row(c.shadow.delay-c.margin+p0), c.row(c.shadow.delay-c.margin+p0+1)
			switch q, q1 := r < 0 || c.ringQuiet[r], r1 < 0 || c.ringQuiet[r1]; {
			case q && q1:
			case q || q1:
				p := p0
				if q {
					p, r = p0+1, r1
				}
				mr, mi := c.main.part(p)
				wr, wi := c.shadow.part(p)
				macc2(c.accRe[:fb], c.accIm[:fb], c.acc2Re[:fb], c.acc2Im[:fb], inc, psi,
					mr, mi, wr, wi, c.kP[p*fb:(p+1)*fb], c.ringRe[r*b2:r*b2+fb], c.ringIm[r*b2:r*b2+fb])
			default:
				mr, mi := c.main.part(p0)
				wr, wi := c.shadow.part(p0)
				mr1, mi1 := c.main.part(p0 + 1)
				wr1, wi1 := c.shadow.part(p0 + 1)
				macc2x2(c.accRe[:fb], c.accIm[:fb], c.acc2Re[:fb], c.acc2Im[:fb], inc, psi,
					mr, mi, wr, wi, c.kP[p0*fb:(p0+1)*fb], c.ringRe[r*b2:r*b2+fb], c.ringIm[r*b2:r*b2+fb],
					mr1, mi1, wr1, wi1, c.kP[(p0+1)*fb:(p0+2)*fb], c.ringRe[r1*b2:r1*b2+fb], c.ringIm[r1*b2:r1*b2+fb])
			}
		}
	}
	for p := p0; p < c.parts; p++ {
		if r := c.row(c.shadow.delay - c.margin + p); r >= 0 && !c.ringQuiet[r] {
			wr, wi := c.shadow.part(p)
			xr, xi := c.ringRe[r*b2:r*b2+fb], c.ringIm[r*b2:r*b2+fb]
			v := c.kP[p*fb : (p+1)*fb]
			if same {
				mr, mi := c.main.part(p)
				macc2(c.accRe[:fb], c.accIm[:fb], c.acc2Re[:fb], c.acc2Im[:fb], inc, psi, mr, mi, wr, wi, v, xr, xi)
			} else {
				macc1(c.acc2Re[:fb], c.acc2Im[:fb], psi, wr, wi, v, xr, xi)
			}
		}
		if same {
			continue
		}
		if r := c.row(c.main.delay - c.margin + p); r >= 0 && !c.ringQuiet[r] {
			wr, wi := c.main.part(p)
			maccPow(c.accRe[:fb], c.accIm[:fb], inc, wr, wi, c.ringRe[r*b2:r*b2+fb], c.ringIm[r*b2:r*b2+fb])
		}
	}
	c.toTime(c.accRe, c.accIm, c.hatMain, c.eMain)
	c.toTime(c.acc2Re, c.acc2Im, c.hatShad, c.eShadow)
}

// toTime brings an echo estimate's spectrum back to the time domain: hat
// is its last frame (overlap-save), e the microphone less it.
func (c *Canceller) toTime(re, im, hat, e []float32) {
	f2, n2 := c.frame2, c.n2
	c.f2.Inverse(re, im, c.buf)
	inv := 1 / float32(n2)
	for i := range f2 {
		hat[i] = c.buf[n2-f2+i] * inv
		e[i] = c.y2[i] - hat[i]
	}
}

// rejectFrames is how long a delay the shadow filter failed with is not
// tried again (2 s of 10 ms frames).
const rejectFrames = 200

// The shadow filter adapts as a frequency-domain Kalman filter (Enzner
// and Vary, "Frequency-domain adaptive Kalman filter for acoustic echo
// control in hands-free telephones", 2006, in its partitioned-block form):
// every coefficient has an error variance kP, the step of each partition
// and bin is its variance over the predicted residual echo plus the
// near-end and noise power in the error (phi). Three things follow that
// normalized LMS lacks: a fresh filter learns at full speed where the echo
// is expected (the prior variance falls with the partitions like a room's
// reverberation, so the direct path is found first); a converged one
// slows down by itself; and a near talker, who raises phi, does not teach
// it his voice.
const (
	// kalmanA is the state transition factor per frame: the echo path is
	// taken to wander by 1-kalmanA² of its power each frame, so that the
	// filter keeps tracking.
	kalmanA2 = 0.9999 * 0.9999
	// minVariance keeps the variances of coefficients that never see the
	// far end (silent bins) out of float32's subnormal range, where every
	// operation costs a hundred cycles.
	minVariance = 1e-12
	// priorDecay is the prior variance's decay per partition after the
	// direct path (60 dB in 300 ms).
	priorDecay = 0.63
)

// prior is the error variance of a partition the filter knows nothing
// about: the echo path's power gain expected there.
func (c *Canceller) prior(p int) float32 {
	if p <= c.margin+1 {
		return 1
	}
	return float32(math.Pow(priorDecay, float64(p-c.margin-1)))
}

// forget sets every error variance back to the prior: the filter learns
// again at full speed, from what it has.
func (c *Canceller) forget() {
	for p := range c.parts {
		c.fill(p)
	}
}

// realignShadow aligns the shadow filter (and its variances) to delay d
// (see blockFilter.realign).
func (c *Canceller) realignShadow(d int, moved bool) {
	n := d - c.shadow.delay
	c.shadow.realign(d, moved)
	if moved {
		return
	}
	b2 := c.fb
	switch {
	case n >= c.parts || -n >= c.parts:
		c.forget()
		return
	case n > 0:
		copy(c.kP, c.kP[n*b2:])
		for p := c.parts - n; p < c.parts; p++ {
			c.fill(p)
		}
	case n < 0:
		copy(c.kP[-n*b2:], c.kP)
		for p := range -n {
			c.fill(p)
		}
	}
	if !c.sup.converged {
		// Nothing learned yet worth keeping confident about: where the
		// shift brought in little variance (the prior of a later
		// partition), the new position's prior holds.
		for p := range c.parts {
			v := c.prior(p)
			for k := range b2 {
				c.kP[p*b2+k] = max(c.kP[p*b2+k], v)
			}
		}
	}
}

// fill sets partition p's variances to the prior.
func (c *Canceller) fill(p int) {
	v := c.prior(p)
	fb := c.fb
	for k := range fb {
		c.kP[p*fb+k] = v
	}
}

// adapt updates the shadow filter from its error e and constrains one
// partition to a linear convolution (the other partitions in turn on
// later frames, as speexdsp's MDF does).
func (c *Canceller) adapt(e []float32) {
	f2, n2, b2, fb := c.frame2, c.n2, c.bins2, c.fb
	if !c.farActive && c.farLevel < farActiveLevel {
		return
	}
	clear(c.buf[:n2-f2])
	copy(c.buf[n2-f2:], e)
	c.f2.Forward(c.buf, c.accRe, c.accIm)
	// The residual echo the variances predict, Σ_p kP_p·|X_p|²
	// (estimates computed it, unless the shadow was restored from main
	// at another delay since), becomes the inverse denominator below.
	psi := c.psi[:fb]
	if c.psiDelay != c.shadow.delay {
		clear(psi)
		for p := range c.parts {
			if r := c.row(c.shadow.delay - c.margin + p); r >= 0 {
				v, x := c.kP[p*fb:(p+1)*fb], c.ringPow[r*b2:r*b2+fb]
				for k := range psi {
					psi[k] += v[k] * x[k]
				}
			}
		}
	}
	ratio := float32(f2) / float32(n2) // the error's share of the window
	floor := float32(f2) * regularization
	accRe, accIm, phi, gRe, gIm := c.accRe[:fb], c.accIm[:fb], c.phi[:fb], c.gRe[:fb], c.gIm[:fb]
	for k := range psi {
		e2 := accRe[k]*accRe[k] + accIm[k]*accIm[k]
		phi[k] = 0.5*phi[k] + 0.5*max(e2-ratio*psi[k], floor)
		d := 1 / (psi[k] + phi[k]/ratio + floor)
		gRe[k], gIm[k] = accRe[k]*d, accIm[k]*d
		psi[k] = d // from here on: the inverse denominator
	}
	for p := range c.parts {
		r := c.row(c.shadow.delay - c.margin + p)
		if r < 0 || c.ringQuiet[r] {
			// No far end there: nothing to learn (the variances would
			// only creep towards |W|² by 1-kalmanA² a frame).
			continue
		}
		wr, wi := c.shadow.part(p)
		if c.frames%2 == 0 {
			kalmanUpdate(wr, wi, c.kP[p*fb:(p+1)*fb], gRe, gIm, psi,
				c.ringRe[r*b2:r*b2+fb], c.ringIm[r*b2:r*b2+fb], c.ringPow[r*b2:r*b2+fb], ratio)
		} else {
			kalmanStep(wr, wi, c.kP[p*fb:(p+1)*fb], gRe, gIm, c.ringRe[r*b2:r*b2+fb], c.ringIm[r*b2:r*b2+fb])
		}
	}
	// Constrain one partition every second frame: back to the time
	// domain, keep its first frame2 taps, forward again.
	if c.frames%2 == 1 {
		return
	}
	p := c.constrainAt
	c.constrainAt = (p + 1) % c.parts
	wr, wi := c.shadow.part(p)
	clear(c.accRe[fb:])
	clear(c.accIm[fb:])
	copy(c.accRe, wr)
	copy(c.accIm, wi)
	c.f2.Inverse(c.accRe, c.accIm, c.buf)
	inv := 1 / float32(n2)
	for i := range f2 {
		c.buf[i] *= inv
	}
	clear(c.buf[f2:])
	c.f2.Forward(c.buf, c.accRe, c.accIm)
	copy(wr, c.accRe[:fb])
	copy(wi, c.accIm[:fb])
}

// kalmanStep moves one partition w by its variance v times the normalized
// error g times conj(x), leaving v as it is: on every second frame the
// variances are not updated (half the work; they change slowly).
func kalmanStep(wRe, wIm, v, gRe, gIm, xRe, xIm []float32) {
	n := len(wRe)
	wIm, v, gRe, gIm, xRe, xIm = wIm[:n], v[:n], gRe[:n], gIm[:n], xRe[:n], xIm[:n]
	for k := range wRe {
		vk := v[k]
		gr, gi, xr, xi := gRe[k]*vk, gIm[k]*vk, xRe[k], xIm[k]
		wRe[k] += gr*xr + gi*xi
		wIm[k] += gi*xr - gr*xi
	}
}

// kalmanUpdate moves one partition w by its variance v times the
// normalized error g times conj(x), and updates v: the part of it the far
// power x2 explained goes (ratio is the error's share of the window), the
// process noise comes.
func kalmanUpdate(wRe, wIm, v, gRe, gIm, inv, xRe, xIm, x2 []float32, ratio float32) {
	n := len(wRe)
	wIm, v, gRe, gIm, inv, xRe, xIm, x2 = wIm[:n], v[:n], gRe[:n], gIm[:n], inv[:n], xRe[:n], xIm[:n], x2[:n]
	for k := range wRe {
		vk := v[k]
		gr, gi, xr, xi := gRe[k]*vk, gIm[k]*vk, xRe[k], xIm[k]
		w0 := wRe[k] + gr*xr + gi*xi
		w1 := wIm[k] + gi*xr - gr*xi
		wRe[k], wIm[k] = w0, w1
		v[k] = max(kalmanA2*(1-ratio*vk*x2[k]*inv[k])*vk+(1-kalmanA2)*(w0*w0+w1*w1), minVariance)
	}
}

// mainPower refreshes h2 and gain2 from the main filter.
func (c *Canceller) mainPower() {
	// Main changes often (every copy), slowly (the shadow's steps): for
	// the suppressor's estimates its power ten times a second is enough,
	// unless it moved.
	if !c.h2Stale || (c.frames-c.h2At < 10 && c.main.delay == c.h2Delay) {
		return
	}
	c.h2Stale, c.h2At, c.h2Delay = false, c.frames, c.main.delay
	fb := c.fb
	clear(c.gain2)
	energy := c.scratch[:c.parts]
	peak := 0
	for p := range c.parts {
		wr, wi := c.main.part(p)
		h := c.h2[p*fb : (p+1)*fb]
		var e float32
		for k := range h {
			h[k] = wr[k]*wr[k] + wi[k]*wi[k]
			c.gain2[k] += h[k]
			e += h[k]
		}
		energy[p] = e
		if e > energy[peak] {
			peak = p
		}
	}
	// The mean power gain of each partition, in the suppressor's units
	// (a frame of mean square P has about P·L·n/2 of power over its bins).
	u := float32(c.frame*c.n/2) / float32(fb)
	for p, e := range energy {
		c.dist.partGain[p] = e * u
	}
	// The reverberation: an exponential fitted to the partitions after
	// the direct path (further on, the filter's misadjustment hides it),
	// extended beyond the last one.
	a, b := peak+1, min(peak+1+tailFit, c.parts-1)
	if b-a < 2 || energy[a] <= 0 || energy[b] <= 0 {
		return
	}
	c.decay = min(max(float32(math.Pow(float64(energy[b]/energy[a]), 1/float64(b-a))), 0.2), 0.9)
	var sum float32
	clear(c.hTail)
	for p := a; p <= b; p++ {
		sum += energy[p]
		for k, v := range c.h2[p*fb : (p+1)*fb] {
			c.hTail[k] += v
		}
	}
	at := energy[a] * float32(math.Pow(float64(c.decay), float64(c.parts-1-a)))
	for k := range c.hTail {
		c.hTail[k] *= at / sum
	}
}

// tailFit is how many partitions after the direct path the reverberation
// is fitted over.
const tailFit = 8

// regularization is the far power per sample (about -70 dBFS) below which
// the step shrinks: a far end that quiet teaches the filter nothing.
const regularization = 100

// Reset forgets the learned echo path, e.g. after the output device changed.
func (c *Canceller) Reset() {
	c.main.reset()
	c.h2Stale = true
	c.shadow.reset()
	c.de.reset()
	c.main.delay, c.shadow.delay, c.delayKnown, c.trial = 0, 0, false, false
	c.forget()
	clear(c.phi)
	c.davg1, c.davg2, c.dvar1, c.dvar2 = 0, 0, 0, 0
	c.sup.reset()
	c.dist.reset()
}

// Close releases the Canceller. It holds no C memory any more; Close is
// kept so that callers need not know.
func (c *Canceller) Close() {}
