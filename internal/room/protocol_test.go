package room

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/tc"
)

func testState() stateMsg {
	return stateMsg{
		Room: roomID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		Name: "Ada", Mic: true, Cam: false, Synthetic: true,
		Verified: []flashcrypto.PeerID{rtmfptest.Identity(2).PeerID()},
		Members: []rosterEntry{
			{ID: rtmfptest.Identity(0).PeerID(), Name: "Ada", Joined: 1700000000000},
			{ID: rtmfptest.Identity(1).PeerID(), Name: "Bob", Joined: 1700000001234,
				Addrs: []netip.AddrPort{netip.MustParseAddrPort("192.0.2.7:1935"), netip.MustParseAddrPort("[2001:db8::1]:5000")}},
		},
	}
}

// roundTrip encodes a data message as it goes on the wire and parses it as
// a player does.
func roundTrip(t *testing.T, dm tc.DataMessage) tc.DataMessage {
	t.Helper()
	b, err := dm.AppendMessage(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tc.ParseMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tc.ParseDataMessage(m, tc.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestStateRoundTrip(t *testing.T) {
	want := testState()
	dm := roundTrip(t, want.data())
	if dm.Handler != handlerState {
		t.Fatalf("handler %q", dm.Handler)
	}
	got, err := parseState(dm.Args)
	if err != nil {
		t.Fatal(err)
	}
	if got.Room != want.Room || got.Name != want.Name || got.Mic != want.Mic || got.Cam != want.Cam || got.Synthetic != want.Synthetic ||
		!slices.Equal(got.Verified, want.Verified) || len(got.Members) != len(want.Members) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	for i := range got.Members {
		g, w := got.Members[i], want.Members[i]
		if g.ID != w.ID || g.Name != w.Name || g.Joined != w.Joined || !slices.Equal(g.Addrs, w.Addrs) {
			t.Errorf("member %d: got %+v, want %+v", i, g, w)
		}
	}
}

// TestStateRejectsHostile: what a peer may tell us is bounded and checked;
// bad address hints are skipped, not fatal; names are cut and cleaned.
func TestStateRejectsHostile(t *testing.T) {
	parse := func(o *tc.Object) error {
		_, err := parseState([]tc.Value{o})
		return err
	}
	base := func() *tc.Object { return testState().data().Args[0].(*tc.Object) }
	for name, mod := range map[string]func(o *tc.Object){
		"no version":     func(o *tc.Object) { o.Delete("v") },
		"short room":     func(o *tc.Object) { o.Set("room", "0102") },
		"room not hex":   func(o *tc.Object) { o.Set("room", strings.Repeat("zz", 16)) },
		"members absent": func(o *tc.Object) { o.Delete("members") },
		"members empty":  func(o *tc.Object) { o.Set("members", []tc.Value{}) },
		"members not a list": func(o *tc.Object) {
			o.Set("members", "everyone")
		},
		"too many members": func(o *tc.Object) {
			var l []tc.Value
			for range maxRosterEntries + 1 {
				l = append(l, tc.NewObject(tc.Property{Key: "id", Value: rtmfptest.Identity(0).PeerID().String()}))
			}
			o.Set("members", l)
		},
		"member id short": func(o *tc.Object) {
			o.Set("members", []tc.Value{tc.NewObject(tc.Property{Key: "id", Value: "abcd"})})
		},
		"verified not ids": func(o *tc.Object) { o.Set("verified", []tc.Value{1.0}) },
	} {
		o := base()
		mod(o)
		if err := parse(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	o := base()
	o.Set("name", "Eve\x00\x07"+strings.Repeat("é", 100))
	o.Set("members", []tc.Value{tc.NewObject(
		tc.Property{Key: "id", Value: rtmfptest.Identity(3).PeerID().String()},
		tc.Property{Key: "addrs", Value: []tc.Value{"0.0.0.0:1", "224.0.0.1:5", "192.0.2.1:0", "not an address", "192.0.2.9:1935"}},
	)})
	st, err := parseState([]tc.Value{o})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(st.Name, "Eveé") || len(st.Name) > MaxNameBytes || strings.ContainsAny(st.Name, "\x00\x07") {
		t.Errorf("name %q not cleaned and cut", st.Name)
	}
	if want := []netip.AddrPort{netip.MustParseAddrPort("192.0.2.9:1935")}; !slices.Equal(st.Members[0].Addrs, want) {
		t.Errorf("hints %v, want only %v", st.Members[0].Addrs, want)
	}
}

func TestPlayNameRoundTrip(t *testing.T) {
	q := playQuery{Version: 1, Room: roomID{0xab, 0xcd}, Members: 3}
	name := q.streamName()
	if !strings.HasPrefix(name, StreamName+"?") {
		t.Fatalf("name %q", name)
	}
	got, err := parsePlayName(name)
	if err != nil || got != q {
		t.Fatalf("parsed %+v, %v; want %+v", got, err, q)
	}
	for _, bad := range []string{"camchat", "other?v=1&room=" + q.Room.String() + "&n=1", "camchat?v=0&room=" + q.Room.String() + "&n=1",
		"camchat?v=1&room=" + q.Room.String() + "&n=0", "camchat?v=1&room=" + q.Room.String() + "&n=99", "camchat?v=1&room=xyz&n=1", "camchat?%zz"} {
		if _, err := parsePlayName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestChatRoundTrip(t *testing.T) {
	sent := time.UnixMilli(1700000000123)
	want := chatMsg{ID: 42, Text: "héllo 👋", Sent: sent}
	got, err := parseChat(roundTrip(t, want.data()).Args)
	if err != nil || got.ID != want.ID || got.Text != want.Text || !got.Sent.Equal(sent) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, o := range []*tc.Object{
		tc.NewObject(tc.Property{Key: "id", Value: 0.0}, tc.Property{Key: "text", Value: "x"}),
		tc.NewObject(tc.Property{Key: "id", Value: 1.5}, tc.Property{Key: "text", Value: "x"}),
		tc.NewObject(tc.Property{Key: "id", Value: 1.0}, tc.Property{Key: "text", Value: strings.Repeat("x", MaxChatBytes+1)}),
		tc.NewObject(tc.Property{Key: "id", Value: 1.0}),
	} {
		if _, err := parseChat([]tc.Value{o}); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	b, err := chatAck(7).AppendMessage(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := tc.ParseMessage(b)
	c, err := tc.ParseCommandMessage(m, tc.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := parseChatAck(c); err != nil || id != 7 {
		t.Fatalf("ack %d, %v", id, err)
	}
}

// FuzzCallProtocol: every call-protocol parser on hostile AMF0 never
// panics, and what parses re-encodes to something that parses the same.
func FuzzCallProtocol(f *testing.F) {
	for _, dm := range []tc.DataMessage{testState().data(), chatMsg{ID: 1, Text: "hi", Sent: time.UnixMilli(5)}.data(), byeMsg("left")} {
		b, err := dm.Append(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	b, _ := chatAck(3).Append(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		if dm, err := tc.ParseData(b, tc.Limits{}); err == nil {
			if st, err := parseState(dm.Args); err == nil {
				again, err := parseState(roundTrip(t, st.data()).Args)
				if err != nil || again.Room != st.Room || len(again.Members) != len(st.Members) {
					t.Fatalf("state does not round-trip: %v", err)
				}
			}
			if c, err := parseChat(dm.Args); err == nil {
				again, err := parseChat(roundTrip(t, c.data()).Args)
				if err != nil || again.ID != c.ID || again.Text != c.Text {
					t.Fatalf("chat does not round-trip: %v", err)
				}
			}
			parseBye(dm.Args)
		}
		if c, err := tc.ParseCommand(b, tc.Limits{}); err == nil {
			parseChatAck(c)
		}
		parsePlayName(string(b))
	})
}
