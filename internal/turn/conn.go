package turn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	pturn "github.com/pion/turn/v4"
)

// Path timing: a far address heard from within pathFresh is sent to on
// the path its last datagram came by; one not heard from is sent to
// directly, and from relayDelay on through the relay as well (so that a
// direct path that works wins the handshake).
const (
	pathFresh   = 15 * time.Second
	relayDelay  = 500 * time.Millisecond
	probeGap    = 200 * time.Millisecond
	pathForget  = 2 * time.Minute
	maxPaths    = 4096
	inQueue     = 512
	relayQueue  = 256
	maxDatagram = 8192 + 1
)

// ErrNoRelay: the relay could not be allocated.
var ErrNoRelay = errors.New("no relay")

var errTooBig = errors.New("turn: datagram too large to forward")

// addrPortConn is the allocation-free interface of *net.UDPConn.
type addrPortConn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

type inDatagram struct {
	buf  *[]byte
	n    int
	from netip.AddrPort
	err  error
}

type outDatagram struct {
	buf *[]byte
	n   int
	to  netip.AddrPort
}

type path struct {
	direct, relayed time.Time // when something last came each way
	viaAt           time.Time // when something last came through a forwarding member
	// While the address is silent: since when we send to it, and the
	// latest datagram for the relay, sent through it relayDelay after
	// the first if the far end has not answered directly by then.
	sending time.Time
	// ProbeDirect: until probeUntil, a datagram through the relay goes
	// directly too, one every probeGap.
	probeUntil, probeLast time.Time
	pending               *[]byte
	pendN                 int
	timer                 *time.Timer
}

// last is when a was last heard from directly or through the relay, and
// whether through the relay.
func (p *path) last() (time.Time, bool) {
	if p.relayed.After(p.direct) {
		return p.relayed, true
	}
	return p.direct, false
}

// ConnStats counts what went where.
type ConnStats struct {
	DirectIn, RelayIn, DirectOut, RelayOut uint64 // datagrams
	TURNIn                                 uint64 // from the TURN server itself
	Dropped                                uint64 // a queue was full
	// Through a forwarding member: received and sent by us; forwarded
	// for others, and dropped (over budget or not allowed).
	ViaIn, ViaOut, Forwarded, ForwardDropped uint64
}

// Conn is a net.PacketConn for an RTMFP endpoint: the direct UDP socket,
// plus the relayed address of a TURN allocation once Allocate succeeds.
// Each far address is sent to on the path it was last heard on (see the
// package documentation). Safe for concurrent use.
type Conn struct {
	direct net.PacketConn
	dapc   addrPortConn // direct, when it has the allocation-free methods
	now    func() time.Time
	log    *slog.Logger

	in   chan inDatagram
	quit chan struct{}
	wg   sync.WaitGroup
	pool sync.Pool
	once sync.Once

	stats struct {
		directIn, relayIn, directOut, relayOut, turnIn, dropped atomic.Uint64
		viaIn, viaOut, forwarded, fwdDropped                    atomic.Uint64
	}
	fwdBuf []byte // frames being forwarded (owned by readDirect)

	mu      sync.Mutex // guards the fields below
	paths   map[netip.AddrPort]*path
	client  *pturn.Client
	server  netip.AddrPort // the TURN server, while allocating or allocated
	relay   net.PacketConn
	relayed netip.AddrPort
	mapped  netip.AddrPort // our address as the TURN server sees it
	out     chan outDatagram
	closed  bool
	// Forwarding (forward.go): destinations reached through a member,
	// and the pairs we forward for.
	vias     map[netip.AddrPort]netip.AddrPort
	forwards map[pairKey]*bucket
}

// NewConn wraps the direct socket; the Conn owns it from then on. now is
// the clock (nil: time.Now).
func NewConn(direct net.PacketConn, now func() time.Time, log *slog.Logger) *Conn {
	if now == nil {
		now = time.Now
	}
	c := &Conn{
		direct: direct,
		now:    now,
		log:    loggerOrDiscard(log),
		in:     make(chan inDatagram, inQueue),
		quit:   make(chan struct{}),
		paths:  map[netip.AddrPort]*path{},

		vias:     map[netip.AddrPort]netip.AddrPort{},
		forwards: map[pairKey]*bucket{},
	}
	c.dapc, _ = direct.(addrPortConn)
	c.pool.New = func() any { b := make([]byte, maxDatagram); return &b }
	c.wg.Add(1)
	go c.readDirect()
	return c
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

func udpAddr(a netip.AddrPort) *net.UDPAddr { return net.UDPAddrFromAddrPort(a) }

// readDirect reads the direct socket: the TURN server's answers go to the
// TURN client, the rest to the endpoint.
func (c *Conn) readDirect() {
	defer c.wg.Done()
	for {
		bp := c.pool.Get().(*[]byte)
		var n int
		var from netip.AddrPort
		var err error
		if c.dapc != nil {
			n, from, err = c.dapc.ReadFromUDPAddrPort(*bp)
		} else {
			var a net.Addr
			n, a, err = c.direct.ReadFrom(*bp)
			if ua, ok := a.(*net.UDPAddr); ok {
				from = ua.AddrPort()
			}
		}
		if err != nil {
			c.pool.Put(bp)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			select {
			case c.in <- inDatagram{err: err}:
			case <-c.quit:
			}
			return
		}
		from = unmap(from)
		if n > len(forwardMagic) && (*bp)[0] == forwardMagic[0] && c.onFrame(from, bp, n) {
			continue
		}
		c.mu.Lock()
		client, server := c.client, c.server
		if client == nil || from != server {
			c.heard(from, false)
		}
		c.mu.Unlock()
		if client != nil && from == server {
			client.HandleInbound((*bp)[:n], udpAddr(from))
			c.pool.Put(bp)
			c.stats.turnIn.Add(1)
			continue
		}
		c.stats.directIn.Add(1)
		c.deliver(inDatagram{buf: bp, n: n, from: from})
	}
}

// readRelay reads datagrams that came through the relay.
func (c *Conn) readRelay(relay net.PacketConn) {
	defer c.wg.Done()
	for {
		bp := c.pool.Get().(*[]byte)
		n, a, err := relay.ReadFrom(*bp)
		if err != nil {
			c.pool.Put(bp)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // the allocation ended; direct paths go on
		}
		ua, ok := a.(*net.UDPAddr)
		if !ok {
			c.pool.Put(bp)
			continue
		}
		from := unmap(ua.AddrPort())
		c.mu.Lock()
		c.heard(from, true)
		c.mu.Unlock()
		c.stats.relayIn.Add(1)
		c.deliver(inDatagram{buf: bp, n: n, from: from})
	}
}

// writeRelay sends queued datagrams through the relay (the first to a new
// address waits for its permission).
func (c *Conn) writeRelay(relay net.PacketConn, out chan outDatagram) {
	defer c.wg.Done()
	for {
		select {
		case <-c.quit:
			return
		case d := <-out:
			if _, err := relay.WriteTo((*d.buf)[:d.n], udpAddr(d.to)); err == nil {
				c.stats.relayOut.Add(1)
			}
			c.pool.Put(d.buf)
		}
	}
}

func (c *Conn) deliver(d inDatagram) {
	select {
	case c.in <- d:
	default:
		c.pool.Put(d.buf)
		c.stats.dropped.Add(1)
	}
}

// heard records a datagram from a. c.mu is held.
func (c *Conn) heard(a netip.AddrPort, relayed bool) {
	now := c.now()
	p := c.paths[a]
	if p == nil {
		if len(c.paths) >= maxPaths {
			for k, x := range c.paths {
				if now.Sub(x.direct) > pathForget && now.Sub(x.relayed) > pathForget {
					delete(c.paths, k)
				}
			}
			if len(c.paths) >= maxPaths {
				return
			}
		}
		p = &path{}
		c.paths[a] = p
	}
	if relayed {
		p.relayed = now
	} else {
		p.direct = now
	}
	p.sending = time.Time{}
	c.dropPending(p)
}

func (c *Conn) dropPending(p *path) {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if p.pending != nil {
		c.pool.Put(p.pending)
		p.pending = nil
	}
}

// route says how to reach a. c.mu is held.
func (c *Conn) route(a netip.AddrPort) (direct, relay bool) {
	if c.out == nil || a == c.server {
		return true, false
	}
	// Answer on the path the last datagram came by: the far end knows us
	// by the address it sent to (our direct address or our relayed one),
	// and a handshake answer from the other would not count (RFC 7016
	// §3.5.1.1: RIKeying only from where the IIKeying went).
	if p := c.paths[a]; p != nil {
		if last, relayed := p.last(); c.now().Sub(last) < pathFresh {
			return !relayed, relayed
		}
	}
	return true, true
}

// silent handles a datagram to an address not heard from: it goes
// through the relay too (true) once we have been sending for relayDelay;
// before that it is kept, and the newest kept one goes through the relay
// at relayDelay unless the far end answers first. c.mu is held.
func (c *Conn) silent(a netip.AddrPort, b []byte) bool {
	now := c.now()
	p := c.paths[a]
	if p == nil {
		if len(c.paths) >= maxPaths {
			return true
		}
		p = &path{}
		c.paths[a] = p
	}
	if p.sending.IsZero() {
		p.sending = now
	}
	wait := relayDelay - now.Sub(p.sending)
	if wait <= 0 || len(b) > maxDatagram {
		c.dropPending(p)
		return true
	}
	if p.pending == nil {
		p.pending = c.pool.Get().(*[]byte)
	}
	p.pendN = copy(*p.pending, b)
	if p.timer == nil {
		p.timer = time.AfterFunc(wait, func() { c.sendPending(a) })
	}
	return false
}

// sendPending sends the datagram kept for a through the relay, if a is
// still silent.
func (c *Conn) sendPending(a netip.AddrPort) {
	c.mu.Lock()
	p := c.paths[a]
	if p == nil || c.closed || p.pending == nil || c.out == nil {
		c.mu.Unlock()
		return
	}
	d := outDatagram{buf: p.pending, n: p.pendN, to: a}
	p.pending, p.timer = nil, nil
	out := c.out
	c.mu.Unlock()
	select {
	case out <- d:
	default:
		c.pool.Put(d.buf)
		c.stats.dropped.Add(1)
	}
}

// ReadFromUDPAddrPort reads the next datagram from either path.
func (c *Conn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	select {
	case d := <-c.in:
		if d.err != nil {
			c.deliverAgain(d)
			return 0, netip.AddrPort{}, d.err
		}
		n := copy(b, (*d.buf)[:d.n])
		c.pool.Put(d.buf)
		return n, d.from, nil
	case <-c.quit:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}

// deliverAgain puts a read error back, so every later read sees it too.
func (c *Conn) deliverAgain(d inDatagram) {
	select {
	case c.in <- d:
	default:
	}
}

// ReadFrom implements net.PacketConn.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return 0, nil, err
	}
	return n, udpAddr(from), nil
}

// WriteToUDPAddrPort sends b to a on its path (see the package
// documentation).
func (c *Conn) WriteToUDPAddrPort(b []byte, a netip.AddrPort) (int, error) {
	a = unmap(a)
	c.mu.Lock()
	if c.viaRoute(a) {
		via := c.vias[a]
		c.mu.Unlock()
		return c.writeVia(b, a, via)
	}
	direct, relay := c.route(a)
	if direct && relay {
		relay = c.silent(a, b)
	} else if p := c.paths[a]; relay && p != nil && !p.probeUntil.IsZero() {
		if now := c.now(); now.After(p.probeUntil) {
			p.probeUntil = time.Time{}
		} else if now.Sub(p.probeLast) >= probeGap {
			p.probeLast, direct = now, true
		}
	}
	out := c.out
	c.mu.Unlock()
	if relay && len(b) <= maxDatagram {
		bp := c.pool.Get().(*[]byte)
		n := copy(*bp, b)
		select {
		case out <- outDatagram{buf: bp, n: n, to: a}:
		default:
			c.pool.Put(bp)
			c.stats.dropped.Add(1)
		}
	}
	if !direct {
		return len(b), nil
	}
	c.stats.directOut.Add(1)
	if c.dapc != nil {
		return c.dapc.WriteToUDPAddrPort(b, a)
	}
	return c.direct.WriteTo(b, udpAddr(a))
}

// WriteTo implements net.PacketConn.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, fmt.Errorf("turn: write to %v: not a UDP address", addr)
	}
	return c.WriteToUDPAddrPort(b, ua.AddrPort())
}

// LocalAddr is the direct socket's address.
func (c *Conn) LocalAddr() net.Addr { return c.direct.LocalAddr() }

// SetDeadline, SetReadDeadline and SetWriteDeadline apply to the direct
// socket only: the endpoint sets none.
func (c *Conn) SetDeadline(t time.Time) error      { return c.direct.SetDeadline(t) }
func (c *Conn) SetReadDeadline(t time.Time) error  { return c.direct.SetReadDeadline(t) }
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.direct.SetWriteDeadline(t) }

// Close releases the allocation, closes the socket and stops the
// goroutines.
func (c *Conn) Close() error {
	var err error
	c.once.Do(func() {
		c.mu.Lock()
		c.closed = true
		relay, client := c.relay, c.client
		c.mu.Unlock()
		close(c.quit)
		if relay != nil {
			relay.Close() // deallocates (a Refresh with lifetime 0)
		}
		if client != nil {
			client.Close()
		}
		err = c.direct.Close()
		c.wg.Wait()
	})
	return err
}

// Relayed is the relayed address, if an allocation is live.
func (c *Conn) Relayed() netip.AddrPort {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.relayed
}

// ProbeDirect sends datagrams for a, which go through the relay,
// directly as well for the next window, one every probeGap (about six in
// the 1.1 s a far end may wait between mobility checks): if the far end's
// NAT now lets them through, the far end hears us directly, checks that
// path and answers along it, and the session moves (a relayed call going
// direct when a direct path appears).
func (c *Conn) ProbeDirect(a netip.AddrPort, window time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.paths[unmap(a)]; p != nil {
		p.probeUntil, p.probeLast = c.now().Add(window), time.Time{}
	}
}

// Mapped is our address as the TURN server sees it (zero when unknown).
func (c *Conn) Mapped() netip.AddrPort {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mapped
}

// Server is the TURN server in use (zero when none).
func (c *Conn) Server() netip.AddrPort {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.relay == nil {
		return netip.AddrPort{}
	}
	return c.server
}

// ViaRelay reports whether datagrams to a go through our relay.
func (c *Conn) ViaRelay(a netip.AddrPort) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	direct, relay := c.route(unmap(a))
	return relay && !direct
}

// Stats counts datagrams per path.
func (c *Conn) Stats() ConnStats {
	return ConnStats{
		DirectIn: c.stats.directIn.Load(), RelayIn: c.stats.relayIn.Load(),
		DirectOut: c.stats.directOut.Load(), RelayOut: c.stats.relayOut.Load(),
		TURNIn: c.stats.turnIn.Load(), Dropped: c.stats.dropped.Load(),
		ViaIn: c.stats.viaIn.Load(), ViaOut: c.stats.viaOut.Load(),
		Forwarded: c.stats.forwarded.Load(), ForwardDropped: c.stats.fwdDropped.Load(),
	}
}

// Allocate asks the TURN server at server for a relayed address with
// creds, over the direct socket, and returns it. It gives up when ctx
// ends. A Conn has at most one allocation; a second call fails.
func (c *Conn) Allocate(ctx context.Context, server netip.AddrPort, creds Credentials) (netip.AddrPort, error) {
	server = unmap(server)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return netip.AddrPort{}, net.ErrClosed
	}
	if c.client != nil {
		c.mu.Unlock()
		return netip.AddrPort{}, fmt.Errorf("turn: already allocating on %v", c.server)
	}
	client, err := pturn.NewClient(&pturn.ClientConfig{
		TURNServerAddr: server.String(),
		Username:       creds.Username,
		Password:       creds.Password,
		Realm:          Realm,
		Software:       "camchat",
		Conn:           clientConn{c},
		LoggerFactory:  slogFactory{c.log},
	})
	if err != nil {
		c.mu.Unlock()
		return netip.AddrPort{}, fmt.Errorf("%w: %w", ErrNoRelay, err)
	}
	c.client, c.server = client, server
	c.mu.Unlock()

	type result struct {
		pc  net.PacketConn
		err error
	}
	done := make(chan result, 1)
	go func() {
		pc, err := client.Allocate()
		done <- result{pc, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		res.err = ctx.Err()
		go func() {
			if r := <-done; r.pc != nil {
				r.pc.Close()
			}
		}()
	case <-c.quit:
		res.err = net.ErrClosed
		go func() {
			if r := <-done; r.pc != nil {
				r.pc.Close()
			}
		}()
	}
	if res.err != nil {
		c.mu.Lock()
		c.client, c.server = nil, netip.AddrPort{}
		c.mu.Unlock()
		client.Close()
		return netip.AddrPort{}, fmt.Errorf("%w: %v: %w", ErrNoRelay, server, res.err)
	}
	ua, ok := res.pc.LocalAddr().(*net.UDPAddr)
	if !ok {
		res.pc.Close()
		return netip.AddrPort{}, fmt.Errorf("%w: relayed address %v", ErrNoRelay, res.pc.LocalAddr())
	}
	out := make(chan outDatagram, relayQueue)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		res.pc.Close()
		return netip.AddrPort{}, net.ErrClosed
	}
	c.relay, c.relayed, c.out = res.pc, unmap(ua.AddrPort()), out
	c.wg.Add(2)
	c.mu.Unlock()
	go c.readRelay(res.pc)
	go c.writeRelay(res.pc, out)
	// Our public address as the server sees it (a STUN Binding, RFC 8489
	// §5): with an endpoint-independent NAT, the one every peer sees.
	if a, err := client.SendBindingRequestTo(udpAddr(server)); err == nil {
		if ua, ok := a.(*net.UDPAddr); ok {
			c.mu.Lock()
			c.mapped = unmap(ua.AddrPort())
			c.mu.Unlock()
		}
	}
	c.log.Debug("relay allocated", "server", server.String(), "relayed", c.relayed.String())
	return c.relayed, nil
}

// clientConn is the TURN client's view of the direct socket: it writes
// through it; its reads are fed by readDirect (HandleInbound), so
// ReadFrom is never called.
type clientConn struct{ c *Conn }

func (cc clientConn) ReadFrom([]byte) (int, net.Addr, error) {
	<-cc.c.quit
	return 0, nil, net.ErrClosed
}

func (cc clientConn) WriteTo(b []byte, a net.Addr) (int, error) {
	if cc.c.dapc != nil {
		if ua, ok := a.(*net.UDPAddr); ok {
			return cc.c.dapc.WriteToUDPAddrPort(b, ua.AddrPort())
		}
	}
	return cc.c.direct.WriteTo(b, a)
}

func (cc clientConn) Close() error                       { return nil }
func (cc clientConn) LocalAddr() net.Addr                { return cc.c.direct.LocalAddr() }
func (cc clientConn) SetDeadline(t time.Time) error      { return nil }
func (cc clientConn) SetReadDeadline(t time.Time) error  { return nil }
func (cc clientConn) SetWriteDeadline(t time.Time) error { return nil }
