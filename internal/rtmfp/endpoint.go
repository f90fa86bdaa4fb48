package rtmfp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/wire"
)

// readBatch is how many datagrams the reader takes in one system call
// where it can (batch_linux.go) before it flushes what they made due.
const readBatch = 32

// writeBatch is how many packets of a flush go in one sendmmsg(2).
const writeBatch = 32

// addrPortConn is the allocation-free UDP interface of *net.UDPConn and
// rtmfptest.Conn.
type addrPortConn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// txDatagram is a packet the engine built, waiting to be written after the
// engine's lock is released.
type txDatagram struct {
	to netip.AddrPort
	b  []byte
}

// flushPackets bounds the data packets of one flush of the loop: the loop
// writes them, takes in what arrived meanwhile, and flushes again.
// txKeep is how many packet buffers the loop keeps between flushes (the
// data packets and a few control, acknowledgement and startup packets); a
// larger burst's extra buffers are left to the garbage collector rather
// than held for good.
const (
	flushPackets = 128
	txKeep       = 2 * flushPackets
)

// Endpoint is an RTMFP endpoint on one socket: it opens sessions (Connect),
// answers handshakes and accepts sessions (Accept), and runs every session's
// timers and transmissions.
//
// Goroutines: one reader per socket (ReadFrom into pooled buffers, handed
// over a bounded channel, dropped when full), one loop that owns the
// protocol state through the engine: it receives, runs timers, and sends,
// and a key worker for the Diffie-Hellman computations (pubkey.go).
// Application calls lock the engine briefly, change state and wake the loop.
// Close stops all three and waits for them.
type Endpoint struct {
	conn  net.PacketConn
	apc   addrPortConn // conn, when it has the allocation-free methods
	e     *engine
	local netip.AddrPort

	wakeCh  chan struct{}
	quit    chan struct{}
	wg      sync.WaitGroup
	closeMu sync.Once

	acceptQ chan *Session
	// err is why the endpoint stopped: nil while it runs and after a
	// clean Close, ErrSocket wrapping the socket's error otherwise. Set
	// once, before quit is closed; guarded by the engine mutex.
	err error

	// tx holds the packets of the loop's last flush until it writes them
	// with the engine unlocked. Owned by the loop goroutine.
	tx []txDatagram
	// txMu is held by the loop and the reader from before a flush until
	// its packets are written (before the engine mutex), so that packets
	// leave in the order they were built. Application calls never take it.
	txMu sync.Mutex
	// bw writes a flush's packets with sendmmsg(2) where it can; v4
	// says the socket is IPv4 (it takes sockaddr_in).
	bw *batchWriter
	v4 bool
	// armed is the deadline the loop waits for (zero: none); guarded by
	// the engine mutex.
	armed time.Time

	// The key worker: the loop hands it one public-key job at a time
	// (pkIn) and takes the result back (pkOut), so no Diffie-Hellman
	// computation runs under the engine's lock (pubkey.go).
	pkIn, pkOut chan *pkJob
}

// NewEndpoint starts an endpoint on conn. The endpoint owns conn and closes
// it on Close.
func NewEndpoint(conn net.PacketConn, cfg Config) (*Endpoint, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	ep := &Endpoint{
		conn:    conn,
		e:       e,
		wakeCh:  make(chan struct{}, 1),
		quit:    make(chan struct{}),
		acceptQ: make(chan *Session, e.cfg.AcceptQueue),
		pkIn:    make(chan *pkJob, 1),
		pkOut:   make(chan *pkJob, 1),
	}
	ep.apc, _ = conn.(addrPortConn)
	ep.bw = newBatchWriter(conn, writeBatch)
	if a, ok := conn.LocalAddr().(*net.UDPAddr); ok {
		ep.local = a.AddrPort()
	}
	ep.v4 = ep.local.Addr().Is4()
	e.localLoopback = ep.local.Addr().Unmap().IsLoopback()
	e.localLinkLocal = ep.local.Addr().Unmap().IsLinkLocalUnicast()
	e.wake = ep.wake
	e.flushLimit = flushPackets
	ep.wg.Add(3)
	go ep.reader()
	go ep.loop()
	go ep.keyWorker()
	return ep, nil
}

func (ep *Endpoint) wake() {
	select {
	case ep.wakeCh <- struct{}{}:
	default:
	}
}

// reader reads datagrams and handles each at once, as rtmfp-cpp's run loop
// does (PosixPlatformAdapter::onInterfaceReadable): it locks the engine,
// receives, flushes what the datagram made due (acknowledgements, data the
// acknowledgement let go) and writes it with the engine unlocked. Handing
// datagrams to the loop over a channel cost a goroutine switch and a
// wake-up per datagram. The loop is woken only for what is its own: a
// public-key job, sessions to hand to Accept, OnUnmatchedIHello hooks,
// more to send than one flush takes, or a deadline earlier than the one
// it waits for.
func (ep *Endpoint) reader() {
	defer ep.wg.Done()
	e := ep.e
	br := newBatchReader(ep.conn, readBatch)
	var buf []byte
	if br == nil {
		buf = make([]byte, MaxDatagram+1)
	}
	var tx []txDatagram
	queue := func(to netip.AddrPort, b []byte) { tx = appendTx(tx, to, b) }
	for {
		var n int
		var from netip.AddrPort
		var err error
		switch {
		case br != nil:
			n, err = br.read()
		case ep.apc != nil:
			n, from, err = ep.apc.ReadFromUDPAddrPort(buf)
		default:
			var a net.Addr
			n, a, err = ep.conn.ReadFrom(buf)
			if ua, ok := a.(*net.UDPAddr); ok {
				from = ua.AddrPort()
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			select {
			case <-ep.quit:
			default:
				ep.shutdown(err)
			}
			return
		}
		ep.txMu.Lock()
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			ep.txMu.Unlock()
			continue // the socket's next read fails
		}
		now := e.cfg.Now()
		if br != nil {
			for i := range n {
				b, from := br.datagram(i)
				e.receive(now, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), b)
			}
		} else {
			e.receive(now, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), buf[:n])
		}
		more := e.flush(now, queue)
		wake := more || len(e.pkQ) > 0 || len(e.accepted) > 0 || len(e.unmatched) > 0
		if !wake {
			d := e.nextDeadline(now)
			wake = !d.IsZero() && (ep.armed.IsZero() || d.Before(ep.armed))
		}
		e.mu.Unlock()
		tx = writeAll(ep, tx)
		ep.txMu.Unlock()
		if wake {
			ep.wake()
		}
	}
}

func (ep *Endpoint) send(to netip.AddrPort, b []byte) {
	if ep.apc != nil {
		_, _ = ep.apc.WriteToUDPAddrPort(b, to)
		return
	}
	_, _ = ep.conn.WriteTo(b, net.UDPAddrFromAddrPort(to))
}

// queue is the engine's send function on the loop: it copies the packet
// for writeAll, so that no socket write happens under the engine's lock
// (a write that waits for the kernel would stall every application call).
func (ep *Endpoint) queue(to netip.AddrPort, b []byte) {
	ep.tx = appendTx(ep.tx, to, b)
}

// appendTx appends a copy of b to tx, reusing the buffer of a packet
// written before.
func appendTx(tx []txDatagram, to netip.AddrPort, b []byte) []txDatagram {
	n := len(tx)
	if n == cap(tx) {
		tx = append(tx, txDatagram{})
	} else {
		tx = tx[:n+1]
	}
	d := &tx[n]
	d.to, d.b = to, append(d.b[:0], b...)
	return tx
}

// writeAll writes the queued packets in order and returns the emptied
// queue, keeping at most txKeep buffers.
func writeAll(ep *Endpoint, tx []txDatagram) []txDatagram {
	if ep.bw != nil && len(tx) > 1 {
		ep.bw.write(tx, ep.v4)
	} else {
		for i := range tx {
			ep.send(tx[i].to, tx[i].b)
		}
	}
	if len(tx) > txKeep {
		clear(tx[txKeep:])
		tx = tx[:txKeep]
	}
	return tx[:0]
}

// keyWorker runs public-key jobs for the loop, with no lock held.
func (ep *Endpoint) keyWorker() {
	defer ep.wg.Done()
	e := ep.e
	for {
		select {
		case <-ep.quit:
			return
		case j := <-ep.pkIn:
			j.compute(e.id, e.policy, e.rand)
			select {
			case ep.pkOut <- j:
			case <-ep.quit:
				return
			}
		}
	}
}

// loop owns the protocol state: it receives, runs timers and sends.
func (ep *Endpoint) loop() {
	defer ep.wg.Done()
	e := ep.e
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var hooks []UnmatchedIHello
	var accepted []*Session
	keying := false // a job is with the key worker
	for {
		ep.txMu.Lock()
		e.mu.Lock()
		now := e.cfg.Now()
		e.timeout(now)
		var job *pkJob
		if !keying {
			job = e.takeJob()
			keying = job != nil
		}
		more := e.flush(now, ep.queue)
		d := e.nextDeadline(now)
		hooks, e.unmatched = append(hooks[:0], e.unmatched...), e.unmatched[:0]
		accepted, e.accepted = append(accepted[:0], e.accepted...), e.accepted[:0]
		for _, s := range accepted {
			select {
			case ep.acceptQ <- s:
			default:
				s.abort(now, ErrSessionAborted, true) // nobody accepts sessions
			}
		}
		if more {
			d = now
		}
		ep.armed = d
		e.mu.Unlock()
		if job != nil {
			ep.pkIn <- job // the worker is idle: never blocks
		}
		ep.tx = writeAll(ep, ep.tx)
		ep.txMu.Unlock()
		for i, h := range hooks {
			if e.cfg.OnUnmatchedIHello != nil {
				e.cfg.OnUnmatchedIHello(h)
			}
			hooks[i] = UnmatchedIHello{}
		}
		var wait time.Duration
		if d.IsZero() {
			wait = time.Hour
		} else if wait = d.Sub(now); wait < 0 {
			wait = 0
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-ep.quit:
			return
		case j := <-ep.pkOut:
			keying = false
			e.mu.Lock()
			e.finishJob(e.cfg.Now(), j)
			e.mu.Unlock()
		case <-ep.wakeCh:
		case <-timer.C:
		}
	}
}

// Close aborts every session, stops the goroutines, closes the socket and
// waits for the goroutines to end. It must not be called from an
// OnUnmatchedIHello hook (the loop would wait for itself).
func (ep *Endpoint) Close() error {
	ep.shutdown(nil)
	ep.wg.Wait()
	return nil
}

// Done is closed when the endpoint stops: Close was called or its socket
// failed for good. Err then says which. After a socket failure the caller
// still calls Close, which waits for the endpoint's goroutines.
func (ep *Endpoint) Done() <-chan struct{} { return ep.quit }

// Err returns why the endpoint stopped: nil while it runs and after Close,
// an error wrapping ErrSocket and the socket's own error when a read from
// the socket failed for a reason other than a timeout. Every session open
// at that moment ended with the same error.
func (ep *Endpoint) Err() error {
	ep.e.mu.Lock()
	defer ep.e.mu.Unlock()
	return ep.err
}

// stoppedErr is what calls on a stopped endpoint return. The engine mutex
// must be held.
func (ep *Endpoint) stoppedErr() error {
	if ep.err != nil {
		return ep.err
	}
	return ErrEndpointClosed
}

// shutdown stops the endpoint without waiting; cause is the socket's error,
// or nil for Close. The first call decides.
func (ep *Endpoint) shutdown(cause error) {
	ep.closeMu.Do(func() {
		ep.e.mu.Lock()
		now := ep.e.cfg.Now()
		if cause != nil {
			ep.err = fmt.Errorf("%w: %w", ErrSocket, cause)
		}
		ep.e.closeAll(now, ep.stoppedErr())
		// Send the Close Acknowledgements of the aborted sessions.
		var tx []txDatagram
		ep.e.flush(now, func(to netip.AddrPort, b []byte) { tx = appendTx(tx, to, b) })
		ep.e.mu.Unlock()
		writeAll(ep, tx)
		close(ep.quit)
		_ = ep.conn.Close()
	})
}

// SetKeepalivePeriod sets the keepalive period of sessions opened from now on
// (at least MinTimerPeriod); Config.KeepalivePeriod is the initial value.
func (ep *Endpoint) SetKeepalivePeriod(d time.Duration) {
	ep.e.mu.Lock()
	ep.e.keepalive = max(d, MinTimerPeriod)
	ep.e.mu.Unlock()
}

// LocalAddr is the socket's address.
func (ep *Endpoint) LocalAddr() netip.AddrPort { return ep.local }

// PeerID is this endpoint's peer ID (RFC 7425 §4.3.2).
func (ep *Endpoint) PeerID() flashcrypto.PeerID { return ep.e.id.PeerID() }

// Stats returns the endpoint's counters.
func (ep *Endpoint) Stats() EndpointStats {
	ep.e.mu.Lock()
	defer ep.e.mu.Unlock()
	s := ep.e.stats
	s.Sessions = len(ep.e.sessions)
	s.RecvMemory, s.RecvMemoryPeak = ep.e.recvMem.Held(), ep.e.recvMem.Peak()
	return s
}

// Connect opens a session to the endpoint that epd describes (for a peer,
// flashcrypto.CanonicalEPD of its peer ID), trying every address at once
// (RFC 7016 §3.5.1.1). An open session to the same far end is reused.
// It returns when the session is open, the handshake failed or timed out
// (95 s), or ctx ends.
func (ep *Endpoint) Connect(ctx context.Context, epdRaw []byte, addrs ...netip.AddrPort) (*Session, error) {
	return ep.connect(ctx, epdRaw, false, addrs)
}

func (ep *Endpoint) connect(ctx context.Context, epdRaw []byte, again bool, addrs []netip.AddrPort) (*Session, error) {
	epd, err := flashcrypto.ParseEPD(epdRaw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadEPD, err)
	}
	e := ep.e
	e.mu.Lock()
	if e.closed {
		err := ep.stoppedErr()
		e.mu.Unlock()
		return nil, err
	}
	if s := e.findOpen(epd); s != nil && !again {
		e.mu.Unlock()
		return s, nil
	}
	if len(addrs) == 0 {
		e.mu.Unlock()
		return nil, ErrNoAddress
	}
	s, err := e.startInitiator(e.cfg.Now(), epdRaw, epd, addrs)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	ep.wake()
	for {
		select {
		case <-s.opened:
		case <-ctx.Done():
			e.mu.Lock()
			if s.state == stateIHelloSent || s.state == stateKeyingSent {
				s.fail(e.cfg.Now(), ctx.Err())
			}
			e.mu.Unlock()
			return nil, ctx.Err()
		}
		e.mu.Lock()
		next, state, serr := s.resolved, s.state, s.err
		e.mu.Unlock()
		if next != nil {
			s = next
			continue
		}
		if state == stateOpen {
			return s, nil
		}
		if serr == nil {
			serr = ErrSessionClosed
		}
		return nil, serr
	}
}

// Repunch opens the way to the far end of an open session again, after a
// NAT on the path gave one end a new public address (address mobility
// across NATs, RFC 7016 §3.5.4): it sends an IHello for epd to each of
// addrs, a rendezvous server or a peer that introduces (§3.5.1.4), as
// Connect would, though a session is open. The introduction makes the far
// end answer our current address and tells us its own, which opens both
// NATs for the session's packets; the far end's RHello resolves the
// attempt to the open session, which pings at once (so the far end sees
// our new address and checks it, §3.5.4.2) and checks the RHello's
// address if it is not the session's. It returns the open session when
// the far end answered, or an error when ctx ends first.
func (ep *Endpoint) Repunch(ctx context.Context, epdRaw []byte, addrs ...netip.AddrPort) (*Session, error) {
	return ep.connect(ctx, epdRaw, true, addrs)
}

// Accept waits for a session that a far end opened to us.
func (ep *Endpoint) Accept(ctx context.Context) (*Session, error) {
	select {
	case s := <-ep.acceptQ:
		return s, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-ep.quit:
		ep.e.mu.Lock()
		defer ep.e.mu.Unlock()
		return nil, ep.stoppedErr()
	}
}

// Redirect sends a Responder Redirect to an initiator (RFC 7016 §3.5.1.4):
// the addresses at which to try the EPD its IHello named, tagged with that
// IHello's tag. An empty list tells it to retry the address it sent to.
func (ep *Endpoint) Redirect(to netip.AddrPort, tag []byte, addrs ...wire.Address) error {
	e := ep.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ep.stoppedErr()
	}
	ch := wire.Redirect{Tag: tag, Addresses: addrs}.Append(nil)
	if len(ch) > maxStartupPacket-wire.MaxHeaderLength {
		return fmt.Errorf("rtmfp: redirect: %d addresses do not fit", len(addrs))
	}
	e.queueStartup(to, e.sealStartup(e.cfg.Now(), wire.StartupSessionID, ch, 0))
	e.wake()
	return nil
}
