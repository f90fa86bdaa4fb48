package aec

import "math"

// suppressor removes what the adaptive filter left of the echo, and
// stationary noise, with a gain per bin of a windowed transform (sqrt-Hann
// of two frames, one frame hop, overlap-add: one frame of latency).
//
// The residual echo in each bin is estimated from a predictor of the echo
// scaled by a learned ratio per band:
//
//   - while the adaptive filter works (linear mode), the predictor is its
//     echo estimate in the bins it models, and for higher bins the far
//     end's power at the echo delay times the path's gain;
//   - while it does not (at the start, and when its error grows louder
//     than the microphone, which a near talker cannot cause but a moved
//     echo path does), the predictor is the far end's power times the
//     echo path's gain, at the estimated delay or, before there is one,
//     at any delay up to MaxDelay.
//
// Predictors decay no faster than the room's reverberation, so the late
// echo beyond the filter is covered. The ratios fall quickly and rise
// slowly, and not at all while the error is far above the prediction (a
// near talker), so double talk does not teach the suppressor to attenuate
// the near end.
type suppressor struct {
	gn2, ge2 float32 // floor gains, squared: noise, echo
	noEcho   bool
	noNoise  bool

	yRe, yIm, eRe, eIm []float32 // windowed spectra of mic and error
	// Powers and gains are kept per effective bin: the bins under wide,
	// then groups of group bins (see newSuppressor); size is how many
	// bins each holds.
	wide, group int
	size        []float32
	yPow, ePow  []float32
	analyzed    bool // yRe/yIm hold this frame's microphone

	noise []float32 // noise power estimate
	floor []float32 // its tracked floor
	// floorCap is the first floor's ceiling: the power per bin of white
	// noise at -60 dBFS.
	floorCap      float32
	frames        int
	low           int       // bins under lowCut
	lowGain       float32   // their gain
	fresh         bool      // no noise estimate yet
	pred          []float32 // echo predictor, smeared by reverberation
	gain          []float32
	clean         []float32 // |G·E|² of the last frame (decision-directed)
	band          []uint8   // band of each bin
	beta          []float32 // residual echo over predictor, per band
	reg           []regression
	num, den, nse []float32 // per band sums
	tsum          []float32
	tail          []float32 // bins2: late reverberation beyond the filter
	width         []int     // bins per band
	linBands      int       // bands within the adaptive filter's band
	nl            []float32 // per band: the distortion's echo per bin
	resid         []float32 // per band: the residual less reverberation and noise

	sY, sE    float64 // smoothed low-band powers of mic and error
	converged bool    // the adaptive filter has worked since the start
	linear    bool    // the adaptive filter works now
	good      int     // frames the error has been well under the mic
	louder    int     // frames the error has been louder than the mic
	nearFor   int     // frames the near-talker verdict still holds
	nearLong  int     // frames it has held without a break
	// sinceHeard counts the frames since a near talker was heard while
	// the far end was silent.
	sinceHeard int
	// nearClearFor counts down the frames the suppressor still treats
	// as double talk (see gains).
	nearClearFor int

	buf []float32
	out []float32 // the output frame
	ola []float32
}

const (
	overEstimate = 8
	wideBins     = 16 // bins per group above the filter's band (750 Hz at 48 kHz)
	decisionDD   = 0.98
	decisionNear = 0.9  // in double talk
	reverbDecay  = 0.63 // predictor decay per 10 ms: 60 dB in 300 ms
	// betaFall bounds how fast a ratio falls (per frame) on a slope that
	// does not follow the predictor closely (about 5 dB a second).
	betaFall = 0.988
	spread   = 0
)

// suppression bands (Hz): narrow where speech is, wider above.
var bandEdges = []float64{250, 500, 750, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000, 8000,
	10000, 12000, 14000, 16000, 20000}

func newSuppressor(c *Canceller) suppressor {
	// Above the filter's rate's band (12 kHz at 48 kHz) bins go in groups
	// of wideBins: speech has little there, and the echo predictor is flat.
	hi, g := c.bins, 1
	if c.down == 2 {
		hi, g = c.bins2, wideBins
	}
	b := hi + (c.bins-hi+g-1)/g // effective bins: narrow ones, then groups
	s := suppressor{
		gn2:    float32(math.Pow(10, float64(c.cfg.NoiseSuppress)/10)),
		ge2:    float32(math.Pow(10, float64(c.cfg.EchoSuppress)/10)),
		noEcho: c.cfg.NoEcho, noNoise: c.cfg.NoNoise,
		wide: hi, group: g,
		yRe: make([]float32, c.bins), yIm: make([]float32, c.bins), eRe: make([]float32, c.bins), eIm: make([]float32, c.bins),
		yPow: make([]float32, b), ePow: make([]float32, b),
		noise: make([]float32, b), floor: make([]float32, b), fresh: true,
		pred: make([]float32, b), gain: make([]float32, b), clean: make([]float32, b),
		band: make([]uint8, b), size: make([]float32, b),
		buf: make([]float32, c.n), out: make([]float32, c.frame), ola: make([]float32, c.frame),
	}
	s.floorCap = float32(c.frame) * 32768 * 32768 * 1e-6
	s.low = int(lowCut/(float64(c.cfg.SampleRate)/float64(c.n))) + 1
	s.lowGain = float32(math.Sqrt(float64(s.gn2)))
	binHz := float64(c.cfg.SampleRate) / float64(c.n)
	for k := range s.band {
		first, n := k, 1 // the first actual bin and how many
		if k >= hi {
			first = hi + (k-hi)*g
			n = min(g, c.bins-first)
		}
		j := 0
		for j < len(bandEdges) && float64(first)*binHz >= bandEdges[j] {
			j++
		}
		s.band[k], s.size[k] = uint8(j), float32(n)
	}
	nb := len(bandEdges) + 1
	s.beta = make([]float32, nb)
	s.reg = make([]regression, nb)
	s.num, s.den, s.nse, s.tsum = make([]float32, nb), make([]float32, nb), make([]float32, nb), make([]float32, nb)
	s.tail = make([]float32, c.bins2)
	s.width, s.nl, s.resid = make([]int, nb), make([]float32, nb), make([]float32, nb)
	for k, b := range s.band {
		s.width[b]++
		if k < c.lin {
			s.linBands = int(b) + 1
		}
	}
	for b := range s.width {
		s.width[b] = max(s.width[b], 1)
	}
	s.reset()
	return s
}

func (s *suppressor) reset() {
	for i := range s.beta {
		s.beta[i] = 1
	}
	clear(s.reg)
	clear(s.pred)
	clear(s.tail)
	s.converged, s.linear, s.good, s.louder = false, false, 0, 0
	s.sY, s.sE = 0, 0
}

// window transforms win·[prev | cur] into re, im and the power spectrum.
func (s *suppressor) window(c *Canceller, prev, cur, re, im, pow []float32) {
	L := c.frame
	for i := range L {
		s.buf[i] = prev[i] * c.win[i]
		s.buf[L+i] = cur[i] * c.win[L+i]
	}
	clear(s.buf[2*L:])
	c.f.Forward(s.buf, re, im)
	hi, g := s.wide, s.group
	for k := range hi {
		pow[k] = re[k]*re[k] + im[k]*im[k]
	}
	for k := hi; k < len(pow); k++ {
		first := hi + (k-hi)*g
		var p float32
		for j := first; j < min(first+g, len(re)); j++ {
			p += re[j]*re[j] + im[j]*im[j]
		}
		pow[k] = p
	}
}

// analyzeMic transforms the microphone frame y (before process).
func (s *suppressor) analyzeMic(c *Canceller, y []float32) {
	s.window(c, c.micPrev, y, s.yRe, s.yIm, s.yPow)
	s.analyzed = true
}

// process computes the gains for the error frame e (the microphone frame
// y less the echo estimate), applies them and leaves the output frame
// (one frame late) in out. It reports near-end speech.
func (s *suppressor) process(c *Canceller, y, e []float32) bool {
	if !s.analyzed {
		s.analyzeMic(c, y)
	}
	s.analyzed = false
	if s.noEcho {
		copy(s.eRe, s.yRe)
		copy(s.eIm, s.yIm)
		copy(s.ePow, s.yPow)
	} else {
		s.window(c, c.ePrev, e, s.eRe, s.eIm, s.ePow)
	}
	if !s.noEcho {
		s.echoEstimate(c)
	}
	s.trackNoise()
	speech := s.gains(c)
	s.judgeNear(c)
	// Synthesis.
	n, L := c.n, c.frame
	hi, g := s.wide, s.group
	for k := range hi {
		s.eRe[k] *= s.gain[k]
		s.eIm[k] *= s.gain[k]
	}
	for k := hi; k < len(s.eRe); k++ {
		gk := s.gain[hi+(k-hi)/g]
		s.eRe[k] *= gk
		s.eIm[k] *= gk
	}
	c.f.Inverse(s.eRe, s.eIm, s.buf)
	inv := 1 / float32(n)
	for i := range L {
		s.out[i] = s.ola[i] + s.buf[i]*c.win[i]*inv
		s.ola[i] = s.buf[L+i] * c.win[L+i] * inv
	}
	return speech
}

// trackNoise follows the noise power in each bin: a floor that falls
// quickly towards lower powers, averages those near it (less than 6 dB
// above) slowly, and creeps up by about 1.3 dB a second through anything
// louder, so that speech does not raise it while a louder steady noise is
// learned within seconds. The floor of exponentially distributed powers
// (a bin of noise) settles 4.9 dB under their mean; noise is the floor
// times floorBias. Bins with echo are left alone: residual echo is not
// noise.
func (s *suppressor) trackNoise() {
	if s.fresh {
		// Start from the first frame, but no higher than white noise at
		// -60 dBFS: the first frame may hold speech (or a click).
		for k, p := range s.ePow {
			s.floor[k] = min(p, s.floorCap*s.size[k])
		}
		s.fresh = false
	}
	creep := float32(1.003)
	if s.frames++; s.frames < 100 {
		creep = 1.02 // the first second: learn a louder noise quickly
	}
	for k, p := range s.ePow {
		f := s.floor[k]
		switch {
		case !s.noEcho && s.pred[k] > 0.5*s.noise[k]:
			// echo: the noise is what it was
		case p < f:
			f = 0.8*f + 0.2*p
		case p < 4*f:
			f = 0.95*f + 0.05*p
		default:
			f *= creep
		}
		s.floor[k] = max(f, 1e-3)
		s.noise[k] = floorBias * s.floor[k]
	}
}

// floorBias is the mean of exponentially distributed powers over the level
// where trackNoise's rule settles on them (its drift is zero there).
const floorBias = 3.09

// echoEstimate fills pred with the echo predictor and learns the ratios.
func (s *suppressor) echoEstimate(c *Canceller) {
	lin := c.lin
	// Is the adaptive filter working? Its error louder than the
	// microphone means the path moved under it, but only while the
	// echo is strong: under a weak echo (the far end paused, its
	// reverberation fading) the filter's misadjustment alone can make
	// the error louder.
	var py, pe, pn float64
	for k := 1; k < lin; k++ {
		py += float64(s.yPow[k])
		pe += float64(s.ePow[k])
		pn += float64(s.noise[k])
	}
	s.sY = 0.7*s.sY + 0.3*py
	s.sE = 0.7*s.sE + 0.3*pe
	direct := c.farPow(c.main.delay) != nil && c.ringLevel(c.main.delay) > farActiveLevel
	if direct && py > 100*pn {
		switch {
		case s.sE > 1.6*s.sY:
			s.louder++
			if s.louder >= 3 {
				s.linear, s.good = false, 0
			}
		case s.sE < 0.1*s.sY:
			s.good++
			s.louder = 0
		default:
			s.louder = 0
		}
		if !s.linear && s.good >= 5 && c.delayKnown {
			s.linear, s.converged = true, true
		}
	}

	// The echo path's power gain per bin from the main filter, and its
	// mean over the top of the adaptive band for the bins above it.
	b2 := c.bins2
	c.mainPower()
	gains := c.gain2
	var hi float32
	for k := lin / 2; k < lin; k++ {
		hi += gains[k]
	}
	hi /= float32(lin - lin/2)
	if !s.converged {
		hi = 1
	}
	hi *= 2

	// The echo's power as the main filter predicts it, bin by bin,
	// ignoring the phases: Σ_p |W_p|²·|X_p|² (the filters' pass computed
	// it). What the filter leaves is shaped like this rather than like
	// its coherent estimate.
	inc := c.inc
	// The late reverberation beyond the filter's last partition: the
	// echo that partition predicts, decaying as the filter's tail does,
	// frame after frame (a first-order recursion on the far power that
	// leaves the filter's span).
	if s.linear {
		if r := c.row(c.main.delay - c.margin + c.parts - 1); r >= 0 {
			x := c.ringPow[r*b2 : (r+1)*b2]
			for k := range s.tail {
				s.tail[k] = c.decay * (s.tail[k] + c.hTail[k]*x[k])
			}
		}
	} else {
		clear(s.tail)
	}

	// The far end's power around the delay (or anywhere, before one is
	// known).
	lo, up := c.main.delay-c.margin, c.main.delay+1
	if !c.delayKnown || !s.linear {
		// Before there is a delay, and while the filter is lost (the path
		// moved: where to, the estimator does not know yet), any delay.
		lo, up = 0, c.maxLag
	}
	far := c.scratch[b2 : 2*b2]
	clear(far)
	var farHi float32
	for j := lo; j <= up; j++ {
		if r := c.row(j); r >= 0 {
			for k, v := range c.ringPow[r*b2 : (r+1)*b2] {
				far[k] = max(far[k], v)
			}
			farHi = max(farHi, c.ringHi[r])
		}
	}
	// The filter's spectra (rectangular window at the filter's rate) in
	// the units of the suppressor's (sqrt-Hann at the full rate).
	scale := float32(c.down*c.down*c.frame) / float32(c.n)

	clear(s.num)
	clear(s.den)
	clear(s.nse)
	clear(s.tsum)
	// The echo of the loudspeaker's distortion, spread evenly over each
	// band's bins.
	nl := s.nl
	clear(nl)
	if s.linear {
		c.dist.drives(c)
		for b := range nl {
			nl[b] = c.dist.band(b) / float32(s.width[b])
		}
	}
	for k := range s.pred {
		b := s.band[k]
		var p, t float32
		switch {
		case s.linear && k < lin:
			p, t = inc[k]*scale, s.tail[k]*scale
			s.den[b] += p
			s.tsum[b] += t
			p = s.beta[b]*p + t + nl[b]
		case k < lin:
			g := gains[k] * 2
			if !s.converged {
				g = 1
			}
			p = g * far[k] * scale
		case k < b2 && c.down == 2:
			p = hi * far[k] * scale
			s.den[b] += p
			p *= s.beta[b]
		default:
			p = hi * farHi * s.size[k]
			s.den[b] += p
			p *= s.beta[b]
		}
		s.pred[k] = max(p, reverbDecay*s.pred[k])
		s.num[b] += s.ePow[k]
		s.nse[b] += s.noise[k]
	}

	// Learn, band by band, how much of the predictor is left in the
	// error: the slope of a regression of the error's power (less the
	// late reverberation and the noise) on the predictor's, over the last
	// second or so. A near talker adds power that does not follow the
	// far end, which moves the intercept, not the slope; what the filter
	// cannot model (a loudspeaker driven into clipping) follows it and
	// is learned.
	if !(c.farActive || c.farLevel > farActiveLevel) {
		return
	}
	if s.nearActive() && (s.nearLong < nearLongest || s.sinceHeard < nearLongest) {
		// A near talker: what the error holds now says nothing about
		// the echo. (Unless the verdict never stops and was not borne
		// out while the far end was silent: then the echo grew.)
		return
	}
	if s.linear {
		// The residual less the late reverberation and the noise, for
		// the distortion's regressions; beta's below takes the
		// distortion's echo off it too.
		y := s.resid[:s.linBands]
		for b := range y {
			y[b] = s.num[b] - s.tsum[b] - s.nse[b]
		}
		c.dist.learn(y, s.den[:s.linBands])
	}
	for b := range s.beta {
		x := float64(s.den[b])
		if x <= float64(s.nse[b]) || x == 0 {
			continue
		}
		y := float64(s.num[b] - s.tsum[b] - s.nse[b] - nl[b]*float32(s.width[b]))
		g := &s.reg[b]
		g.n++
		g.mx = regSmooth*g.mx + (1-regSmooth)*x
		g.my = regSmooth*g.my + (1-regSmooth)*y
		g.sxx = regSmooth*g.sxx + (1-regSmooth)*x*x
		g.sxy = regSmooth*g.sxy + (1-regSmooth)*x*y
		g.syy = regSmooth*g.syy + (1-regSmooth)*y*y
		vx, vy, cxy := g.sxx-g.mx*g.mx, g.syy-g.my*g.my, g.sxy-g.mx*g.my
		if g.n < regMin || vx <= 1e-6*g.sxx || vy <= 0 {
			continue
		}
		// While the error follows the predictor closely the slope is
		// taken; otherwise (a near talker's power, which does not,
		// makes the correlation small and the slope noise) it may only
		// lower the ratio, and slowly: the filter keeps improving.
		slope := float32(min(max(cxy/vx, minBeta), 10))
		switch {
		case cxy*cxy >= regCorr*vx*vy && (slope <= s.beta[b] || cxy*cxy >= regCorrUp*vx*vy):
			s.beta[b] = slope
		case slope < s.beta[b]:
			s.beta[b] = max(slope, betaFall*s.beta[b])
		}
	}
}

// judgeNear decides whether a near talker is in the error: its power in
// the adaptive band well above the predicted residual echo and noise, and
// under the microphone's (an error louder than the microphone is the
// filter's doing: a near talker adds to both). The
// verdict holds for nearHold frames, and the two-path scheme does not let
// the main filter take the shadow's coefficients meanwhile (an adaptive
// filter partly predicts a near talker from the far end's correlation
// between frames, which makes a shadow adapting in double talk look
// better than it is).
func (s *suppressor) judgeNear(c *Canceller) {
	var e, d, y float32
	for k := 1; k < c.lin; k++ {
		e += s.ePow[k]
		y += s.yPow[k]
		d += overEstimate*s.pred[k] + s.noise[k]
	}
	if s.linear && e > nearClear*d && e < y {
		s.nearClearFor = nearHold
	} else if s.nearClearFor > 0 {
		s.nearClearFor--
	}
	// A verdict while the far end has been silent around the echo's
	// delay is borne out: the error then holds at most the reverberation,
	// which the prediction includes, and no misadjustment can make it
	// loud.
	quiet := true
	for j := c.main.delay - c.margin; j <= c.main.delay+1; j++ {
		quiet = quiet && c.ringLevel(j) < farActiveLevel
	}
	s.sinceHeard++
	switch {
	case s.linear && e > nearOver*d && e < y:
		if quiet {
			s.sinceHeard = 0
		}
		s.nearFor = nearHold
		s.nearLong++
	case s.nearFor > 0:
		s.nearFor--
		s.nearLong++
	default:
		s.nearLong = 0
	}
}

// nearActive reports whether judgeNear heard a near talker lately.
func (s *suppressor) nearActive() bool { return s.nearFor > 0 }

const (
	nearOver = 4 // error this far above the residual and noise: a near talker
	// nearClear is how far above them the error must be for the
	// suppressor's double-talk rule: a filter still converging can leave
	// an error a few times the residual it predicts for a while. (8 took
	// 3.3 dB off the near talker in the speech scene's first half second
	// of double talk at 120 ms; 6 leaves every other figure as it was,
	// 5 cost the far talker alone's worst ERLE at 80 ms.)
	nearClear = 6
	nearHold  = 20 // frames the verdict holds (200 ms)
	// nearLongest is how long (frames) a near talker may be heard
	// without a pause, and without being heard while the far end is
	// silent, before the error is taken for echo after all.
	nearLongest = 300
)

// regression holds the running moments of one band's regression.
type regression struct {
	n                     int
	mx, my, sxx, sxy, syy float64
}

const (
	regSmooth = 0.985 // about 0.7 s of memory
	regMin    = 30    // frames before the slope is used
	regCorr   = 0.25  // squared correlation above which the slope is taken
	// regCorrUp is the squared correlation above which a slope larger
	// than the ratio is taken: a near talker the verdict missed, whose
	// syllables follow the far end's by chance for a second, must not
	// teach the suppressor to take him for echo.
	regCorrUp = 0.5
	// lowCut (Hz) is the top of the bins gains keep at the noise floor.
	lowCut = 60
	// minBeta is the smallest ratio: no band is taken to be cancelled by
	// more than 30 dB, whatever a noisy slope says.
	minBeta = 1e-3
)

// gains computes the gain of every bin from the residual echo and noise
// estimates (Wiener, with a decision-directed prior SNR), never below the
// floors and never making a bin louder than the microphone.
func (s *suppressor) gains(c *Canceller) bool {
	var loud int
	// While a near talker is clearly heard, bins whose error is under the
	// microphone's (the filter took echo out there) take the residual
	// echo as estimated and follow changes faster: what is left of the
	// echo is masked by the near talker, who would lose whole syllables
	// to the margin that keeps echo-only frames clean (the filter may
	// still be far from converged when the near end starts talking, and
	// then the near talker is only a few dB above the residual during
	// the far end's loudest words).
	var ov, nzOn float32 = overEstimate, 1
	var alpha float32 = decisionDD
	ovNear, alphaNear := ov, alpha
	if s.nearClearFor > 0 {
		ovNear, alphaNear = 1, decisionNear
	}
	if s.noEcho {
		ov, ovNear = 0, 0
	}
	if s.noNoise {
		nzOn = 0
	}
	n := len(s.gain)
	pred, noise, ePow, yPow, clean, gain := s.pred[:n], s.noise[:n], s.ePow[:n], s.yPow[:n], s.clean[:n], s.gain
	for k := range gain {
		e := ePow[k]
		o, a := ov, alpha
		if e < yPow[k] {
			o, a = ovNear, alphaNear
		}
		r := o * pred[k]
		nz := nzOn * noise[k]
		inv := 1 / (r + nz + 1e-3)
		post := e * inv
		prior := a*clean[k]*inv + (1-a)*max(post-1, 0)
		g := prior / (1 + prior)
		g = max(g*g, (s.gn2*nz+s.ge2*r)*inv)
		if e > yPow[k] {
			g = min(g, yPow[k]/e)
		}
		clean[k] = g * e
		gain[k] = float32(math.Sqrt(float64(g)))
		if k < c.lin && clean[k] > 4*noise[k] && clean[k] > 4*r {
			loud++
		}
	}
	if s.noNoise && s.noEcho {
		for k := range gain {
			gain[k], clean[k] = 1, ePow[k]
		}
		return loud > c.lin/20
	}
	// Below lowCut there is no voice, only rumble, hum and echo the
	// filter models badly (a few samples per period): attenuate it like
	// noise (speexdsp's preprocessor has a DC notch, WebRTC a high-pass).
	for k := range s.low {
		gain[k] = min(gain[k], s.lowGain)
		clean[k] = gain[k] * gain[k] * ePow[k]
	}
	return loud > c.lin/20
}
