package turn

import (
	"context"
	"net"
	"testing"
	"time"
)

// BenchmarkRelayRoundTrip measures what the relay adds to a round trip on
// loopback: a Conn with an allocation and a peer bounce one datagram back
// and forth, the peer answering the relayed address (relayed) or the
// Conn's own address (direct). The difference is the relay's forwarding
// delay, both ways.
func BenchmarkRelayRoundTrip(b *testing.B) {
	for _, relayed := range []bool{false, true} {
		name := "direct"
		if relayed {
			name = "relayed"
		}
		b.Run(name, func(b *testing.B) {
			c0, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			s, err := NewServer(ServerConfig{Conn: c0, RelayIP: loopback, Secret: "x"})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			srv := c0.LocalAddr().(*net.UDPAddr).AddrPort()
			d, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			c := NewConn(d, nil, nil)
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ra, err := c.Allocate(ctx, srv, RESTCredentials("x", "bench", time.Now(), time.Hour))
			if err != nil {
				b.Fatal(err)
			}
			peer, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			defer peer.Close()
			pa := peer.LocalAddr().(*net.UDPAddr).AddrPort()
			to := d.LocalAddr().(*net.UDPAddr).AddrPort()
			if relayed {
				to = ra
			}
			msg := make([]byte, 200)
			buf := make([]byte, 2048)
			// Settle the path: the Conn's first datagram opens the relay's
			// permission (after relayDelay), then the peer's decides.
			c.WriteToUDPAddrPort(msg, pa)
			peer.SetReadDeadline(time.Now().Add(2 * time.Second))
			for range 2 {
				peer.ReadFromUDPAddrPort(buf) // direct, then relayed
			}
			peer.SetReadDeadline(time.Time{})
			peer.WriteToUDPAddrPort(msg, to)
			c.ReadFromUDPAddrPort(buf)
			if c.ViaRelay(pa) != relayed {
				b.Fatalf("path relayed=%v, want %v", c.ViaRelay(pa), relayed)
			}
			b.ResetTimer()
			for range b.N {
				peer.WriteToUDPAddrPort(msg, to)
				c.ReadFromUDPAddrPort(buf)
				c.WriteToUDPAddrPort(msg, pa)
				peer.ReadFromUDPAddrPort(buf)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/rtt")
		})
	}
}
