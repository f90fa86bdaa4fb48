package tc

import (
	"reflect"
	"testing"
)

func TestSyncBarriers(t *testing.T) {
	var b SyncBarriers[string]
	// Three flows (video, audio, data) reach barrier 7.
	if r, done := b.Arrive(FlowSync{7, 3}, "video"); done || r != nil {
		t.Fatal(r, done)
	}
	if r, done := b.Arrive(FlowSync{7, 3}, "audio"); done || r != nil || b.Held(7) != 2 {
		t.Fatal(r, done)
	}
	// The same flow again stays held once.
	if _, done := b.Arrive(FlowSync{7, 3}, "audio"); done || b.Held(7) != 2 {
		t.Fatal("duplicate arrival")
	}
	r, done := b.Arrive(FlowSync{7, 3}, "data")
	if !done || !reflect.DeepEqual(r, []string{"video", "audio"}) || b.Open() != 0 {
		t.Fatalf("release %v %v open %d", r, done, b.Open())
	}
	// A barrier of one flow completes at once, as does count 0.
	if r, done := b.Arrive(FlowSync{8, 1}, "x"); !done || len(r) != 0 {
		t.Fatal(r, done)
	}
	if _, done := b.Arrive(FlowSync{9, 0}, "x"); !done {
		t.Fatal("count 0")
	}
	// A closed flow leaves its barrier.
	b.Arrive(FlowSync{10, 3}, "a")
	b.Arrive(FlowSync{10, 3}, "b")
	b.Forget("a")
	if b.Held(10) != 1 {
		t.Fatal(b.Held(10))
	}
	b.Forget("b")
	if b.Open() != 0 {
		t.Fatal(b.Open())
	}
}

func TestSyncBarriersBounded(t *testing.T) {
	var b SyncBarriers[int]
	for i := range MaxSyncBarriers {
		if r, _ := b.Arrive(FlowSync{uint32(i), 2}, i); r != nil {
			t.Fatal(r)
		}
	}
	// One more barrier than allowed releases the oldest (flow 0).
	r, done := b.Arrive(FlowSync{1000, 2}, 1000)
	if done || !reflect.DeepEqual(r, []int{0}) || b.Open() != MaxSyncBarriers || b.Held(0) != 0 {
		t.Fatalf("%v %v open %d", r, done, b.Open())
	}
	// A huge count never completes early and never allocates per count.
	if _, done := b.Arrive(FlowSync{1000, 0xffffffff}, 1); done {
		t.Fatal("completed")
	}
}
