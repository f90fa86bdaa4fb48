package rendezvous

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
)

// TestMetrics: the exposition lists the figures of a server with one
// connected client, every line in the Prometheus text format.
func TestMetrics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, srv, addr := publicWorld(t, Config{})
		x := newClient(t, listenHost(t, n, "x", "198.51.100.7"), 0, nil)
		cx, r := dial(t, x, addr, "chat")
		mustConnect(t, r)
		cx.register(t, "192.0.2.1:1935")
		rec := httptest.NewRecorder()
		srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Fatalf("content type %q", ct)
		}
		body := rec.Body.String()
		for _, want := range []string{
			"rendezvous_peers 1\n", "rendezvous_reachable_peers 1\n", "rendezvous_sessions 1\n",
			"rendezvous_handshakes_total 1\n", `rendezvous_connects_total{result="success"} 1` + "\n",
			`rendezvous_dropped_total{reason="amplification"} 0` + "\n",
			`rendezvous_transport_dropped_total{reason="`,
			"# TYPE rendezvous_introductions_total counter\n",
			"# TYPE rendezvous_recv_memory_bytes gauge\n", "rendezvous_recv_memory_closes_total 0\n",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %q", want)
			}
		}
		line := regexp.MustCompile(`^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z]+="[a-z_]+"\})? [0-9]+)$`)
		for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
			if !line.MatchString(l) {
				t.Errorf("bad line %q", l)
			}
		}
	})
}
