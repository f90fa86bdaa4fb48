package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
)

func TestRendezvousFlags(t *testing.T) {
	o, err := parseRendezvousFlags(nil, &bytes.Buffer{})
	if err != nil || len(o.listen) != 1 || o.listen[0] != ":1935" || o.logFormat != "text" || o.apps != nil || o.keepalive.Server != 0 {
		t.Fatalf("defaults %+v, %v", o, err)
	}
	o, err = parseRendezvousFlags([]string{
		"-listen", "0.0.0.0:1935", "-listen", "[::]:1936", "-key", "/tmp/k", "-apps", "chat, demo",
		"-groups", "14,2", "-metrics", "127.0.0.1:9100", "-log", "json", "-keepalive", "15s",
		"-max-sessions", "100", "-handshake-rate-per-ip", "5", "-hostname", "rdv.example",
	}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.listen, " ") != "0.0.0.0:1935 [::]:1936" || o.keyPath != "/tmp/k" ||
		strings.Join(o.apps, "|") != "chat|demo" || len(o.groups) != 2 || o.groups[0] != flashcrypto.Group14 ||
		o.metrics != "127.0.0.1:9100" || o.logFormat != "json" || o.keepalive.Server != 15*time.Second ||
		o.keepalive.Peer != 15*time.Second || o.limits.MaxSessions != 100 || o.limits.HandshakeRatePerIP != 5 || o.hostname != "rdv.example" {
		t.Fatalf("parsed %+v", o)
	}
	for _, bad := range [][]string{
		{"-log", "xml"}, {"-groups", "3"}, {"-keepalive", "1s"}, {"-peer-keepalive", "10s"},
		{"-listen", "nohost:port:x"}, {"extra"}, {"-bogus"},
	} {
		if _, err := parseRendezvousFlags(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"rendezvous", "-log", "xml"}, &out, &errOut, func(appOptions, io.Writer) int { t.Fatal("UI opened"); return 0 }); code != 2 || !strings.Contains(errOut.String(), "want text or json") {
		t.Fatalf("code %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"rendezvous", "-help"}, &out, &errOut, nil); code != 0 || !strings.Contains(errOut.String(), "-listen") {
		t.Fatalf("help: code %d, stderr %q", code, errOut.String())
	}
}

// TestRendezvousServe starts the server with a static key on loopback and
// stops it; the key file is created 0600 and gives the same fingerprint
// the second time.
func TestRendezvousServe(t *testing.T) {
	key := filepath.Join(t.TempDir(), "server.key")
	var ids []string
	for range 2 {
		o, err := parseRendezvousFlags([]string{"-listen", "127.0.0.1:0", "-key", key, "-groups", "2", "-log", "json", "-metrics", "127.0.0.1:0"}, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var logs bytes.Buffer
		done := make(chan error, 1)
		go func() { done <- serveRendezvous(ctx, o, &syncWriter{w: &logs}) }()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		line, _, _ := strings.Cut(logs.String(), "\n")
		i := strings.Index(line, `"peer_id":"`)
		if i < 0 {
			t.Fatalf("first log line %q", line)
		}
		ids = append(ids, line[i+11:i+11+64])
	}
	if ids[0] != ids[1] {
		t.Fatalf("fingerprint changed: %s, %s", ids[0], ids[1])
	}
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v", fi, err)
	}
}

// syncWriter serialises writes from the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// TestRendezvousSignal: SIGINT stops the server in order and the command
// exits with status 0.
func TestRendezvousSignal(t *testing.T) {
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run([]string{"rendezvous", "-listen", "127.0.0.1:0", "-groups", "2"}, pw, io.Discard, nil)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var seen []string
	for sc.Scan() {
		seen = append(seen, sc.Text())
		if strings.Contains(sc.Text(), "msg=listening") {
			// The signal handler is installed before the sockets open.
			if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
		}
	}
	if c := <-code; c != 0 {
		t.Fatalf("exit status %d; log %q", c, seen)
	}
	if last := seen[len(seen)-1]; !strings.Contains(last, "msg=stopped") {
		t.Fatalf("last log line %q", last)
	}
}
