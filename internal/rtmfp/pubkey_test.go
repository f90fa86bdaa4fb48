package rtmfp

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
)

// TestKeyAgreementWithoutEngineLock: while an endpoint computes a
// Diffie-Hellman key agreement, application calls on it go through (they
// used to wait for the engine's lock, held across the computation).
func TestKeyAgreementWithoutEngineLock(t *testing.T) {
	a, b := loopbackEndpoint(t, 0), loopbackEndpoint(t, 1)
	var computed, blocked atomic.Int32
	pkComputeHook = func() {
		computed.Add(1)
		for _, ep := range []*Endpoint{a, b} {
			done := make(chan struct{})
			go func() { ep.Stats(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				blocked.Add(1)
			}
		}
	}
	defer func() { pkComputeHook = nil }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() { _, _ = b.Accept(ctx) }()
	s, err := a.Connect(ctx, flashcrypto.CanonicalEPD(b.PeerID()), b.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The initiator's (RHello, RIKeying) and the responder's (IIKeying).
	if computed.Load() < 3 {
		t.Errorf("%d key agreements went through the key worker, want 3", computed.Load())
	}
	if blocked.Load() != 0 {
		t.Errorf("an application call waited %d times for a key agreement", blocked.Load())
	}
}
