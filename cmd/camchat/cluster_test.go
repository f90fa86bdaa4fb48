package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
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
		resp, err := metricsClient.Get(u)
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

// metricsClient gives up on a metrics server that does not answer.
var metricsClient = &http.Client{Timeout: 5 * time.Second}

// rendezvousNode is a `camchat rendezvous -cluster` process.
type rendezvousNode struct {
	cmd     *exec.Cmd
	addr    string // UDP host:port
	metrics string // URL
	exited  <-chan struct{}
}

// freeUDPPort and freeTCPPort return ports free at the time of the call.
func freePorts(t *testing.T) (udp, tcp int) {
	t.Helper()
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return u.LocalAddr().(*net.UDPAddr).Port, l.Addr().(*net.TCPAddr).Port
}

// startClusterNode runs a node on addr ("" for a free port).
func startClusterNode(t *testing.T, natsURL, addr string) *rendezvousNode {
	t.Helper()
	up, tp := freePorts(t)
	if addr == "" {
		addr = fmt.Sprintf("127.0.0.1:%d", up)
	}
	n := &rendezvousNode{addr: addr, metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", tp)}
	n.cmd = camchatCmd(t, nil, "rendezvous", "-listen", n.addr, "-metrics", fmt.Sprintf("127.0.0.1:%d", tp),
		"-cluster", natsURL, "-cluster-node-ttl", "2s", "-log", "json")
	var logs bytes.Buffer
	n.cmd.Stdout = &logs
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.exited = waited(n.cmd)
	return n
}

// metric returns the value of the metrics line that starts with name.
func (n *rendezvousNode) metric(name string) string {
	resp, err := metricsClient.Get(n.metrics)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	return ""
}

// TestClusterCall: three `camchat rendezvous -cluster` processes on one
// NATS server. The host registers on node 1 (its second server, node 2,
// is not up yet); a guest who knows only node 3 joins it by peer ID.
// Node 1 is killed (SIGKILL): the call goes on, the host registers on node
// 2, and a second guest, again through node 3 only, joins it.
func TestClusterCall(t *testing.T) {
	if testing.Short() {
		t.Skip("real processes for 20 s")
	}
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS did not start")
	}
	url := "nats://" + ns.Addr().String()
	n1, n3 := startClusterNode(t, url, ""), startClusterNode(t, url, "")
	eventually(t, 20*time.Second, "nodes 1 and 3 see each other", func() bool {
		return n1.metric("rendezvous_cluster_nodes") == "1" && n3.metric("rendezvous_cluster_nodes") == "1"
	})
	up, _ := freePorts(t)
	n2addr := fmt.Sprintf("127.0.0.1:%d", up)
	host := startParticipant(t, "host", "-rendezvous", n1.addr+","+n2addr, "-duration", "120s")
	eventually(t, 10*time.Second, "host registered on node 1 and known to node 3", func() bool {
		return n1.metric("rendezvous_reachable_peers") == "1" && n3.metric(`rendezvous_cluster_directory_entries{node="remote"}`) == "1"
	}, host)
	guest := startParticipant(t, "guest", "-rendezvous", n3.addr, "-join", host.id, "-duration", "120s")
	took := eventually(t, 15*time.Second, "guest and host in a call", func() bool {
		return guest.connectedTo(host) && host.connectedTo(guest)
	}, host, guest)
	t.Logf("joined through node 3 in %v (host on node 1)", took)
	if v := n3.metric(`rendezvous_cluster_lookups_total{result="hit"}`); v == "" || v == "0" {
		t.Fatalf("node 3 found nothing in the directory (%q)", v)
	}

	// Node 2 comes up (on the address the host was given); node 1 dies.
	n2 := startClusterNode(t, url, n2addr)
	eventually(t, 20*time.Second, "node 2 in the cluster", func() bool { return n3.metric("rendezvous_cluster_nodes") == "2" })
	killed := time.Now()
	n1.cmd.Process.Kill()
	select {
	case <-n1.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("node 1 did not exit after SIGKILL")
	}
	eventually(t, 15*time.Second, "host registered on node 2", func() bool {
		return n2.metric("rendezvous_reachable_peers") == "1"
	}, host)
	back := time.Since(killed)
	if back > 8*time.Second {
		t.Errorf("host registered again %v after its node died (keepalive 2 s + retransmit limit 5 s + a handshake)", back)
	}
	guest2 := startParticipant(t, "guest2", "-rendezvous", n3.addr, "-join", host.id, "-duration", "120s")
	took = eventually(t, 15*time.Second, "second guest in the call", func() bool {
		return guest2.connectedTo(host, guest) && host.connectedTo(guest, guest2)
	}, host, guest, guest2)
	if len(host.eventsOf("left")) != 0 || len(guest.eventsOf("left")) != 0 {
		t.Fatal("someone left the call when node 1 died")
	}
	t.Logf("node 1 killed: host registered on node 2 after %v; second guest joined through node 3 in %v", back, took)
}
