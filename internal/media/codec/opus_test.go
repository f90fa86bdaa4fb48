package codec

import (
	"errors"
	"math"
	"testing"
	"time"
)

// tone returns n samples of a sine at freq Hz, starting at sample offset.
func tone(freq float64, amp float64, offset, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(offset+i)/OpusSampleRate))
	}
	return out
}

// speechLike returns n samples of a voiced, speech-like signal: a harmonic
// series whose pitch glides and whose loudness follows a 4 Hz syllable
// envelope, so that a missing frame cannot be guessed from the one before.
func speechLike(offset, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		t := float64(offset+i) / OpusSampleRate
		// Instantaneous pitch 140 + 60·sin(2π·1.3·t) Hz, integrated.
		phase := 2 * math.Pi * (140*t - 60/(2*math.Pi*1.3)*math.Cos(2*math.Pi*1.3*t))
		env := 0.15 + 0.85*math.Pow(math.Sin(math.Pi*4*t), 2)
		v := 0.0
		for h := 1; h <= 8; h++ {
			v += math.Sin(float64(h)*phase) / float64(h)
		}
		out[i] = int16(7000 * env * v)
	}
	return out
}

// bestCorrelation returns the largest normalised cross-correlation between
// ref and out over lags 0..maxLag (out delayed by the codec), and the lag.
func bestCorrelation(ref, out []int16, maxLag int) (float64, int) {
	best, bestLag := -1.0, 0
	for lag := 0; lag <= maxLag; lag++ {
		var sxy, sxx, syy float64
		for i := 0; i+lag < len(out) && i < len(ref); i++ {
			x, y := float64(ref[i]), float64(out[i+lag])
			sxy += x * y
			sxx += x * x
			syy += y * y
		}
		if sxx == 0 || syy == 0 {
			continue
		}
		if c := sxy / math.Sqrt(sxx*syy); c > best {
			best, bestLag = c, lag
		}
	}
	return best, bestLag
}

func meanSquaredError(a, b []int16) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s / float64(len(a))
}

func newOpusPair(t testing.TB, cfg OpusEncoderConfig) (*OpusEncoder, *OpusDecoder) {
	t.Helper()
	e, err := NewOpusEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close(); d.Close() })
	return e, d
}

func TestOpusToneRoundTrip(t *testing.T) {
	e, d := newOpusPair(t, OpusEncoderConfig{})
	const frames = 50
	n := e.FrameSamples()
	if n != 960 {
		t.Fatalf("FrameSamples = %d, want 960 for 20 ms", n)
	}
	in := tone(440, 10000, 0, frames*n)
	var out []int16
	pkt := make([]byte, 0, OpusMaxPacket)
	pcm := make([]int16, OpusMaxFrameSamples)
	bytes := 0
	for f := range frames {
		var err error
		pkt, err = e.Encode(pkt[:0], in[f*n:(f+1)*n])
		if err != nil {
			t.Fatal(err)
		}
		bytes += len(pkt)
		got, err := d.Decode(pkt, pcm)
		if err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Fatalf("frame %d: decoded %d samples, want %d", f, got, n)
		}
		out = append(out, pcm[:got]...)
	}
	// Opus's algorithmic delay at 48 kHz is 6.5 ms (312 samples); search a
	// little beyond it, but less than a further period of the tone (109
	// samples), which would correlate just as well.
	corr, lag := bestCorrelation(in, out, 360)
	kbps := float64(bytes*8) / (float64(frames) * 0.02) / 1000
	t.Logf("440 Hz tone, 50 x 20 ms at %d bit/s: correlation %.4f at lag %d samples (%.2f ms), %.1f kbit/s",
		e.Bitrate(), corr, lag, float64(lag)/48, kbps)
	if corr < 0.9 {
		t.Errorf("correlation %.4f < 0.9", corr)
	}
	if kbps < 12 || kbps > 30 {
		t.Errorf("measured %.1f kbit/s far from the 24 kbit/s target", kbps)
	}
}

func TestOpusTenMillisecondFrames(t *testing.T) {
	e, d := newOpusPair(t, OpusEncoderConfig{FrameDuration: 10 * time.Millisecond})
	if e.FrameSamples() != 480 {
		t.Fatalf("FrameSamples = %d, want 480", e.FrameSamples())
	}
	pcm := make([]int16, OpusMaxFrameSamples)
	pkt, err := e.Encode(nil, tone(440, 8000, 0, 480))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := d.Decode(pkt, pcm); err != nil || n != 480 {
		t.Fatalf("decode: %d samples, %v", n, err)
	}
	if _, err := e.Encode(nil, make([]int16, 960)); !errors.Is(err, ErrFrameFormat) {
		t.Errorf("20 ms into a 10 ms encoder: err %v", err)
	}
}

func TestOpusPLCFillsFrame(t *testing.T) {
	e, d := newOpusPair(t, OpusEncoderConfig{})
	n := e.FrameSamples()
	pcm := make([]int16, n)
	for f := range 10 {
		pkt, err := e.Encode(nil, tone(440, 10000, f*n, n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Decode(pkt, pcm); err != nil {
			t.Fatal(err)
		}
	}
	for i := range pcm {
		pcm[i] = 0x7fff // so that untouched samples show
	}
	got, err := d.DecodePLC(pcm)
	if err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("PLC produced %d samples, want %d", got, n)
	}
	var energy float64
	untouched := 0
	for _, s := range pcm {
		energy += float64(s) * float64(s)
		if s == 0x7fff {
			untouched++
		}
	}
	rms := math.Sqrt(energy / float64(n))
	t.Logf("PLC frame after a 440 Hz tone: RMS %.0f (tone RMS %.0f)", rms, 10000/math.Sqrt2)
	if untouched > n/100 || rms < 1000 {
		t.Errorf("PLC frame not filled: %d untouched samples, RMS %.0f", untouched, rms)
	}
}

// concealLoss encodes the speech-like signal with the given expected loss
// (set at run time, as receiver reports would), loses packet `lost`, and
// returns the SNR of the lost frame recovered by FEC and by PLC, measured
// against a loss-free decode (which carries the same codec delay).
func concealLoss(t *testing.T, lossPercent int) (fecSNR, plcSNR float64) {
	t.Helper()
	const (
		frames = 40
		// Frame 30 (600..620 ms) sits near a loudness peak of the 4 Hz
		// envelope: SILK only adds FEC (LBRR) data for frames its voice
		// activity detector marks active, never for the quiet troughs.
		lost = 30
	)
	e, err := NewOpusEncoder(OpusEncoderConfig{Bitrate: 32_000})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	n := e.FrameSamples()
	in := speechLike(0, frames*n)
	pkts := make([][]byte, frames)
	for f := range pkts {
		if f == 5 {
			if err := e.SetPacketLossPercent(lossPercent); err != nil {
				t.Fatal(err)
			}
		}
		if pkts[f], err = e.Encode(nil, in[f*n:(f+1)*n]); err != nil {
			t.Fatal(err)
		}
	}
	// decode plays the stream with packet `lost` missing, filled by fill.
	decode := func(fill func(d *OpusDecoder, pcm []int16) (int, error)) []int16 {
		d, err := NewOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var out []int16
		pcm := make([]int16, n)
		for f := range frames {
			var got int
			if f == lost && fill != nil {
				got, err = fill(d, pcm)
			} else {
				got, err = d.Decode(pkts[f], pcm)
			}
			if err != nil || got != n {
				t.Fatalf("frame %d: %d samples, %v", f, got, err)
			}
			out = append(out, pcm...)
		}
		return out
	}
	clean := decode(nil)
	fec := decode(func(d *OpusDecoder, pcm []int16) (int, error) { return d.DecodeFEC(pkts[lost+1], pcm) })
	plc := decode(func(d *OpusDecoder, pcm []int16) (int, error) { return d.DecodePLC(pcm) })

	span := clean[lost*n : (lost+1)*n]
	signal := meanSquaredError(span, make([]int16, n))
	snr := func(out []int16) float64 {
		return 10 * math.Log10(signal/meanSquaredError(out[lost*n:(lost+1)*n], span))
	}
	return snr(fec), snr(plc)
}

func TestOpusFECBeatsPLC(t *testing.T) {
	fec, plc := concealLoss(t, 20)
	t.Logf("lost 20 ms frame, 32 kbit/s, 20%% expected loss: FEC SNR %.2f dB, PLC SNR %.2f dB (vs loss-free decode)", fec, plc)
	if fec <= plc {
		t.Errorf("FEC (SNR %.2f dB) not closer to the loss-free output than PLC (%.2f dB)", fec, plc)
	}
	// With no expected loss the encoder sends no FEC, and recovery from
	// the next packet falls back to the same concealment as PLC.
	fec0, plc0 := concealLoss(t, 0)
	t.Logf("same with 0%% expected loss: FEC SNR %.2f dB, PLC SNR %.2f dB", fec0, plc0)
	if fec0 != plc0 {
		t.Errorf("0%% loss: FEC %.2f dB differs from PLC %.2f dB, so FEC data was sent anyway", fec0, plc0)
	}
}

func TestOpusBitrateChange(t *testing.T) {
	e, _ := newOpusPair(t, OpusEncoderConfig{Bitrate: 24_000})
	n := e.FrameSamples()
	in := speechLike(0, 100*n)
	size := func(from, to int) float64 {
		total := 0
		buf := make([]byte, 0, OpusMaxPacket)
		for f := from; f < to; f++ {
			pkt, err := e.Encode(buf[:0], in[f*n:(f+1)*n])
			if err != nil {
				t.Fatal(err)
			}
			total += len(pkt)
		}
		return float64(total) / float64(to-from)
	}
	low := size(0, 50)
	if err := e.SetBitrate(32_000); err != nil {
		t.Fatal(err)
	}
	high := size(50, 100)
	t.Logf("mean packet: %.1f bytes at 24 kbit/s, %.1f bytes at 32 kbit/s", low, high)
	if e.Bitrate() != 32_000 {
		t.Errorf("Bitrate() = %d", e.Bitrate())
	}
	// 32/24 = 1.33; require most of that.
	if high < 1.2*low {
		t.Errorf("packets grew only from %.1f to %.1f bytes", low, high)
	}
	if err := e.SetBitrate(1000); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("SetBitrate(1000): err %v", err)
	}
	if err := e.SetPacketLossPercent(101); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("SetPacketLossPercent(101): err %v", err)
	}
	if err := e.SetPacketLossPercent(15); err != nil {
		t.Fatal(err)
	}
	size(0, 1)
	if e.PacketLossPercent() != 15 {
		t.Errorf("PacketLossPercent() = %d, want 15", e.PacketLossPercent())
	}
}

func TestOpusDTXOnSilence(t *testing.T) {
	e, d := newOpusPair(t, OpusEncoderConfig{DTX: true})
	n := e.FrameSamples()
	silence := make([]int16, n)
	dtx := 0
	pcm := make([]int16, OpusMaxFrameSamples)
	for range 30 {
		pkt, err := e.Encode(nil, silence)
		if err != nil {
			t.Fatal(err)
		}
		if IsOpusDTX(pkt) {
			dtx++
		}
		if _, err := d.Decode(pkt, pcm); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("DTX: %d of 30 silent frames were DTX packets", dtx)
	if dtx < 20 {
		t.Errorf("only %d of 30 silent frames were DTX packets", dtx)
	}
}

func TestOpusRejectsBadInput(t *testing.T) {
	for _, cfg := range []OpusEncoderConfig{
		{FrameDuration: 15 * time.Millisecond},
		{Bitrate: 1},
		{PacketLossPercent: -1},
	} {
		if _, err := NewOpusEncoder(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("config %+v: err %v", cfg, err)
		}
	}
	e, d := newOpusPair(t, OpusEncoderConfig{})
	pcm := make([]int16, 960)
	if _, err := d.Decode([]byte{0xff, 0xff, 0xff}, pcm); !errors.Is(err, ErrDecode) {
		t.Errorf("garbage packet: err %v", err)
	}
	if _, err := d.Decode(nil, pcm); !errors.Is(err, ErrDecode) {
		t.Errorf("empty packet: err %v", err)
	}
	pkt, _ := e.Encode(nil, pcm)
	if _, err := d.Decode(pkt, pcm[:100]); !errors.Is(err, ErrDecode) {
		t.Errorf("short output buffer: err %v", err)
	}
	e.Close()
	d.Close()
	if _, err := e.Encode(nil, pcm); !errors.Is(err, ErrClosed) {
		t.Errorf("encode after Close: %v", err)
	}
	if _, err := d.Decode(pkt, pcm); !errors.Is(err, ErrClosed) {
		t.Errorf("decode after Close: %v", err)
	}
}
