//go:build interop

package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

// Tests against MonaSolutions/librtmfp, a client library written to talk
// to Flash Player and Adobe Media Server: its TestClient plays a camchat
// peer stream by peer ID, and publishes one that camchat plays, each time
// introduced by rtmfp-cpp's tcserver (-H -S: librtmfp does neither HMAC nor
// session sequence numbers) and by camchat's rendezvous. LIBRTMFP_DIR is
// the root of a librtmfp tree built with its Makefile (lib/librtmfp.so,
// TestClient/TestClient); the tcserver cases need RTMFP_CPP_BIN too.

// Stream contents: 5 s of Opus every 20 ms, video every 100 ms with a
// keyframe every second, and 10 data messages.
const (
	flashAudio = 250
	flashVideo = 50
	flashData  = 10
)

// flashMessage is one message of the stream as an FLV tag carries it: type
// (8, 9, 18), timestamp and body (the TC message without its header).
type flashMessage struct {
	typ  byte
	ts   uint32
	body []byte
}

func (m flashMessage) key() string { return fmt.Sprintf("%d/%d:%x", m.typ, m.ts, m.body) }

func flashFrame(i, n int) []byte { return bytes.Repeat([]byte{byte(i)}, n) }

// legacyAVCHeader is the AVC sequence header a Flash-era publisher sends
// before its first keyframe (FLV VIDEODATA: keyframe | AVC, packet type 0,
// composition time 0, then an avcC record, here a dummy one).
var legacyAVCHeader = flashMessage{9, 0, []byte{0x17, 0, 0, 0, 0, 1, 0x42, 0xc0, 0x1e, 0xff}}

// flashStream returns the messages of the test stream in order: Opus
// audio, data messages ("chat"), and video as camchat sends it (VP8 in
// Enhanced-RTMP framing) or, with legacyVideo, as a Flash-era publisher
// does (AVC coded frames, legacyAVCHeader not included). Data messages
// carry timestamp 0: librtmfp's player drops data timestamps
// (FlashStream.cpp FlashHandler::dataHandler).
func flashStream(legacyVideo bool) []flashMessage {
	var ms []flashMessage
	for i := range flashAudio {
		ts := uint32(i * 20)
		ms = append(ms, flashMessage{8, ts, tc.AppendOpusMessage(nil, tc.Timestamp(ts), flashFrame(i, 40+i%20))[5:]})
		if i%5 == 0 {
			v := i / 5
			body := tc.AppendVP8Message(nil, tc.Timestamp(ts), v%10 == 0, flashFrame(v, 300+v))[5:]
			if legacyVideo {
				body = append([]byte{0x27, 1, 0, 0, 0}, flashFrame(v, 300+v)...)
				if v%10 == 0 {
					body[0] = 0x17
				}
			}
			ms = append(ms, flashMessage{9, ts, body})
		}
		if i%25 == 0 {
			dm, err := tc.DataMessage{Handler: "chat", Args: []tc.Value{fmt.Sprintf("message %d", i/25)}}.Append(nil)
			if err != nil {
				panic(err)
			}
			ms = append(ms, flashMessage{18, 0, dm})
		}
	}
	return ms
}

// appendFLVTag appends one FLV tag and its back pointer (FLV spec E.4).
func appendFLVTag(b []byte, m flashMessage) []byte {
	n := len(m.body)
	b = append(b, m.typ, byte(n>>16), byte(n>>8), byte(n), byte(m.ts>>16), byte(m.ts>>8), byte(m.ts), byte(m.ts>>24), 0, 0, 0)
	b = append(b, m.body...)
	return binary.BigEndian.AppendUint32(b, uint32(11+n))
}

// setDataFrame is the AMF0 string "@setDataFrame".
var setDataFrame = []byte("\x02\x00\x0d@setDataFrame")

var flvHeader = []byte{'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0}

// parseFLV reads the tags of an FLV file; a truncated last tag ends it.
func parseFLV(b []byte) ([]flashMessage, error) {
	if len(b) < 13 || !bytes.Equal(b[:3], []byte("FLV")) {
		return nil, fmt.Errorf("not an FLV file (%d bytes)", len(b))
	}
	var ms []flashMessage
	for b = b[13:]; len(b) >= 11; {
		n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		if len(b) < 11+n+4 {
			break
		}
		ts := uint32(b[4])<<16 | uint32(b[5])<<8 | uint32(b[6]) | uint32(b[7])<<24
		ms = append(ms, flashMessage{b[0], ts, bytes.Clone(b[11 : 11+n])})
		b = b[11+n+4:]
	}
	return ms, nil
}

// introducer is a server through which the peers find each other.
type introducer struct {
	name  string
	start func(t *testing.T) netip.AddrPort
}

var introducers = []introducer{
	{"tcserver", func(t *testing.T) netip.AddrPort {
		port := freePort(t)
		srv := start(t, "tcserver", "-B", fmt.Sprintf("127.0.0.1:%d", port), "-H", "-S")
		srv.waitFor(t, `"listen"`, 5*time.Second)
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	}},
	{"rendezvous", func(t *testing.T) netip.AddrPort {
		_, port := startRendezvous(t)
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	}},
}

// startTestClient runs librtmfp's TestClient.
func startTestClient(t *testing.T, args ...string) *program {
	t.Helper()
	dir := os.Getenv("LIBRTMFP_DIR")
	if dir == "" {
		t.Skip("LIBRTMFP_DIR is not set: point it at a built librtmfp tree")
	}
	cmd := exec.Command("stdbuf", append([]string{"-oL", filepath.Join(dir, "TestClient", "TestClient")}, args...)...)
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Join(dir, "lib"))
	return startCmd(t, "TestClient", cmd)
}

// flashEndpoint is a camchat endpoint whose identity has a group-2 key
// only: librtmfp accepts no other certificate than 81 02 1d 02 <128>
// (RTMFPHandshaker.cpp handleHandshake70 and sendHandshake78).
func flashEndpoint(t *testing.T, policy flashcrypto.Policy) *rtmfp.Endpoint {
	t.Helper()
	id, err := flashcrypto.NewStaticIdentity(rand.Reader, []flashcrypto.Group{flashcrypto.Group2}, flashcrypto.CertOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(id.Cert().Raw) != 132 {
		t.Fatalf("certificate of %d bytes", len(id.Cert().Raw))
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep, err := rtmfp.NewEndpoint(conn, rtmfp.Config{Identity: id, Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep
}

// stop interrupts a TestClient and waits for it to exit (it closes its
// files then).
func (p *program) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("TestClient did not stop:\n%s", p.output())
	}
}

// TestLibrtmfpPlaysCamchat: camchat publishes (static group-2 identity,
// default policy) and registers with the server; librtmfp plays the stream
// by camchat's peer ID. The server introduces them and the session is
// direct, keyed with Flash Player's responder component. librtmfp's
// player writes what it gets to an FLV file, read back here, either from
// its media callback (TestClient --syncread: every message as it arrives)
// or from its buffered reader (RTMFP_Read, what an application such as
// ffmpeg uses), which drops video until a legacy codec header
// (Invoker.cpp Invoker::bufferizeMedia, RTMFP::IsVideoCodecInfos): no
// VP8 frame ever passes it.
func TestLibrtmfpPlaysCamchat(t *testing.T) {
	for _, c := range []struct {
		srv      introducer
		callback bool
	}{{introducers[0], true}, {introducers[0], false}, {introducers[1], true}, {introducers[1], false}} {
		srv, reader := c.srv, "buffered"
		if c.callback {
			reader = "callback"
		}
		t.Run(srv.name+"/"+reader, func(t *testing.T) {
			server := srv.start(t)
			url := fmt.Sprintf("rtmfp://%v/live", server)
			ep := flashEndpoint(t, flashcrypto.DefaultPolicy())
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			nc, err := tc.Dial(ctx, ep, tc.ConnConfig{URL: url, PeerInfo: []string{ep.LocalAddr().String()}})
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			// The whole stream is written at once: no deadlines and no
			// queue bound, so that every message is due.
			pub := tc.NewPublisher(tc.PublisherConfig{Name: "camchat", Media: tc.MediaOptions{AudioLifetime: -1, VideoLifetime: -1, MaxQueue: -1}})
			defer pub.Close()
			go pub.Serve(ctx, ep)

			out := filepath.Join(t.TempDir(), "played.flv")
			args := []string{"--url=" + url + "/camchat", "--peerId=" + ep.PeerID().String(), "--mediaFile=" + out, "--log=6"}
			if c.callback {
				args = append(args, "--syncread")
			}
			cl := startTestClient(t, args...)
			for len(pub.Subscribers()) == 0 {
				select {
				case <-pub.Changed():
				case <-ctx.Done():
					t.Fatalf("librtmfp never played; endpoint stats %+v", ep.Stats())
				}
			}
			sub := pub.Subscribers()[0]
			if sub.Addr.Port() == server.Port() || sub.Session.Negotiated() != (flashcrypto.Negotiated{}) {
				t.Fatalf("player session from %v, negotiated %+v", sub.Addr, sub.Session.Negotiated())
			}

			stream := flashStream(false)
			var receipts []*rtmfp.Receipt
			delivered := 0
			// wait waits for every write so far to be acknowledged: a new
			// keyframe abandons what its group's predecessor still holds.
			wait := func() {
				for _, r := range receipts {
					select {
					case <-r.Done():
					case <-ctx.Done():
						t.Fatal("media not acknowledged")
					}
					if r.Delivered() {
						delivered++
					}
				}
				receipts = receipts[:0]
			}
			for _, m := range stream {
				switch m.typ {
				case 8:
					receipts = append(receipts, pub.WriteAudio(tc.Timestamp(m.ts), flashFrame(int(m.ts/20), 40+int(m.ts/20)%20))...)
				case 9:
					v := int(m.ts / 100)
					if v%10 == 0 {
						wait()
					}
					receipts = append(receipts, pub.WriteVideo(tc.Timestamp(m.ts), v%10 == 0, flashFrame(v, 300+v))...)
				case 18:
					dm, _ := tc.ParseData(m.body, tc.DefaultLimits)
					if err := pub.Send(ctx, dm); err != nil {
						t.Fatal(err)
					}
				}
			}
			wait()
			// Acknowledged is received by librtmfp's transport; give its
			// threads a moment to hand the last messages to the player.
			time.Sleep(500 * time.Millisecond)
			cl.stop(t)

			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseFLV(b)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, m := range stream {
				want[m.key()] = true
			}
			counts := map[byte]int{}
			for _, m := range got {
				if m.typ == 8 && m.body[0]&0x0f == 0 { // the Opus sequence start
					continue
				}
				if m.typ == 9 && m.body[0]&0x0f == 0 { // the VP8 sequence start
					continue
				}
				if dm, err := tc.ParseData(m.body, tc.DefaultLimits); m.typ == 18 && err == nil && dm.Handler == "|RtmpSampleAccess" {
					continue
				}
				if !want[m.key()] {
					t.Fatalf("librtmfp played a message camchat did not send: %.80s", m.key())
				}
				delete(want, m.key())
				counts[m.typ]++
			}
			for _, code := range []string{"NetStream.Play.Reset", "NetStream.Play.Start"} {
				cl.waitFor(t, regexp.QuoteMeta("Status Event '"+code+"'"), time.Second)
			}
			t.Logf("librtmfp played camchat through %s, %s reader: %d/%d audio, %d/%d video, %d/%d data messages byte-exact (%d of %d media writes acknowledged); session %v ↔ %v",
				srv.name, reader, counts[8], flashAudio, counts[9], flashVideo, counts[18], flashData, delivered, flashAudio+flashVideo, ep.LocalAddr(), sub.Addr)
			wantVideo := 0
			if c.callback {
				wantVideo = flashVideo
			}
			if counts[8] != flashAudio || counts[9] != wantVideo || counts[18] != flashData {
				t.Fatalf("audio %d/%d, video %d/%d, data %d/%d", counts[8], flashAudio, counts[9], wantVideo, counts[18], flashData)
			}
		})
	}
}

// TestCamchatPlaysLibrtmfp: librtmfp publishes a peer stream (fed through
// a pipe, so that nothing is written before camchat plays) and camchat
// plays it by librtmfp's peer ID, as a Flash-compatible initiator.
func TestCamchatPlaysLibrtmfp(t *testing.T) {
	for _, srv := range introducers {
		t.Run(srv.name, func(t *testing.T) {
			server := srv.start(t)
			url := fmt.Sprintf("rtmfp://%v/live", server)
			fifo := filepath.Join(t.TempDir(), "publish.flv")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			cl := startTestClient(t, "--p2pWrite", "--url="+url+"/camchat", "--mediaFile="+fifo, "--log=6")
			// TestClient opens the file once connected, then publishes.
			// Opening a pipe for writing waits for its reader.
			type openResult struct {
				w   *os.File
				err error
			}
			opened := make(chan openResult, 1)
			go func() {
				w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
				opened <- openResult{w, err}
			}()
			m := cl.waitFor(t, `Peer ID : \s*([0-9a-f]{64})`, 20*time.Second)
			peerID, err := flashcrypto.ParsePeerID(m[1])
			if err != nil {
				t.Fatal(err)
			}
			var w *os.File
			select {
			case r := <-opened:
				if r.err != nil {
					t.Fatal(r.err)
				}
				w = r.w
			case <-time.After(20 * time.Second):
				t.Fatalf("TestClient never opened its input:\n%s", cl.output())
			}
			defer w.Close()
			if _, err := w.Write(flvHeader); err != nil {
				t.Fatal(err)
			}

			ep := flashEndpoint(t, flashcrypto.FlashCompatiblePolicy())
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			sess, err := ep.Connect(ctx, flashcrypto.CanonicalEPD(peerID), server)
			if err != nil {
				t.Fatal(err)
			}
			if sess.FarAddr() == server || sess.FarPeerID() != peerID {
				t.Fatalf("session to %v (%v), not librtmfp", sess.FarAddr(), sess.FarPeerID())
			}
			ns, err := tc.PlayPeer(sess, "camchat", tc.PlayConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer ns.Close()
			var statuses []string
			for len(statuses) == 0 || statuses[len(statuses)-1] != tc.CodePlayStart {
				m, err := ns.Read(ctx)
				if err != nil {
					t.Fatalf("statuses %q: %v", statuses, err)
				}
				if m.Command.Name == tc.CommandOnStatus {
					statuses = append(statuses, m.Status.Code)
				}
			}

			// Video as a Flash-era publisher sends it: librtmfp's
			// publisher drops video until a legacy keyframe (Listener.cpp
			// FlashListener::pushVideo, RTMFP::IsKeyFrame reads the
			// legacy frame type), so it never relays Enhanced-RTMP VP8.
			stream := append([]flashMessage{legacyAVCHeader}, flashStream(true)...)
			var flv []byte
			want := map[string]bool{}
			for _, m := range stream {
				flv = appendFLVTag(flv, m)
				want[m.key()] = true
			}
			// TestClient reads its input 1536 bytes at a time, waits in a
			// short read for the rest, and stops at its end: padding
			// brings the last real tags in, and the pipe stays open until
			// everything came.
			pad := flashMessage{18, 0, mustData(t, tc.DataMessage{Handler: "padding", Args: []tc.Value{string(flashFrame('p', 200))}})}
			for range 16 {
				flv = appendFLVTag(flv, pad)
			}
			if _, err := w.Write(flv); err != nil {
				t.Fatal(err)
			}

			counts := map[byte]int{}
			malformed := 0
			for len(want) > 0 {
				m, err := ns.Read(ctx)
				if err != nil {
					t.Fatalf("after %d audio, %d video, %d data (statuses %q, %d malformed): %v\n%s", counts[8], counts[9], counts[18], statuses, ns.Stats().Malformed, err, cl.output())
				}
				var fm flashMessage
				switch m.Type {
				case tc.TypeAudio, tc.TypeVideo, tc.TypeData:
					fm = flashMessage{byte(m.Type), uint32(m.Timestamp), m.Raw[5:]}
				default:
					if m.Command.Name == tc.CommandOnStatus {
						statuses = append(statuses, m.Status.Code)
					}
					continue
				}
				if fm.typ == 18 {
					// librtmfp's publisher puts "@setDataFrame" before
					// every data message it is given (FlashWriter.cpp
					// FlashWriter::writeMedia, "Trick to forward
					// Metadata"); its own |RtmpSampleAccess comes first.
					if m.Data.Handler == "|RtmpSampleAccess" {
						continue
					}
					body, ok := bytes.CutPrefix(fm.body, setDataFrame)
					if !ok {
						t.Fatalf("data message without @setDataFrame: %x", fm.body)
					}
					fm.body = body
					if len(m.Data.Args) > 0 && m.Data.Args[0] == "padding" {
						continue
					}
				}
				if !want[fm.key()] {
					t.Fatalf("camchat played a message librtmfp was not given: %.80s", fm.key())
				}
				delete(want, fm.key())
				if fm.key() != legacyAVCHeader.key() {
					counts[fm.typ]++
				}
			}
			malformed = int(ns.Stats().Malformed)
			w.Close()
			t.Logf("camchat played librtmfp through %s: %d/%d audio, %d/%d video, %d/%d data messages byte-exact (video legacy AVC after its sequence header, data after librtmfp's @setDataFrame); statuses %q; %d malformed; session %v ↔ %v",
				srv.name, counts[8], flashAudio, counts[9], flashVideo, counts[18], flashData, statuses, malformed, ep.LocalAddr(), sess.FarAddr())
			if statuses[0] != tc.CodePlayReset || malformed != 0 {
				t.Fatalf("statuses %q, %d malformed", statuses, malformed)
			}
		})
	}
}

func mustData(t *testing.T, dm tc.DataMessage) []byte {
	t.Helper()
	b, err := dm.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
