package rtmfptest

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

// must returns v, panicking on err: setup failures in these tests are bugs.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
func ip(s string) netip.Addr     { return netip.MustParseAddr(s) }

// rx is a datagram as a test receiver saw it.
type rx struct {
	at      time.Time
	from    netip.AddrPort
	payload []byte
}

// collect reads from c in a goroutine until it is closed and returns a
// function that stops the reader and returns what it read.
func collect(t testing.TB, c *Conn) func() []rx {
	t.Helper()
	out := make(chan []rx, 1)
	go func() {
		var got []rx
		buf := make([]byte, 70000)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				out <- got
				return
			}
			got = append(got, rx{at: time.Now(), from: from, payload: append([]byte(nil), buf[:n]...)})
		}
	}()
	return func() []rx {
		c.Close()
		return <-out
	}
}

// seqPacket returns a size-byte datagram whose first 4 bytes are i.
func seqPacket(i, size int) []byte {
	b := make([]byte, max(size, 4))
	binary.BigEndian.PutUint32(b, uint32(i))
	return b
}

func seqOf(b []byte) int { return int(binary.BigEndian.Uint32(b)) }

// pair builds a network with two public hosts and a socket on each.
func pair(t testing.TB, cfg Config) (n *Network, a, b *Host, ca, cb *Conn) {
	t.Helper()
	n = NewNetwork(cfg)
	a = must(n.AddHost("a", ip("192.0.2.1"), ip("2001:db8::1")))
	b = must(n.AddHost("b", ip("192.0.2.2"), ip("2001:db8::2")))
	ca = must(a.Listen(ap("192.0.2.1:1000")))
	cb = must(b.Listen(ap("192.0.2.2:2000")))
	return
}
