package aec

import "math"

// distortion estimates the echo of what a loudspeaker driven into clipping
// adds to the far end's signal, which the linear filter cannot model.
//
// A speaker (or its amplifier) that clips at a level θ plays x less its
// clipped-away part, sign(x)·max(|x|-θ, 0); that part is broadband and
// reaches the microphone through the same room. θ is unknown (it depends on
// the volume set after the reference is taken), so the clipped-away energy
// of every far frame is kept for a ladder of candidate levels, each passed
// through the echo path's power gain per partition (the main filter's):
// the candidate's drive. What the linear prediction of the residual leaves
// unexplained is regressed on every candidate's drive; the candidate whose
// drive follows it best (correlation at least distCorr) is the speaker's
// clipping level, and each band's slope on it says how much of the drive
// shows up there. A near talker adds power that does not follow the
// drive; a loudspeaker that does not clip gives no candidate a
// correlation.
type distortion struct {
	theta [distLevels]float32 // candidate clipping levels, sample units

	// ring holds the clipped-away energy (mean square per sample) of the
	// far frames, distLevels per frame, rows as the canceller's far ring.
	ring []float32

	drive [distLevels]float32 // this frame's drive per candidate
	best  int                 // the candidate in use, -1 for none
	corr  float64             // its partial correlation

	// Exponentially smoothed moments of the residual (y) and the
	// filter's echo estimate (x) per band and summed over the bands
	// (Y, X), and of every candidate's drive (z) with them.
	n                     int
	mY, mX, sYY, sXX, sXY float64
	mz, szz, szY, szX     [distLevels]float64
	my, mx, sxx, sxy      []float64 // per band
	szy, szx              []float64 // distLevels × bands
	slope                 []float32 // per band: residual per unit of the best drive
	bands                 int
	// partGain is the main filter's mean power gain per partition, in
	// the suppressor's units (mainPower keeps it).
	partGain []float32
}

const (
	// distLevels candidate clipping levels, distStep dB apart, the
	// highest distTop dB under full scale.
	distLevels = 13
	distStep   = 1.5
	distTop    = -1.5
	distSmooth = 0.995 // about 2 s of learning frames
	distCorr   = 0.5   // correlation a candidate needs to be taken
	distMin    = 100   // learning frames before any candidate is taken
	// The summed residual per unit of a candidate's drive must lie
	// between these.
	distSlopeMin = 0.1
	distSlopeMax = 4
)

func newDistortion(ringLen, bands, parts int) distortion {
	d := distortion{
		ring: make([]float32, ringLen*distLevels), best: -1, bands: bands,
		my: make([]float64, bands), mx: make([]float64, bands),
		sxx: make([]float64, bands), sxy: make([]float64, bands),
		szy: make([]float64, distLevels*bands), szx: make([]float64, distLevels*bands),
		slope: make([]float32, bands), partGain: make([]float32, parts),
	}
	for j := range d.theta {
		d.theta[j] = float32(32768 * math.Pow(10, (distTop-distStep*float64(distLevels-1-j))/20))
	}
	return d
}

func (d *distortion) reset() {
	clear(d.ring)
	d.best, d.n, d.corr = -1, 0, 0
	d.mY, d.mX, d.sYY, d.sXX, d.sXY = 0, 0, 0, 0, 0
	d.mz, d.szz, d.szY, d.szX = [distLevels]float64{}, [distLevels]float64{}, [distLevels]float64{}, [distLevels]float64{}
	for _, s := range [][]float64{d.my, d.mx, d.sxx, d.sxy, d.szy, d.szx} {
		clear(s)
	}
	clear(d.slope)
}

// farFrame stores the clipped-away energy of the far frame x, whose
// largest magnitude is peak, at ring row r.
func (d *distortion) farFrame(r int, x []float32, peak float32) {
	row := d.ring[r*distLevels : (r+1)*distLevels]
	clear(row)
	lo := d.theta[0]
	if peak <= lo {
		return
	}
	for _, v := range x {
		a := max(v, -v)
		if a <= lo {
			continue
		}
		for j, t := range d.theta {
			if a <= t {
				break
			}
			row[j] += (a - t) * (a - t)
		}
	}
	inv := 1 / float32(len(x))
	for j := range row {
		row[j] *= inv
	}
}

// drives computes every candidate's drive for this frame: the clipped-away
// energy of the far frames the filter spans, through the main filter's
// power gain of each partition.
func (d *distortion) drives(c *Canceller) {
	d.drive = [distLevels]float32{}
	for p, g := range d.partGain {
		r := c.row(c.main.delay - c.margin + p)
		if r < 0 || g == 0 {
			continue
		}
		row := d.ring[r*distLevels : (r+1)*distLevels]
		for j, v := range row {
			d.drive[j] += g * v
		}
	}
}

// learn takes this frame's residual y and the filter's echo estimate x
// per band (in the suppressor's units; bands past len(y) are not used)
// and updates the regressions, the choice of candidate and the slopes.
//
// A candidate is judged by the partial correlation of the summed residual
// with its drive, the echo estimate held fixed: loud frames have more
// residual anyway (the filter's misadjustment is a fraction of the echo),
// and only what the drive explains beyond that is distortion.
func (d *distortion) learn(y, x []float32) {
	a, b := distSmooth, 1-distSmooth
	var Y, X float64
	for i := range y {
		Y += float64(y[i])
		X += float64(x[i])
	}
	d.n++
	d.mY = a*d.mY + b*Y
	d.mX = a*d.mX + b*X
	d.sYY = a*d.sYY + b*Y*Y
	d.sXX = a*d.sXX + b*X*X
	d.sXY = a*d.sXY + b*X*Y
	for i := range y {
		yi, xi := float64(y[i]), float64(x[i])
		d.my[i] = a*d.my[i] + b*yi
		d.mx[i] = a*d.mx[i] + b*xi
		d.sxx[i] = a*d.sxx[i] + b*xi*xi
		d.sxy[i] = a*d.sxy[i] + b*xi*yi
	}
	vY, vX, cXY := d.sYY-d.mY*d.mY, d.sXX-d.mX*d.mX, d.sXY-d.mX*d.mY
	best, bestCorr := -1, 0.0
	for j, z32 := range d.drive {
		z := float64(z32)
		d.mz[j] = a*d.mz[j] + b*z
		d.szz[j] = a*d.szz[j] + b*z*z
		d.szY[j] = a*d.szY[j] + b*z*Y
		d.szX[j] = a*d.szX[j] + b*z*X
		zy, zx := d.szy[j*d.bands:(j+1)*d.bands], d.szx[j*d.bands:(j+1)*d.bands]
		for i := range y {
			zy[i] = a*zy[i] + b*z*float64(y[i])
			zx[i] = a*zx[i] + b*z*float64(x[i])
		}
		vz := d.szz[j] - d.mz[j]*d.mz[j]
		if vz <= 1e-9*d.szz[j] || vY <= 0 || vX <= 0 {
			continue
		}
		czY, czX := d.szY[j]-d.mz[j]*d.mY, d.szX[j]-d.mz[j]*d.mX
		// Partial correlation of Y and z given X, and the slope of Y on
		// z (X held fixed): the residual per unit of drive, which the
		// physics bounds (the drive is the distortion's echo power, and
		// the band the filter covers holds some of it).
		num := czY*vX - cXY*czX
		det := vz*vX - czX*czX
		den := det * (vY*vX - cXY*cXY)
		if num <= 0 || den <= 0 {
			continue
		}
		if g := num / det; g < distSlopeMin || g > distSlopeMax {
			continue
		}
		if r := num / math.Sqrt(den); r > bestCorr {
			best, bestCorr = j, r
		}
	}
	d.corr = bestCorr
	if d.n < distMin || bestCorr < distCorr {
		best = -1
	}
	d.best = best
	if best < 0 {
		clear(d.slope)
		return
	}
	// Each band's slope on the drive, from the regression on both.
	j := best
	vz := d.szz[j] - d.mz[j]*d.mz[j]
	zy, zx := d.szy[j*d.bands:(j+1)*d.bands], d.szx[j*d.bands:(j+1)*d.bands]
	for i := range d.slope {
		if i >= len(y) {
			d.slope[i] = 0
			continue
		}
		vx, cxy := d.sxx[i]-d.mx[i]*d.mx[i], d.sxy[i]-d.mx[i]*d.my[i]
		czy, czx := zy[i]-d.mz[j]*d.my[i], zx[i]-d.mz[j]*d.mx[i]
		det := vx*vz - czx*czx
		if det <= 1e-9*vx*vz {
			d.slope[i] = 0
			continue
		}
		d.slope[i] = float32(max((vx*czy-czx*cxy)/det, 0))
	}
}

// band returns the distortion's echo in band b this frame (0 without a
// clipping level).
func (d *distortion) band(b int) float32 {
	if d.best < 0 {
		return 0
	}
	return d.slope[b] * d.drive[d.best]
}
