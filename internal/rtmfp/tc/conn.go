package tc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
)

// DefaultPort is the RTMFP port of an rtmfp:// URL without one.
const DefaultPort = 1935

// DefaultFlashVer is the flashVer camchat sends when the caller sets none:
// the value librtmfp uses (RFC 7425 §5.4), which Flash-era servers accept.
const DefaultFlashVer = "WIN 20,0,0,286"

// ConnConfig says where a NetConnection goes and what its connect says.
type ConnConfig struct {
	// URL is the tcUrl, "rtmfp://host[:port]/app[?query]". It gives
	// Connect.TCURL and Connect.App when those are empty, and the server's
	// address when Addrs is empty (an IP literal or a name looked up with
	// the default resolver; port 1935 by default).
	URL string
	// EPD is the server's endpoint discriminator (RFC 7425 §4.4). Nil
	// names the server by URL (ancillary data 1d 0a <URL>), as tcconn does
	// without a fingerprint; flashcrypto.CanonicalEPD(peerID) pins the
	// server's identity instead.
	EPD []byte
	// Addrs are the server's candidate addresses.
	Addrs []netip.AddrPort
	// Connect is the connect command's object and arguments. Empty fields
	// get defaults: App and TCURL from URL, FlashVer DefaultFlashVer,
	// FourCCList "Opus" and "vp08"; objectEncoding is always 0.
	Connect Connect
	// PeerInfo are this end's addresses ("ip:port", "[ipv6]:port") that
	// setPeerInfo registers after connect succeeds, so that the server can
	// introduce peers to us (RFC 7016 §3.5.1.4–§3.5.1.6). Empty: no setPeerInfo is sent.
	PeerInfo []string
	// OnKeepalive, if set, is called with the periods of each Set
	// Keepalive event the server sends (RFC 7425 §5.3.4), each clamped to
	// at least MinKeepalive on its own: server for the session to the
	// server, peer as the default for sessions to peers. It runs on the
	// connection's reader goroutine and must not block.
	OnKeepalive func(server, peer time.Duration)
	// Limits bound the AMF0 decoding of received messages (zero: defaults).
	Limits Limits
}

// ConnEventKind says what a ConnEvent carries.
type ConnEventKind uint8

const (
	// ConnStatus: an onStatus from the server, or the final
	// NetConnection.Connect.Closed / Connect.Failed.
	ConnStatus ConnEventKind = iota
	// ConnCommand: a command the server called that is not an answer.
	ConnCommand
	// ConnControl: a user control event on the control flow (StreamBegin…).
	ConnControl
	// ConnKeepalive: a Set Keepalive event, already clamped and applied.
	ConnKeepalive
)

// ConnEvent is one event of a NetConnection.
type ConnEvent struct {
	Kind      ConnEventKind
	Status    StatusInfo
	Command   Command
	Control   UserControl
	Keepalive SetKeepalive
}

// connEventLen bounds the events kept for a slow reader; beyond it the
// oldest are dropped (and counted), so that a NetConnection never stalls on
// an application that does not read its events.
const connEventLen = 64

// NetConnection is the client side of a Flash NetConnection over an RTMFP
// session (RFC 7425 §5.3; rtmfp-cpp src/TCConnection.cpp): our control flow (stream 0, TC 04
// 00, priority 5) carries connect and the other NetConnection commands;
// the server answers on a return flow associated to it, and opens the
// flows of our NetStreams the same way.
//
// Goroutines: one accepts the server's return flows; one reads the control
// flow (answers, onStatus, user control); each NetStream flow has a reader.
// All stop when the connection closes; Close waits for them.
type NetConnection struct {
	s       *rtmfp.Session
	cfg     ConnConfig
	control *rtmfp.SendFlow
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	done    chan struct{}

	mu          sync.Mutex // guards the fields below
	controlRecv *rtmfp.RecvFlow
	nextTID     float64
	pending     map[float64]chan Command
	streams     map[StreamID]*NetStream
	connected   bool
	info        StatusInfo // connect's answer
	closed      bool
	err         error
	keepalive   SetKeepalive

	evMu     sync.Mutex // guards events and the two fields below
	events   chan ConnEvent
	evClosed bool
	dropped  uint64
}

// Dial opens a session from ep to the server that cfg names and connects a
// NetConnection over it (see ConnectSession).
func Dial(ctx context.Context, ep *rtmfp.Endpoint, cfg ConnConfig) (*NetConnection, error) {
	epd := cfg.EPD
	if epd == nil {
		if cfg.URL == "" {
			return nil, fmt.Errorf("tc: dial: no URL and no EPD: %w", ErrConnectFailed)
		}
		epd = flashcrypto.EPD{HasAncillary: true, Ancillary: []byte(cfg.URL)}.Append(nil)
	}
	addrs := cfg.Addrs
	if len(addrs) == 0 {
		var err error
		if addrs, err = urlAddrs(ctx, cfg.URL); err != nil {
			return nil, err
		}
	}
	s, err := ep.Connect(ctx, epd, addrs...)
	if err != nil {
		return nil, fmt.Errorf("tc: dial %s: %w", cfg.URL, errors.Join(ErrConnectFailed, err))
	}
	nc, err := ConnectSession(ctx, s, cfg)
	if err != nil {
		return nil, err
	}
	return nc, nil
}

// urlAddrs returns the addresses of an rtmfp:// URL's host.
func urlAddrs(ctx context.Context, raw string) ([]netip.AddrPort, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("tc: server URL: %w", errors.Join(ErrConnectFailed, err))
	}
	port := DefaultPort
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("tc: server URL port %q: %w", p, ErrConnectFailed)
		}
		port = int(n)
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(a.Unmap(), uint16(port))}, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("tc: server %q: %w", host, errors.Join(ErrConnectFailed, err))
	}
	out := make([]netip.AddrPort, 0, len(ips))
	for _, a := range ips {
		out = append(out, netip.AddrPortFrom(a.Unmap(), uint16(port)))
	}
	return out, nil
}

// ConnectSession connects a NetConnection over the open session s: it opens
// the control flow, sends connect (transaction 1), and returns once the
// server answered with NetConnection.Connect.Success, after sending
// setPeerInfo when cfg.PeerInfo is set. An _error answer fails with a
// *StatusError wrapping ErrConnectRejected (Connect.Rejected) or
// ErrConnectFailed. The NetConnection owns s: closing it closes s, and so
// does a failed connect.
func ConnectSession(ctx context.Context, s *rtmfp.Session, cfg ConnConfig) (*NetConnection, error) {
	c, err := connectCommand(cfg)
	if err != nil {
		s.Close()
		return nil, err
	}
	control, err := s.OpenFlow(FlowMetadata{StreamID: 0}.Append(nil), PriorityControl)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("tc: open control flow: %w", errors.Join(ErrConnectFailed, err))
	}
	nc := &NetConnection{s: s, cfg: cfg, control: control, done: make(chan struct{}),
		nextTID: ConnectTransactionID, pending: map[float64]chan Command{},
		streams: map[StreamID]*NetStream{}, events: make(chan ConnEvent, connEventLen)}
	nc.ctx, nc.cancel = context.WithCancel(context.Background())
	// The server introduces peers to us by forwarding their IHellos over
	// this session; answer them directly (RFC 7016 §3.5.1.5;
	// tcconn does the same).
	s.SetFIHelloMode(rtmfp.FIHelloSendRHello)
	nc.wg.Add(1)
	go nc.acceptFlows()

	tid, ch, err := nc.send(c, true)
	if err == nil && tid != ConnectTransactionID {
		err = fmt.Errorf("tc: connect is transaction %v: %w", tid, ErrConnectFailed)
	}
	var ans Command
	if err == nil {
		ans, err = nc.await(ctx, tid, ch)
	}
	if err == nil {
		err = nc.onConnectAnswer(ans)
	}
	if err == nil && len(cfg.PeerInfo) > 0 {
		err = nc.SetPeerInfo(cfg.PeerInfo...)
	}
	if err != nil {
		nc.shutdown(err)
		nc.wg.Wait()
		if !errors.Is(err, ErrConnectFailed) && !errors.Is(err, ErrConnectRejected) {
			err = errors.Join(ErrConnectFailed, err)
		}
		return nil, fmt.Errorf("tc: connect: %w", err)
	}
	return nc, nil
}

// connectCommand fills the defaults of cfg.Connect.
func connectCommand(cfg ConnConfig) (Command, error) {
	c := cfg.Connect
	if cfg.URL != "" && (c.App == "" || c.TCURL == "") {
		d, err := NewConnect(cfg.URL)
		if err != nil {
			return Command{}, errors.Join(ErrConnectFailed, err)
		}
		if c.App == "" {
			c.App = d.App
		}
		if c.TCURL == "" {
			c.TCURL = d.TCURL
		}
	}
	if c.FlashVer == "" {
		c.FlashVer = DefaultFlashVer
	}
	if c.FourCCList == nil {
		c.FourCCList = []string{FourCCOpus.String(), FourCCVP8.String()}
	}
	c.ObjectEncoding = 0
	return c.Command(), nil
}

func (nc *NetConnection) onConnectAnswer(ans Command) error {
	info, err := ans.Status()
	if err != nil {
		return fmt.Errorf("tc: connect answer: %w", errors.Join(ErrConnectFailed, err))
	}
	if ans.Name != CommandResult || info.Code != CodeConnectSuccess {
		nc.emit(ConnEvent{Kind: ConnStatus, Status: info})
		sentinel := ErrConnectFailed
		if info.Code == CodeConnectRejected {
			sentinel = ErrConnectRejected
		}
		return &StatusError{Info: info, Err: sentinel}
	}
	nc.mu.Lock()
	nc.connected = true
	nc.info = info
	nc.mu.Unlock()
	nc.emit(ConnEvent{Kind: ConnStatus, Status: info})
	return nil
}

// Session returns the session to the server (for nonces, stats, FIHello
// mode).
func (nc *NetConnection) Session() *rtmfp.Session { return nc.s }

// Info returns the info object of the connect answer (code
// NetConnection.Connect.Success, and whatever the server added, such as
// connectionID).
func (nc *NetConnection) Info() StatusInfo {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	return nc.info
}

// Events returns the connection's events: onStatus, server commands, user
// control and Set Keepalive, ending with NetConnection.Connect.Closed
// (or Connect.Failed) after which the channel is closed. A reader that
// falls more than 64 events behind loses the oldest (EventsDropped).
func (nc *NetConnection) Events() <-chan ConnEvent { return nc.events }

// EventsDropped returns how many events were dropped for a slow reader.
func (nc *NetConnection) EventsDropped() uint64 {
	nc.evMu.Lock()
	defer nc.evMu.Unlock()
	return nc.dropped
}

// Keepalive returns the periods of the last Set Keepalive event, clamped
// (zero before any).
func (nc *NetConnection) Keepalive() SetKeepalive {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	return nc.keepalive
}

// Done is closed when the connection has closed; Err then says why.
func (nc *NetConnection) Done() <-chan struct{} { return nc.done }

// Err returns why the connection closed (ErrConnClosed after Close or an
// orderly end by the server, the session's error otherwise), or nil.
func (nc *NetConnection) Err() error {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	return nc.err
}

// Call runs a transaction: it sends the command name with the next
// transaction ID, a null command object and args, and waits for the
// answer. An _error answer returns the answer and a *StatusError wrapping
// ErrCallFailed.
func (nc *NetConnection) Call(ctx context.Context, name string, args ...Value) (Command, error) {
	tid, ch, err := nc.send(Command{Name: name, Object: nil, Args: args}, true)
	if err != nil {
		return Command{}, err
	}
	ans, err := nc.await(ctx, tid, ch)
	if err != nil {
		return Command{}, err
	}
	if ans.Name == CommandError {
		info, _ := ans.Status()
		return ans, &StatusError{Info: info, Err: ErrCallFailed}
	}
	return ans, nil
}

// Command sends a command that expects no answer (transaction 0, null
// command object).
func (nc *NetConnection) Command(name string, args ...Value) error {
	_, _, err := nc.send(Command{Name: name, Object: nil, Args: args}, false)
	return err
}

// SetPeerInfo registers this end's addresses with the server for
// introductions (RFC 7016 §3.5.1.4; rtmfp-cpp test/tcserver.cpp setPeerInfo).
func (nc *NetConnection) SetPeerInfo(addrs ...string) error {
	_, _, err := nc.send(SetPeerInfo(addrs...), false)
	return err
}

// CreateStream asks the server for a stream ID and returns the NetStream.
// Its flows are return flows associated to the server's control flow
// (RFC 7425 §5.3; rtmfp-cpp src/TCConnection.cpp).
func (nc *NetConnection) CreateStream(ctx context.Context) (*NetStream, error) {
	tid, ch, err := nc.send(CreateStream(0), true)
	if err != nil {
		return nil, err
	}
	ans, err := nc.await(ctx, tid, ch)
	if err != nil {
		return nil, err
	}
	if ans.Name == CommandError {
		info, _ := ans.Status()
		return nil, &StatusError{Info: info, Err: ErrCallFailed}
	}
	id, err := ParseCreateStreamResult(ans)
	if err != nil {
		return nil, err
	}
	nc.mu.Lock()
	defer nc.mu.Unlock()
	if nc.closed {
		return nil, ErrConnClosed
	}
	if nc.streams[id] != nil {
		return nil, fmt.Errorf("tc: createStream answered stream %d, which is in use: %w", id, ErrBadCommand)
	}
	// The stream's readers have a WaitGroup of their own, so that the
	// stream's Close waits for them; the connection waits for each stream
	// to end and its readers to stop.
	swg := &sync.WaitGroup{}
	st := &NetStream{id: id, rx: newStreamReceiver(nc.ctx, id, nc.cfg.Limits, swg), wait: swg.Wait}
	nc.wg.Add(1)
	go func() {
		defer nc.wg.Done()
		<-st.rx.done
		swg.Wait()
	}()
	st.tx = &mediaSender{id: id, open: func(md []byte, pri rtmfp.Priority) (*rtmfp.SendFlow, error) {
		nc.mu.Lock()
		rf := nc.controlRecv
		nc.mu.Unlock()
		if rf == nil {
			return nil, ErrConnClosed
		}
		return rf.OpenReturnFlow(md, pri)
	}}
	st.release = func() { nc.deleteStream(id) }
	nc.streams[id] = st
	return st, nil
}

// deleteStream forgets stream id and tells the server.
func (nc *NetConnection) deleteStream(id StreamID) {
	nc.mu.Lock()
	_, ok := nc.streams[id]
	delete(nc.streams, id)
	closed := nc.closed
	nc.mu.Unlock()
	if ok && !closed {
		nc.send(DeleteStream(id), false)
	}
}

// send writes c on the control flow. With transact it takes the next
// transaction ID and registers for the answer.
func (nc *NetConnection) send(c Command, transact bool) (float64, chan Command, error) {
	var ch chan Command
	nc.mu.Lock()
	if nc.closed {
		nc.mu.Unlock()
		return 0, nil, ErrConnClosed
	}
	if transact {
		c.TransactionID = nc.nextTID
		nc.nextTID++
		ch = make(chan Command, 1)
		nc.pending[c.TransactionID] = ch
	}
	nc.mu.Unlock()
	msg, err := c.AppendMessage(nil, 0)
	if err == nil {
		_, err = nc.control.Write(msg, rtmfp.WriteOptions{})
	}
	if err != nil {
		if transact {
			nc.mu.Lock()
			delete(nc.pending, c.TransactionID)
			nc.mu.Unlock()
		}
		return 0, nil, fmt.Errorf("tc: send %s: %w", c.Name, err)
	}
	return c.TransactionID, ch, nil
}

// await waits for the answer to transaction tid.
func (nc *NetConnection) await(ctx context.Context, tid float64, ch chan Command) (Command, error) {
	select {
	case ans, ok := <-ch:
		if !ok {
			return Command{}, nc.closedErr()
		}
		return ans, nil
	case <-ctx.Done():
		nc.mu.Lock()
		delete(nc.pending, tid)
		nc.mu.Unlock()
		return Command{}, ctx.Err()
	}
}

func (nc *NetConnection) closedErr() error {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	if nc.err != nil && !errors.Is(nc.err, ErrConnClosed) {
		return errors.Join(ErrConnClosed, nc.err)
	}
	return ErrConnClosed
}

// acceptFlows takes the flows the server opens in return to our control
// flow: first its control flow (stream 0), then the flows of our streams.
func (nc *NetConnection) acceptFlows() {
	defer nc.wg.Done()
	for {
		rf, err := nc.control.AcceptReturn(nc.ctx)
		if err != nil {
			if nc.ctx.Err() == nil {
				nc.shutdown(err)
			}
			return
		}
		md, _, err := ParseFlowMetadata(rf.Metadata())
		if err != nil {
			rf.Reject(0) // only TC flows (rtmfp-cpp acceptFlow)
			continue
		}
		nc.mu.Lock()
		if md.StreamID == 0 {
			if nc.controlRecv != nil {
				nc.mu.Unlock()
				rf.Reject(0)
				continue
			}
			nc.controlRecv = rf
			nc.mu.Unlock()
			nc.wg.Add(1)
			go nc.readControl(rf)
			continue
		}
		st := nc.streams[md.StreamID]
		nc.mu.Unlock()
		if st == nil {
			rf.Reject(0) // not an active stream (rtmfp-cpp)
			continue
		}
		st.rx.add(rf, md)
	}
}

// readControl reads the server's control flow.
func (nc *NetConnection) readControl(rf *rtmfp.RecvFlow) {
	defer nc.wg.Done()
	for {
		b, err := rf.Read(nc.ctx)
		if err != nil {
			if nc.ctx.Err() == nil {
				// The server ended its control flow: the connection is over.
				nc.shutdown(errors.Join(ErrConnClosed, err))
			}
			return
		}
		m, err := ParseMessage(b)
		if err != nil {
			continue
		}
		switch m.Type {
		case TypeCommand, TypeCommandEx:
			c, err := ParseCommandMessage(m, nc.cfg.Limits)
			if err != nil {
				continue
			}
			nc.onCommand(c)
		case TypeUserControl:
			u, err := ParseUserControlMessage(m)
			if err != nil {
				continue
			}
			if u.Event == EventSetKeepalive {
				nc.onSetKeepalive(u)
				continue
			}
			nc.emit(ConnEvent{Kind: ConnControl, Control: u})
		}
	}
}

func (nc *NetConnection) onCommand(c Command) {
	switch c.Name {
	case CommandResult, CommandError:
		nc.mu.Lock()
		ch := nc.pending[c.TransactionID]
		delete(nc.pending, c.TransactionID)
		nc.mu.Unlock()
		if ch != nil {
			ch <- c
		}
	case CommandOnStatus:
		info, err := c.Status()
		if err != nil {
			return
		}
		nc.mu.Lock()
		connected := nc.connected
		var ch chan Command
		if !connected && info.IsError() && (info.Code == CodeConnectRejected || info.Code == CodeConnectFailed) {
			// Some servers refuse connect with an onStatus rather than
			// an _error: it answers the connect transaction.
			ch = nc.pending[ConnectTransactionID]
			delete(nc.pending, ConnectTransactionID)
		}
		nc.mu.Unlock()
		if ch != nil {
			ch <- ErrorResult(ConnectTransactionID, info)
			return
		}
		nc.emit(ConnEvent{Kind: ConnStatus, Status: info})
		switch info.Code {
		case CodeConnectClosed, CodeConnectAppShutdown, CodeConnectIdleTimeout:
			if connected {
				// The server says the connection is over.
				nc.shutdown(ErrConnClosed)
			}
		}
	default:
		nc.emit(ConnEvent{Kind: ConnCommand, Command: c})
	}
}

// onSetKeepalive applies a Set Keepalive event (RFC 7425 §5.3.4): each
// period is clamped to at least 5 s on its own. (rtmfp-cpp derives the
// clamped peer period from the server period, TCConnection.cpp:831; the
// RFC means each its own.) The server period applies to the session to the
// server at once; the peer period is for the application's peer sessions
// (Endpoint.SetKeepalivePeriod), through ConnConfig.OnKeepalive.
func (nc *NetConnection) onSetKeepalive(u UserControl) {
	k, err := ParseSetKeepalive(u)
	if err != nil && !errors.Is(err, ErrKeepaliveTooShort) {
		return
	}
	k.Server = max(k.Server, MinKeepalive)
	k.Peer = max(k.Peer, MinKeepalive)
	nc.mu.Lock()
	nc.keepalive = k
	nc.mu.Unlock()
	nc.s.SetKeepalivePeriod(k.Server)
	if nc.cfg.OnKeepalive != nil {
		nc.cfg.OnKeepalive(k.Server, k.Peer)
	}
	nc.emit(ConnEvent{Kind: ConnKeepalive, Keepalive: k})
}

// emit queues ev, dropping the oldest event when a slow reader let the
// queue fill.
func (nc *NetConnection) emit(ev ConnEvent) {
	nc.evMu.Lock()
	defer nc.evMu.Unlock()
	if nc.evClosed {
		return
	}
	for {
		select {
		case nc.events <- ev:
			return
		default:
		}
		select {
		case <-nc.events:
			nc.dropped++
		default:
		}
	}
}

// shutdown ends the connection once: pending transactions fail, streams
// end, the final status is emitted and the events channel closed, the
// goroutines are told to stop and the session is closed.
func (nc *NetConnection) shutdown(cause error) {
	nc.mu.Lock()
	if nc.closed {
		nc.mu.Unlock()
		return
	}
	nc.closed = true
	nc.err = cause
	connected := nc.connected
	pending := nc.pending
	nc.pending = nil
	streams := make([]*NetStream, 0, len(nc.streams))
	for _, st := range nc.streams {
		streams = append(streams, st)
	}
	clear(nc.streams)
	nc.mu.Unlock()

	for _, ch := range pending {
		close(ch)
	}
	for _, st := range streams {
		st.rx.fail(ErrConnClosed)
		st.tx.close()
	}
	final := StatusInfo{Level: LevelStatus, Code: CodeConnectClosed}
	if !connected {
		final = StatusInfo{Level: LevelError, Code: CodeConnectFailed}
	}
	nc.emit(ConnEvent{Kind: ConnStatus, Status: final})
	nc.evMu.Lock()
	nc.evClosed = true
	close(nc.events)
	nc.evMu.Unlock()

	nc.cancel()
	nc.control.Close()
	nc.s.Close()
	close(nc.done)
}

// Close closes the connection: its streams, its flows and its session
// (RFC 7016 §3.5.5 orderly close). The last event is
// NetConnection.Connect.Closed. It waits for the connection's goroutines.
func (nc *NetConnection) Close() error {
	nc.shutdown(ErrConnClosed)
	nc.wg.Wait()
	return nil
}
