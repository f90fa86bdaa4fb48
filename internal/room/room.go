package room

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"camchat/internal/media/pipeline"
	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

// Session timers of a call: a member who crashes or loses the network is
// noticed within 10 s (RFC 7016 §3.5.2.2: keepalives while idle, and the
// retransmit limit while media is outstanding).
const (
	sessionKeepalive       = 2 * time.Second
	sessionRetransmitLimit = 5 * time.Second
)

const (
	// eventQueue bounds the events waiting for the application; beyond it
	// new events are dropped and counted, never blocking the room.
	eventQueue = 256
	// chatHistory bounds the chat kept for Chat and snapshots.
	chatHistory = 1000
	// leftLinger is how long a member who left stays in snapshots (so a
	// tile can say "left") and how long gossip naming it is ignored.
	leftLinger = 10 * time.Second
	// connectTimeout bounds one attempt to open a session to a member.
	connectTimeout = 15 * time.Second
	// sendTimeout bounds a reliable send to one member (state, chat,
	// bye): a stalled member never stalls the others.
	sendTimeout = 2 * time.Second
	// strayLinger: a session no member uses is closed after it.
	strayLinger = 10 * time.Second
)

// Words a publisher puts in NetStream.Play.Failed when it refuses a player;
// the player maps them back to ErrRoomFull and ErrOtherCall.
const (
	refusalFull      = "room is full"
	refusalOtherCall = "already in another call"
	refusalProtocol  = "not a camchat call request"
	refusalClosing   = "leaving"
)

// Room is one member's side of a call: the endpoint, its published stream,
// one session and one played stream per other member, chat, verification
// and the media engine. Every method is safe for concurrent use; none blocks
// on the network for longer than its context or sendTimeout.
//
// Goroutines: the endpoint's (package rtmfp) and the publisher's (package
// tc); one accepting sessions; one per member reading its stream; one per
// connection attempt; the rendezvous connection; a 500 ms ticker for
// statistics, bitrate decisions and liveness; and the media engine's.
// Lock order: Room.mu, then engine.mu; no lock is held across a network
// call.
type Room struct {
	cfg   Config // constant after New
	ep    *rtmfp.Endpoint
	pub   *tc.Publisher
	media *engine

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	events    chan Event
	evDropped atomic.Uint64
	malformed atomic.Uint64 // call-protocol messages dropped

	mu       sync.Mutex // guards the fields below
	room     roomID
	joined   int64 // when we entered this room (Unix ms)
	members  map[flashcrypto.PeerID]*member
	order    []*member // join order, including those that left recently
	tombs    map[flashcrypto.PeerID]time.Time
	name     string
	chat     []ChatMessage
	nextChat uint64
	strays   map[*rtmfp.Session]time.Time // sessions with no member, since
	rv       RendezvousState
	rvAddr   netip.AddrPort // resolved rendezvous address while connected
	rvName   string         // the configured server rvAddr came from
	closed   bool
	ctl      control

	relay relayState // the TURN relay (relay.go; its own lock)
}

// New starts a room with nobody else in it: it opens the socket, the
// devices and, if configured, the connection to the rendezvous server.
func New(cfg Config) (*Room, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	conn := cfg.Conn
	if conn == nil {
		addr := cfg.Listen
		if addr == "" {
			addr = "0.0.0.0:0"
		}
		conn, err = net.ListenPacket("udp4", addr)
		if err != nil {
			return nil, fmt.Errorf("%w: listen on %s: %w", ErrSocket, addr, err)
		}
	}
	r := &Room{
		cfg:     cfg,
		events:  make(chan Event, eventQueue),
		members: map[flashcrypto.PeerID]*member{},
		tombs:   map[flashcrypto.PeerID]time.Time{},
		strays:  map[*rtmfp.Session]time.Time{},
		name:    cfg.Name,
		rv:      RendezvousState{Addr: cfg.Rendezvous},
	}
	r.room = newRoomID()
	r.joined = cfg.Now().UnixMilli()
	r.ctx, r.cancel = context.WithCancel(context.Background())
	conn = r.relayConn(conn)
	r.ep, err = rtmfp.NewEndpoint(conn, rtmfp.Config{
		Identity:          cfg.Identity,
		Now:               cfg.Now,
		KeepalivePeriod:   sessionKeepalive,
		RetransmitLimit:   sessionRetransmitLimit,
		FIHelloMode:       rtmfp.FIHelloSendRHello,
		OnUnmatchedIHello: r.introduce,
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("room: %w", err)
	}
	r.pub = tc.NewPublisher(tc.PublisherConfig{
		Accept:      r.admit,
		Media:       tc.MediaOptions{AudioNetworkOrder: true},
		OnSubscribe: r.onSubscribe,
		OnCommand:   r.onCommand,
	})
	r.media, err = newEngine(cfg, r, func(s string) { r.emit(Event{Kind: EventDevice, Text: s}) })
	if err != nil {
		r.pub.Close()
		r.ep.Close()
		return nil, err
	}
	for _, note := range r.media.start() {
		r.emit(Event{Kind: EventDevice, Text: note})
	}
	r.wg.Add(2)
	go r.acceptLoop()
	go r.tickLoop()
	if cfg.Rendezvous != "" {
		r.wg.Add(1)
		go r.rendezvousLoop()
	}
	r.startRelay()
	r.watchUDP()
	return r, nil
}

func newRoomID() roomID {
	var id roomID
	rand.Read(id[:])
	return id
}

// PeerID is this member's peer ID.
func (r *Room) PeerID() flashcrypto.PeerID { return r.ep.PeerID() }

// LocalAddr is the room's socket address.
func (r *Room) LocalAddr() netip.AddrPort { return r.ep.LocalAddr() }

// Events delivers what happens in the room. It is never closed; read it
// until Close returns. Events that find it full are dropped (EventsDropped).
func (r *Room) Events() <-chan Event { return r.events }

// EventsDropped counts events dropped because nobody read Events.
func (r *Room) EventsDropped() uint64 { return r.evDropped.Load() }

func (r *Room) emit(ev Event) {
	if ev.At.IsZero() {
		ev.At = r.cfg.Now()
	}
	if ev.Text == "" {
		ev.Text = describe(ev)
	}
	select {
	case r.events <- ev:
	default:
		r.evDropped.Add(1)
	}
}

func describe(ev Event) string {
	who := ev.Name
	if who == "" {
		who = shortID(ev.Peer)
	}
	switch ev.Kind {
	case EventJoined:
		return who + " joined"
	case EventLeft:
		return who + " " + ev.Reason
	case EventChat:
		return ev.Chat.Name + ": " + ev.Chat.Text
	case EventChatDelivered:
		return "delivered to " + who
	case EventVerification:
		return ev.Status.Message(ev.Name)
	case EventRoom:
		if ev.RoomID == "" {
			return "You are alone in the call"
		}
		return "In a call"
	case EventError:
		if ev.Err != nil {
			return ev.Err.Error()
		}
	}
	return ev.Kind.String()
}

// shortID is the first 8 hex digits of a peer ID, for people.
func shortID(id flashcrypto.PeerID) string { return id.String()[:8] }

// count is the number of people in the call as this member knows it, itself
// and members still connecting included. r.mu is held.
func (r *Room) count() int {
	n := 1
	for _, m := range r.members {
		if m.state != StateLeft {
			n++
		}
	}
	return n
}

// acceptLoop takes sessions others open to us and serves our stream on
// them; a session that no member comes to use is closed (tick).
func (r *Room) acceptLoop() {
	defer r.wg.Done()
	for {
		s, err := r.ep.Accept(r.ctx)
		if err != nil {
			if r.ctx.Err() == nil {
				r.emit(Event{Kind: EventError, Err: fmt.Errorf("%w: %w", ErrSocket, err)})
			}
			return
		}
		r.mu.Lock()
		r.strays[s] = r.cfg.Now()
		r.mu.Unlock()
		r.pub.ServeSession(s)
	}
}

// Close leaves the call and stops everything: devices, streams, sessions
// and the socket. It waits for every goroutine.
func (r *Room) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.mu.Unlock()
	r.leave("left the call")
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.media.close()
	r.cancel()
	r.pub.Close()
	err := r.ep.Close()
	r.wg.Wait()
	return err
}

// Done is closed when the room can no longer work (its socket failed) or
// was closed.
func (r *Room) Done() <-chan struct{} { return r.ctx.Done() }

// SetMic turns the microphone on or off; others see the change.
func (r *Room) SetMic(on bool) {
	r.media.setMic(on)
	r.broadcastState()
}

// SetCamera turns the camera on or off; others see the change.
func (r *Room) SetCamera(on bool) {
	r.media.setCamera(on)
	r.broadcastState()
}

// SetDevices switches camera, microphone or speaker. A device that cannot
// be opened falls back to its synthetic stand-in and an EventDevice says so.
func (r *Room) SetDevices(d Devices) {
	for _, note := range r.media.setDevices(d) {
		r.emit(Event{Kind: EventDevice, Text: note})
	}
	r.broadcastState()
}

// SetName changes the display name others see.
func (r *Room) SetName(name string) {
	r.mu.Lock()
	r.name = cutName(name)
	r.mu.Unlock()
	r.broadcastState()
}

// tickLoop runs the periodic work: statistics, bitrate and layer decisions,
// receiver reports, and cleanup of members who left and stray sessions.
func (r *Room) tickLoop() {
	defer r.wg.Done()
	t := time.NewTicker(controlInterval)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-r.ep.Done():
			if err := r.ep.Err(); err != nil && r.ctx.Err() == nil {
				r.emit(Event{Kind: EventError, Err: fmt.Errorf("%w: %w", ErrSocket, err)})
			}
			r.cancel()
			return
		case <-t.C:
		}
		r.tick(r.cfg.Now())
	}
}

func (r *Room) tick(now time.Time) {
	var closeSess []*rtmfp.Session
	r.mu.Lock()
	// Forget members who left a while ago, and old tombstones.
	r.order = slices.DeleteFunc(r.order, func(m *member) bool {
		return m.state == StateLeft && now.Sub(m.leftAt) > leftLinger
	})
	for id, until := range r.tombs {
		if now.After(until) {
			delete(r.tombs, id)
		}
	}
	// Sessions no member uses: close after strayLinger.
	for s, since := range r.strays {
		if r.sessionUsed(s) {
			delete(r.strays, s)
			continue
		}
		select {
		case <-s.Done():
			delete(r.strays, s)
			continue
		default:
		}
		if now.Sub(since) > strayLinger {
			delete(r.strays, s)
			closeSess = append(closeSess, s)
		}
	}
	members := r.liveMembers()
	r.mu.Unlock()
	for _, s := range closeSess {
		s.Close()
	}
	r.checkPaths(now, members) // nat.go: re-punch paths that went silent
	r.control(now, members)
}

// sessionUsed reports whether a member uses s. r.mu is held.
func (r *Room) sessionUsed(s *rtmfp.Session) bool {
	for _, m := range r.members {
		if m.sess == s {
			return true
		}
	}
	return false
}

// liveMembers lists the members not gone. r.mu is held.
func (r *Room) liveMembers() []*member {
	out := make([]*member, 0, len(r.members))
	for _, m := range r.order {
		if m.state != StateLeft {
			out = append(out, m)
		}
	}
	return out
}

// sendAudio and sendVideo implement mediaOut: the local senders' packets go
// to every subscriber of our stream.
func (r *Room) sendAudio(p pipeline.AudioPacket) {
	r.pub.WriteAudioExt(tc.Timestamp(p.Timestamp/time.Millisecond), tc.AudioExt{Present: true, Seq: uint16(p.Seq), Quiet: p.Quiet}, p.Payload)
}

func (r *Room) sendVideo(p pipeline.VideoPacket) {
	x := tc.VideoExt{Present: true, Layer: uint8(p.Layer), Droppable: p.Droppable, Deps: tc.DepVector(p.Deps)}
	r.pub.WriteVideoExt(tc.Timestamp(p.Timestamp/time.Millisecond), p.Keyframe, x, p.Payload)
}

// errorf emits an error event.
func (r *Room) errorf(err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		r.emit(Event{Kind: EventError, Err: err})
	}
}
