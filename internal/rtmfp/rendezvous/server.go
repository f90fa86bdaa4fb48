package rendezvous

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
)

// janitorPeriod is how often the janitor runs (connect timeouts, mobility,
// pruning of the source tables).
const janitorPeriod = time.Second

// socketReadBuffer is the receive buffer asked of the kernel for each
// listening socket (capped by the host, net.core.rmem_max on Linux). The
// default (about 200 KiB, some 200 startup datagrams of kernel overhead
// each) overflows in bursts of IHellos while the transport is busy with
// handshakes; the transport's own queue holds 512 more.
const socketReadBuffer = 4 << 20

// recvWindow is the receive window of each flow a client opens to us:
// clients send commands of a few hundred bytes.
const recvWindow = 16 << 10

// Server is a rendezvous server: one Endpoint per socket, one peer table.
type Server struct {
	cfg     Config // constant after New
	lim     *limiter
	ctr     counters
	cookies *flashcrypto.CookieJar // every endpoint's, and the guards' (classify.go)

	ctx    context.Context // ends at Shutdown: every peer goroutine stops
	cancel context.CancelFunc
	wg     sync.WaitGroup // accept loops, peer goroutines, janitor

	mu        sync.Mutex
	endpoints []*rtmfp.Endpoint
	sessions  map[*rtmfp.Session]*peer     // every accepted session
	peers     map[flashcrypto.PeerID]*peer // connected peers by peer ID
	reachable int                          // peers in peers with peerInfo
	parked    map[*peer]struct{}           // peers without a goroutine (park.go)
	pollDone  chan struct{}                // closed when the dispatcher ended
	closing   bool

	// Queues filled under the transport's lock (park.go); readyMu is a
	// leaf lock.
	readyMu  sync.Mutex
	readyQ   []*peer       // parked peers whose control flow became readable
	movedQ   []moved       // far address changes
	readySig chan struct{} // readyQ is not empty
}

// New returns a server for cfg. It serves nothing until Serve is given a
// socket.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		sessions: make(map[*rtmfp.Session]*peer),
		peers:    make(map[flashcrypto.PeerID]*peer),
		parked:   make(map[*peer]struct{}),
		pollDone: make(chan struct{}),
		readySig: make(chan struct{}, 1),
	}
	s.lim = newLimiter(cfg.Limits, cfg.Now, &s.ctr)
	rnd := cfg.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	var err error
	if s.cookies, err = flashcrypto.NewCookieJar(rnd, cfg.Now()); err != nil {
		return nil, fmt.Errorf("rendezvous: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.janitor()
	go s.dispatch()
	return s, nil
}

// PeerID is the server's fingerprint (RFC 7425 §4.3.2), which clients may
// pin with a fingerprint EPD when the identity is static.
func (s *Server) PeerID() flashcrypto.PeerID { return s.cfg.Identity.PeerID() }

// Serve runs an endpoint on conn (which must be a UDP socket:
// *net.UDPConn or an rtmfptest.Conn) until Shutdown, then returns
// ErrClosed. The server owns conn.
func (s *Server) Serve(conn net.PacketConn) error {
	uc, ok := conn.(udpConn)
	if !ok {
		return fmt.Errorf("%w: %T is not a UDP socket", ErrConfig, conn)
	}
	if rb, ok := conn.(interface{ SetReadBuffer(int) error }); ok {
		_ = rb.SetReadBuffer(socketReadBuffer) // best effort
	}
	var ep *rtmfp.Endpoint
	ready := make(chan struct{})
	const maxCommand = 8 << 10
	ecfg := rtmfp.Config{
		Identity:        s.cfg.Identity,
		Now:             s.cfg.Now,
		Rand:            s.cfg.Rand,
		KeepalivePeriod: s.cfg.KeepalivePeriod,
		RetransmitLimit: s.cfg.RetransmitLimit,
		IdleLimit:       s.cfg.IdleLimit,
		// Sessions opened while the accept loop is busy wait here.
		AcceptQueue: 64,
		// Each session (and each of our control flows) holds a queue of
		// this many unaccepted flows: a client needs one for its
		// NetConnection and one per NetStream flow, taken at once, and
		// a small queue is memory saved per peer.
		FlowAcceptQueue: 4,
		// Clients send us commands of a few hundred bytes, so a small
		// window is the flow control an honest client needs. A client
		// that ignores it makes a flow hold at most the window behind a
		// gap and 2·(window + MaxRecvMessage) in all, and its flows
		// together at most Limits.SessionRecvMemory (the session is
		// closed beyond), all sessions of this socket at most
		// Limits.RecvMemory (the largest is closed).
		RecvBufferCapacity: recvWindow,
		SessionRecvMemory:  s.cfg.Limits.SessionRecvMemory,
		EndpointRecvMemory: s.cfg.Limits.RecvMemory,
		CookieJar:          s.cookies,
		Admission:          s.cfg.Limits.admission(),
		// The largest command a client sends us (connect with its
		// capabilities, setPeerInfo with 16 addresses) is far below this,
		// and it sets the per-flow limit above: 2·(window + this).
		MaxRecvMessage: maxCommand,
		// Clients ask us to introduce them; we never answer FIHellos.
		FIHelloMode: rtmfp.FIHelloIgnore,
		OnUnmatchedIHello: func(u rtmfp.UnmatchedIHello) {
			<-ready
			s.introduce(ep, u)
		},
	}
	ep, err := rtmfp.NewEndpoint(&guardConn{udpConn: uc, l: s.lim, cl: newClassifier(s.cfg.Identity, s.cookies)}, ecfg)
	close(ready)
	if err != nil {
		conn.Close()
		return fmt.Errorf("rendezvous: serve: %w", err)
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ep.Close()
		return ErrClosed
	}
	s.endpoints = append(s.endpoints, ep)
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	s.cfg.Logger.Info("listening", "addr", ep.LocalAddr().String(), "peer_id", s.PeerID().String())
	for {
		sess, err := ep.Accept(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, rtmfp.ErrEndpointClosed) {
				return ErrClosed
			}
			return fmt.Errorf("rendezvous: accept: %w", err)
		}
		p := s.addSession(ep, sess)
		if p == nil {
			continue
		}
		go s.servePeer(p)
	}
}

// Addrs returns the local addresses of the server's sockets.
func (s *Server) Addrs() []netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]netip.AddrPort, 0, len(s.endpoints))
	for _, ep := range s.endpoints {
		out = append(out, ep.LocalAddr())
	}
	return out
}

// addSession registers an accepted session; it returns nil when the server
// is shutting down (the session is then closed).
func (s *Server) addSession(ep *rtmfp.Endpoint, sess *rtmfp.Session) *peer {
	cert := sess.FarCertificate()
	p := &peer{ep: ep, sess: sess, done: sess.Done(), id: sess.FarPeerID(), opened: s.cfg.Now(),
		static: cert != nil && cert.IsStatic(), loopback: ep.LocalAddr().Addr().IsLoopback()}
	// Registered before the address is read, so no move is missed.
	sess.SetFarAddrFunc(func(a netip.AddrPort) { s.notePush(p, a) })
	p.addr = sess.FarAddr()
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		sess.Close()
		return nil
	}
	s.sessions[sess] = p
	s.lim.addSession(p.addr)
	s.wg.Add(1)
	s.mu.Unlock()
	atomic.AddUint64(&s.ctr.accepted, 1)
	return p
}

// removeSession forgets a session that ended (or that we end).
func (s *Server) removeSession(p *peer) {
	s.mu.Lock()
	delete(s.sessions, p.sess)
	connected := p.connected
	if s.peers[p.id] == p {
		delete(s.peers, p.id)
		if p.peerInfo {
			s.reachable--
			s.unregister(p.id)
		}
	}
	addr := p.addr
	s.lim.removeSession(addr)
	s.mu.Unlock()
	if connected {
		atomic.AddUint64(&s.ctr.removed, 1)
	}
	s.cfg.Logger.Debug("session ended", "peer_id", p.id.String(), "addr", addr.String(), "reason", errString(p.sess.Err()))
}

func errString(err error) string {
	if err == nil {
		return "closed by server"
	}
	return err.Error()
}

// janitor runs the periodic work until Shutdown.
func (s *Server) janitor() {
	defer s.wg.Done()
	t := time.NewTicker(janitorPeriod)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.sweep(s.cfg.Now())
	}
}

// sweep closes sessions that have not connected in time, follows peers
// that moved (as the transport reported them), and prunes the limiter's
// tables.
func (s *Server) sweep(now time.Time) {
	var stale []*peer
	s.mu.Lock()
	for _, p := range s.sessions {
		if !p.connected && !p.closing && now.Sub(p.opened) >= s.cfg.ConnectTimeout {
			p.closing = true
			stale = append(stale, p)
		}
	}
	s.mu.Unlock()
	s.applyMoves()
	for _, p := range stale {
		s.ctr.drop(DropConnectTimeout)
		s.cfg.Logger.Info("connect timeout", "peer_id", p.id.String(), "addr", p.addr.String())
		p.sess.Close()
	}
	s.lim.prune(now)
}

// Shutdown closes every session in an orderly way (RFC 7016 §3.5.5), waits
// until the far ends acknowledged or ctx ends, then closes the sockets and
// waits for every goroutine.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closing = true
	eps := append([]*rtmfp.Endpoint(nil), s.endpoints...)
	n := len(s.sessions)
	s.mu.Unlock()
	s.cfg.Logger.Info("shutting down", "sessions", n)
	s.cancel() // peer goroutines close their sessions and return
	<-s.pollDone
	s.unparkAll()
	var err error
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
wait:
	for {
		open := 0
		for _, ep := range eps {
			open += ep.Stats().Sessions
		}
		if open == 0 {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
			s.cfg.Logger.Warn("shutdown: sessions still closing", "sessions", open)
			break wait
		case <-t.C:
		}
	}
	for _, ep := range eps {
		ep.Close()
	}
	s.wg.Wait()
	s.cfg.Logger.Info("stopped")
	return err
}

// Stats returns the server's figures.
func (s *Server) Stats() Stats {
	var st Stats
	s.mu.Lock()
	st.Sessions = len(s.sessions)
	st.Peers = len(s.peers)
	st.Reachable = s.reachable
	s.mu.Unlock()
	st.Accepted = atomic.LoadUint64(&s.ctr.accepted)
	st.Connects = atomic.LoadUint64(&s.ctr.connects)
	st.Rejects = atomic.LoadUint64(&s.ctr.rejects)
	st.PeerInfos = atomic.LoadUint64(&s.ctr.peerInfos)
	st.Streams = atomic.LoadUint64(&s.ctr.streams)
	st.Introductions = atomic.LoadUint64(&s.ctr.introductions)
	st.Removed = atomic.LoadUint64(&s.ctr.removed)
	st.RemoteIntroductions = atomic.LoadUint64(&s.ctr.remoteIntroductions)
	st.Forwarded = atomic.LoadUint64(&s.ctr.forwarded)
	st.HandshakeBytes = atomic.LoadUint64(&s.ctr.handshakeBytes)
	for i := range st.Dropped {
		st.Dropped[i] = s.ctr.dropped[i].Load()
	}
	return st
}

// TransportStats sums the counters of the server's endpoints.
func (s *Server) TransportStats() rtmfp.EndpointStats {
	s.mu.Lock()
	eps := append([]*rtmfp.Endpoint(nil), s.endpoints...)
	s.mu.Unlock()
	var t rtmfp.EndpointStats
	for _, ep := range eps {
		e := ep.Stats()
		t.PacketsReceived += e.PacketsReceived
		t.PacketsSent += e.PacketsSent
		t.BytesReceived += e.BytesReceived
		t.BytesSent += e.BytesSent
		for i := range t.Dropped {
			t.Dropped[i] += e.Dropped[i]
		}
		t.HandshakesInitiated += e.HandshakesInitiated
		t.HandshakesCompleted += e.HandshakesCompleted
		t.HandshakesAccepted += e.HandshakesAccepted
		t.CookieChanges += e.CookieChanges
		t.RIKeyingRetransmits += e.RIKeyingRetransmits
		t.Redirects += e.Redirects
		t.Sessions += e.Sessions
		t.RecvMemory += e.RecvMemory
		t.RecvMemoryPeak += e.RecvMemoryPeak
		t.RecvMemoryCloses += e.RecvMemoryCloses
	}
	return t
}
