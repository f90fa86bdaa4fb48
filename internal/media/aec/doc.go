// Package aec removes the far end's voice from the microphone signal
// (acoustic echo cancellation) and reduces steady background noise, so a call
// works on speakers without headphones. It is pure Go.
//
// A frame (10 ms at 48 kHz) goes through these stages:
//
//   - Rate: the microphone and the far-end reference are halved to 24 kHz
//     (a 47-tap halfband filter, flat to 10 kHz) for the adaptive filter,
//     which so models the echo where speech has its energy at a quarter of
//     the work of the full band; the echo estimate comes back to 48 kHz and
//     is subtracted from the microphone delayed by the round trip (1 ms).
//   - Delay (delay.go): the echo's delay, 0 to MaxDelay, is found by
//     correlating the log spectral envelopes of far end and microphone over
//     every lag, and tracked: a device buffer that grows moves the echo.
//   - Linear filter (aec.go, filter.go): a partitioned-block frequency-domain
//     adaptive filter (overlap-save, one partition per frame, Tail plus two
//     partitions in front of the delay) adapting as a frequency-domain
//     Kalman filter, whose step follows its own uncertainty and the near-end
//     power in its error; it is the "shadow" of a two-path scheme (speexdsp's
//     mdf.c): the filter in use takes its coefficients when they do better by
//     more than chance allows, never while a near talker is heard, and it
//     goes back to the one in use when it does worse. A new delay is tried
//     on the shadow first, so a wrong estimate costs nothing.
//   - Suppressor (suppress.go): a gain per bin of a windowed transform
//     (sqrt-Hann, 20 ms, one frame of latency) from the residual echo and
//     the noise. The residual echo is predicted from the far end's power
//     through the filter's power response (and the late reverberation beyond
//     it, fitted to the filter's tail), scaled per band by a ratio learned
//     from how the error follows the prediction; before the filter works,
//     and whenever its error grows louder than the microphone (the path
//     moved), the prediction is the far end's power times the echo path's
//     gain. A bin never comes out louder than the microphone's.
//     While a near talker is clearly heard, the residual echo is taken as
//     estimated, without the margin that keeps echo-only frames clean:
//     the near talker masks it.
//   - Distortion (nonlinear.go): a loudspeaker driven into clipping adds
//     echo no linear filter models. The energy a speaker clipping at each
//     of a ladder of levels would remove from the far end, through the
//     echo path's power gain, is regressed against what the suppressor's
//     prediction leaves unexplained; the level whose drive explains it
//     (partial correlation, the echo estimate held fixed) is taken, and
//     its echo per band is added to the residual echo estimate.
//
// A Canceller is used from one goroutine: the audio pipeline calls Process
// once per frame with the microphone frame and the frame that was sent to the
// speaker at the same moment. It allocates nothing per frame.
package aec
