package tc

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"
)

// wireGolden are whole TC messages and flow metadata, hand-checked byte by
// byte, with the builder that must produce them and a parser whose result
// they must give.
type wireGolden struct {
	name  string
	hex   string
	build func() ([]byte, error)
	parse func(b []byte) (any, error)
	want  any
	// strict: every proper prefix fails with ErrTruncated. Otherwise a
	// prefix that ends at a value boundary may parse, but never to want.
	strict bool
}

func parseCmd(b []byte) (any, error) {
	m, err := ParseMessage(b)
	if err != nil {
		return nil, err
	}
	c, err := ParseCommandMessage(m, Limits{})
	if err != nil {
		return nil, err
	}
	return struct {
		T Timestamp
		C Command
	}{m.Timestamp, c}, nil
}

func cmdWant(ts Timestamp, c Command) any {
	return struct {
		T Timestamp
		C Command
	}{ts, c}
}

func parseData(b []byte) (any, error) {
	m, err := ParseMessage(b)
	if err != nil {
		return nil, err
	}
	return ParseDataMessage(m, Limits{})
}

func parseUC(b []byte) (UserControl, error) {
	m, err := ParseMessage(b)
	if err != nil {
		return UserControl{}, err
	}
	return ParseUserControlMessage(m)
}

func parseAudioMsg(b []byte) (any, error) {
	m, err := ParseMessage(b)
	if err != nil {
		return nil, err
	}
	if m.Type != TypeAudio {
		return nil, ErrWrongType
	}
	return ParseAudio(m.Payload)
}

func parseVideoMsg(b []byte) (any, error) {
	m, err := ParseMessage(b)
	if err != nil {
		return nil, err
	}
	if m.Type != TypeVideo {
		return nil, ErrWrongType
	}
	return ParseVideo(m.Payload)
}

func goldenVectors(t testing.TB) []wireGolden {
	opus := unhex(t, "fc ff fe")
	vp8 := unhex(t, "10 02 00 9d 01 2a")
	return []wireGolden{
		{
			name: "TC metadata stream 2000001 (librtmfp play flow, RFC 7425 §5.4)",
			hex:  "54 43 | 04 | fa 89 01", // 'T' 'C', SID present + original order, VLU 2000001
			build: func() ([]byte, error) {
				return FlowMetadata{StreamID: 2000001}.Append(nil), nil
			},
			parse: func(b []byte) (any, error) {
				m, n, err := ParseFlowMetadata(b)
				if err == nil && n != len(b) {
					return nil, errors.New("short read")
				}
				return m, err
			},
			want:   FlowMetadata{StreamID: 2000001, Intent: IntentOriginalOrder},
			strict: true,
		},
		{
			name:   "TC metadata stream 0 (NetConnection control flow)",
			hex:    "54 43 04 00",
			build:  func() ([]byte, error) { return FlowMetadata{}.Append(nil), nil },
			parse:  func(b []byte) (any, error) { m, _, err := ParseFlowMetadata(b); return m, err },
			want:   FlowMetadata{},
			strict: true,
		},
		{
			name: "TC metadata stream 128 network order (rtmfp-cpp testtcmsg md1/md2)",
			hex:  "54 43 | 05 | 81 00", // flags SID | RXI network
			build: func() ([]byte, error) {
				return FlowMetadata{StreamID: 128, Intent: IntentNetworkOrder}.Append(nil), nil
			},
			parse:  func(b []byte) (any, error) { m, _, err := ParseFlowMetadata(b); return m, err },
			want:   FlowMetadata{StreamID: 128, Intent: IntentNetworkOrder},
			strict: true,
		},
		{
			name: "play from a direct peer (librtmfp, RFC 7425 §5.4)",
			hex: `14 | 00 00 00 00        // type 20 command, timestamp 0
				02 00 04 70 6c 61 79      // "play"
				00 00 00 00 00 00 00 00 00 // transaction 0.0
				05                        // null command object
				02 00 04 74 65 73 74      // "test"`,
			build: func() ([]byte, error) { return Play{Name: "test"}.Command().AppendMessage(nil, 0) },
			parse: parseCmd,
			want:  cmdWant(0, Command{Name: "play", Object: nil, Args: []Value{"test"}}),
		},
		{
			name: "setPeerInfo as rtmfp-cpp sends it (null command object)",
			hex: "14 00000000" + amfStr("setPeerInfo") + "00 0000000000000000 | 05" +
				amfStr("192.168.1.2:1935") + amfStr("[fe80::1]:1935"),
			build: func() ([]byte, error) {
				return SetPeerInfo("192.168.1.2:1935", "[fe80::1]:1935").AppendMessage(nil, 0)
			},
			parse: func(b []byte) (any, error) {
				c, err := parseCmd(b)
				if err != nil {
					return nil, err
				}
				return ParseSetPeerInfo(c.(struct {
					T Timestamp
					C Command
				}).C)
			},
			want: []string{"192.168.1.2:1935", "[fe80::1]:1935"},
		},
		{
			name:  "createStream (rtmfp-cpp TCConnection::createStream)",
			hex:   "14 00000000" + amfStr("createStream") + "00 4000000000000000 | 05", // tid 2, null
			build: func() ([]byte, error) { return CreateStream(2).AppendMessage(nil, 0) },
			parse: parseCmd,
			want:  cmdWant(0, Command{Name: "createStream", TransactionID: 2, Object: nil, Args: nil}),
		},
		{
			name:  "createStream _result stream 1 (tcserver)",
			hex:   "14 00000000" + amfStr("_result") + "00 4000000000000000 | 05 | 00 3ff0000000000000",
			build: func() ([]byte, error) { return CreateStreamResult(2, 1).AppendMessage(nil, 0) },
			parse: parseCmd,
			want:  cmdWant(0, Command{Name: "_result", TransactionID: 2, Object: nil, Args: []Value{1.0}}),
		},
		{
			name:  "deleteStream 1",
			hex:   "14 00000000" + amfStr("deleteStream") + "00 0000000000000000 | 05 | 00 3ff0000000000000",
			build: func() ([]byte, error) { return DeleteStream(1).AppendMessage(nil, 0) },
			parse: parseCmd,
			want:  cmdWant(0, Command{Name: "deleteStream", Object: nil, Args: []Value{1.0}}),
		},
		{
			name: "onStatus NetStream.Play.Start (tcserver order: level, code, detail, description)",
			hex: "14 00000000" + amfStr("onStatus") + "00 0000000000000000 | 05 | 03" +
				key("level") + amfStr("status") + key("code") + amfStr("NetStream.Play.Start") +
				key("description") + amfStr("Subscribe") + key("detail") + amfStr("test") + "000009",
			build: func() ([]byte, error) {
				return StreamStatus(LevelStatus, CodePlayStart, "Subscribe", "test").AppendMessage(nil, 0)
			},
			parse: func(b []byte) (any, error) {
				c, err := parseCmd(b)
				if err != nil {
					return nil, err
				}
				return c.(struct {
					T Timestamp
					C Command
				}).C.Status()
			},
			want: StatusInfo{Level: "status", Code: "NetStream.Play.Start", Description: "Subscribe",
				Extra: Properties{{"detail", "test"}}},
		},
		{
			name: "|RtmpSampleAccess true, true (tcserver onPlayCommand)",
			hex:  "12 00000000" + amfStr("|RtmpSampleAccess") + "01 01 | 01 01",
			build: func() ([]byte, error) {
				return SampleAccess(true, true).AppendMessage(nil, 0)
			},
			parse: parseData,
			want:  DataMessage{Handler: "|RtmpSampleAccess", Args: []Value{true, true}},
		},
		{
			name: "flow sync id 7 count 3 (FlowSyncManager::makeSyncMessage)",
			hex: `04 | 00 00 00 00 // user control, timestamp 0
				00 22             // event 34
				00 00 00 07       // sync ID
				00 00 00 03       // count`,
			build: func() ([]byte, error) { return FlowSync{SyncID: 7, Count: 3}.AppendMessage(nil), nil },
			parse: func(b []byte) (any, error) {
				u, err := parseUC(b)
				if err != nil {
					return nil, err
				}
				return ParseFlowSync(u)
			},
			want:   FlowSync{SyncID: 7, Count: 3},
			strict: true,
		},
		{
			name: "set keepalive server 15 s peer 10 s (RFC 7425 §5.3.4)",
			hex: `04 00000000 | 00 29 // event 41
				00 00 3a 98 // 15000 ms
				00 00 27 10 // 10000 ms`,
			build: func() ([]byte, error) {
				return SetKeepalive{Server: 15 * time.Second, Peer: 10 * time.Second}.AppendMessage(nil), nil
			},
			parse: func(b []byte) (any, error) {
				u, err := parseUC(b)
				if err != nil {
					return nil, err
				}
				return ParseSetKeepalive(u)
			},
			want:   SetKeepalive{Server: 15 * time.Second, Peer: 10 * time.Second},
			strict: true,
		},
		{
			name:  "StreamBegin 2000001 (publisher's first message, RFC 7425 §5.4)",
			hex:   "04 00000000 | 00 00 | 00 1e 84 81",
			build: func() ([]byte, error) { return AppendStreamEventMessage(nil, EventStreamBegin, 2000001), nil },
			parse: func(b []byte) (any, error) {
				u, err := parseUC(b)
				if err != nil {
					return nil, err
				}
				return u.StreamEvent()
			},
			want:   StreamID(2000001),
			strict: true,
		},
		{
			name: "Opus coded frame at 20 ms (Enhanced RTMP)",
			hex: `08 | 00 00 00 14 // audio, timestamp 20
				91             // SoundFormat 9 (ExHeader) | packet type 1 coded frames
				4f 70 75 73    // 'Opus'
				fc ff fe       // the Opus packet`,
			build: func() ([]byte, error) { return AppendOpusMessage(nil, 20, opus), nil },
			parse: parseAudioMsg,
			want:  AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioCodedFrames, Payload: opus},
		},
		{
			name: "VP8 keyframe at 40 ms (Enhanced RTMP)",
			hex: `09 | 00 00 00 28 // video, timestamp 40
				91             // ExHeader | frame type 1 key | packet type 1 coded frames
				76 70 30 38    // 'vp08'
				10 02 00 9d 01 2a`,
			build: func() ([]byte, error) { return AppendVP8Message(nil, 40, true, vp8), nil },
			parse: parseVideoMsg,
			want:  VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameKey, PacketType: VideoCodedFrames, Payload: vp8},
		},
		{
			name:  "VP8 inter frame (Enhanced RTMP)",
			hex:   "09 00000050 | a1 | 76 70 30 38 | 10 02 00 9d 01 2a", // ExHeader | frame type 2 | coded frames
			build: func() ([]byte, error) { return AppendVP8Message(nil, 80, false, vp8), nil },
			parse: parseVideoMsg,
			want:  VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameInter, PacketType: VideoCodedFrames, Payload: vp8},
		},
		{
			name: "Opus packet with media info (ModEx type 15)",
			hex:  "08 0000003c | 97 | 03 | 61 0102 01 | f1 | 4f 70 75 73 | fc ff fe", // ExHeader | ModEx; size 4;
			// 'a', seq 258, quiet; type 15 | coded frames; 'Opus'
			build: func() ([]byte, error) {
				return AppendOpusMessageExt(nil, 60, AudioExt{Present: true, Seq: 258, Quiet: true}, opus), nil
			},
			parse: parseAudioMsg,
			want: AudioPacket{Codec: AudioOpus, Enhanced: true, PacketType: AudioCodedFrames,
				Ext: AudioExt{Present: true, Seq: 258, Quiet: true}, Payload: opus},
		},
		{
			name: "VP8 keyframe with media info (ModEx type 15)",
			hex:  "09 00000050 | 97 | 04 | 76 00 01 01 01 | f1 | 76 70 30 38 | 10 02 00 9d 01 2a", // ExHeader | key | ModEx;
			// size 5; 'v', layer 0, deps 1 1 1; type 15 | coded frames; 'vp08'
			build: func() ([]byte, error) {
				return AppendVP8MessageExt(nil, 80, true, VideoExt{Present: true, Deps: DepVector{1, 1, 1}}, vp8), nil
			},
			parse: parseVideoMsg,
			want: VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameKey, PacketType: VideoCodedFrames,
				Ext: VideoExt{Present: true, Deps: DepVector{1, 1, 1}}, Payload: vp8},
		},
		{
			name: "VP8 droppable inter frame of layer 2 with media info",
			hex:  "09 00000064 | a7 | 04 | 76 06 02 01 09 | f1 | 76 70 30 38 | 10 02 00 9d 01 2a", // inter | ModEx;
			// 'v', layer 2 + droppable (0x04), deps 2 1 9
			build: func() ([]byte, error) {
				return AppendVP8MessageExt(nil, 100, false, VideoExt{Present: true, Layer: 2, Droppable: true, Deps: DepVector{2, 1, 9}}, vp8), nil
			},
			parse: parseVideoMsg,
			want: VideoPacket{Codec: VideoVP8, Enhanced: true, FrameType: FrameInter, PacketType: VideoCodedFrames,
				Ext: VideoExt{Present: true, Layer: 2, Droppable: true, Deps: DepVector{2, 1, 9}}, Payload: vp8},
		},
	}
}

func TestWireGolden(t *testing.T) {
	for _, g := range goldenVectors(t) {
		t.Run(g.name, func(t *testing.T) {
			b := unhex(t, g.hex)
			built, err := g.build()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(built, b) {
				t.Fatalf("built\n %s\nwant\n %s", hexOf(built), hexOf(b))
			}
			got, err := g.parse(b)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(got, g.want) {
				t.Fatalf("parsed %#v\nwant %#v", got, g.want)
			}
			for i := range b {
				got, err := g.parse(b[:i])
				if g.strict {
					if !errors.Is(err, ErrTruncated) {
						t.Errorf("prefix %s: %v, want ErrTruncated", hexOf(b[:i]), err)
					}
					continue
				}
				if err == nil && reflect.DeepEqual(got, g.want) {
					t.Errorf("prefix %s parsed as the whole message", hexOf(b[:i]))
				}
				// A prefix that ends inside a value is truncated; one that
				// ends between values lacks an argument.
				if err != nil && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrBadCommand) {
					t.Errorf("prefix %s: %v", hexOf(b[:i]), err)
				}
			}
		})
	}
}

// TestConnectLikeTcconn builds the connect command the way rtmfp-cpp's
// tcconn does (test/tcconn.cpp, completed by TCConnection::connect) and
// compares it with the bytes rtmfp-cpp would send: its AMF0Object is a
// std::map, so the properties come sorted by key.
func TestConnectLikeTcconn(t *testing.T) {
	const tcURL = "rtmfp://127.0.0.1:1935/live"
	num := func(h string) string { return "00" + h }
	ref := unhex(t, "14 00000000"+amfStr("connect")+num("3ff0000000000000")+ // transaction 1
		"03"+
		key("app")+amfStr("live")+
		key("audioCodecs")+num("40efffe000000000")+ // 65535, wildcard
		key("audioFourCcInfoMap")+"03"+key("*")+num("4014000000000000")+"000009"+ // {"*": 5}
		key("capsEx")+num("4008000000000000")+ // 3
		key("fourCcList")+"0a 00000001"+amfStr("*")+
		key("objectEncoding")+num("0000000000000000")+
		key("tcUrl")+amfStr(tcURL)+
		key("videoCodecs")+num("40efffe000000000")+
		key("videoFourCcInfoMap")+"03"+key("*")+num("4014000000000000")+"000009"+
		"000009")

	ours := Connect{
		App: "live", TCURL: tcURL, AudioCodecs: 0xffff, VideoCodecs: 0xffff,
		CapsEx: CapsExReconnect | CapsExMultitrack, FourCCList: []string{"*"},
		VideoFourCCInfoMap: Properties{{"*", float64(FourCCCanDecode | FourCCCanForward)}},
		AudioFourCCInfoMap: Properties{{"*", float64(FourCCCanDecode | FourCCCanForward)}},
	}
	b, err := ours.Command().AppendMessage(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Same length: same properties, same encodings, another order.
	if len(b) != len(ref) {
		t.Fatalf("connect is %d bytes, rtmfp-cpp's %d", len(b), len(ref))
	}
	parse := func(b []byte) Connect {
		m, err := ParseMessage(b)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ParseCommandMessage(m, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if c.TransactionID != 1 || c.Name != "connect" || len(c.Args) != 0 {
			t.Fatalf("command %q tid %v args %v", c.Name, c.TransactionID, c.Args)
		}
		p, err := ParseConnect(c)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	fromRef, fromOurs := parse(ref), parse(b)
	if !reflect.DeepEqual(fromRef, fromOurs) {
		t.Fatalf("rtmfp-cpp's connect parses as\n%#v\nours as\n%#v", fromRef, fromOurs)
	}
	if !reflect.DeepEqual(fromOurs, ours) {
		t.Fatalf("round trip\n%#v\nwant\n%#v", fromOurs, ours)
	}
	// Our order: app, tcUrl, the codec masks, objectEncoding, capsEx, lists.
	m, _ := ParseMessage(b)
	c, _ := ParseCommandMessage(m, Limits{})
	var keys []string
	for _, p := range c.Object.(*Object).Properties {
		keys = append(keys, p.Key)
	}
	want := []string{"app", "tcUrl", "audioCodecs", "videoCodecs", "objectEncoding", "capsEx", "fourCcList", "videoFourCcInfoMap", "audioFourCcInfoMap"}
	if !reflect.DeepEqual(keys, want) {
		t.Fatalf("keys %v, want %v", keys, want)
	}
	// Every prefix of rtmfp-cpp's connect fails: the command object is
	// the third value, and until its end the decoder reports truncation.
	for i := range len(ref) {
		m, err := ParseMessage(ref[:i])
		if err == nil {
			_, err = ParseCommandMessage(m, Limits{})
		}
		if err == nil && i < len(ref) {
			c, _ := ParseCommandMessage(m, Limits{})
			if _, ok := c.Object.(*Object); ok {
				t.Errorf("prefix of %d bytes parsed with a command object", i)
			}
		}
	}
}
