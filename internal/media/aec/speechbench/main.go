package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

func main() {
	runs := flag.Int("runs", 5, "repetitions of the CPU measurement")
	keep := flag.String("keep", "", "keep the synthesized talkers and the scenes in this directory")
	only := flag.String("only", "", "measure only this contender (camchat or WebRTC)")
	flag.BoolVar(&skipEcho, "noecho", false, "skip the echo scenes")
	flag.BoolVar(&verbose, "v", false, "print every window of the double-talk and path-change scenes")
	flag.Parse()
	if err := bench(*runs, *keep, *only); err != nil {
		fmt.Fprintln(os.Stderr, "speechbench:", err)
		os.Exit(1)
	}
}

var verbose, skipEcho bool

func bench(runs int, keep, only string) error {
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "speechbench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	far, err := synthesize(dir, farTalker, "far")
	if err != nil {
		return err
	}
	near, err := synthesize(dir, nearTalker, "near")
	if err != nil {
		return err
	}
	n := max(len(far), len(near)+int(nearStart.Seconds()*rate)) / frame * frame
	t := talk{far: make([]float64, n), near: near, n: n}
	copy(t.far, far)

	contenders := []contender{{name: "camchat", make: newCamchat}}
	if webrtc != nil {
		contenders = append(contenders, *webrtc)
	}
	if only != "" {
		contenders = slices.DeleteFunc(contenders, func(c contender) bool { return c.name != only })
	}
	tab := newTable(contenders)
	fmt.Printf("speech scene: far %.1f s, near %.1f s (from %v), 48 kHz; rooms %v/%.1f, %v/%.1f, %v/%.1f, RT60 %v; noise %.0f dBFS\n",
		float64(len(far))/rate, float64(len(near))/rate, nearStart, rooms[0].delay, rooms[0].gain, rooms[1].delay, rooms[1].gain,
		rooms[2].delay, rooms[2].gain, rt60, noiseDB)
	if keep != "" {
		if err := t.save(keep); err != nil {
			return err
		}
	}
	if !skipEcho {
		if err := echoRows(tab, contenders, t); err != nil {
			return err
		}
	}
	if only == "" || only == "camchat" {
		if err := opusRows(tab, t); err != nil {
			return err
		}
	}
	if runs > 0 {
		if err := cpuRows(tab, contenders, t, runs); err != nil {
			return err
		}
	}
	tab.print()
	return nil
}

// echoRows measures every contender on every echo scene.
func echoRows(tab *table, cs []contender, t talk) error {
	alone := t.nearAlone()
	for _, c := range cs {
		single, _, err := run(c, alone.mic, alone.far)
		if err != nil {
			return err
		}
		lag := latency(alone, single)
		tab.set("latency", c.name, fmt.Sprintf("%.1f ms", float64(lag)/rate*1000))

		var erles, hots, early, resid, dts, dtLeft []string
		for _, r := range rooms {
			s := t.farAlone(r, 0)
			out, _, err := run(c, s.mic, s.far)
			if err != nil {
				return err
			}
			var e, res []float64
			for _, at := range echoWindows(s, lag, skip, win, win) {
				e = append(e, erle(s, out, lag, at, win))
				res = append(res, levelPCM(out, at+lag, win))
				if verbose {
					fmt.Printf("%s far alone %v at %.1f s: ERLE %.1f dB, residual %.1f dBFS\n", c.name, r.delay, float64(at)/rate, e[len(e)-1], res[len(res)-1])
				}
			}
			erles = append(erles, medWorst(e, false))
			resid = append(resid, medWorst(res, true))
			first := firstSpeech(s)
			var ew []string
			for at := first; at < first+2*rate; at += win {
				ew = append(ew, fmt.Sprintf("%.0f", erle(s, out, lag, at, win)))
			}
			early = append(early, strings.Join(ew, " "))

			h := t.farAlone(r, 6)
			out, _, err = run(c, h.mic, h.far)
			if err != nil {
				return err
			}
			e = e[:0]
			for _, at := range echoWindows(h, lag, skip, win, win) {
				e = append(e, erle(h, out, lag, at, win))
			}
			hots = append(hots, medWorst(e, false))

			d := t.doubleTalk(r)
			out, _, err = run(c, d.mic, d.far)
			if err != nil {
				return err
			}
			// The same scene with the near talker inverted: half the sum
			// of the two outputs is what the processor let through of the
			// echo (Hagerman and Olofsson's phase inversion), the near
			// talker's part cancelling.
			inv, _, err := run(c, t.doubleTalkInverted(r).mic, d.far)
			if err != nil {
				return err
			}
			var lv, left []float64
			for at := int(nearStart.Seconds()*rate) + win; at+win+lag <= len(d.mic); at += win {
				if level(d.near, at, win) < activeDB || level(d.echo, at, win) < activeDB {
					continue
				}
				gd := projection(out, d.near, lag, at, win)
				gs := projection(single, d.near, lag, at, win)
				lv = append(lv, 20*log10(max(gd, 1e-6)/gs))
				left = append(left, level(d.echo, at, win)-halfSum(out, inv, lag, at, win))
				if verbose {
					fmt.Printf("%s double talk %v at %.1f s: near %.1f dB, echo down %.1f dB (near %.1f dBFS, echo %.1f dBFS)\n", c.name, r.delay, float64(at)/rate,
						lv[len(lv)-1], left[len(left)-1], level(d.near, at, win), level(d.echo, at, win))
				}
			}
			dts = append(dts, medWorst(lv, false))
			dtLeft = append(dtLeft, medWorst(left, false))
		}
		tab.set("ERLE, far talker alone, 40 / 80 / 120 ms (median/worst)", c.name, strings.Join(erles, ", ")+" dB")
		tab.set("ERLE in the first 2 s, per 500 ms from the first speech", c.name, strings.Join(early, " | ")+" dB")
		tab.set("ERLE with the speaker 6 dB into clipping (median/worst)", c.name, strings.Join(hots, ", ")+" dB")
		tab.set("near talker's level during double talk (median/worst)", c.name, strings.Join(dts, ", ")+" dB")
		tab.set("ERLE during double talk, by phase inversion (median/worst)", c.name, strings.Join(dtLeft, ", ")+" dB")
		tab.set("residual echo while the near end is silent (median/loudest)", c.name, strings.Join(resid, ", ")+" dBFS")

		p := t.pathChange(rooms[1], moved)
		out, _, err := run(c, p.mic, p.far)
		if err != nil {
			return err
		}
		ref := t.farAlone(moved, 0)
		refOut, _, err := run(c, ref.mic, ref.far)
		if err != nil {
			return err
		}
		tab.set("path change 80→120 ms", c.name, pathChange(p, out, ref, refOut, lag))
	}
	return nil
}

// pathChange sums up the scene: the ERLE before, the lowest 500 ms window
// after (stepping 100 ms), the 100 ms windows where the output was louder
// than the microphone, and how long until every window is within 3 dB of
// the same window of a run that had the new path from the start (the
// speech differs from window to window, so the ERLE before the change is
// no yardstick for single windows after it).
func pathChange(s scene, out []int16, ref scene, refOut []int16, lag int) string {
	var before []float64
	for _, at := range echoWindows(s, lag, skip, win, win) {
		if at+win <= s.change {
			before = append(before, erle(s, out, lag, at, win))
		}
	}
	lowest, settled := 1e9, 0
	for _, at := range echoWindows(s, lag, s.change, win, rate/10) {
		e := erle(s, out, lag, at, win)
		lowest = min(lowest, e)
		if e < erle(ref, refOut, lag, at, win)-settleDB {
			settled = at + rate/10 - s.change
		}
		if verbose {
			fmt.Printf("path change at +%.1f s: ERLE %.1f dB, %.1f dB with the new path from the start\n",
				float64(at-s.change)/rate, e, erle(ref, refOut, lag, at, win))
		}
	}
	louder := 0
	for _, at := range echoWindows(s, lag, s.change, rate/10, rate/10) {
		if erle(s, out, lag, at, rate/10) < 0 {
			louder++
		}
	}
	return fmt.Sprintf("before %.1f dB; lowest %.1f dB; %d×100 ms louder than the mic; within 3 dB of the settled canceller after %.1f s",
		median(before), lowest, louder, float64(settled)/rate)
}

// cpuRows times every contender on the far-alone 80 ms scene and on a far
// end that never pauses (noise through the same room), interleaved.
func cpuRows(tab *table, cs []contender, t talk, runs int) error {
	scenes := []struct {
		row string
		s   scene
	}{
		{"CPU per 10 ms frame, speech (median, min–max of runs)", t.farAlone(rooms[1], 0)},
		{"CPU per 10 ms frame, a far end that never pauses", t.noPause(rooms[1])},
	}
	per := make([][][]time.Duration, len(scenes))
	for si := range scenes {
		per[si] = make([][]time.Duration, len(cs))
	}
	for range runs {
		for si, sc := range scenes {
			for i, c := range cs {
				_, cpu, err := run(c, sc.s.mic, sc.s.far)
				if err != nil {
					return err
				}
				per[si][i] = append(per[si][i], cpu)
			}
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	for si, sc := range scenes {
		for i, c := range cs {
			d := per[si][i]
			slices.Sort(d)
			tab.set(sc.row, c.name, fmt.Sprintf("%.0f µs, %.0f–%.0f (%d runs)", us(d[len(d)/2]), us(d[0]), us(d[len(d)-1]), runs))
		}
	}
	tab.note = fmt.Sprintf("CPU: thread CPU time over 2000 frames per run; load average %s", strings.Join(strings.Fields(string(load))[:3], " "))
	return nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

// medWorst formats the median and the worst value: the largest when high
// is worse, else the smallest.
func medWorst(x []float64, high bool) string {
	if len(x) == 0 {
		return "n/a"
	}
	w := slices.Min(x)
	if high {
		w = slices.Max(x)
	}
	return fmt.Sprintf("%.1f/%.1f", median(x), w)
}

// table collects rows in the order they are first set.
type table struct {
	cols []string
	rows []string
	cell map[[2]string]string
	note string
}

func newTable(cs []contender) *table {
	t := &table{cell: map[[2]string]string{}}
	for _, c := range cs {
		t.cols = append(t.cols, c.name)
	}
	return t
}

func (t *table) set(row, col, v string) {
	if !slices.Contains(t.rows, row) {
		t.rows = append(t.rows, row)
	}
	t.cell[[2]string{row, col}] = v
}

func (t *table) print() {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\t%s\n", strings.Join(t.cols, "\t"))
	for _, r := range t.rows {
		cells := make([]string, len(t.cols))
		for i, c := range t.cols {
			cells[i] = t.cell[[2]string{r, c}]
		}
		fmt.Fprintf(w, "%s\t%s\n", r, strings.Join(cells, "\t"))
	}
	w.Flush()
	if t.note != "" {
		fmt.Println(t.note)
	}
}
