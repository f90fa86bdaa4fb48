package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"camchat/internal/media/codec"
	"camchat/internal/media/pipeline"
)

// lossPattern says which packets are lost.
type lossPattern struct {
	name  string
	rate  float64 // share of packets lost
	burst int     // packets per loss event
}

var lossPatterns = []lossPattern{
	{"5% random", 0.05, 1},
	{"15% random", 0.15, 1},
	{"5% in bursts of 3", 0.05, 3},
}

// lost draws the pattern over n packets (seeded: every policy meets the
// same losses).
func (p lossPattern) lost(n int) []bool {
	r := rand.New(rand.NewPCG(21, uint64(p.burst)))
	l := make([]bool, n)
	for i := 0; i < n; i++ {
		if r.Float64() < p.rate/float64(p.burst) {
			for j := i; j < min(n, i+p.burst); j++ {
				l[j] = true
			}
			i += p.burst
		}
	}
	return l
}

// opusRows measures Opus at the call's 24 kbit/s on the far talker under
// each loss pattern, with the encoder told the pattern's loss (as it was)
// and told what pipeline.AudioSender tells it now: the segmental SNR of
// the lost spans against the loss-free decode, recovered by FEC where the
// next packet carries it against concealment only; how many lost packets
// had FEC; and how often the 40 ms after a concealed packet peaked at more
// than twice the loss-free decode and above -20 dBFS (a burst).
func opusRows(tab *table, t talk) error {
	x := pcm(t.far)
	const n = 960
	for _, p := range lossPatterns {
		loss := int(p.rate*100 + 0.5)
		var cells []string
		for _, pol := range []struct {
			name string
			told int
		}{{"told the loss", loss}, {"told as now", pipeline.EncoderLossPercent(loss)}} {
			e, err := codec.NewOpusEncoder(codec.OpusEncoderConfig{Bitrate: pipeline.DefaultAudioBitrate, PacketLossPercent: pol.told})
			if err != nil {
				return err
			}
			var pkts [][]byte
			bytes := 0
			for f := 0; (f+1)*n <= len(x); f++ {
				pkt, err := e.Encode(nil, x[f*n:(f+1)*n])
				if err != nil {
					return err
				}
				pkts = append(pkts, pkt)
				bytes += len(pkt)
			}
			lost := p.lost(len(pkts))
			clean, _, _, err := decodeWith(pkts, nil, false)
			if err != nil {
				return err
			}
			withFEC, fecUsed, _, err := decodeWith(pkts, lost, true)
			if err != nil {
				return err
			}
			plcOnly, _, bursts, err := decodeWith(pkts, lost, false)
			if err != nil {
				return err
			}
			_, _, fecBursts, _ := decodeWith(pkts, lost, true)
			nLost := 0
			for _, l := range lost {
				if l {
					nLost++
				}
			}
			cells = append(cells, fmt.Sprintf("%s (%d%%, %.1f kbit/s): FEC %.1f dB, concealment only %.1f dB; %d of %d lost packets had FEC; bursts %d with FEC, %d without",
				pol.name, pol.told, float64(bytes*8)/float64(len(pkts))/20, segSNR(withFEC, clean, lost), segSNR(plcOnly, clean, lost),
				fecUsed, nLost, fecBursts, bursts))
		}
		tab.set("Opus 24 kbit/s, "+p.name+": segmental SNR of the lost spans", "camchat", cells[0]+" | "+cells[1])
	}
	return nil
}

// decodeWith decodes pkts, the lost ones by FEC from the next packet when
// fec is set and it carries some, else by concealment. It returns the
// output, how many were rebuilt by FEC, and the bursts after concealment.
func decodeWith(pkts [][]byte, lost []bool, fec bool) ([]int16, int, int, error) {
	d, err := codec.NewOpusDecoder()
	if err != nil {
		return nil, 0, 0, err
	}
	defer d.Close()
	const n = 960
	out := make([]int16, 0, len(pkts)*n)
	buf := make([]int16, codec.OpusMaxFrameSamples)
	rebuilt := 0
	var concealedAt []int
	for k, pkt := range pkts {
		switch {
		case lost == nil || !lost[k]:
			if _, err := d.Decode(pkt, buf); err != nil {
				return nil, 0, 0, err
			}
		case fec && k+1 < len(pkts) && !lost[k+1] && codec.OpusHasFEC(pkts[k+1]):
			if _, err := d.DecodeFEC(pkts[k+1], buf[:n]); err != nil {
				return nil, 0, 0, err
			}
			rebuilt++
		default:
			if _, err := d.DecodePLC(buf[:n]); err != nil {
				return nil, 0, 0, err
			}
			concealedAt = append(concealedAt, k)
		}
		out = append(out, buf[:n]...)
	}
	bursts := 0
	if lost != nil {
		clean, _, _, err := decodeWith(pkts, nil, false)
		if err != nil {
			return nil, 0, 0, err
		}
		for _, k := range concealedAt {
			if k+3 > len(pkts) || lost[k+1] {
				continue
			}
			var po, pc float64
			for i := (k + 1) * n; i < (k+3)*n; i++ {
				po = max(po, math.Abs(float64(out[i])))
				pc = max(pc, math.Abs(float64(clean[i])))
			}
			if po > 2*pc && po > 0.1*fullScale {
				bursts++
			}
		}
	}
	return out, rebuilt, bursts, nil
}

// segSNR is the mean SNR in dB of out against ref over the lost 20 ms
// frames in which ref is above -50 dBFS, each frame's SNR held to
// [-10, 35] dB.
func segSNR(out, ref []int16, lost []bool) float64 {
	const n = 960
	var sum float64
	var frames int
	for k, l := range lost {
		if !l {
			continue
		}
		var se, sr float64
		for i := k * n; i < (k+1)*n; i++ {
			d := float64(out[i]) - float64(ref[i])
			se += d * d
			sr += float64(ref[i]) * float64(ref[i])
		}
		if dbfs(sr/n) < -50 {
			continue
		}
		sum += min(max(10*math.Log10(sr/max(se, 1)), -10), 35)
		frames++
	}
	return sum / float64(max(frames, 1))
}
