package rendezvous

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/tc"
)

// Bounds on what one client may make the server keep.
const (
	// MaxReportedAddrs is the most setPeerInfo addresses kept per peer
	// (a Redirect lists them all, and at most rtmfp.MaxCandidates are
	// tried).
	MaxReportedAddrs = 16
	// MaxStreams is the most NetStreams one client may have open. A
	// Flash client publishing for direct connections needs one, a chat
	// client a few; each may carry up to three flows (streams.go).
	MaxStreams = 8
	// rejectLinger bounds the wait for a rejected client's acknowledgement
	// of the _error before its session is closed.
	rejectLinger = 5 * time.Second
)

// peer is one accepted session and, once connect succeeded, a client.
type peer struct {
	// Constant after creation.
	ep     *rtmfp.Endpoint
	sess   *rtmfp.Session
	done   <-chan struct{} // sess.Done()
	id     flashcrypto.PeerID
	opened time.Time
	// static: the client's certificate holds its static DH key, so the
	// handshake proved it owns its peer ID (RFC 7425 §4.3). An ephemeral
	// certificate is just bytes anyone can replay to claim the same peer
	// ID, so such a client may connect but is never introduced.
	static bool
	// loopback: the server's socket is on loopback, so every initiator is
	// on this host and loopback addresses reported by clients are
	// reachable rather than a way to aim initiators at their own host.
	loopback bool

	// Guarded by Server.mu (the introduction hook reads them).
	addr      netip.AddrPort   // the far address as last observed
	connected bool             // connect succeeded
	peerInfo  bool             // setPeerInfo received
	reported  []netip.AddrPort // setPeerInfo addresses
	closing   bool             // the server is closing this session
	intros    tokenBucket      // introductions to this peer (introduce.go)

	// Owned by the peer's goroutine, or by the parking poller while the
	// peer is parked (the hand-over goes through Server.parked).
	ctl        *rtmfp.RecvFlow // the client's control flow
	ret        controlFlow     // our return flow
	app        string
	nextStream tc.StreamID
	streamsOn  bool         // serveStreams runs
	streamRun  atomic.Int32 // stream flows being served (streams.go)

	// streams are the NetStreams created (createStream) and not deleted,
	// each with the count of its flows being served; serveStreams reads
	// them from its own goroutine. Guarded by streamsMu, a leaf lock.
	streamsMu sync.Mutex
	streams   map[tc.StreamID]int
}

// controlMetadata is the TC metadata of stream 0, the NetConnection
// (RFC 7425 §5.1.1).
var controlMetadata = tc.FlowMetadata{StreamID: 0}.Append(nil)

// controlFlow is the server's side of a client's NetConnection: the return
// flow its answers go on. send queues a message reliably and returns a
// channel closed when it was delivered or abandoned.
type controlFlow interface {
	send(msg []byte) (<-chan struct{}, error)
	AcceptReturn(ctx context.Context) (*rtmfp.RecvFlow, error)
}

// returnFlow is the controlFlow of a real session.
type returnFlow struct{ *rtmfp.SendFlow }

func (f returnFlow) send(msg []byte) (<-chan struct{}, error) {
	rc, err := f.Write(msg, rtmfp.WriteOptions{})
	if err != nil {
		return nil, err
	}
	return rc.Done(), nil
}

// errEnd ends a peer's control loop without a protocol error.
var errEnd = errors.New("rendezvous: end of control flow")

// servePeer runs one session: it waits for the client's NetConnection flow,
// opens the return flow for the answers and runs the control loop (RFC 7425
// §5.3; rtmfp-cpp test/tcserver.cpp). The session ends with the loop.
func (s *Server) servePeer(p *peer) {
	rf, err := p.sess.AcceptFlow(s.ctx)
	if err != nil {
		s.endPeer(p)
		return
	}
	md, _, err := tc.ParseFlowMetadata(rf.Metadata())
	if err != nil || md.StreamID != 0 {
		s.ctr.drop(DropNotTC)
		rf.Reject(0)
		s.endPeer(p)
		return
	}
	ret, err := rf.OpenReturnFlow(controlMetadata, flow.PriorityImmediate)
	if err != nil {
		s.endPeer(p)
		return
	}
	p.ctl, p.ret = rf, returnFlow{ret}
	s.control(p, nil)
}

// control reads and answers the control flow until the session ends, or
// until it has been quiet for parkAfter: then the peer is parked and the
// goroutine ends (park.go). first, if not nil, is a message already read.
func (s *Server) control(p *peer, first []byte) {
	if first != nil {
		if err := s.command(p, p.ret, first); err != nil {
			s.endPeer(p)
			return
		}
	}
	for {
		ctx, cancel := context.WithTimeout(s.ctx, parkAfter)
		b, err := p.ctl.Read(ctx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && s.ctx.Err() == nil {
			if s.park(p) {
				return
			}
			continue
		}
		if err != nil {
			s.endPeer(p)
			return
		}
		if err := s.command(p, p.ret, b); err != nil {
			s.endPeer(p)
			return
		}
	}
}

// endPeer closes a peer's session in an orderly way (a no-op when it
// already ended) and forgets it. It ends the peer's goroutine.
func (s *Server) endPeer(p *peer) {
	p.sess.Close()
	s.removeSession(p)
	s.wg.Done()
}

// command handles one message of the control flow. An error ends the
// session.
func (s *Server) command(p *peer, ret controlFlow, b []byte) error {
	m, err := tc.ParseMessage(b)
	if err != nil {
		s.ctr.drop(DropBadCommand)
		return nil
	}
	if m.Type != tc.TypeCommand && m.Type != tc.TypeCommandEx {
		return nil // user control (pings) and data need no answer
	}
	cmd, err := tc.ParseCommandMessage(m, tc.DefaultLimits)
	if err != nil {
		s.ctr.drop(DropBadCommand)
		return nil
	}
	if cmd.Name == tc.CommandConnect {
		return s.connect(p, ret, cmd)
	}
	s.mu.Lock()
	connected := p.connected
	s.mu.Unlock()
	if !connected {
		// Flash sends nothing before connect; anything else is a broken
		// or hostile client.
		s.ctr.drop(DropBadCommand)
		return errEnd
	}
	switch cmd.Name {
	case tc.CommandSetPeerInfo:
		s.setPeerInfo(p, cmd)
		return nil
	case tc.CommandCreateStream:
		p.streamsMu.Lock()
		if len(p.streams) >= MaxStreams {
			p.streamsMu.Unlock()
			return s.reply(ret, tc.ErrorResult(cmd.TransactionID, tc.StatusInfo{
				Level: "error", Code: tc.CodeCallFailed, Description: "too many streams"}))
		}
		p.nextStream++
		if p.streams == nil {
			p.streams = make(map[tc.StreamID]int)
		}
		p.streams[p.nextStream] = 0
		p.streamsMu.Unlock()
		atomic.AddUint64(&s.ctr.streams, 1)
		if !p.streamsOn {
			p.streamsOn = true
			s.wg.Add(1)
			go s.serveStreams(p, ret)
		}
		return s.reply(ret, tc.CreateStreamResult(cmd.TransactionID, p.nextStream))
	case tc.CommandDeleteStream:
		id, err := tc.ParseDeleteStream(cmd)
		if err != nil {
			s.ctr.drop(DropBadCommand)
			return nil
		}
		p.streamsMu.Lock()
		delete(p.streams, id)
		p.streamsMu.Unlock()
		if cmd.TransactionID != 0 {
			return s.reply(ret, tc.Result(cmd.TransactionID))
		}
		return nil
	}
	if h := s.cfg.Calls[cmd.Name]; h != nil && cmd.TransactionID != 0 {
		s.mu.Lock()
		c := Caller{PeerID: p.id, Addr: p.addr}
		s.mu.Unlock()
		vals, err := h(c, cmd)
		if err != nil {
			return s.reply(ret, tc.ErrorResult(cmd.TransactionID, tc.StatusInfo{
				Level: "error", Code: tc.CodeCallFailed, Description: err.Error()}))
		}
		return s.reply(ret, tc.Result(cmd.TransactionID, vals...))
	}
	if cmd.TransactionID != 0 {
		return s.reply(ret, tc.ErrorResult(cmd.TransactionID, tc.StatusInfo{
			Level: "error", Code: tc.CodeCallFailed, Description: "unknown command " + cmd.Name}))
	}
	return nil
}

// connect answers connect: success with the client's peer ID as
// connectionID (as tcserver does), or rejection when the app is not
// allowed, after which the session is closed.
func (s *Server) connect(p *peer, ret controlFlow, cmd tc.Command) error {
	s.mu.Lock()
	again, addr := p.connected, p.addr
	s.mu.Unlock()
	if again {
		s.ctr.drop(DropBadCommand)
		return nil
	}
	c, err := tc.ParseConnect(cmd)
	if err != nil || !s.allowed(c.App) {
		atomic.AddUint64(&s.ctr.rejects, 1)
		s.cfg.Logger.Info("connect rejected", "peer_id", p.id.String(), "addr", addr.String(), "app", c.App)
		b, _ := tc.ConnectRejected("application not allowed").AppendMessage(nil, 0)
		sent, err := ret.send(b)
		if err == nil {
			t := time.NewTimer(rejectLinger)
			select {
			case <-sent:
			case <-p.done:
			case <-s.ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		return errEnd
	}
	p.app = appName(c.App)
	id := p.id.String()
	if err := s.reply(ret, tc.ConnectSuccess("Connection succeeded.",
		tc.Property{Key: "connectionID", Value: id},
		tc.Property{Key: "serverFingerprint", Value: s.PeerID().String()})); err != nil {
		return err
	}
	if s.cfg.Keepalive != (tc.SetKeepalive{}) {
		if _, err := ret.send(s.cfg.Keepalive.AppendMessage(nil)); err != nil {
			return err
		}
	}
	s.mu.Lock()
	p.connected = true
	if old := s.peers[p.id]; old != nil && old.peerInfo {
		s.reachable--
		s.unregister(p.id) // until this connection's setPeerInfo
	}
	s.peers[p.id] = p // a newer connection of the same peer replaces an older one
	s.mu.Unlock()
	atomic.AddUint64(&s.ctr.connects, 1)
	s.cfg.Logger.Info("connected", "peer_id", id, "addr", addr.String(), "app", p.app)
	return nil
}

// allowed reports whether app may connect.
func (s *Server) allowed(app string) bool {
	return len(s.cfg.Apps) == 0 || slices.Contains(s.cfg.Apps, appName(app))
}

// setPeerInfo records the addresses a client reports (RFC 7425 §5.3.5;
// rtmfp-cpp tcserver onSetPeerInfoCommand): every "ip:port" that parses
// and is reportable (peeraddr.go), at most MaxReportedAddrs, without
// duplicates. It registers the client as an introduction target, which is
// refused to a client with an ephemeral certificate: its peer ID is not
// bound to a key, so another client could claim it.
func (s *Server) setPeerInfo(p *peer, cmd tc.Command) {
	strs, err := tc.ParseSetPeerInfo(cmd)
	if err != nil {
		s.ctr.drop(DropBadCommand)
		return
	}
	if !p.static {
		s.ctr.drop(DropEphemeralPeer)
		s.cfg.Logger.Debug("setPeerInfo refused: ephemeral certificate", "peer_id", p.id.String())
		return
	}
	var addrs []netip.AddrPort
	for _, a := range strs {
		ap, err := netip.ParseAddrPort(a)
		if err != nil {
			continue
		}
		ap = netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
		if !reportable(ap, p.loopback) {
			s.ctr.drop(DropPeerAddr)
			continue
		}
		if !slices.Contains(addrs, ap) && len(addrs) < MaxReportedAddrs {
			addrs = append(addrs, ap)
		}
	}
	s.mu.Lock()
	p.reported = addrs
	if !p.peerInfo && s.peers[p.id] == p {
		s.reachable++
	}
	p.peerInfo = true
	if s.peers[p.id] == p {
		s.register(p)
	}
	s.mu.Unlock()
	atomic.AddUint64(&s.ctr.peerInfos, 1)
	s.cfg.Logger.Debug("setPeerInfo", "peer_id", p.id.String(), "addresses", len(addrs))
}

// reply writes a command on the control return flow.
func (s *Server) reply(ret controlFlow, cmd tc.Command) error {
	b, err := cmd.AppendMessage(nil, 0)
	if err != nil {
		return err
	}
	_, err = ret.send(b)
	return err
}
