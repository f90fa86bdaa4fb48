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
	port := freePort(t)
	srv := start(t, "tcserver", "-B", fmt.Sprintf("127.0.0.1:%d", port))
	srv.waitFor(t, `(?i)listen|bound|rtmfp`, 5*time.Second)

	// Two seconds of media in Enhanced-RTMP framing: Opus every 20 ms,
	// VP8 every 100 ms with a keyframe every second.
	var tags []flvTag
	want := map[string]bool{}
	for ms := uint32(0); ms < 2000; ms += 20 {
		frame := bytes.Repeat([]byte{byte(ms / 20)}, 40)
		body := tc.AppendOpusMessage(nil, tc.Timestamp(ms), frame)[5:] // strip the TC header
		tags = append(tags, flvTag{8, ms, body})
		want[fmt.Sprintf("a%d:%x", ms, body)] = true
		if ms%100 == 0 {
			vf := bytes.Repeat([]byte{byte(ms / 100)}, 300)
			vbody := tc.AppendVP8Message(nil, tc.Timestamp(ms), ms%1000 == 0, vf)[5:]
			tags = append(tags, flvTag{9, ms, vbody})
			want[fmt.Sprintf("v%d:%x", ms, vbody)] = true
		}
	}
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

	got, audio, video := 0, 0, 0
	var statuses []string
	for len(want) > 0 {
		m, err := ns.Read(ctx)
		if err != nil {
			t.Fatalf("after %d audio and %d video messages: %v (statuses %v)\n%s", audio, video, err, statuses, pub.output())
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
			t.Fatalf("unexpected media message %.60s…", key)
		}
		delete(want, key)
		got++
		if got == 20 {
			if err := ns.RequestKeyframe(tc.KeyframeForLoss); err != nil {
				t.Fatal(err)
			}
			if err := ns.SendReport(tc.ReceiverReport{Interval: time.Second, AudioLost: 0.01, Layers: 2, Bitrate: 64000}); err != nil {
				t.Fatal(err)
			}
		}
		if len(want) == 0 {
			break
		}
	}
	t.Logf("played from tcserver: %d audio and %d video messages byte-exact with timestamps; statuses %v", audio, video, statuses)
}
