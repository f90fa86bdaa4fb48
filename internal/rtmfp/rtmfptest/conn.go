package rtmfptest

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// maxDatagram is the largest UDP payload over IPv6 jumbo-free paths.
const maxDatagram = 65535

// Conn is a UDP socket on a simulated host. It implements net.PacketConn
// and the allocation-free ReadFromUDPAddrPort / WriteToUDPAddrPort of
// *net.UDPConn. Its methods are safe for concurrent use.
//
// Writes never block: the datagram is copied and scheduled at once. Reads
// block on a channel until a datagram, the read deadline or Close.
type Conn struct {
	host  *Host
	inbox chan packet // bounded receive queue; sends never block

	// Guarded by host.net.mu.
	local  netip.AddrPort
	closed bool
	stats  Counters

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	rd, wd    *deadline
}

var _ net.PacketConn = (*Conn)(nil)

func newConn(h *Host, local netip.AddrPort) *Conn {
	return &Conn{
		host:  h,
		inbox: make(chan packet, h.net.recvQueue),
		local: local,
		done:  make(chan struct{}),
		rd:    newDeadline(),
		wd:    newDeadline(),
	}
}

// Host returns the host the socket is on.
func (c *Conn) Host() *Host { return c.host }

// LocalAddrPort returns the address the socket is bound to now (it changes
// with Host.Rebind).
func (c *Conn) LocalAddrPort() netip.AddrPort {
	c.host.net.mu.Lock()
	defer c.host.net.mu.Unlock()
	return c.local
}

// LocalAddr returns the bound address as a *net.UDPAddr.
func (c *Conn) LocalAddr() net.Addr {
	return net.UDPAddrFromAddrPort(c.LocalAddrPort())
}

// Stats returns the socket's counters.
func (c *Conn) Stats() Counters {
	c.host.net.mu.Lock()
	defer c.host.net.mu.Unlock()
	return c.stats
}

// ReadFrom implements net.PacketConn. The address is a *net.UDPAddr.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// ReadFromUDPAddrPort reads one datagram into b, truncating it if b is too
// short, like a UDP socket.
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	// A read past its deadline or after Close fails even if datagrams are
	// queued, as with a real socket.
	rd := c.rd.wait()
	select {
	case <-c.done:
		return 0, netip.AddrPort{}, c.opError("read", net.ErrClosed)
	case <-rd:
		return 0, netip.AddrPort{}, c.opError("read", os.ErrDeadlineExceeded)
	default:
	}
	select {
	case p := <-c.inbox:
		return copy(b, p.payload), p.src, nil
	case <-c.done:
		return 0, netip.AddrPort{}, c.opError("read", net.ErrClosed)
	case <-rd:
		return 0, netip.AddrPort{}, c.opError("read", os.ErrDeadlineExceeded)
	}
}

// WriteTo implements net.PacketConn. addr must be a *net.UDPAddr or have an
// AddrPort method, or its String must parse as an address and port.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ap, err := toAddrPort(addr)
	if err != nil {
		return 0, c.opError("write", err)
	}
	return c.WriteToUDPAddrPort(b, ap)
}

func toAddrPort(addr net.Addr) (netip.AddrPort, error) {
	var ap netip.AddrPort
	switch a := addr.(type) {
	case nil:
		return ap, fmt.Errorf("nil address: %w", ErrBadAddress)
	case *net.UDPAddr:
		ap = a.AddrPort()
	case interface{ AddrPort() netip.AddrPort }:
		ap = a.AddrPort()
	default:
		var err error
		if ap, err = netip.ParseAddrPort(addr.String()); err != nil {
			return ap, fmt.Errorf("%w: %v", ErrBadAddress, err)
		}
	}
	if !ap.IsValid() {
		return ap, fmt.Errorf("address %v: %w", addr, ErrBadAddress)
	}
	return ap, nil
}

// WriteToUDPAddrPort sends b to addr. It copies b and returns at once; the
// network delivers the copy later or drops it.
func (c *Conn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	select {
	case <-c.wd.wait():
		return 0, c.opError("write", os.ErrDeadlineExceeded)
	default:
	}
	if len(b) > maxDatagram {
		return 0, c.opError("write", ErrTooLarge)
	}
	dst := netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	n := c.host.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.closed {
		return 0, c.opError("write", net.ErrClosed)
	}
	if n.closed {
		return 0, c.opError("write", ErrNetworkClosed)
	}
	if dst.Addr().Is4() != c.local.Addr().Is4() {
		return 0, c.opError("write", ErrFamilyMismatch)
	}
	p := packet{src: c.local, dst: dst, payload: append([]byte(nil), b...)}
	c.stats.Sent++
	c.host.stats.Sent++
	n.stats.Sent++
	now := time.Now()
	if n.trace != nil {
		n.trace(TraceEvent{Kind: TraceSend, Time: now, Where: c.host.name, Src: p.src, Dst: p.dst, Payload: p.payload})
	}
	n.forward(now, c.host, p)
	return len(b), nil
}

// Close unbinds the socket and wakes blocked readers with net.ErrClosed.
func (c *Conn) Close() error {
	n := c.host.net
	n.mu.Lock()
	wasClosed := c.closed
	if !c.closed {
		c.closed = true
		if c.host.conns[c.local] == c {
			delete(c.host.conns, c.local)
		}
	}
	n.mu.Unlock()
	if wasClosed {
		return c.opError("close", net.ErrClosed)
	}
	c.closeOnce.Do(func() { close(c.done) })
	c.rd.stop()
	c.wd.stop()
	return nil
}

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

// SetReadDeadline sets the read deadline; a blocked ReadFrom returns an
// error satisfying errors.Is(err, os.ErrDeadlineExceeded) and Timeout().
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

// SetWriteDeadline sets the write deadline. Writes never block, so it only
// makes writes after t fail.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}

func (c *Conn) opError(op string, err error) error {
	// No Source: callers may hold the network lock that LocalAddr takes.
	return &net.OpError{Op: op, Net: "udp", Err: err}
}
