package rtmfptest

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// readQueue bounds the downlink datagrams that are due but not read yet;
// beyond it they are dropped (ImpairStats.Overflow), as a socket's receive
// buffer would.
const readQueue = 512

// closeLinger bounds how long Close lets uplink datagrams already written
// finish their way; those due later are discarded.
const closeLinger = time.Second

// udpAddrPortConn is the allocation-free interface of *net.UDPConn (the
// one rtmfp.Endpoint looks for).
type udpAddrPortConn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// ImpairedConn is a real socket behind an Impairment in each direction: a
// userspace stand-in for netem. It implements net.PacketConn and the
// allocation-free ReadFromUDPAddrPort / WriteToUDPAddrPort of
// *net.UDPConn, so an rtmfp.Endpoint runs on it as on the socket itself.
// Its methods are safe for concurrent use.
//
// Goroutines: the uplink scheduler sends written datagrams to the socket
// at their due time; the downlink reader reads the socket and hands
// datagrams to the model; the downlink scheduler releases them at their due
// time into a bounded read queue, where ReadFrom takes them. Each scheduler
// sleeps on one timer armed for the head of its direction's line (the line
// is a FIFO: see impairModel). Writes never block and never touch the
// socket: they copy the datagram into the line. A perfect direction passes
// datagrams straight through when nothing of it is in flight.
//
// Close wakes blocked readers at once, stops the reader with a read
// deadline on the socket, lets the uplink datagrams already written leave
// at their due time (they are on the network: at most one second more;
// later ones are discarded), then closes the socket and returns when every
// goroutine has ended.
type ImpairedConn struct {
	conn net.PacketConn
	apc  udpAddrPortConn // conn, when it has the allocation-free methods

	up, down impairDir

	ready     chan delivery // downlink datagrams due, for ReadFrom
	done      chan struct{} // closed by Close
	readDone  chan struct{} // closed when the reader stops on a socket error
	readErr   error         // that error; written before readDone is closed
	rd, wd    *deadline
	closeOnce sync.Once
	wg        sync.WaitGroup
}

var _ net.PacketConn = (*ImpairedConn)(nil)
var _ udpAddrPortConn = (*ImpairedConn)(nil)

// delivery is a downlink datagram in the read queue.
type delivery struct {
	buf  *[]byte
	n    int
	from netip.AddrPort
}

// impairDir is one direction: its model and its scheduler's wake-up.
type impairDir struct {
	mu       sync.Mutex
	m        *impairModel // guarded by mu
	emitting bool         // guarded by mu: the scheduler is handing a datagram on
	draining bool         // guarded by mu: Close was called; stop when the line is empty
	wake     chan struct{}
}

// ImpairConn wraps conn, normally a *net.UDPConn: datagrams written pass
// the up impairment before they reach the socket, datagrams read passed the
// down impairment after it. seed drives every random choice of both
// directions. The ImpairedConn owns conn and closes it on Close. It panics
// if an impairment is invalid (see Impairment.Validate).
func ImpairConn(conn net.PacketConn, up, down Impairment, seed int64) *ImpairedConn {
	for _, m := range []Impairment{up, down} {
		if err := m.Validate(); err != nil {
			panic(err)
		}
	}
	c := &ImpairedConn{
		conn:     conn,
		up:       impairDir{m: newImpairModel(up, uint64(seed)), wake: make(chan struct{}, 1)},
		down:     impairDir{m: newImpairModel(down, uint64(seed)^0x646f776e6c696e6b), wake: make(chan struct{}, 1)},
		ready:    make(chan delivery, readQueue),
		done:     make(chan struct{}),
		readDone: make(chan struct{}),
		rd:       newDeadline(),
		wd:       newDeadline(),
	}
	c.apc, _ = conn.(udpAddrPortConn)
	c.wg.Add(3)
	go c.up.run(&c.wg, c.done, c.send)
	go c.down.run(&c.wg, c.done, c.deliver)
	go c.reader()
	return c
}

// Stats returns the counters and queue figures of the uplink (written
// datagrams on their way to the socket) and the downlink (datagrams from
// the socket on their way to ReadFrom).
func (c *ImpairedConn) Stats() (up, down ImpairStats) {
	return c.up.stats(), c.down.stats()
}

// SetUplink changes the uplink impairment from now on; datagrams in flight
// keep their schedule.
func (c *ImpairedConn) SetUplink(m Impairment) error { return c.up.set(m) }

// SetDownlink changes the downlink impairment from now on.
func (c *ImpairedConn) SetDownlink(m Impairment) error { return c.down.set(m) }

// Impairments returns the current uplink and downlink impairments.
func (c *ImpairedConn) Impairments() (up, down Impairment) {
	return c.up.impairment(), c.down.impairment()
}

func (d *impairDir) set(m Impairment) error {
	if err := m.Validate(); err != nil {
		return err
	}
	d.mu.Lock()
	d.m.setImpairment(m)
	d.mu.Unlock()
	return nil
}

func (d *impairDir) impairment() Impairment {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m.imp
}

func (d *impairDir) stats() ImpairStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m.stats(time.Now())
}

func (d *impairDir) signal() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// admit puts b into the direction at the current time. It returns true
// when the caller should hand b on itself, now (a perfect direction with
// nothing in flight); the datagram is then counted as gone out.
func (d *impairDir) admit(b []byte, addr netip.AddrPort) (direct bool) {
	d.mu.Lock()
	m := d.m
	if d.draining {
		m.st.Discarded++ // written while Close ran
		d.mu.Unlock()
		return false
	}
	if m.imp.IsZero() && m.line.len() == 0 && !d.emitting {
		m.st.In++
		m.st.Out++
		m.st.BytesIn += uint64(len(b))
		m.st.BytesOut += uint64(len(b))
		d.mu.Unlock()
		return true
	}
	wake := m.enter(time.Now(), b, addr)
	d.mu.Unlock()
	if wake {
		d.signal()
	}
	return false
}

// run is a direction's scheduler: it hands each datagram on (emit, called
// without the lock; it returns false when it kept the buffer) when its due
// time comes, until done is closed (with draining set, once the line is
// empty).
func (d *impairDir) run(wg *sync.WaitGroup, done <-chan struct{}, emit func(slot) bool) {
	defer wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	stopping := false
	for {
		d.mu.Lock()
		now := time.Now()
		if s, ok := d.m.pop(now); ok {
			d.emitting = true
			d.mu.Unlock()
			free := emit(s)
			d.mu.Lock()
			d.emitting = false
			if free {
				d.m.putBuf(s.buf)
			}
			d.mu.Unlock()
			continue
		}
		due, pending := d.m.next()
		if stopping && (!d.draining || !pending) {
			d.mu.Unlock()
			return
		}
		d.mu.Unlock()
		if pending {
			timer.Reset(due.Sub(now))
		} else {
			timer.Stop()
		}
		if stopping {
			<-timer.C
			continue
		}
		select {
		case <-d.wake:
		case <-timer.C:
		case <-done:
			stopping = true
		}
	}
}

// send is the uplink's emit: it writes the datagram to the socket.
func (c *ImpairedConn) send(s slot) bool {
	var err error
	if c.apc != nil {
		_, err = c.apc.WriteToUDPAddrPort((*s.buf)[:s.n], s.addr)
	} else {
		_, err = c.conn.WriteTo((*s.buf)[:s.n], net.UDPAddrFromAddrPort(s.addr))
	}
	if err != nil {
		c.up.mu.Lock()
		c.up.m.st.SendErrors++
		c.up.mu.Unlock()
	}
	return true
}

// deliver is the downlink's emit: it queues the datagram for ReadFrom.
func (c *ImpairedConn) deliver(s slot) bool {
	select {
	case c.ready <- delivery{buf: s.buf, n: s.n, from: s.addr}:
		return false
	default:
		c.down.mu.Lock()
		c.down.m.st.Overflow++
		c.down.m.st.Out--
		c.down.m.st.BytesOut -= uint64(s.n)
		c.down.mu.Unlock()
		return true
	}
}

// reader reads the socket and puts each datagram into the downlink.
func (c *ImpairedConn) reader() {
	defer c.wg.Done()
	buf := make([]byte, maxDatagram+1)
	for {
		var n int
		var from netip.AddrPort
		var err error
		if c.apc != nil {
			n, from, err = c.apc.ReadFromUDPAddrPort(buf)
		} else {
			var a net.Addr
			n, a, err = c.conn.ReadFrom(buf)
			if ua, ok := a.(*net.UDPAddr); ok {
				from = ua.AddrPort()
			}
		}
		if err != nil {
			select {
			case <-c.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue // only Close sets the socket's read deadline
			}
			c.readErr = err
			close(c.readDone)
			return
		}
		if c.down.admit(buf[:n], from) {
			// Straight through: the read queue takes its own copy.
			c.down.mu.Lock()
			bp := c.down.m.getBuf(buf[:n])
			c.down.mu.Unlock()
			if c.deliver(slot{buf: bp, n: n, addr: from}) {
				c.down.mu.Lock()
				c.down.m.putBuf(bp)
				c.down.mu.Unlock()
			}
		}
	}
}

// ReadFrom implements net.PacketConn. The address is a *net.UDPAddr.
func (c *ImpairedConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromUDPAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// ReadFromUDPAddrPort reads the next datagram that has passed the downlink
// into b, truncating it if b is too short, like a UDP socket.
func (c *ImpairedConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	rd := c.rd.wait()
	select {
	case <-c.done:
		return 0, netip.AddrPort{}, c.opError("read", net.ErrClosed)
	case <-rd:
		return 0, netip.AddrPort{}, c.opError("read", os.ErrDeadlineExceeded)
	default:
	}
	select {
	case d := <-c.ready:
		n := copy(b, (*d.buf)[:d.n])
		c.down.mu.Lock()
		c.down.m.putBuf(d.buf)
		c.down.mu.Unlock()
		return n, d.from, nil
	case <-c.done:
		return 0, netip.AddrPort{}, c.opError("read", net.ErrClosed)
	case <-rd:
		return 0, netip.AddrPort{}, c.opError("read", os.ErrDeadlineExceeded)
	case <-c.readDone:
		return 0, netip.AddrPort{}, c.readErr
	}
}

// WriteTo implements net.PacketConn. addr must be a *net.UDPAddr or have an
// AddrPort method, or its String must parse as an address and port.
func (c *ImpairedConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ap, err := toAddrPort(addr)
	if err != nil {
		return 0, c.opError("write", err)
	}
	return c.WriteToUDPAddrPort(b, ap)
}

// WriteToUDPAddrPort puts b on the uplink towards addr and returns at once,
// like a UDP socket whose datagram may still be lost on the way. Errors
// the socket gives later are counted (ImpairStats.SendErrors).
func (c *ImpairedConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	select {
	case <-c.done:
		return 0, c.opError("write", net.ErrClosed)
	case <-c.wd.wait():
		return 0, c.opError("write", os.ErrDeadlineExceeded)
	default:
	}
	if len(b) > maxDatagram {
		return 0, c.opError("write", ErrTooLarge)
	}
	if !addr.IsValid() {
		return 0, c.opError("write", ErrBadAddress)
	}
	if c.up.admit(b, addr) {
		if c.apc != nil {
			return c.apc.WriteToUDPAddrPort(b, addr)
		}
		return c.conn.WriteTo(b, net.UDPAddrFromAddrPort(addr))
	}
	return len(b), nil
}

// Close stops the connection as the type's comment describes. Later calls
// return an error wrapping net.ErrClosed.
func (c *ImpairedConn) Close() error {
	first := false
	c.closeOnce.Do(func() { first = true })
	if !first {
		return c.opError("close", net.ErrClosed)
	}
	now := time.Now()
	c.up.mu.Lock()
	c.up.draining = true
	c.up.m.discardAfter(now.Add(closeLinger))
	c.up.mu.Unlock()
	close(c.done)
	c.rd.stop()
	c.wd.stop()
	// Wake the reader from the socket without closing it yet: the uplink
	// still writes to it.
	if err := c.conn.SetReadDeadline(time.Unix(1, 0)); err != nil {
		c.up.mu.Lock()
		c.up.m.discardAfter(time.Time{})
		c.up.mu.Unlock()
		err = c.conn.Close()
		c.wg.Wait()
		return err
	}
	c.wg.Wait()
	c.down.mu.Lock()
	c.down.m.discardAfter(time.Time{})
	c.down.mu.Unlock()
	for {
		select {
		case d := <-c.ready:
			c.down.mu.Lock()
			c.down.m.putBuf(d.buf)
			c.down.m.st.Discarded++
			c.down.mu.Unlock()
			continue
		default:
		}
		break
	}
	return c.conn.Close()
}

// LocalAddr returns the socket's address.
func (c *ImpairedConn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// SetDeadline sets the read and write deadlines.
func (c *ImpairedConn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

// SetReadDeadline sets the read deadline; a blocked ReadFrom returns an
// error satisfying errors.Is(err, os.ErrDeadlineExceeded) and Timeout().
func (c *ImpairedConn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

// SetWriteDeadline sets the write deadline. Writes never block, so it only
// makes writes after t fail.
func (c *ImpairedConn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}

// SetReadBuffer and SetWriteBuffer size the socket's kernel buffers when it
// has them (a *net.UDPConn does).
func (c *ImpairedConn) SetReadBuffer(bytes int) error {
	if s, ok := c.conn.(interface{ SetReadBuffer(int) error }); ok {
		return s.SetReadBuffer(bytes)
	}
	return nil
}

// SetWriteBuffer: see SetReadBuffer.
func (c *ImpairedConn) SetWriteBuffer(bytes int) error {
	if s, ok := c.conn.(interface{ SetWriteBuffer(int) error }); ok {
		return s.SetWriteBuffer(bytes)
	}
	return nil
}

func (c *ImpairedConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "udp", Addr: nil, Err: err}
}
