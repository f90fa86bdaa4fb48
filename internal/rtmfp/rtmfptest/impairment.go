package rtmfptest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrBadImpairment is returned by ParseImpairment and Validate for a
// setting that cannot be applied.
var ErrBadImpairment = errors.New("rtmfptest: bad impairment")

// DefaultQueueDelay is the drop-tail limit of a rate-limited Impairment
// that sets neither QueueBytes nor QueueDelay: a home router's buffer of
// the size the call's tests assume.
const DefaultQueueDelay = 250 * time.Millisecond

// reorderWait is how long a datagram chosen for reordering waits for the
// next one to overtake it; when none comes, it leaves alone, that much late.
const reorderWait = 20 * time.Millisecond

// Impairment is one direction of a bad network path over a real socket
// (ImpairConn, Relay). The zero value changes nothing.
//
// A datagram goes through these steps in order (the steps of
// LinkConditions, with jitter and reordering that suit real traffic):
//
//  1. Loss: dropped with probability Loss.
//  2. Rate: if Rate > 0 it joins a drop-tail FIFO served at Rate, counting
//     its UDP payload plus 28 bytes of IPv4 and UDP headers (48 for IPv6).
//     It is dropped if the bytes not yet serialized ahead of it plus its own
//     exceed QueueBytes, or if its wait before serialization would exceed
//     QueueDelay (DefaultQueueDelay when both are 0). It leaves the queue
//     when the datagrams ahead of it and its own serialization are done.
//  3. Delay and Jitter: it then travels Delay plus a jitter offset that
//     wanders in [−Jitter, +Jitter]: every 4·Jitter a new target is drawn
//     uniformly from that range and the offset moves linearly towards it.
//     Over time the offset has mean 0 and standard deviation Jitter·√2/3
//     (≈ 0.47·Jitter); consecutive datagrams see similar delays, as behind
//     a real queue. The offset changes at most half as fast as time passes,
//     so jitter never lets a datagram overtake an earlier one, whatever the
//     packet rate (independent per-datagram draws would, or, kept in order,
//     would push a dense flow's delays to the top of the range). A delay
//     below zero counts as zero. In any case a datagram never leaves before
//     the one written before it, unless step 4 reorders it.
//  4. Reorder: with probability Reorder it is held back until the next
//     datagram has left, and leaves right after it; if no datagram follows
//     within 20 ms it leaves alone, 20 ms late (not counted as reordered).
//  5. Duplicate: with probability Duplicate a second copy leaves right after
//     it (a datagram held back by step 4 is not duplicated).
//
// Loss, Reorder and Duplicate draw from separate seeded generators, one
// draw per datagram each, so the same seed and the same sequence of
// datagrams give the same losses, whatever the timing. The jitter offset
// depends on the seed and on when datagrams are sent.
type Impairment struct {
	Delay  time.Duration // one-way delay, at least 0
	Jitter time.Duration // amplitude of the wandering extra delay, at least 0

	Loss      float64 // probability in [0, 1] that a datagram is lost
	Reorder   float64 // probability in [0, 1] that a datagram leaves after the next one
	Duplicate float64 // probability in [0, 1] of one extra copy

	Rate       BitRate       // bottleneck rate in bits per second; 0 is unlimited (no queue)
	QueueBytes int           // drop-tail limit in bytes (with Rate); 0 is none
	QueueDelay time.Duration // drop-tail limit in waiting time (with Rate); 0 is none
}

// IsZero reports whether the impairment changes nothing.
func (m Impairment) IsZero() bool { return m == Impairment{} }

// queueDelayLimit is the effective waiting-time limit of the queue.
func (m *Impairment) queueDelayLimit() time.Duration {
	if m.QueueDelay == 0 && m.QueueBytes == 0 {
		return DefaultQueueDelay
	}
	return m.QueueDelay
}

// Validate reports the first setting that is out of range.
func (m Impairment) Validate() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"delay", m.Delay}, {"jitter", m.Jitter}, {"queue", m.QueueDelay}} {
		if d.v < 0 {
			return fmt.Errorf("%w: %s %v is negative", ErrBadImpairment, d.name, d.v)
		}
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", m.Loss}, {"reorder", m.Reorder}, {"duplicate", m.Duplicate}} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("%w: %s %v is not a probability between 0 and 1", ErrBadImpairment, p.name, p.v)
		}
	}
	if m.Rate < 0 {
		return fmt.Errorf("%w: rate %d is negative", ErrBadImpairment, m.Rate)
	}
	if m.QueueBytes < 0 {
		return fmt.Errorf("%w: queue %d bytes is negative", ErrBadImpairment, m.QueueBytes)
	}
	if m.Rate == 0 && (m.QueueBytes != 0 || m.QueueDelay != 0) {
		return fmt.Errorf("%w: a queue limit needs a rate (rate=600k)", ErrBadImpairment)
	}
	return nil
}

const impairmentKeys = "delay, jitter, loss, reorder, duplicate, rate or queue"

// ParseImpairment parses a comma-separated list of settings, as a command
// line flag gives it:
//
//	delay=50ms,jitter=10ms,loss=3%,reorder=1%,duplicate=0.5%,rate=600k,queue=250ms
//
// Times are Go durations (50ms, 1.5s). Probabilities are percentages (3%)
// or fractions (0.03). Rates are bits per second with an optional k, M or G
// (1000, 10⁶, 10⁹) and an optional "bit/s", "bps" or "bit" (600k,
// 600kbit/s, 1.5M). A queue limit is a time (250ms) or a size in bytes
// (64kB = 64000, 64KiB = 65536, 1500B), or both as two queue settings,
// and needs a rate. "dup" is short
// for duplicate. Settings left out are zero; the empty string is no
// impairment. Errors wrap ErrBadImpairment and say what to write instead.
func ParseImpairment(spec string) (Impairment, error) {
	var m Impairment
	if strings.TrimSpace(spec) == "" {
		return m, nil
	}
	seen := make(map[string]bool)
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		key, val, ok := strings.Cut(item, "=")
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		if !ok || key == "" || val == "" {
			return Impairment{}, fmt.Errorf("%w %q: %q is not a setting: write name=value, for example delay=50ms", ErrBadImpairment, spec, item)
		}
		if key == "dup" {
			key = "duplicate"
		}
		var err error
		if key == "queue" {
			// One time limit and one size limit may both be given.
			var d time.Duration
			var b int
			if d, b, err = parseQueue(val); err == nil {
				key = "queue-size"
				if d != 0 {
					key, m.QueueDelay = "queue-time", d
				} else {
					m.QueueBytes = b
				}
			}
		}
		if seen[key] {
			name := key
			if strings.HasPrefix(name, "queue-") {
				name = "queue " + strings.TrimPrefix(name, "queue-")
			}
			return Impairment{}, fmt.Errorf("%w %q: %s is set twice", ErrBadImpairment, spec, name)
		}
		seen[key] = true
		switch key {
		case "delay":
			m.Delay, err = parseSpecDuration(key, val)
		case "jitter":
			m.Jitter, err = parseSpecDuration(key, val)
		case "loss":
			m.Loss, err = parseProbability(key, val)
		case "reorder":
			m.Reorder, err = parseProbability(key, val)
		case "duplicate":
			m.Duplicate, err = parseProbability(key, val)
		case "rate":
			m.Rate, err = parseRate(val)
		case "queue", "queue-time", "queue-size":
		default:
			err = fmt.Errorf("unknown setting %q: use %s", key, impairmentKeys)
		}
		if err != nil {
			return Impairment{}, fmt.Errorf("%w %q: %w", ErrBadImpairment, spec, err)
		}
	}
	if m.Rate == 0 && (seen["queue-time"] || seen["queue-size"]) {
		return Impairment{}, fmt.Errorf("%w %q: queue needs a rate too (rate=600k)", ErrBadImpairment, spec)
	}
	return m, nil
}

func parseSpecDuration(key, val string) (time.Duration, error) {
	d, err := time.ParseDuration(val)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q is not a time: write it like 50ms or 1.5s", key, val)
	}
	return d, nil
}

func parseProbability(key, val string) (float64, error) {
	s, pct := strings.CutSuffix(val, "%")
	p, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if pct {
		p /= 100
	}
	if err != nil || !(p >= 0 && p <= 1) {
		return 0, fmt.Errorf("%s %q is not a probability: write a percentage like 3%% or a fraction like 0.03", key, val)
	}
	return p, nil
}

// unitPrefixes are the SI multipliers a rate or size may carry.
var unitPrefixes = map[string]float64{"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}

// splitNumber splits "1.5Mbit/s" into 1.5 and "Mbit/s".
func splitNumber(s string) (float64, string, error) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	v, err := strconv.ParseFloat(s[:i], 64)
	return v, strings.TrimSpace(s[i:]), err
}

func parseRate(val string) (BitRate, error) {
	bad := fmt.Errorf("rate %q is not a rate: write bits per second like 600k, 600kbit/s or 1.5M", val)
	v, unit, err := splitNumber(val)
	if err != nil {
		return 0, bad
	}
	for _, suffix := range []string{"bit/s", "bps", "bit", "b/s"} {
		if u, ok := strings.CutSuffix(unit, suffix); ok {
			unit = u
			break
		}
	}
	mul, ok := unitPrefixes[unit]
	r := math.Round(v * mul)
	if !ok || r < 1 || r > math.MaxInt64/2 {
		return 0, bad
	}
	return BitRate(r), nil
}

func parseQueue(val string) (time.Duration, int, error) {
	if d, err := time.ParseDuration(val); err == nil {
		if d <= 0 {
			return 0, 0, fmt.Errorf("queue %q must be longer than zero", val)
		}
		return d, 0, nil
	}
	bad := fmt.Errorf("queue %q is not a limit: write a time like 250ms or a size like 64kB or 1500B", val)
	v, unit, err := splitNumber(val)
	if err != nil {
		return 0, 0, bad
	}
	var mul float64
	switch unit {
	case "B":
		mul = 1
	case "kB", "KB":
		mul = 1e3
	case "KiB":
		mul = 1 << 10
	case "MB":
		mul = 1e6
	case "MiB":
		mul = 1 << 20
	default:
		return 0, 0, bad
	}
	b := math.Round(v * mul)
	if b < 1 || b > math.MaxInt32 {
		return 0, 0, bad
	}
	return 0, int(b), nil
}

// String returns the impairment in ParseImpairment's syntax ("" for none);
// ParseImpairment(m.String()) == m for every valid m.
func (m Impairment) String() string {
	var parts []string
	if m.Delay != 0 {
		parts = append(parts, "delay="+m.Delay.String())
	}
	if m.Jitter != 0 {
		parts = append(parts, "jitter="+m.Jitter.String())
	}
	for _, p := range []struct {
		name string
		v    float64
	}{{"loss", m.Loss}, {"reorder", m.Reorder}, {"duplicate", m.Duplicate}} {
		if p.v != 0 {
			parts = append(parts, p.name+"="+formatProbability(p.v))
		}
	}
	if m.Rate != 0 {
		parts = append(parts, "rate="+formatRate(m.Rate))
	}
	if m.QueueDelay != 0 {
		parts = append(parts, "queue="+m.QueueDelay.String())
	}
	if m.QueueBytes != 0 {
		parts = append(parts, "queue="+strconv.Itoa(m.QueueBytes)+"B")
	}
	return strings.Join(parts, ",")
}

// Set parses s into m, so that an Impairment is a flag.Value:
// flag.Var(&up, "impair", "network impairment, like delay=50ms,loss=3%").
func (m *Impairment) Set(s string) error {
	v, err := ParseImpairment(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// formatProbability writes p as the shortest percentage that parses back
// to p exactly, or as a fraction when no percentage does.
func formatProbability(p float64) string {
	for prec := 1; prec <= 17; prec++ {
		s := strconv.FormatFloat(p*100, 'g', prec, 64)
		if v, err := strconv.ParseFloat(s, 64); err == nil && v/100 == p && !strings.ContainsAny(s, "e") {
			return s + "%"
		}
	}
	return strconv.FormatFloat(p, 'g', -1, 64)
}

func formatRate(r BitRate) string {
	switch {
	case r%1e9 == 0:
		return strconv.FormatInt(int64(r/1e9), 10) + "G"
	case r%1e6 == 0:
		return strconv.FormatInt(int64(r/1e6), 10) + "M"
	case r%1e3 == 0:
		return strconv.FormatInt(int64(r/1e3), 10) + "k"
	}
	return strconv.FormatInt(int64(r), 10)
}
