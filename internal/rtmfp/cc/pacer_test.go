package cc

import (
	"testing"
	"time"
)

func TestPacingInterval(t *testing.T) {
	tests := []struct {
		srtt         time.Duration
		cwnd, excess ByteCount
		want         time.Duration
	}{
		{100 * time.Millisecond, 10 * MSS, 0, 10 * time.Millisecond},
		{100 * time.Millisecond, 10 * MSS, 34, 10292850}, // 100 ms · 1195 / 11610
		{40 * time.Millisecond, 4 * MSS, 0, 10 * time.Millisecond},
		{40 * time.Millisecond, 0, 0, 40 * time.Millisecond}, // no window: one MSS per srtt
	}
	for _, tt := range tests {
		if got := PacingInterval(tt.srtt, tt.cwnd, tt.excess); got != tt.want {
			t.Errorf("PacingInterval(%v, %d, %d) = %v, want %v", tt.srtt, tt.cwnd, tt.excess, got, tt.want)
		}
	}
}

func TestPacerBurstThenPace(t *testing.T) {
	const srtt, cwnd = 100 * time.Millisecond, 10 * MSS
	p := NewPacer()
	now := t0
	for i := 1; i <= MaxBurstPackets; i++ {
		if got := p.NextSendTime(now, srtt); !got.Equal(now) {
			t.Fatalf("packet %d of the burst delayed to %v", i, got.Sub(now))
		}
		p.OnSent(now, MSS, srtt, cwnd)
	}
	// The burst is used up: one MSS per srtt·MSS/cwnd = 10 ms from here.
	if got := p.NextSendTime(now, srtt).Sub(now); got != 10*time.Millisecond {
		t.Fatalf("after the burst: wait %v, want 10ms", got)
	}
	for i := 1; i <= 3; i++ {
		now = now.Add(10 * time.Millisecond)
		if got := p.NextSendTime(now, srtt); !got.Equal(now) {
			t.Fatalf("paced packet %d not released", i)
		}
		p.OnSent(now, MSS, srtt, cwnd)
		if got := p.NextSendTime(now, srtt).Sub(now); got != 10*time.Millisecond {
			t.Fatalf("paced packet %d: next after %v, want 10ms", i, got)
		}
	}
	// An acknowledgement opens a new burst at once.
	p.OnAck()
	if got := p.NextSendTime(now, srtt); !got.Equal(now) || p.Allowance() != MaxBurst {
		t.Fatalf("after ack: wait %v allowance %d", got.Sub(now), p.Allowance())
	}
}

func TestPacerExcessAndOversleep(t *testing.T) {
	const srtt, cwnd = 100 * time.Millisecond, 10 * MSS
	p := NewPacer()
	now := t0
	// Seven 1000-byte packets overrun the 6966-byte allowance by 34 bytes.
	for i := 0; i < 7; i++ {
		p.OnSent(now, 1000, srtt, cwnd)
	}
	if got := p.NextSendTime(now, srtt).Sub(now); got != 10292850 {
		t.Fatalf("wait %v, want 10.29285ms (excess 34 bytes)", got)
	}
	// Sent 5 ms late: credit 5/100 of cwnd = 580 bytes on top of one MSS.
	now = now.Add(10292850 + 5*time.Millisecond)
	p.OnSent(now, MSS, srtt, cwnd)
	if p.Allowance() != 580 {
		t.Fatalf("allowance %d after oversleep, want 580", p.Allowance())
	}
	if got := p.NextSendTime(now, srtt); !got.Equal(now) {
		t.Fatal("credit not usable at once")
	}
	p.OnSent(now, MSS, srtt, cwnd) // allowance −581
	if got := p.NextSendTime(now, srtt).Sub(now); got != 15004306 {
		t.Fatalf("wait %v, want 15.004306ms (100ms·1742/11610)", got)
	}
	// Idle for ten seconds: the credit is capped at one full burst.
	now = now.Add(10 * time.Second)
	n := 0
	for p.NextSendTime(now, srtt).Equal(now) && n < 100 {
		p.OnSent(now, MSS, srtt, cwnd)
		n++
	}
	if n != MaxBurstPackets {
		t.Fatalf("%d packets back to back after idling, want %d", n, MaxBurstPackets)
	}
}

func TestPacerShortRTT(t *testing.T) {
	p := NewPacer()
	for _, srtt := range []time.Duration{0, 4 * time.Millisecond} {
		for i := 0; i < 50; i++ {
			p.OnSent(t0, MSS, srtt, 10*MSS)
			if got := p.NextSendTime(t0, srtt); !got.Equal(t0) {
				t.Fatalf("srtt %v: packet %d paced to %v", srtt, i, got.Sub(t0))
			}
		}
	}
	p.OnTimeout()
	if p.Allowance() != MaxBurst {
		t.Errorf("allowance after timeout %d", p.Allowance())
	}
}
