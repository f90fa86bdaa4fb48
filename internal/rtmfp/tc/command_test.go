package tc

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func mustCmd(t *testing.T, c Command) Command {
	t.Helper()
	b, err := c.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCommand(b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestParseCommandErrors(t *testing.T) {
	for _, c := range []struct {
		name, hex string
		want      error
	}{
		{"empty", "", ErrTruncated},
		{"name not a string", "05 00 0000000000000000", ErrBadCommand},
		{"no transaction", amfStr("x"), ErrTruncated},
		{"transaction not a number", amfStr("x") + "05", ErrBadCommand},
		{"bad argument", amfStr("x") + "00 0000000000000000 05 11", ErrAVMPlus},
		{"bad command object", amfStr("x") + "00 0000000000000000 07 0000", ErrBadReference},
	} {
		if _, err := ParseCommand(unhex(t, c.hex), Limits{}); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// No command object at all: Undefined, told apart from null.
	c, err := ParseCommand(unhex(t, amfStr("x")+"00 3ff0000000000000"), Limits{})
	if err != nil || c.Object != (Undefined{}) || c.TransactionID != 1 || c.Args != nil {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := ParseCommandMessage(Message{Type: TypeData}, Limits{}); !errors.Is(err, ErrWrongType) {
		t.Error(err)
	}
	if _, err := ParseDataMessage(Message{Type: TypeCommand}, Limits{}); !errors.Is(err, ErrWrongType) {
		t.Error(err)
	}
	if _, err := ParseData(unhex(t, "00 0000000000000000"), Limits{}); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}
	// Encoding errors leave the buffer unchanged.
	pre := []byte{1, 2}
	out, err := Command{Name: "x", Args: []Value{make(chan int)}}.AppendMessage(pre, 0)
	if !errors.Is(err, ErrUnsupportedValue) || len(out) != 2 {
		t.Errorf("%x %v", out, err)
	}
	out, err = DataMessage{Handler: "x", Args: []Value{struct{}{}}}.AppendMessage(pre, 0)
	if !errors.Is(err, ErrUnsupportedValue) || len(out) != 2 {
		t.Errorf("%x %v", out, err)
	}
}

func TestSetPeerInfoBothForms(t *testing.T) {
	// rtmfp-cpp: "setPeerInfo", 0, null, addresses…
	withNull := mustCmd(t, SetPeerInfo("10.0.0.1:1935", "10.0.0.2:1935"))
	// librtmfp: "setPeerInfo", 0, addresses… (RFC 7425 §5.4)
	noNull := mustCmd(t, Command{Name: CommandSetPeerInfo, Object: "10.0.0.1:1935", Args: []Value{"10.0.0.2:1935"}})
	want := []string{"10.0.0.1:1935", "10.0.0.2:1935"}
	for _, c := range []Command{withNull, noNull} {
		got, err := ParseSetPeerInfo(c)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: %v %v", c, got, err)
		}
	}
	// tcconn sends no address; non-strings are skipped.
	got, err := ParseSetPeerInfo(mustCmd(t, Command{Name: CommandSetPeerInfo, Args: []Value{1.0, "a:1"}}))
	if err != nil || !reflect.DeepEqual(got, []string{"a:1"}) {
		t.Errorf("%v %v", got, err)
	}
	if got, err := ParseSetPeerInfo(mustCmd(t, SetPeerInfo())); err != nil || len(got) != 0 {
		t.Errorf("%v %v", got, err)
	}
	if _, err := ParseSetPeerInfo(Command{Name: "play"}); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}
}

func TestConnectParse(t *testing.T) {
	c := Connect{
		App: "camchat", FlashVer: "WIN 20,0,0,286", SWFURL: "app:/camchat.swf", TCURL: "rtmfp:", PageURL: "p",
		FPAD: true, Capabilities: 239, AudioCodecs: 3575, VideoCodecs: 252, VideoFunction: 1, ObjectEncoding: 0,
		CapsEx: CapsExReconnect, FourCCList: []string{"Opus", "vp08"},
		VideoFourCCInfoMap: Properties{{"vp08", 7.0}}, AudioFourCCInfoMap: Properties{{"Opus", 7.0}},
		Extra: Properties{{"peerID", "abc"}}, Args: []Value{"token"},
	}
	cmd := c.Command()
	if cmd.TransactionID != ConnectTransactionID || cmd.Name != CommandConnect {
		t.Fatal(cmd)
	}
	got, err := ParseConnect(mustCmd(t, cmd))
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("round trip\n%#v\nwant\n%#v\n%v", got, c, err)
	}
	var keys []string
	for _, p := range cmd.Object.(*Object).Properties {
		keys = append(keys, p.Key)
	}
	want := []string{"app", "flashVer", "swfUrl", "tcUrl", "fpad", "capabilities", "audioCodecs", "videoCodecs",
		"videoFunction", "pageUrl", "objectEncoding", "capsEx", "fourCcList", "videoFourCcInfoMap", "audioFourCcInfoMap", "peerID"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys %v", keys)
	}
	// Wrong types land in Extra; an ECMA array command object is accepted.
	odd := Command{Name: CommandConnect, TransactionID: 1, Object: NewECMAArray(
		Property{"app", 5.0}, Property{"objectEncoding", "zero"}, Property{"fourCcList", []Value{1.0}},
		Property{"fpad", "no"}, Property{"videoFourCcInfoMap", "x"}, Property{"tcUrl", "rtmfp://h/a"})}
	got, err = ParseConnect(odd)
	if err != nil || got.App != "" || got.TCURL != "rtmfp://h/a" || len(got.Extra) != 5 {
		t.Fatalf("%#v %v", got, err)
	}
	if _, err := ParseConnect(Command{Name: CommandConnect, Object: nil}); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}
	if _, err := ParseConnect(Command{Name: "play"}); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}
	// Answers.
	ok := mustCmd(t, ConnectSuccess("you connected!", Property{"connectionID", "00ff"}))
	info, err := ok.Status()
	if err != nil || ok.Name != CommandResult || ok.TransactionID != 1 || info.Code != CodeConnectSuccess ||
		info.Level != LevelStatus || info.Description != "you connected!" ||
		!reflect.DeepEqual(info.Extra, Properties{{"objectEncoding", 0.0}, {"connectionID", "00ff"}}) {
		t.Fatalf("%+v %+v %v", ok, info, err)
	}
	rej := mustCmd(t, ConnectRejected("auth required"))
	info, err = rej.Status()
	if err != nil || rej.Name != CommandError || !info.IsError() || info.Code != CodeConnectRejected {
		t.Fatalf("%+v %v", info, err)
	}
}

func TestStatusInfo(t *testing.T) {
	for _, c := range []struct {
		v    Value
		want error
	}{
		{nil, ErrBadCommand},
		{NewObject(Property{"code", "x"}), ErrBadCommand},
		{NewObject(Property{"level", "status"}), ErrBadCommand},
		{NewObject(Property{"level", "status"}, Property{"code", 1.0}), ErrBadCommand},
		{NewECMAArray(Property{"level", "status"}, Property{"code", "c"}), nil},
	} {
		if _, err := ParseStatusInfo(c.v); !errors.Is(err, c.want) {
			t.Errorf("%#v: %v, want %v", c.v, err, c.want)
		}
	}
	// A description that is not a string stays in Extra.
	s, err := ParseStatusInfo(NewObject(Property{"level", "error"}, Property{"code", CodePublishBadName},
		Property{"description", 3.0}, Property{"detail", "x"}))
	if err != nil || s.Description != "" || len(s.Extra) != 2 {
		t.Fatalf("%+v %v", s, err)
	}
	if _, err := (Command{Name: "play"}).Status(); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}
	// No description: not written.
	o := StatusInfo{Level: LevelStatus, Code: CodeConnectClosed}.Object()
	if len(o.Properties) != 2 {
		t.Errorf("%#v", o)
	}
	e := mustCmd(t, ErrorResult(3, StatusInfo{Level: LevelError, Code: CodeCallFailed}))
	if e.TransactionID != 3 || e.Name != "_error" {
		t.Error(e)
	}
	st := mustCmd(t, OnStatus(StatusInfo{Level: LevelStatus, Code: CodePlayUnpublishNotify}))
	if st.Name != "onStatus" || st.TransactionID != 0 || st.Object != nil {
		t.Error(st)
	}
}

func TestStreamCommands(t *testing.T) {
	id, err := ParseCreateStreamResult(mustCmd(t, CreateStreamResult(2, 7)))
	if err != nil || id != 7 {
		t.Fatal(id, err)
	}
	for _, v := range []Value{0.0, -1.0, 1.5, math.NaN(), math.Inf(1), 4294967296.0, "1", nil} {
		if _, err := ParseCreateStreamResult(Result(2, v)); !errors.Is(err, ErrBadCommand) {
			t.Errorf("%v: %v", v, err)
		}
	}
	if _, err := ParseCreateStreamResult(mustCmd(t, CreateStream(2))); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}
	if id, err := ParseDeleteStream(mustCmd(t, DeleteStream(4294967295))); err != nil || id != 4294967295 {
		t.Error(id, err)
	}
	if _, err := ParseDeleteStream(Command{Name: "x"}); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}

	for _, p := range []Publish{{Name: "cam", Type: PublishLive}, {Name: "cam"}, {}} {
		got, err := ParsePublish(mustCmd(t, p.Command()))
		if err != nil || got != p {
			t.Errorf("%+v: %+v %v", p, got, err)
		}
	}
	if b, _ := (Publish{}).Command().Append(nil); b[len(b)-2] != markerBoolean || b[len(b)-1] != 0 {
		t.Errorf("unpublish is publish(false): %x", b)
	}
	for _, p := range []Play{{Name: "cam"}, {Name: "cam", Extra: []Value{-2.0, -1.0, true}}, {}} {
		got, err := ParsePlay(mustCmd(t, p.Command()))
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Errorf("%+v: %+v %v", p, got, err)
		}
	}
	if _, err := ParsePlay(Command{Name: "publish"}); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}
	if _, err := ParsePublish(Command{Name: "play"}); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}
	cs := mustCmd(t, CloseStream())
	if cs.Name != CommandCloseStream || cs.Object != nil || len(cs.Args) != 0 {
		t.Error(cs)
	}
	for _, name := range []string{CommandPause, CommandReceiveAudio, CommandReceiveVideo} {
		for _, on := range []bool{true, false} {
			if got, err := ParseToggle(mustCmd(t, Toggle(name, on))); err != nil || got != on {
				t.Errorf("%s %v: %v %v", name, on, got, err)
			}
		}
	}
	if _, err := ParseToggle(Command{Name: CommandPause, Args: []Value{1.0}}); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}
	if _, err := ParseToggle(Command{Name: "play"}); !errors.Is(err, ErrBadCommand) {
		t.Error(err)
	}
	// NetStream.send for the roster and chat.
	dm := Send("chat", "hello", NewObject(Property{"from", "peer"}))
	b, err := dm.AppendMessage(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := ParseMessage(b)
	got, err := ParseDataMessage(m, Limits{})
	if err != nil || !reflect.DeepEqual(got, dm) || m.Type != TypeData {
		t.Fatalf("%+v %v", got, err)
	}
	if got, err := ParseDataMessage(Message{Type: TypeDataEx, Payload: append([]byte{0}, b[5:]...)}, Limits{}); err != nil || got.Handler != "chat" {
		t.Fatalf("data-ex: %+v %v", got, err)
	}
}

func TestNewConnect(t *testing.T) {
	for _, c := range []struct{ url, app string }{
		{"rtmfp://127.0.0.1:1935/live", "live"},
		{"rtmfp://host/app/inst?key=v", "app/inst?key=v"},
		{"rtmfp://host", ""},
		{"rtmfp:", ""},
	} {
		p, err := NewConnect(c.url)
		if err != nil || p.App != c.app || p.TCURL != c.url {
			t.Errorf("%s: %+v %v", c.url, p, err)
		}
	}
	if _, err := NewConnect("rtmfp://[::1"); err == nil {
		t.Error("bad URL accepted")
	}
}

func TestMetaDataMessages(t *testing.T) {
	props := Properties{{"width", 320.0}, {"height", 240.0}, {"videocodecid", "vp08"}}
	for _, dm := range []DataMessage{MetaData(props), SetDataFrame(props)} {
		b, err := dm.AppendMessage(nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := ParseMessage(b)
		got, err := ParseDataMessage(m, Limits{})
		if err != nil || !reflect.DeepEqual(got, dm) {
			t.Fatalf("%+v: %+v %v", dm, got, err)
		}
	}
	if h := SetDataFrame(nil).Args[0]; h != HandlerOnMetaData {
		t.Error(h)
	}
}
