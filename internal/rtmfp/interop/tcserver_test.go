//go:build interop

package interop

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

// flvTag is one tag of an FLV file: its type (8 audio, 9 video), timestamp in
// ms and body (an RTMP message payload).
type flvTag struct {
	typ  byte
	ts   uint32
	body []byte
}

// writeFLV writes tags as an FLV file (Adobe FLV spec, version 10.1, E.4).
func writeFLV(t *testing.T, path string, tags []flvTag) {
	t.Helper()
	b := []byte{'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0}
	for _, tg := range tags {
		n := len(tg.body)
		b = append(b, tg.typ, byte(n>>16), byte(n>>8), byte(n),
			byte(tg.ts>>16), byte(tg.ts>>8), byte(tg.ts), byte(tg.ts>>24), 0, 0, 0)
		b = append(b, tg.body...)
		b = binary.BigEndian.AppendUint32(b, uint32(11+n))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTCServerPlay: camchat's NetConnection connects to tcserver (HMAC and
// sequence numbers required, its default), creates a stream and plays one
// that tcpublish publishes there; every audio and video message arrives
// with its body and timestamp. Midway the player sends its feedback
// commands (requestKeyframe, receiverReport) on the stream, which tcserver
// does not know: it must ignore them and keep the stream going.
func TestTCServerPlay(t *testing.T) {
	tags, want := testMedia(false)
	playFromTCServer(t, tags, want)
}

// TestTCServerPlayMediaExt: the same with camchat's media info in a ModEx
// entry of every coded frame (tc.AppendOpusMessageExt, AppendVP8MessageExt).
// tcpublish and tcserver know Enhanced RTMP v1 only: they read the ModEx
// size and data as the FourCC and take video with packet type 7 for a
// "sequence special" message (sent without a deadline), but they relay
// every message as it is, and camchat's player reads the fields.
func TestTCServerPlayMediaExt(t *testing.T) {
	tags, want := testMedia(true)
	got := playFromTCServer(t, tags, want)
	for _, m := range got {
		switch {
		case m.Type == tc.TypeAudio && !m.Audio.SequenceSpecial():
			if !m.Audio.Ext.Present || m.Audio.Ext.Seq != uint16(m.Timestamp/20) || m.Audio.Ext.Quiet != (m.Timestamp%100 == 0) {
				t.Fatalf("audio %d: %+v", m.Timestamp, m.Audio.Ext)
			}
		case m.Type == tc.TypeVideo && !m.Video.SequenceSpecial():
			if !m.Video.Ext.Present || m.Video.Ext.Layer != uint8(m.Timestamp/100%2) || m.Video.Keyframe() != (m.Timestamp%1000 == 0) {
				t.Fatalf("video %d: %+v", m.Timestamp, m.Video)
			}
		}
	}
}

// testMedia returns two seconds of media in Enhanced-RTMP framing, Opus
// every 20 ms and VP8 every 100 ms with a keyframe every second, as FLV
// tags and as the set of "a|v<ts>:<body>" keys a player must receive; ext
// adds camchat's media info to every coded frame. The file goes on for
// 300 ms more that the player need not receive: tcpublish unpublishes as
// soon as it has sent its last tag, which may cut the last messages short.
func testMedia(ext bool) ([]flvTag, map[string]bool) {
	var tags []flvTag
	want := map[string]bool{}
	for ms := uint32(0); ms < 2300; ms += 20 {
		frame := bytes.Repeat([]byte{byte(ms / 20)}, 40)
		ax := tc.AudioExt{Present: ext, Seq: uint16(ms / 20), Quiet: ms%100 == 0}
		body := tc.AppendOpusMessageExt(nil, tc.Timestamp(ms), ax, frame)[5:] // strip the TC header
		tags = append(tags, flvTag{8, ms, body})
		if ms < 2000 {
			want[fmt.Sprintf("a%d:%x", ms, body)] = true
		}
		if ms%100 == 0 {
			vf := bytes.Repeat([]byte{byte(ms / 100)}, 300)
			vx := tc.VideoExt{Present: ext, Layer: uint8(ms / 100 % 2), Deps: tc.DepVector{byte(ms / 200), 0, 0}}
			vbody := tc.AppendVP8MessageExt(nil, tc.Timestamp(ms), ms%1000 == 0, vx, vf)[5:]
			tags = append(tags, flvTag{9, ms, vbody})
			if ms < 2000 {
				want[fmt.Sprintf("v%d:%x", ms, vbody)] = true
			}
		}
	}
	return tags, want
}

// playFromTCServer publishes tags with tcpublish to a tcserver, plays the
// stream with camchat and returns the media messages once every one in want
// arrived byte-exact with its timestamp.
func playFromTCServer(t *testing.T, tags []flvTag, want map[string]bool) []tc.StreamMessage {
	t.Helper()
	port := freePort(t)
	srv := start(t, "tcserver", "-B", fmt.Sprintf("127.0.0.1:%d", port))
	srv.waitFor(t, `(?i)listen|bound|rtmfp`, 5*time.Second)
	flv := filepath.Join(t.TempDir(), "camchat.flv")
	writeFLV(t, flv, tags)

	ep := endpoint(t, flashcrypto.CertOptions{}, flashcrypto.DefaultPolicy())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := fmt.Sprintf("rtmfp://127.0.0.1:%d/live", port)
	nc, err := tc.Dial(ctx, ep, tc.ConnConfig{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	t.Logf("connected: %s (HMAC %v, sequence numbers %v)", nc.Info().Code,
		nc.Session().Negotiated().HMACRecv, nc.Session().Negotiated().SSEQRecv)
	ns, err := nc.CreateStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Play("camchat"); err != nil {
		t.Fatal(err)
	}
	pub := start(t, "tcpublish", url, flv)

	var got []tc.StreamMessage
	audio, video := 0, 0
	var statuses []string
	for len(want) > 0 {
		m, err := ns.Read(ctx)
		if err != nil {
			var missing []string
			for k := range want {
				missing = append(missing, k[:min(len(k), 12)])
			}
			t.Fatalf("after %d audio and %d video messages: %v (statuses %v, %d malformed, missing %v)\n%s", audio, video, err, statuses, ns.Stats().Malformed, missing, pub.output())
		}
		var key string
		switch m.Type {
		case tc.TypeAudio:
			key = fmt.Sprintf("a%d:%x", m.Timestamp, m.Raw[5:])
			audio++
		case tc.TypeVideo:
			key = fmt.Sprintf("v%d:%x", m.Timestamp, m.Raw[5:])
			video++
		default:
			if m.Status.Code != "" {
				statuses = append(statuses, m.Status.Code)
			}
			continue
		}
		if !want[key] {
			if m.Timestamp >= 2000 {
				continue // after the messages the test needs
			}
			t.Fatalf("unexpected media message %.60s…", key)
		}
		delete(want, key)
		got = append(got, m)
		if len(got) == 20 {
			if err := ns.RequestKeyframe(tc.KeyframeForLoss); err != nil {
				t.Fatal(err)
			}
			if err := ns.SendReport(tc.ReceiverReport{Interval: time.Second, AudioLost: 0.01, Layers: 2, Bitrate: 64000}); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("played from tcserver: %d audio and %d video messages byte-exact with timestamps; statuses %v", audio, video, statuses)
	return got
}
