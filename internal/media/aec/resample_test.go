package aec

import (
	"math"
	"testing"
)

// TestHalfband: a tone below 10 kHz goes through decimation and
// interpolation unchanged but for the two passes' delay; one above 14 kHz
// is gone.
func TestHalfband(t *testing.T) {
	h := newHalfband()
	for _, tc := range []struct {
		hz      float64
		passing bool
	}{{300, true}, {3000, true}, {9500, true}, {14500, false}, {20000, false}} {
		dec, itp := newDecimator(&h, frame), newInterpolator(&h, frame/2)
		n := 20 * frame
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Sin(2 * math.Pi * tc.hz * float64(i) / rate))
		}
		y := make([]float32, n)
		lo := make([]float32, frame/2)
		for f := 0; f < n; f += frame {
			dec.run(x[f:f+frame], lo)
			itp.run(lo, y[f:f+frame])
		}
		var err, pow float64
		for i := n / 2; i < n; i++ {
			d := float64(y[i]) - float64(x[i-roundTripDelay])
			err += d * d
			pow += float64(y[i]) * float64(y[i])
		}
		pow /= float64(n / 2)
		if tc.passing {
			snr := 10 * math.Log10(float64(n/2)*0.5/err)
			t.Logf("%.0f Hz: through with SNR %.1f dB", tc.hz, snr)
			if snr < 40 {
				t.Errorf("%.0f Hz: SNR %.1f dB after the round trip, want >= 40", tc.hz, snr)
			}
		} else {
			att := 10 * math.Log10(pow/0.5)
			t.Logf("%.0f Hz: attenuated %.1f dB", tc.hz, att)
			if att > -50 {
				t.Errorf("%.0f Hz: only %.1f dB down", tc.hz, att)
			}
		}
	}
}
