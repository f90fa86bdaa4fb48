package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func TestRendezvousClusterFlags(t *testing.T) {
	o, err := parseRendezvousFlags(nil, &bytes.Buffer{})
	if err != nil || len(o.cluster.urls) != 0 {
		t.Fatalf("defaults %+v, %v", o.cluster, err)
	}
	o, err = parseRendezvousFlags([]string{"-cluster", "nats://a:4222", "-cluster", "nats://u:p@b:4222",
		"-cluster-bucket", "rdv_eu", "-cluster-node-ttl", "20s", "-cluster-name", "eu-1"}, &bytes.Buffer{})
	if err != nil || strings.Join(o.cluster.urls, " ") != "nats://a:4222 nats://u:p@b:4222" ||
		o.cluster.bucket != "rdv_eu" || o.cluster.nodeTTL != 20*time.Second || o.cluster.nodeName != "eu-1" {
		t.Fatalf("parsed %+v, %v", o.cluster, err)
	}
	for _, bad := range [][]string{
		{"-cluster", "http://a:80"}, {"-cluster", "a:4222"}, {"-cluster-creds", "/dev/null"},
		{"-cluster", "nats://a:4222", "-cluster-cert", "/dev/null"},
		{"-cluster", "nats://a:4222", "-cluster-nkey", "/nonexistent/seed"},
	} {
		if _, err := parseRendezvousFlags(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRendezvousCluster: two `camchat rendezvous -cluster` nodes on one
// NATS server see each other (their metrics say so); a node whose NATS
// server does not answer serves anyway and says so in its log.
func TestRendezvousCluster(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown) // after the nodes (cleanups run last first)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	url := "nats://" + ns.Addr().String()
	type run struct {
		logs   *syncWriter
		cancel context.CancelFunc
		done   chan error
	}
	start := func(nats string) run {
		o, err := parseRendezvousFlags([]string{"-listen", "127.0.0.1:0", "-groups", "2", "-metrics", "127.0.0.1:0",
			"-cluster", nats, "-cluster-node-ttl", "2s"}, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		r := run{logs: &syncWriter{w: &bytes.Buffer{}}, cancel: cancel, done: make(chan error, 1)}
		go func() { r.done <- serveRendezvous(ctx, o, r.logs) }()
		t.Cleanup(func() { r.cancel(); <-r.done })
		return r
	}
	metricsURL := regexp.MustCompile(`url=(http://\S+/metrics)`)
	scrape := func(r run) string {
		var u string
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			r.logs.mu.Lock()
			m := metricsURL.FindStringSubmatch(r.logs.w.String())
			r.logs.mu.Unlock()
			if m != nil {
				u = m[1]
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	a, b := start(url), start(url)
	for _, r := range []run{a, b} {
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(scrape(r), "rendezvous_cluster_nodes 1\n") {
			if time.Now().After(deadline) {
				t.Fatalf("the nodes do not see each other:\n%s", scrape(r))
			}
			time.Sleep(50 * time.Millisecond)
		}
		if m := scrape(r); !strings.Contains(m, "rendezvous_cluster_connected 1\n") || !strings.Contains(m, "rendezvous_peers 0\n") {
			t.Fatalf("metrics:\n%s", m)
		}
	}
	// A NATS server that is not there: the node serves its own peers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("nats://%s", ln.Addr())
	ln.Close()
	c := start(dead)
	if m := scrape(c); !strings.Contains(m, "rendezvous_cluster_connected 0\n") {
		t.Fatalf("metrics without NATS:\n%s", m)
	}
	c.logs.mu.Lock()
	logs := c.logs.w.String()
	c.logs.mu.Unlock()
	if !strings.Contains(logs, "NATS unreachable") || !strings.Contains(logs, "listening") {
		t.Fatalf("log without NATS:\n%s", logs)
	}
	c.cancel()
	if err := <-c.done; err != nil {
		t.Fatalf("node without NATS: %v", err)
	}
	c.done <- nil // for the cleanup
}
