package playout

// Soft limiter for the mixer's int32 sum.
//
// Summing four streams can reach four times full scale; converting that
// back to int16 by truncation would wrap a loud positive peak into a
// negative one, a loud crack. Hard saturation avoids the wrap but adds
// harsh distortion. Instead samples pass unchanged up to a knee at 75% of
// full scale (-2.5 dBFS), and above it are bent onto a curve that
// approaches but never reaches full scale:
//
//	y = K + (x-K)·R / ((x-K) + R),  K = 24576, R = 32767-K
//
// The curve is continuous with slope 1 at the knee (no kink to hear),
// strictly increasing, and stays below 32767 for any input, so the output
// keeps the sign and the ordering of the sum.
const (
	limiterKnee  = 24576
	limiterRange = 32767 - limiterKnee
)

// softClip maps a mixed sample to int16 with the curve above.
func softClip(x int32) int16 {
	switch {
	case x > limiterKnee:
		e := int64(x - limiterKnee)
		return int16(limiterKnee + e*limiterRange/(e+limiterRange))
	case x < -limiterKnee:
		e := int64(-x - limiterKnee)
		return int16(-(limiterKnee + e*limiterRange/(e+limiterRange)))
	default:
		return int16(x)
	}
}
