//go:build interop

package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
)

// program runs one of the reference's programs and collects its output.
type program struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	out bytes.Buffer
}

func start(t *testing.T, name string, args ...string) *program {
	t.Helper()
	dir := os.Getenv("RTMFP_CPP_BIN")
	if dir == "" {
		t.Skip("RTMFP_CPP_BIN is not set: point it at the reference's built test programs")
	}
	// stdbuf: the programs print with stdio, which buffers a pipe fully.
	return startCmd(t, name, exec.Command("stdbuf", append([]string{"-oL", filepath.Join(dir, name)}, args...)...))
}

// startCmd starts cmd and collects its output; the test's cleanup kills it.
func startCmd(t *testing.T, name string, cmd *exec.Cmd) *program {
	t.Helper()
	p := &program{cmd: cmd}
	r, w := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.mu.Lock()
			p.out.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		w.Close()
		t.Logf("%s output:\n%s", name, p.output())
	})
	return p
}

func (p *program) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// waitFor polls the program's output for a regexp and returns its submatches.
func (p *program) waitFor(t *testing.T, re string, d time.Duration) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if m := rx.FindStringSubmatch(p.output()); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %q in output:\n%s", re, p.output())
	return nil
}

func freePort(t *testing.T) int {
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func endpoint(t *testing.T, opts flashcrypto.CertOptions, policy flashcrypto.Policy) *rtmfp.Endpoint {
	t.Helper()
	id, err := flashcrypto.NewStaticIdentity(rand.Reader, nil, opts)
	if err != nil {
		t.Fatal(err)
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

func hex32(b [32]byte) string { return hex.EncodeToString(b[:]) }

// TestEchoServer: a camchat endpoint opens a session to echoserver, sends
// messages on a flow and reads them back on echoserver's return flow; the
// nonces echoserver prints are ours, crossed.
func TestEchoServer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		policy flashcrypto.Policy
	}{
		{"hmac-sseq-required", nil, flashcrypto.DefaultPolicy()},
		{"relaxed-server", []string{"-H", "-S"}, flashcrypto.DefaultPolicy()},
		{"relaxed-server-flash-client", []string{"-H", "-S"}, flashcrypto.FlashCompatiblePolicy()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := freePort(t)
			srv := start(t, "echoserver", append([]string{"-B", fmt.Sprintf("127.0.0.1:%d", port)}, tc.args...)...)
			srv.waitFor(t, `bound to`, 5*time.Second)

			ep := endpoint(t, flashcrypto.CertOptions{}, tc.policy)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			epd := flashcrypto.EPD{HasHostname: true, Hostname: []byte("echo")}.Append(nil)
			sess, err := ep.Connect(ctx, epd, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("negotiated %+v", sess.Negotiated())
			f, err := sess.OpenFlow([]byte("camchat interop"), 0)
			if err != nil {
				t.Fatal(err)
			}
			var sent [][]byte
			for i := range 20 {
				msg := bytes.Repeat([]byte{byte(i)}, 100+i*300)
				sent = append(sent, msg)
				if _, err := f.Write(msg, rtmfp.WriteOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			back, err := f.AcceptReturn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range sent {
				got, err := back.Read(ctx)
				if err != nil {
					t.Fatalf("echo %d: %v", i, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("echo %d: %d bytes, want %d", i, len(got), len(want))
				}
			}
			m := srv.waitFor(t, `near nonce: ([0-9a-f]{64})\s+far nonce: ([0-9a-f]{64})`, 5*time.Second)
			if m[1] != hex32(sess.FarNonce()) || m[2] != hex32(sess.NearNonce()) {
				t.Fatalf("echoserver nonces near %s far %s; ours near %s far %s", m[1], m[2], hex32(sess.NearNonce()), hex32(sess.FarNonce()))
			}
			t.Logf("20 messages echoed; nonces match: ours near %s… far %s…", hex32(sess.NearNonce())[:16], hex32(sess.FarNonce())[:16])
		})
	}
}

// TestFCClient: fcclient opens a session to a camchat endpoint (as "any
// server", and by our peer ID) and sends two flows of 60 × 4096 bytes.
func TestFCClient(t *testing.T) {
	for _, byFingerprint := range []bool{false, true} {
		t.Run(fmt.Sprintf("fingerprint=%v", byFingerprint), func(t *testing.T) {
			ep := endpoint(t, flashcrypto.CertOptions{AcceptsAncillary: true}, flashcrypto.DefaultPolicy())
			addr := ep.LocalAddr()
			args := []string{}
			if byFingerprint {
				args = append(args, "-X", "-f", ep.PeerID().String())
			}
			args = append(args, addr.Addr().String(), fmt.Sprint(addr.Port()))
			cl := start(t, "fcclient", args...)

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			sess, err := ep.Accept(ctx)
			if err != nil {
				t.Fatalf("%v; endpoint stats %+v", err, ep.Stats())
			}
			var wg sync.WaitGroup
			counts := make(chan int, 2)
			for range 2 {
				rf, err := sess.AcceptFlow(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if string(rf.Metadata()) != "metadata" {
					t.Errorf("metadata %q", rf.Metadata())
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					n := 0
					for {
						msg, err := rf.Read(ctx)
						if err != nil {
							break
						}
						if len(msg) != 4096 || strings.Trim(string(msg), "\x00") != "" {
							t.Errorf("message of %d bytes", len(msg))
						}
						n++
					}
					counts <- n
				}()
			}
			wg.Wait()
			for range 2 {
				if n := <-counts; n != 60 {
					t.Errorf("flow delivered %d messages, want 60", n)
				}
			}
			m := cl.waitFor(t, `near nonce: ([0-9a-f]{64})\s+far nonce: ([0-9a-f]{64})`, 5*time.Second)
			if m[1] != hex32(sess.FarNonce()) || m[2] != hex32(sess.NearNonce()) {
				t.Fatalf("fcclient nonces near %s far %s; ours near %s far %s", m[1], m[2], hex32(sess.NearNonce()), hex32(sess.FarNonce()))
			}
			if fp := cl.waitFor(t, `(?m)^\s+fingerprint: ([0-9a-f]{64})`, time.Second); fp[1] != ep.PeerID().String() {
				t.Fatalf("fcclient saw fingerprint %s, ours is %s", fp[1], ep.PeerID())
			}
			t.Logf("2 flows × 60 messages received; nonces match")
		})
	}
}
