//go:build !race

// The race detector's checkptr rejects the oversized slice header below, so
// this test runs only without it.

package flow

import (
	"errors"
	"testing"
	"unsafe"
)

func TestSenderTooLarge(t *testing.T) {
	s := NewSender(SendConfig{ID: 1})
	var b [1]byte
	// A slice header claiming MaxMessage+1 bytes; Write rejects it before
	// touching the bytes.
	huge := unsafe.Slice(&b[0], MaxMessage+1)
	if _, err := s.Write(at(0), huge, WriteOptions{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v", err)
	}
	if s.Stats().Messages != 0 || s.Buffered() != 0 {
		t.Fatal("oversized message queued")
	}
}
