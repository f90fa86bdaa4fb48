package rendezvous

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"

	"camchat/internal/rtmfp"
)

// WriteMetrics writes the server's figures in the Prometheus text
// exposition format (version 0.0.4): gauges for peers and sessions,
// counters for handshakes, introductions and drops by reason, the
// transport's drops by reason too.
func (s *Server) WriteMetrics(w io.Writer) error {
	st := s.Stats()
	tr := s.TransportStats()
	bw := bufio.NewWriter(w)
	metric := func(name, typ, help string) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	metric("rendezvous_peers", "gauge", "Clients with a NetConnection.")
	fmt.Fprintf(bw, "rendezvous_peers %d\n", st.Peers)
	metric("rendezvous_reachable_peers", "gauge", "Clients that did connect and setPeerInfo.")
	fmt.Fprintf(bw, "rendezvous_reachable_peers %d\n", st.Reachable)
	metric("rendezvous_sessions", "gauge", "Accepted sessions not yet ended.")
	fmt.Fprintf(bw, "rendezvous_sessions %d\n", st.Sessions)
	metric("rendezvous_handshakes_total", "counter", "Sessions opened by clients.")
	fmt.Fprintf(bw, "rendezvous_handshakes_total %d\n", tr.HandshakesAccepted)
	metric("rendezvous_connects_total", "counter", "connect commands by result.")
	fmt.Fprintf(bw, "rendezvous_connects_total{result=\"success\"} %d\n", st.Connects)
	fmt.Fprintf(bw, "rendezvous_connects_total{result=\"rejected\"} %d\n", st.Rejects)
	metric("rendezvous_introductions_total", "counter", "IHellos answered with a Redirect and an FIHello.")
	fmt.Fprintf(bw, "rendezvous_introductions_total %d\n", st.Introductions)
	metric("rendezvous_peers_removed_total", "counter", "Clients removed after their session ended.")
	fmt.Fprintf(bw, "rendezvous_peers_removed_total %d\n", st.Removed)
	metric("rendezvous_dropped_total", "counter", "Datagrams, answers and requests dropped by the server, by reason.")
	for r := DropReason(0); r < NumDropReasons; r++ {
		fmt.Fprintf(bw, "rendezvous_dropped_total{reason=%q} %d\n", r.String(), st.Dropped[r])
	}
	metric("rendezvous_transport_dropped_total", "counter", "Datagrams dropped by the RTMFP transport, by reason.")
	for r := rtmfp.DropReason(0); r < rtmfp.NumDropReasons; r++ {
		fmt.Fprintf(bw, "rendezvous_transport_dropped_total{reason=%q} %d\n", labelValue(r.String()), tr.Dropped[r])
	}
	metric("rendezvous_transport_packets_total", "counter", "UDP datagrams by direction.")
	fmt.Fprintf(bw, "rendezvous_transport_packets_total{dir=\"in\"} %d\n", tr.PacketsReceived)
	fmt.Fprintf(bw, "rendezvous_transport_packets_total{dir=\"out\"} %d\n", tr.PacketsSent)
	metric("rendezvous_transport_bytes_total", "counter", "UDP payload bytes by direction.")
	fmt.Fprintf(bw, "rendezvous_transport_bytes_total{dir=\"in\"} %d\n", tr.BytesReceived)
	fmt.Fprintf(bw, "rendezvous_transport_bytes_total{dir=\"out\"} %d\n", tr.BytesSent)
	metric("rendezvous_recv_memory_bytes", "gauge", "Memory the sessions' receive flows hold (Limits.RecvMemory bounds it per socket).")
	fmt.Fprintf(bw, "rendezvous_recv_memory_bytes %d\n", tr.RecvMemory)
	metric("rendezvous_recv_memory_closes_total", "counter", "Sessions closed for going over a receive memory budget.")
	fmt.Fprintf(bw, "rendezvous_recv_memory_closes_total %d\n", tr.RecvMemoryCloses)
	return bw.Flush()
}

// MetricsHandler serves WriteMetrics over HTTP.
func (s *Server) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = s.WriteMetrics(w)
	})
}

// labelValue turns a reason's name ("decrypt/HMAC") into a label value in
// the style of the others ("decrypt_hmac").
func labelValue(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, s)
}
