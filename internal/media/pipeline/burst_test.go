package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"camchat/internal/media/aec"
)

// talkWithPauses is speech-like audio: voiced syllables (a harmonic series
// with a gliding pitch and noise) at -20 dBFS, each followed by a pause of
// one or two packets, the next syllable starting softly (about -34 dBFS in
// its first 20 ms). Losing the pause's packet is the pattern that made the
// decoder burst: concealment carries the loud syllable into the pause, and
// the energies predicted from it make the onset after it too loud.
func talkWithPauses(seed uint64, syllables int) []int16 {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []int16
	phase := 0.0
	for range syllables {
		n := int((0.15 + 0.1*r.Float64()) * SampleRate)
		f0 := 100 + 100*r.Float64()
		for i := range n {
			t := float64(i) / SampleRate
			// Onset: -34 dBFS over the first 20 ms, then up to -20.
			env := 0.02 + 0.08*min(1, t/0.03)
			if i > n-SampleRate/100 {
				env *= float64(n-i) / (SampleRate / 100) // a 10 ms fade
			}
			phase += 2 * math.Pi * f0 * (1 + 0.1*t) / SampleRate
			v := 0.0
			for h := 1; h <= 10; h++ {
				v += math.Sin(float64(h)*phase) / float64(h)
			}
			v += 0.3 * r.NormFloat64()
			out = append(out, int16(32767*env*0.7*v))
		}
		gap := (1 + r.IntN(2)) * 2 * FrameSamples
		for range gap {
			out = append(out, int16(3*r.NormFloat64())) // -80 dBFS
		}
	}
	return out[:len(out)/FrameSamples*FrameSamples]
}

// TestNoBurstAfterConcealment: every packet of a talk with pauses is lost
// once, alone; the audio a receiver plays in the 40 ms after it never
// peaks more than 6 dB above what it plays there when nothing is lost
// (which keeps the input's level).
func TestNoBurstAfterConcealment(t *testing.T) {
	mic := talkWithPauses(5, 24)
	var pkts []AudioPacket
	as, err := NewAudioSender(AudioSenderConfig{Epoch: t0, Echo: aec.Config{NoEcho: true, NoNoise: true}, Send: func(p AudioPacket) {
		p.Payload = append([]byte(nil), p.Payload...)
		pkts = append(pkts, p)
	}})
	if err != nil {
		t.Fatal(err)
	}
	for f := 0; (f+1)*FrameSamples <= len(mic); f++ {
		if err := as.Process(mic[f*FrameSamples:(f+1)*FrameSamples], t0.Add(time.Duration(f)*FrameDuration)); err != nil {
			t.Fatal(err)
		}
	}
	as.Close()
	// play runs a receiver over the stream without packet lost (-1 for
	// none): packets arrive 30 ms after capture, the device pulls every
	// 10 ms. out[i] is what plays for input sample i.
	shift := int((as.shift).Seconds()*SampleRate + 0.5)
	play := func(lost int) ([]int16, AudioReceiverStats) {
		r, err := NewAudioReceiver(AudioReceiverConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		out := make([]int16, len(mic))
		buf := make([]int16, FrameSamples)
		next := 0
		for tick := 0; ; tick++ {
			now := t0.Add(time.Duration(tick) * FrameDuration)
			for next < len(pkts) && !now.Before(t0.Add(pkts[next].Timestamp+30*time.Millisecond)) {
				if next != lost {
					r.Push(pkts[next], now)
				}
				next++
			}
			if next == len(pkts) && tick > len(mic)/FrameSamples+20 {
				return out, r.Stats()
			}
			ok, _ := r.Pull(now, buf)
			if !ok {
				continue
			}
			pc := r.PlayoutClock(now)
			at := int((pc.Timestamp).Seconds()*SampleRate+0.5) + shift
			for i, v := range buf {
				if j := at + i; j >= 0 && j < len(out) {
					out[j] = v
				}
			}
		}
	}
	clean, _ := play(-1)
	peak := func(x []int16) float64 {
		p := 0.0
		for _, v := range x {
			p = max(p, math.Abs(float64(v)))
		}
		return p
	}
	if p, q := peak(clean[SampleRate:3*SampleRate]), peak(mic[SampleRate:3*SampleRate]); p < q/2 || p > 2*q {
		t.Fatalf("loss-free playout peaks at %.0f where the input does at %.0f", p, q)
	}
	bursts, fec := 0, uint64(0)
	for k := 5; k+3 < len(pkts); k++ {
		out, st := play(k)
		fec += st.FEC
		from := int((pkts[k].Timestamp).Seconds()*SampleRate+0.5) + shift + 2*FrameSamples
		to := min(from+4*FrameSamples, len(mic))
		// Against the loss-free playout of the same stream (the same
		// timeline, and Opus keeps the input's level).
		if po, pi := peak(out[from:to]), peak(clean[from:to]); po > 2*pi && po > 1000 {
			bursts++
			t.Errorf("packet %d lost: the next 40 ms peak at %.0f, the input at %.0f (rebuilt %d, concealed %d, no FEC %d)", k, po, pi, st.FEC, st.Concealed, st.NoFEC)
			if bursts < 3 {
				for s := from - 6*FrameSamples; s < to+2*FrameSamples; s += FrameSamples / 2 {
					t.Logf("   %5.1f ms: mic %5.0f clean %5.0f lost %5.0f", float64(s-from)/48, peak(mic[s:s+FrameSamples/2]), peak(clean[s:s+FrameSamples/2]), peak(out[s:s+FrameSamples/2]))
				}
			}
		}
	}
	t.Logf("%d packets lost one at a time: %d rebuilt from FEC, %d bursts", len(pkts)-8, fec, bursts)
}
