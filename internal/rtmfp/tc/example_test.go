package tc_test

import (
	"fmt"

	"camchat/internal/rtmfp/tc"
)

// A player asks a peer for its stream, as librtmfp and Flash do between
// peers (RFC 7425 §5.4): one unassociated flow with TC
// metadata for a fresh stream ID, carrying one play command.
func Example_play() {
	md := tc.FlowMetadata{StreamID: 2000001}.Append(nil)
	msg, _ := tc.Play{Name: "camchat"}.Command().AppendMessage(nil, 0)
	fmt.Printf("metadata % x\n", md)
	fmt.Printf("message  % x\n", msg)
	// Output:
	// metadata 54 43 04 fa 89 01
	// message  14 00 00 00 00 02 00 04 70 6c 61 79 00 00 00 00 00 00 00 00 00 05 02 00 07 63 61 6d 63 68 61 74
}

// The publisher receives the play command and answers on its own flows
// (RFC 7425 §5.4): StreamBegin, Play.Reset, Play.Start and |RtmpSampleAccess
// on the data flow, then audio and video.
func Example_publisherAnswer() {
	in, _ := tc.Play{Name: "camchat"}.Command().AppendMessage(nil, 0)

	m, _ := tc.ParseMessage(in)
	cmd, _ := tc.ParseCommandMessage(m, tc.Limits{})
	play, _ := tc.ParsePlay(cmd)
	fmt.Println("play", play.Name)

	const id tc.StreamID = 2000001
	var msgs [][]byte
	msgs = append(msgs, tc.AppendStreamEventMessage(nil, tc.EventStreamBegin, id))
	b, _ := tc.StreamStatus(tc.LevelStatus, tc.CodePlayReset, "Reset", play.Name).AppendMessage(nil, 0)
	msgs = append(msgs, b)
	b, _ = tc.StreamStatus(tc.LevelStatus, tc.CodePlayStart, "Subscribe", play.Name).AppendMessage(nil, 0)
	msgs = append(msgs, b)
	b, _ = tc.SampleAccess(true, true).AppendMessage(nil, 0)
	msgs = append(msgs, b)

	// What the player reads from the data flow.
	for _, b := range msgs {
		m, _ := tc.ParseMessage(b)
		switch m.Type {
		case tc.TypeUserControl:
			u, _ := tc.ParseUserControlMessage(m)
			sid, _ := u.StreamEvent()
			fmt.Println(m.Type, u.Event, sid)
		case tc.TypeCommand:
			c, _ := tc.ParseCommandMessage(m, tc.Limits{})
			info, _ := c.Status()
			fmt.Println(m.Type, c.Name, info.Code)
		case tc.TypeData:
			d, _ := tc.ParseDataMessage(m, tc.Limits{})
			fmt.Println(m.Type, d.Handler, d.Args)
		}
	}

	// Media: the TC timestamp is the capture time in ms.
	audio := tc.AppendOpusMessage(nil, tc.TimestampOf(20e6), []byte{0xfc, 0xff, 0xfe})
	a, _ := tc.ParseMessage(audio)
	p, _ := tc.ParseAudio(a.Payload)
	fmt.Println(a.Type, a.Timestamp, p.Codec, len(p.Payload))
	// Output:
	// play camchat
	// user control StreamBegin 2000001
	// command onStatus NetStream.Play.Reset
	// command onStatus NetStream.Play.Start
	// data |RtmpSampleAccess [true true]
	// audio 20 Opus 3
}
