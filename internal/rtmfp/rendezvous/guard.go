package rendezvous

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/wire"
)

// counters are the server's monotonic figures, updated from every
// goroutine without a lock.
type counters struct {
	accepted, connects, rejects, peerInfos, streams uint64
	introductions, removed, handshakeBytes          uint64
	remoteIntroductions, forwarded                  uint64
	dropped                                         [NumDropReasons]atomic.Uint64
}

func (c *counters) drop(r DropReason) { c.dropped[r].Add(1) }

// sourceOf is the source an address counts against for the per-IP limits:
// its IPv4 address, or the /64 prefix of its IPv6 address, since one
// IPv6 subscriber holds a whole /64 (RFC 6177).
func sourceOf(a netip.AddrPort) netip.Addr {
	ip := a.Addr()
	if ip.Is6() && !ip.Is4In6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// ipState is what the limiter knows of one source IP address.
type ipState struct {
	bucket   tokenBucket // IHellos (startup packets from addresses that may be forged)
	keying   tokenBucket // IIKeyings with a valid cookie
	sessions int         // accepted sessions from this IP
}

// addrState accounts one transport address for the amplification bound.
type addrState struct {
	start      time.Time // window start
	recv, sent int
	sessions   int       // accepted sessions at this address: verified when > 0
	linger     time.Time // verified for sending until then after its last session ended
}

// closeLinger is how long an address stays verified for sending after its
// last session ended: an orderly close repeats its Close Request for up to
// rtmfp.NearCloseTimeout (RFC 7016 §3.5.5), and the far end was proven to
// be there.
const closeLinger = rtmfp.NearCloseTimeout

// limiter holds the hardening state shared by every socket of a server:
// the handshake token buckets, the session counts and the amplification
// accounts. All fields are guarded by mu.
type limiter struct {
	lim Limits
	now func() time.Time
	ctr *counters

	mu       sync.Mutex
	global   tokenBucket
	ips      map[netip.Addr]*ipState
	addrs    map[netip.AddrPort]*addrState // startup packets and sessions
	seen     *seenTable                    // addresses heard from in session packets only
	sessions int
}

func newLimiter(lim Limits, now func() time.Time, ctr *counters) *limiter {
	return &limiter{lim: lim, now: now, ctr: ctr,
		ips: make(map[netip.Addr]*ipState), addrs: make(map[netip.AddrPort]*addrState),
		seen: newSeenTable(maxSeenAddrs)}
}

// admit decides whether the transport sees a received datagram of n bytes
// from from, of the given kind (classify.go); for an IHello, answer is the
// least the server would send in answer.
//
// Session packets (session ID not 0; RFC 7016 §2.2.1) pass: the transport
// authenticates them. They earn an unverified address its budget (the
// answer to a moved peer is a mobility check, RFC 7016 §3.5.4.2), in the
// bounded seen table when the address is not in the source table: anyone
// can send them from any address, and a full source table refuses new
// clients.
//
// An IIKeying with a valid cookie is from an address that received our
// RHello: it meets only its source's keying bucket, so that no flood of
// forged IHellos delays an honest handshake's last step.
//
// An IHello may come from a forged address. Its bytes always earn its
// address budget (whether or not it has a session: every answer to an
// IHello is bounded). One whose answer would not fit that budget is
// dropped at once; the others meet the session limits and the source's
// bucket, then the global bucket; only then does the source get entries
// in the source table, so forged sources neither fill the table nor, when
// too small to be answered, drain the buckets.
func (l *limiter) admit(now time.Time, from netip.AddrPort, n int, kind startupKind, answer int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.addrs[from]
	verified := a != nil && a.sessions > 0
	switch kind {
	case kindSession:
		if a == nil {
			a = l.seen.touch(from)
		}
		if !verified {
			l.account(now, a).recv += n
		}
		return true
	case kindBad, kindNoTarget:
		atomic.AddUint64(&l.ctr.handshakeBytes, uint64(n))
		if kind == kindNoTarget {
			l.ctr.drop(DropNoFingerprint)
		} else {
			l.ctr.drop(DropBadStartup)
		}
		return false
	case kindKeying:
		atomic.AddUint64(&l.ctr.handshakeBytes, uint64(n))
		ip := l.ips[sourceOf(from)]
		if ip == nil {
			if len(l.ips) >= l.lim.MaxSources {
				l.ctr.drop(DropSourcesFull)
				return false
			}
			ip = &ipState{}
			l.ips[sourceOf(from)] = ip
		}
		if !ip.keying.allow(now, l.lim.KeyingRatePerIP, l.lim.KeyingBurstPerIP) {
			l.ctr.drop(DropRateKeying)
			return false
		}
		// Its bytes pay for the RIKeying, which may leave before the
		// session is recorded here (addSession) and after the window of
		// the IHello that earned the cookie ended.
		if !verified {
			if a == nil {
				a = l.seen.touch(from)
			}
			l.account(now, a).recv += n
		}
		return true
	}
	atomic.AddUint64(&l.ctr.handshakeBytes, uint64(n))
	acct := a
	if acct == nil {
		acct = l.seen.touch(from)
	}
	l.account(now, acct).recv += n
	if answer > rtmfp.AmplificationFactor*acct.recv-acct.sent {
		l.ctr.drop(DropUnanswerable)
		return false
	}
	if !verified && l.lim.MaxSessions >= 0 && l.sessions >= l.lim.MaxSessions {
		l.ctr.drop(DropSessionsGlobal)
		return false
	}
	ip := l.ips[sourceOf(from)]
	if ip != nil {
		if !verified && l.lim.MaxSessionsPerIP >= 0 && ip.sessions >= l.lim.MaxSessionsPerIP {
			l.ctr.drop(DropSessionsSource)
			return false
		}
		if !ip.bucket.allow(now, l.lim.HandshakeRatePerIP, l.lim.HandshakeBurstPerIP) {
			l.ctr.drop(DropRateSource)
			return false
		}
	}
	if !l.global.allow(now, l.lim.HandshakeRate, l.lim.HandshakeBurst) {
		l.ctr.drop(DropRateGlobal)
		return false
	}
	if ip == nil {
		if len(l.ips) >= l.lim.MaxSources {
			l.ctr.drop(DropSourcesFull)
			return false
		}
		ip = &ipState{}
		ip.bucket.allow(now, l.lim.HandshakeRatePerIP, l.lim.HandshakeBurstPerIP)
		l.ips[sourceOf(from)] = ip
	}
	if a == nil {
		if len(l.addrs) >= l.lim.MaxSources {
			l.ctr.drop(DropSourcesFull)
			return false
		}
		// The address leaves the seen table for the source table, with
		// its account.
		a = &addrState{}
		*a = *acct
		l.seen.remove(from)
		l.addrs[from] = a
	}
	return true
}

// account restarts a's window if it is over (a may be nil).
func (l *limiter) account(now time.Time, a *addrState) *addrState {
	if a == nil {
		return nil
	}
	if now.Sub(a.start) >= l.lim.AmplificationWindow {
		a.start, a.recv, a.sent = now, 0, 0
	}
	return a
}

// allowSend decides whether n bytes may go to addr. Startup packets
// (answers to IHellos: RHellos and Redirects) go to any address only
// within rtmfp.AmplificationFactor times what it sent in the current
// window, since the IHello's source may be forged, even as the address of
// a connected client. Session packets go to a verified address (one with a
// session, or that had one within closeLinger), and to others within the
// same bound.
func (l *limiter) allowSend(now time.Time, to netip.AddrPort, n int, startup bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.addrs[to]
	if !startup && a != nil && (a.sessions > 0 || now.Before(a.linger)) {
		return true
	}
	if a == nil {
		a = l.seen.get(to)
	}
	if a == nil {
		l.ctr.drop(DropAmplification)
		return false
	}
	l.account(now, a)
	if a.sent+n > rtmfp.AmplificationFactor*a.recv {
		l.ctr.drop(DropAmplification)
		return false
	}
	a.sent += n
	return true
}

// budget returns how many bytes may still be sent to to in answer to its
// unauthenticated datagrams of the current window: rtmfp.AmplificationFactor
// times what it sent, less what went to it or was reserved.
func (l *limiter) budget(now time.Time, to netip.AddrPort) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.account(now, l.unverified(to))
	if a == nil {
		return 0
	}
	return rtmfp.AmplificationFactor*a.recv - a.sent
}

// reserve charges to's budget with n bytes that a client will send to it
// on the server's behalf: the RHello an introduction's target sends the
// initiator, whose address may be forged. Together with the server's own
// answers it stays within the bound.
func (l *limiter) reserve(now time.Time, to netip.AddrPort, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a := l.account(now, l.unverified(to)); a != nil {
		a.sent += n
	}
}

// unverified returns the account of to in the source or seen table, or
// nil; l.mu is held.
func (l *limiter) unverified(to netip.AddrPort) *addrState {
	if a := l.addrs[to]; a != nil {
		return a
	}
	return l.seen.get(to)
}

// addSession records an accepted session at addr: the address is verified
// from now on and counts against its IP's session limit.
func (l *limiter) addSession(addr netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sessions++
	ip := l.ips[sourceOf(addr)]
	if ip == nil {
		ip = &ipState{}
		l.ips[sourceOf(addr)] = ip
	}
	ip.sessions++
	a := l.addrs[addr]
	if a == nil {
		a = &addrState{}
		l.addrs[addr] = a
	}
	l.seen.remove(addr)
	a.sessions++
}

// removeSession undoes addSession.
func (l *limiter) removeSession(addr netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sessions--
	if ip := l.ips[sourceOf(addr)]; ip != nil && ip.sessions > 0 {
		ip.sessions--
	}
	if a := l.addrs[addr]; a != nil && a.sessions > 0 {
		a.sessions--
		a.linger = l.now().Add(closeLinger)
	}
}

// moveSession follows a session whose far end moved (RFC 7016 §3.5.4.2;
// the transport verified the new address with a mobility check).
func (l *limiter) moveSession(from, to netip.AddrPort) {
	l.removeSession(from)
	l.addSession(to)
}

// prune forgets sources whose state no longer matters: no session, a full
// bucket and an expired amplification window. It returns how many entries
// remain in the source table (the seen table is not counted).
func (l *limiter) prune(now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, ip := range l.ips {
		if ip.sessions == 0 && ip.bucket.full(now, l.lim.HandshakeRatePerIP, l.lim.HandshakeBurstPerIP) {
			delete(l.ips, k)
		}
	}
	for k, a := range l.addrs {
		if a.sessions == 0 && now.Sub(a.start) >= l.lim.AmplificationWindow && !now.Before(a.linger) {
			delete(l.addrs, k)
		}
	}
	l.seen.removeIf(func(a *addrState) bool { return now.Sub(a.start) >= l.lim.AmplificationWindow })
	return len(l.ips) + len(l.addrs)
}

// udpConn is the allocation-free UDP interface of *net.UDPConn and
// rtmfptest.Conn, which the transport uses when the socket has it.
type udpConn interface {
	net.PacketConn
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
}

// guardConn is the socket the transport sees: it filters received
// datagrams through the limiter and holds back answers that would amplify.
// The transport's reader calls the read side, its loop the write side.
type guardConn struct {
	udpConn
	l  *limiter
	cl *classifier // the read side's
}

// ReadFromUDPAddrPort returns the next admitted datagram.
func (g *guardConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	for {
		n, from, err := g.udpConn.ReadFromUDPAddrPort(b)
		if err != nil {
			return n, from, err
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		sid, err := wire.UnscrambleSessionID(b[:n])
		if err != nil || n > rtmfp.MaxDatagram { // the transport counts it
			return n, from, nil
		}
		now := g.l.now()
		kind, answer := kindSession, 0
		if sid == wire.StartupSessionID {
			kind, answer = g.cl.classify(now, from, b[:n])
		}
		if g.l.admit(now, from, n, kind, answer) {
			return n, from, nil
		}
	}
}

// ReadFrom is ReadFromUDPAddrPort for callers of net.PacketConn.
func (g *guardConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, from, err := g.ReadFromUDPAddrPort(b)
	if err != nil {
		return n, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// WriteToUDPAddrPort sends b unless the amplification bound holds it back;
// a held-back datagram is reported as sent, as a lost one would be.
func (g *guardConn) WriteToUDPAddrPort(b []byte, to netip.AddrPort) (int, error) {
	sid, err := wire.UnscrambleSessionID(b)
	startup := err == nil && sid == wire.StartupSessionID
	if !g.l.allowSend(g.l.now(), netip.AddrPortFrom(to.Addr().Unmap(), to.Port()), len(b), startup) {
		return len(b), nil
	}
	return g.udpConn.WriteToUDPAddrPort(b, to)
}

// WriteTo is WriteToUDPAddrPort for callers of net.PacketConn.
func (g *guardConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, net.InvalidAddrError("not a UDP address")
	}
	return g.WriteToUDPAddrPort(b, ua.AddrPort())
}
