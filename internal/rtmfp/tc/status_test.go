package tc

import (
	"bytes"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/rtmfptest"
)

// librtmfp's publisher of a peer stream answers play with onStatus
// commands that have no null command object (P2PSession.cpp
// P2PSession::handlePlay, writeAMFStatus → RTMFP.cpp RTMFP::WriteInvocation
// with amf3 false, RTMFP::WriteAMFState): the info object sits where the
// command object would be.
const goldenLibrtmfpPlayReset = `14 | 00 00 00 00
	02 00 08 6f 6e 53 74 61 74 75 73                  // "onStatus"
	00 00 00 00 00 00 00 00 00                        // 0.0, then no null
	03                                                // object
	00 05 6c 65 76 65 6c 02 00 06 73 74 61 74 75 73   // level: "status"
	00 04 63 6f 64 65 02 00 14 4e 65 74 53 74 72 65 61 6d 2e 50 6c 61 79 2e 52 65 73 65 74
	                                                  // code: "NetStream.Play.Reset"
	00 0b 64 65 73 63 72 69 70 74 69 6f 6e 02 00 1d 50 6c 61 79 69 6e 67 20 61 6e 64 20 72 65 73 65 74 74 69 6e 67 20 63 61 6d 63 68 61 74
	                                                  // description: "Playing and resetting camchat"
	00 00 09                                          // object end`

// TestStatusWithoutNullObject: an onStatus whose info object is in the
// command-object slot with no argument after it is read as a status;
// ours (null, then the info object) still is, and nothing else moves.
func TestStatusWithoutNullObject(t *testing.T) {
	raw := unhex(t, goldenLibrtmfpPlayReset)
	sm, err := parseStreamMessage(raw, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if !sm.IsStatus(CodePlayReset) || sm.Status.Level != LevelStatus || sm.Status.Description != "Playing and resetting camchat" || len(sm.Status.Extra) != 0 {
		t.Fatalf("status %+v", sm.Status)
	}
	// The same info object in our form.
	ours, err := OnStatus(sm.Status).AppendMessage(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours[:25], raw[:25]) || ours[25] != 0x05 || !bytes.Equal(ours[26:], raw[25:]) {
		t.Fatalf("ours % x\nlibrtmfp's % x", ours, raw)
	}
	if sm, err := parseStreamMessage(ours, DefaultLimits); err != nil || !sm.IsStatus(CodePlayReset) {
		t.Fatalf("our form: %+v %v", sm.Status, err)
	}
	info := sm.Status.Object()
	for name, c := range map[string]Command{
		// An argument follows: it is the info object, and here not one.
		"argument after object": {Name: CommandOnStatus, Object: info, Args: []Value{"x"}},
		"null and no argument":  {Name: CommandOnStatus, Object: nil},
		"nothing":               {Name: CommandOnStatus, Object: Undefined{}},
		"string in object slot": {Name: CommandOnStatus, Object: "NetStream.Play.Reset"},
	} {
		if _, err := c.Status(); !errors.Is(err, ErrBadCommand) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// An argument after an object command object wins, as before.
	c := Command{Name: CommandResult, TransactionID: 1, Object: &Object{Properties: Properties{{"fmsVer", "x"}}}, Args: []Value{info}}
	if s, err := c.Status(); err != nil || s.Code != CodePlayReset {
		t.Fatalf("_result with properties and info: %+v %v", s, err)
	}
	// Every truncation fails cleanly.
	for i := range len(raw) - 1 {
		if _, err := parseStreamMessage(raw[:i], DefaultLimits); err == nil {
			t.Fatalf("prefix of %d bytes parsed", i)
		}
	}
}

// TestPlayerSeesStatusWithoutNull: a publisher that answers play as
// librtmfp does (StreamBegin, then onStatus without the null command
// object) is seen by PlayPeer's stream: Play.Reset, then Play.Start.
func TestPlayerSeesStatusWithoutNull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: 3, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
		defer n.Close()
		a := newNode(t, n, "a", "10.0.0.1", 0)
		b := newNode(t, n, "b", "10.0.0.2", 1)
		ctx := testCtx(t)
		sa, err := a.ep.Connect(ctx, b.epd(), b.addr)
		if err != nil {
			t.Fatal(err)
		}
		ns, err := PlayPeer(sa, "camchat", PlayConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer ns.Close()
		sb, err := b.ep.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		play, err := sb.AcceptFlow(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := play.Read(ctx); err != nil {
			t.Fatal(err)
		}
		data, err := play.OpenReturnFlow(unhex(t, goldenPlayMetadata), PriorityControl)
		if err != nil {
			t.Fatal(err)
		}
		start := bytes.ReplaceAll(unhex(t, goldenLibrtmfpPlayReset), []byte("Reset"), []byte("Start"))
		for _, m := range [][]byte{unhex(t, goldenStreamBegin), unhex(t, goldenLibrtmfpPlayReset), start} {
			if _, err := data.Write(m, rtmfp.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		var codes []string
		for len(codes) < 2 {
			m, err := ns.Read(ctx)
			if err != nil {
				t.Fatalf("after %q: %v (%d malformed)", codes, err, ns.Stats().Malformed)
			}
			if m.Command.Name == CommandOnStatus {
				codes = append(codes, m.Status.Code)
			}
		}
		if codes[0] != CodePlayReset || codes[1] != CodePlayStart || ns.Stats().Malformed != 0 {
			t.Fatalf("statuses %q, %d malformed", codes, ns.Stats().Malformed)
		}
	})
}
