package turn

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"time"
)

// Forwarding through a member: when two members cannot reach each other
// and no TURN relay works, a third member that reaches both forwards their
// datagrams, as a TURN server would, on its room socket. Their RTMFP
// session stays end to end (encrypted, verifiable by the short code); the
// forwarder sees only sealed packets, so every message keeps the priority
// and deadline its sender gave it, and when the forwarder's budget is
// spent it drops, which the pair's congestion control answers by sending
// less (video first: audio has the higher priority).
//
// A forwarded datagram is framed:
//
//	magic (8) | family (1: 4 or 6) | address (4 or 16) | port (2, big endian) | payload
//
// From a member to its forwarder the address is the destination; from
// the forwarder to the destination it is the origin, as the forwarder sees
// both. The forwarder passes on only frames between the pairs the room
// allowed (AllowForward), from their own addresses, within their budget;
// a member takes frames only for the origins it reaches through that
// forwarder (SetVia), and
// the endpoint sees the payload as coming from the origin's address, so
// the session is the same as if it were direct and the path table sends
// the answers back through the forwarder.
var forwardMagic = [8]byte{0xca, 0x3c, 0x5a, 0xa5, 'F', 'W', 'D', '1'}

// maxForwardHeader is the largest frame header (IPv6).
const maxForwardHeader = len(forwardMagic) + 1 + 16 + 2

func appendFrame(b []byte, a netip.AddrPort, payload []byte) []byte {
	b = append(b, forwardMagic[:]...)
	ip := a.Addr().Unmap()
	if ip.Is4() {
		b = append(b, 4)
		x := ip.As4()
		b = append(b, x[:]...)
	} else {
		b = append(b, 6)
		x := ip.As16()
		b = append(b, x[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, a.Port())
	return append(b, payload...)
}

// parseFrame reads a frame; ok is false for anything else.
func parseFrame(b []byte) (a netip.AddrPort, payload []byte, ok bool) {
	if len(b) < len(forwardMagic)+1 || !bytes.Equal(b[:len(forwardMagic)], forwardMagic[:]) {
		return a, nil, false
	}
	b = b[len(forwardMagic):]
	var ip netip.Addr
	switch b[0] {
	case 4:
		if len(b) < 1+4+2 {
			return a, nil, false
		}
		ip = netip.AddrFrom4([4]byte(b[1:5]))
		b = b[5:]
	case 6:
		if len(b) < 1+16+2 {
			return a, nil, false
		}
		ip = netip.AddrFrom16([16]byte(b[1:17])).Unmap()
		b = b[17:]
	default:
		return a, nil, false
	}
	a = netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b))
	if !a.IsValid() || a.Port() == 0 || ip.IsUnspecified() || ip.IsMulticast() {
		return netip.AddrPort{}, nil, false
	}
	return a, b[2:], true
}

type pairKey struct{ from, to netip.AddrPort }

// bucket is a token bucket of bytes.
type bucket struct {
	rate   float64 // bytes per second
	tokens float64
	at     time.Time
}

func (b *bucket) take(now time.Time, n int) bool {
	if !b.at.IsZero() {
		b.tokens = min(b.tokens+now.Sub(b.at).Seconds()*b.rate, b.rate/4) // at most 250 ms of burst
	}
	b.at = now
	if b.tokens < float64(n) {
		return false
	}
	b.tokens -= float64(n)
	return true
}

// AllowForward lets a and b exchange datagrams through this Conn, each
// direction at most rate bits per second (a later call changes the rate);
// rate 0 ends it.
func (c *Conn) AllowForward(a, b netip.AddrPort, rate int) {
	a, b = unmap(a), unmap(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range []pairKey{{a, b}, {b, a}} {
		if rate <= 0 {
			delete(c.forwards, k)
			continue
		}
		if f := c.forwards[k]; f != nil {
			f.rate = float64(rate) / 8
			continue
		}
		c.forwards[k] = &bucket{rate: float64(rate) / 8, tokens: float64(rate) / 8 / 4}
	}
}

// SetVia sends datagrams for dest through the member at via (framed),
// until something comes from dest another way; a zero via stops it.
func (c *Conn) SetVia(dest, via netip.AddrPort) {
	dest, via = unmap(dest), unmap(via)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !via.IsValid() {
		delete(c.vias, dest)
		return
	}
	c.vias[dest] = via
}

// ViaMember is the forwarder datagrams to dest go through (zero: none).
func (c *Conn) ViaMember(dest netip.AddrPort) netip.AddrPort {
	dest = unmap(dest)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.viaRoute(dest) {
		return c.vias[dest]
	}
	return netip.AddrPort{}
}

// viaRoute reports whether datagrams to dest go through a forwarder: one
// is set, and dest was last heard through it (or not at all). c.mu is
// held.
func (c *Conn) viaRoute(dest netip.AddrPort) bool {
	if _, ok := c.vias[dest]; !ok {
		return false
	}
	p := c.paths[dest]
	if p == nil {
		return true
	}
	last, _ := p.last()
	return !p.viaAt.Before(last) || c.now().Sub(last) >= pathFresh
}

// onFrame handles a framed datagram from from: forwards it when this Conn
// forwards for the pair, or delivers its payload when from is one of our
// forwarders. It reports whether bp was consumed.
func (c *Conn) onFrame(from netip.AddrPort, bp *[]byte, n int) bool {
	a, payload, ok := parseFrame((*bp)[:n])
	if !ok {
		return false
	}
	now := c.now()
	c.mu.Lock()
	f := c.forwards[pairKey{from, a}]
	// Only an origin the room agreed to reach through this forwarder:
	// a forwarder cannot make us route other addresses through it.
	isVia := c.vias[a] == from
	var out []byte
	if f != nil {
		if f.take(now, n) {
			out = appendFrame(c.fwdBuf[:0], from, payload)
			c.fwdBuf = out
		} else {
			c.stats.fwdDropped.Add(1)
		}
	}
	if f == nil && isVia {
		p := c.pathFor(a)
		if p != nil {
			p.viaAt = now
			p.sending = time.Time{}
			c.dropPending(p)
		}
	}
	c.mu.Unlock()
	switch {
	case out != nil:
		c.writeDirect(out, a)
		c.stats.forwarded.Add(1)
		c.pool.Put(bp)
	case f != nil:
		c.pool.Put(bp)
	case isVia:
		// Deliver the payload in place.
		m := copy(*bp, payload)
		c.stats.viaIn.Add(1)
		c.deliver(inDatagram{buf: bp, n: m, from: a})
	default:
		c.stats.fwdDropped.Add(1)
		c.pool.Put(bp)
	}
	return true
}

// pathFor returns a's path entry, creating it when there is room. c.mu
// is held.
func (c *Conn) pathFor(a netip.AddrPort) *path {
	p := c.paths[a]
	if p == nil && len(c.paths) < maxPaths {
		p = &path{}
		c.paths[a] = p
	}
	return p
}

// writeVia sends b to dest framed through its forwarder.
func (c *Conn) writeVia(b []byte, dest, via netip.AddrPort) (int, error) {
	bp := c.pool.Get().(*[]byte)
	defer c.pool.Put(bp)
	if len(b)+maxForwardHeader > len(*bp) {
		return 0, errTooBig
	}
	f := appendFrame((*bp)[:0], dest, b)
	if _, err := c.writeDirect(f, via); err != nil {
		return 0, err
	}
	c.stats.viaOut.Add(1)
	return len(b), nil
}

func (c *Conn) writeDirect(b []byte, a netip.AddrPort) (int, error) {
	if c.dapc != nil {
		return c.dapc.WriteToUDPAddrPort(b, a)
	}
	return c.direct.WriteTo(b, udpAddr(a))
}
