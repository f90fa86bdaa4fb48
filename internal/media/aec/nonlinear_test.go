package aec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// distScene feeds a distortion estimator n frames of a far end whose peaks
// vary (a speech-like level per frame) through a two-partition path, and a
// residual per band of misadjustment (a fraction of the echo estimate),
// noise, a near talker's power that follows neither, and, when clip > 0,
// the echo of what a speaker clipping at clip (sample units) removes,
// shared among the bands by share. It returns the estimator and, per band,
// its estimate of that echo over the true one, summed over the last
// quarter of the frames.
func distScene(t *testing.T, clip float64, share []float64, n int) (*distortion, []float64) {
	t.Helper()
	const bands, parts, ringLen = 4, 2, 8
	d := newDistortion(ringLen, bands, parts)
	d.partGain[0], d.partGain[1] = 1, 0.25
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, frame)
	y, est := make([]float32, bands), make([]float32, bands)
	clipped := make([]float64, ringLen)
	got, want := make([]float64, bands), make([]float64, bands)
	c := &Canceller{ringLen: ringLen}
	for f := range n {
		row := f % ringLen
		amp := 30000 * math.Pow(10, -30*r.Float64()/20) // peaks 0 to 30 dB down
		var removed, power float64
		var peak float32
		for i := range x {
			v := amp * math.Sin(2*math.Pi*float64(i)/48+r.Float64()*0.1) * (0.5 + 0.5*r.Float64())
			x[i] = float32(v)
			peak = max(peak, float32(math.Abs(v)))
			power += v * v / frame
			if a := math.Abs(v); clip > 0 && a > clip {
				removed += (a - clip) * (a - clip) / frame
			}
		}
		clipped[row] = removed
		d.farFrame(row, x, peak)
		// The filter spans this frame (partition 0) and the one before.
		c.head = row
		d.drives(c)
		echo := removed + 0.25*clipped[(row+ringLen-1)%ringLen]
		near := 0.0
		if r.Float64() < 0.3 {
			near = 1e6 * r.ExpFloat64()
		}
		for b := range y {
			est[b] = float32(power * (0.5 + 0.5*r.Float64()))
			y[b] = float32(0.01*float64(est[b]) + near/bands + 10*r.ExpFloat64() + share[b]*echo)
		}
		d.learn(y, est)
		if f >= 3*n/4 {
			for b := range got {
				got[b] += float64(d.band(b))
				want[b] += share[b] * echo
			}
		}
	}
	for b := range got {
		got[b] /= max(want[b], 1e-9)
	}
	return &d, got
}

// TestDistortionFindsClipLevel: the estimator takes a candidate near the
// speaker's clipping level and estimates the echo of the clipped-away part
// in each band to within 30 %; without clipping, a near talker's power
// that follows no drive makes it take none.
func TestDistortionFindsClipLevel(t *testing.T) {
	share := []float64{0.4, 0.2, 0.1, 0.05}
	for _, clipDB := range []float64{-15, -9, -6} {
		d, ratio := distScene(t, 32768*math.Pow(10, clipDB/20), share, 2000)
		if d.best < 0 {
			t.Fatalf("clipping at %.1f dBFS: no level found (correlation %.2f)", clipDB, d.corr)
		}
		got := 20 * math.Log10(float64(d.theta[d.best])/32768)
		t.Logf("speaker clips at %.1f dBFS: found %.1f dBFS (correlation %.2f); estimated echo of the clipping over the true one per band %.2f",
			clipDB, got, d.corr, ratio)
		if math.Abs(got-clipDB) > distStep {
			t.Errorf("clipping level %.1f dBFS, want within %.1f dB of %.1f", got, distStep, clipDB)
		}
		for b, v := range ratio {
			if v < 0.7 || v > 1.3 {
				t.Errorf("clipping at %.1f dBFS, band %d: estimated %.2f of the clipping's echo, want 0.7 to 1.3", clipDB, b, v)
			}
		}
	}
	d, _ := distScene(t, 0, share, 2000)
	t.Logf("no clipping: best %d, correlation %.2f", d.best, d.corr)
	if d.best >= 0 || d.band(0) != 0 {
		t.Errorf("no clipping, but candidate %d taken (correlation %.2f)", d.best, d.corr)
	}
}
