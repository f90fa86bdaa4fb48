package rtmfp

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
)

func TestFlowMessagesBothWays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 2, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		ctx := context.Background()
		fa, err := sa.OpenFlow([]byte("TC\x04\x00"), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		msgs := [][]byte{[]byte("hello"), bytes.Repeat([]byte{7}, 5000), []byte("x"), []byte("bye")}
		for _, m := range msgs {
			if _, err := fa.Write(m, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		fa.Close()
		rb, err := sb.AcceptFlow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(rb.Metadata()) != "TC\x04\x00" {
			t.Fatalf("metadata %q", rb.Metadata())
		}
		for i, want := range msgs {
			got, err := rb.Read(ctx)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("message %d: %d bytes, %v; state %v stats %+v sess %v", i, len(got), err, rb.r.State(), rb.r.Stats(), sb.Err())
			}
		}
		if _, err := rb.Read(ctx); err != io.EOF {
			t.Fatalf("after FIN: %v", err)
		}
		// A return flow associated to b's receive flow arrives at a's send flow.
		ret, err := rb.OpenReturnFlow([]byte("ret"), flow.PriorityImmediate)
		if err != nil {
			t.Fatal(err)
		}
		var x [8]byte
		binary.BigEndian.PutUint64(x[:], 42)
		rc, err := ret.Write(x[:], WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ra, err := fa.AcceptReturn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ra.Read(ctx)
		if err != nil || binary.BigEndian.Uint64(got) != 42 || string(ra.Metadata()) != "ret" {
			t.Fatalf("return flow: %v %v", got, err)
		}
		<-rc.Done()
		if !rc.Delivered() {
			t.Fatal("receipt not delivered")
		}
	})
}

func TestFlowRejectedByReceiver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 2, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		fa, err := sa.OpenFlow([]byte("unwanted"), flow.PriorityRoutine)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := fa.Write([]byte("first"), WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rb, err := sb.AcceptFlow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rb.Reject(77)
		time.Sleep(time.Second)
		code, ok := fa.Exception()
		if !ok || code != 77 {
			t.Fatalf("exception %d %v", code, ok)
		}
		if _, err := fa.Write([]byte("more"), WriteOptions{}); err == nil {
			t.Fatal("write to a rejected flow succeeded")
		}
		<-rc.Done()
		// The session itself carries on.
		if sa.Err() != nil || sb.Err() != nil {
			t.Fatal(sa.Err(), sb.Err())
		}
	})
}

// TestFlowReadAppend reads messages into one reused buffer: each is
// appended to what the caller passes, and the end of the flow leaves the
// buffer as it was.
func TestFlowReadAppend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 3, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		a := newPeer(t, n, "a", "10.0.0.1", 0, nil)
		b := newPeer(t, n, "b", "10.0.0.2", 1, nil)
		sa, sb := connectPair(t, a, b)
		ctx := context.Background()
		fa, err := sa.OpenFlow([]byte("bulk"), flow.PriorityBulk)
		if err != nil {
			t.Fatal(err)
		}
		msgs := [][]byte{bytes.Repeat([]byte{1}, 3000), []byte("two"), bytes.Repeat([]byte{3}, 20000)}
		for _, m := range msgs {
			if _, err := fa.Write(m, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		fa.Close()
		rb, err := sb.AcceptFlow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 0, 32<<10)
		for i, want := range msgs {
			got, err := rb.ReadAppend(ctx, append(buf[:0], "pre"...))
			if err != nil || string(got[:3]) != "pre" || !bytes.Equal(got[3:], want) {
				t.Fatalf("message %d: %d bytes, %v", i, len(got), err)
			}
			if &got[0] != &buf[:1][0] {
				t.Fatalf("message %d: not read into the buffer given", i)
			}
		}
		got, err := rb.ReadAppend(ctx, append(buf[:0], "end"...))
		if err != io.EOF || string(got) != "end" {
			t.Fatalf("after FIN: %q, %v", got, err)
		}
	})
}
