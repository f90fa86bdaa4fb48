package rtmfptest

import (
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseImpairment(t *testing.T) {
	for _, c := range []struct {
		spec string
		want Impairment
	}{
		{"", Impairment{}},
		{"  ", Impairment{}},
		{"delay=50ms,jitter=10ms,loss=3%,reorder=1%,rate=600k,queue=250ms", Impairment{
			Delay: 50 * time.Millisecond, Jitter: 10 * time.Millisecond, Loss: 0.03, Reorder: 0.01,
			Rate: 600 * Kbps, QueueDelay: 250 * time.Millisecond,
		}},
		{"Delay = 1.5s , LOSS=0.25", Impairment{Delay: 1500 * time.Millisecond, Loss: 0.25}},
		{"dup=0.5%", Impairment{Duplicate: 0.005}},
		{"duplicate=100%,loss=0", Impairment{Duplicate: 1}},
		{"rate=600kbit/s", Impairment{Rate: 600 * Kbps}},
		{"rate=600kbps", Impairment{Rate: 600 * Kbps}},
		{"rate=1.5M", Impairment{Rate: 1500 * Kbps}},
		{"rate=2Mbit", Impairment{Rate: 2 * Mbps}},
		{"rate=1G", Impairment{Rate: 1000 * Mbps}},
		{"rate=56000", Impairment{Rate: 56000}},
		{"rate=1M,queue=64kB", Impairment{Rate: Mbps, QueueBytes: 64000}},
		{"rate=1M,queue=64KiB", Impairment{Rate: Mbps, QueueBytes: 65536}},
		{"rate=1M,queue=1500B", Impairment{Rate: Mbps, QueueBytes: 1500}},
		{"rate=1M,queue=100ms,queue=30kB", Impairment{Rate: Mbps, QueueDelay: 100 * time.Millisecond, QueueBytes: 30000}},
	} {
		got, err := ParseImpairment(c.spec)
		if err != nil || got != c.want {
			t.Errorf("ParseImpairment(%q) = %+v, %v; want %+v", c.spec, got, err, c.want)
		}
	}
}

func TestParseImpairmentErrors(t *testing.T) {
	for _, c := range []struct {
		spec, says string
	}{
		{"delay", `"delay" is not a setting: write name=value`},
		{"delay=", `is not a setting`},
		{"delay=50", `delay "50" is not a time: write it like 50ms`},
		{"jitter=-5ms", `jitter "-5ms" is not a time`},
		{"loss=3", `loss "3" is not a probability: write a percentage like 3% or a fraction like 0.03`},
		{"loss=150%", `loss "150%" is not a probability`},
		{"reorder=NaN", `reorder "NaN" is not a probability`},
		{"rate=fast", `rate "fast" is not a rate: write bits per second like 600k`},
		{"rate=75kB/s", `rate "75kB/s" is not a rate`},
		{"rate=0", `rate "0" is not a rate`},
		{"rate=1M,queue=30000", `queue "30000" is not a limit: write a time like 250ms or a size like 64kB`},
		{"rate=1M,queue=0ms", `queue "0ms" must be longer than zero`},
		{"queue=250ms", `queue needs a rate too (rate=600k)`},
		{"lag=50ms", `unknown setting "lag": use delay, jitter, loss, reorder, duplicate, rate or queue`},
		{"delay=5ms,delay=6ms", `delay is set twice`},
		{"rate=1M,queue=5ms,queue=6ms", `queue time is set twice`},
		{"delay=5ms;loss=1%", `delay "5ms;loss=1%" is not a time`},
	} {
		_, err := ParseImpairment(c.spec)
		if !errors.Is(err, ErrBadImpairment) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("ParseImpairment(%q) error %q, want ErrBadImpairment saying %q", c.spec, err, c.says)
		}
	}
}

func TestImpairmentStringRoundTrip(t *testing.T) {
	for _, m := range []Impairment{
		{},
		{Delay: 50 * time.Millisecond, Jitter: 10 * time.Millisecond, Loss: 0.03, Reorder: 0.01, Duplicate: 0.07,
			Rate: 600 * Kbps, QueueDelay: 250 * time.Millisecond},
		{Loss: 0.29, Rate: 1500001, QueueBytes: 12345, QueueDelay: time.Second},
		{Loss: 1e-7, Reorder: 1.0 / 3, Duplicate: 1},
		{Jitter: 1234567 * time.Nanosecond, Rate: 3 * Mbps},
	} {
		s := m.String()
		got, err := ParseImpairment(s)
		if err != nil || got != m {
			t.Errorf("%+v → %q → %+v, %v", m, s, got, err)
		}
	}
	if s := (Impairment{Delay: 50 * time.Millisecond, Loss: 0.03, Rate: 600 * Kbps, QueueDelay: 250 * time.Millisecond}).String(); s != "delay=50ms,loss=3%,rate=600k,queue=250ms" {
		t.Errorf("String() = %q", s)
	}
}

func TestImpairmentFlag(t *testing.T) {
	var up Impairment
	fs := flag.NewFlagSet("participant", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	fs.Var(&up, "impair", "network impairment")
	if err := fs.Parse([]string{"-impair", "delay=50ms,loss=3%"}); err != nil {
		t.Fatal(err)
	}
	if up != (Impairment{Delay: 50 * time.Millisecond, Loss: 0.03}) {
		t.Errorf("flag gave %+v", up)
	}
	if err := fs.Parse([]string{"-impair", "loss=3"}); err == nil || !strings.Contains(err.Error(), "3%") {
		t.Errorf("bad flag value: %v", err)
	}
}

func TestImpairmentValidate(t *testing.T) {
	for _, m := range []Impairment{
		{Delay: -1}, {Jitter: -1}, {Loss: -0.1}, {Reorder: 1.5}, {Rate: -1},
		{Rate: 1, QueueBytes: -1}, {QueueDelay: time.Second}, {Rate: 1, QueueDelay: -1},
	} {
		if err := m.Validate(); !errors.Is(err, ErrBadImpairment) {
			t.Errorf("Validate(%+v) = %v", m, err)
		}
	}
}

func FuzzParseImpairment(f *testing.F) {
	f.Add("delay=50ms,jitter=10ms,loss=3%,reorder=1%,rate=600k,queue=250ms")
	f.Add((Impairment{Loss: 0.29, Rate: 1500001, QueueBytes: 12345, QueueDelay: time.Second, Duplicate: 0.5}).String())
	f.Add("rate=1.5Mbit/s,queue=64KiB")
	f.Fuzz(func(t *testing.T, spec string) {
		m, err := ParseImpairment(spec)
		if err != nil {
			if !errors.Is(err, ErrBadImpairment) {
				t.Fatalf("error %v does not wrap ErrBadImpairment", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("%q parsed to an invalid %+v: %v", spec, m, err)
		}
		back, err := ParseImpairment(m.String())
		if err != nil || back != m {
			t.Fatalf("%q → %+v → %q → %+v, %v", spec, m, m.String(), back, err)
		}
	})
}
