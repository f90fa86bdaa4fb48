package rtmfptest_test

import (
	"fmt"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/rtmfptest"
)

// A peer behind a home NAT talks to a public server over a 40 ms path.
// In a test, wrap the body in synctest.Test so the delays take no real time.
func Example() {
	n := rtmfptest.NewNetwork(rtmfptest.Config{
		Seed:        1,
		DefaultLink: rtmfptest.LinkConditions{Delay: 20 * time.Millisecond},
	})
	defer n.Close()

	nat, _ := n.AddNAT(rtmfptest.NATConfig{
		Name:   "home-nat",
		Public: []netip.Addr{netip.MustParseAddr("203.0.113.1")},
	})
	// A 1 Mbit/s uplink with at most 100 ms of queue, as on a home line.
	nat.Uplink().SetConditions(rtmfptest.LinkConditions{
		Rate:       1 * rtmfptest.Mbps,
		QueueDelay: 100 * time.Millisecond,
	})
	alice, _ := nat.AddHost("alice", netip.MustParseAddr("192.168.1.2"))
	server, _ := n.AddHost("server", netip.MustParseAddr("198.51.100.1"))

	ac, _ := alice.Listen(netip.MustParseAddrPort("192.168.1.2:1935"))
	sc, _ := server.Listen(netip.MustParseAddrPort("198.51.100.1:1935"))

	ac.WriteTo([]byte("hello"), sc.LocalAddr())
	buf := make([]byte, 1500)
	k, from, _ := sc.ReadFrom(buf) // the NAT's mapping, not alice's address
	fmt.Printf("server got %q from %v\n", buf[:k], from)

	sc.WriteTo([]byte("welcome"), from)
	k, from, _ = ac.ReadFrom(buf)
	fmt.Printf("alice got %q from %v\n", buf[:k], from)

	// A stranger is filtered by the NAT.
	other, _ := n.AddHost("other", netip.MustParseAddr("198.51.100.9"))
	oc, _ := other.Listen(netip.AddrPort{})
	oc.WriteToUDPAddrPort([]byte("spam"), netip.MustParseAddrPort("203.0.113.1:20000"))
	ac.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	_, _, err := ac.ReadFrom(buf)
	fmt.Println("alice:", err)
	fmt.Println("filtered by the NAT:", nat.Stats().Dropped[rtmfptest.DropFiltered])
	// Output:
	// server got "hello" from 203.0.113.1:20000
	// alice got "welcome" from 198.51.100.1:1935
	// alice: read udp: i/o timeout
	// filtered by the NAT: 1
}
