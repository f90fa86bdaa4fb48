package cc

import (
	"testing"
	"time"
)

var t0 = time.Unix(1_000_000, 0)

func TestRTTEstimatorSamples(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	tests := []struct {
		name                     string
		samples                  []time.Duration
		srtt, rttvar, mrto, erto time.Duration
	}{
		{"no sample", nil, 0, 0, 250 * time.Millisecond, 3 * time.Second},
		// srtt = 100, rttvar = 50, MRTO = 100 + 4·50 + 200.
		{"first sample", []time.Duration{ms(100)}, ms(100), ms(50), ms(500), ms(500)},
		// rttvar = (3·50 + |100−200|)/4 = 62.5; srtt = (7·100 + 200)/8 = 112.5;
		// MRTO = 112.5 + 250 + 200.
		{"second sample", []time.Duration{ms(100), ms(200)}, ms(112.5), ms(62.5), ms(562.5), ms(562.5)},
		// rttvar 20 → 15 → 11.25; MRTO = 40 + 45 + 200.
		{"steady", []time.Duration{ms(40), ms(40), ms(40)}, ms(40), ms(11.25), ms(285), ms(285)},
		// MRTO = 8 + 16 + 200 = 224 < 250: ERTO takes the floor.
		{"erto floor", []time.Duration{ms(8)}, ms(8), ms(4), ms(224), ms(250)},
		// rttvar = (3·50 + |100−0|)/4 = 62.5; srtt = (700 + 0)/8 = 87.5;
		// MRTO = 87.5 + 250 + 200.
		{"zero sample", []time.Duration{ms(100), 0}, ms(87.5), ms(62.5), ms(537.5), ms(537.5)},
		{"negative ignored", []time.Duration{ms(100), -ms(5)}, ms(100), ms(50), ms(500), ms(500)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r RTTEstimator
			for i, s := range tt.samples {
				r.OnSample(t0.Add(time.Duration(i)*time.Second), s)
			}
			if r.SRTT() != tt.srtt || r.RTTVar() != tt.rttvar || r.MRTO() != tt.mrto || r.ERTO() != tt.erto {
				t.Errorf("srtt %v rttvar %v MRTO %v ERTO %v; want %v %v %v %v",
					r.SRTT(), r.RTTVar(), r.MRTO(), r.ERTO(), tt.srtt, tt.rttvar, tt.mrto, tt.erto)
			}
		})
	}
}

func TestRTTEstimatorBackoff(t *testing.T) {
	tests := []struct {
		name   string
		sample time.Duration // 0: none
		want   []time.Duration
	}{
		// 3 s · 1.414214 = 4.242642 s, · 1.414214 again ≈ 6.000004 s, … capped at 10 s.
		{"initial", 0, []time.Duration{4242642000, 6000003713, 8485289250, 10 * time.Second, 10 * time.Second}},
		// ERTO 500 ms → 707.107 ms.
		{"after sample", 100 * time.Millisecond, []time.Duration{707107000}},
		// MRTO = 4 + 8 + 0.2 = 12.2 s exceeds the 10 s cap and wins.
		{"mrto floor", 4 * time.Second, []time.Duration{12200 * time.Millisecond, 12200 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r RTTEstimator
			if tt.sample > 0 {
				r.OnSample(t0, tt.sample)
			}
			for i, w := range tt.want {
				r.OnTimeout()
				if r.ERTO() != w {
					t.Fatalf("timeout %d: ERTO %v, want %v", i+1, r.ERTO(), w)
				}
			}
		})
	}
}

func TestEchoRTT(t *testing.T) {
	tests := []struct {
		current, echo Timestamp
		rtt           time.Duration
		ok            bool
	}{
		{100, 90, 40 * time.Millisecond, true},
		{100, 100, 0, true},
		{5, 65530, 44 * time.Millisecond, true}, // across the wrap: 11 ticks
		{32767, 0, 131068 * time.Millisecond, true},
		{32768, 0, 0, false}, // 32768 ticks and more are ignored
		{90, 100, 0, false},  // an echo from the future
	}
	for _, tt := range tests {
		rtt, ok := EchoRTT(tt.current, tt.echo)
		if rtt != tt.rtt || ok != tt.ok {
			t.Errorf("EchoRTT(%d, %d) = %v, %v; want %v, %v", tt.current, tt.echo, rtt, ok, tt.rtt, tt.ok)
		}
	}
}

func TestTimestampAt(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want Timestamp
	}{
		{0, 0},
		{3999 * time.Microsecond, 0},
		{4 * time.Millisecond, 1},
		{time.Second, 250},
		{262143 * time.Millisecond, 65535},
		{262144 * time.Millisecond, 0}, // wraps every 65536 ticks
		{-time.Millisecond, 65535},     // floor, not truncation
		{-4 * time.Millisecond, 65535},
		{-5 * time.Millisecond, 65534},
	}
	for _, tt := range tests {
		if got := TimestampAt(tt.d); got != tt.want {
			t.Errorf("TimestampAt(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
	if got := Timestamp(65534).Add(13 * time.Millisecond); got != 1 {
		t.Errorf("65534 + 13ms = %d, want 1 (3 whole ticks across the wrap)", got)
	}
}

func TestOnTimestampEcho(t *testing.T) {
	var r RTTEstimator
	steps := []struct {
		current, echo Timestamp
		rtt           time.Duration
		ok            bool
		srtt          time.Duration
	}{
		{110, 100, 40 * time.Millisecond, true, 40 * time.Millisecond},
		{115, 100, 0, false, 40 * time.Millisecond}, // same echo again: no new sample
		{130, 110, 80 * time.Millisecond, true, 45 * time.Millisecond},
		{130, 200, 0, false, 45 * time.Millisecond}, // from the future (65466 ticks back)
		{131, 111, 80 * time.Millisecond, true, 49375 * time.Microsecond},
	}
	for i, s := range steps {
		rtt, ok := r.OnTimestampEcho(t0.Add(time.Duration(i)*time.Second), s.current, s.echo)
		if rtt != s.rtt || ok != s.ok || r.SRTT() != s.srtt {
			t.Errorf("step %d: %v %v srtt %v; want %v %v srtt %v", i, rtt, ok, r.SRTT(), s.rtt, s.ok, s.srtt)
		}
	}
	if !r.LastSampleTime().Equal(t0.Add(4 * time.Second)) {
		t.Errorf("last sample at %v", r.LastSampleTime())
	}
}
