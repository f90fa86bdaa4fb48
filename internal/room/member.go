package room

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"camchat/internal/room/identity"
	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
	"camchat/internal/rtmfp/wire"
)

// member is another participant. Fields are guarded by Room.mu unless
// noted.
type member struct {
	id     flashcrypto.PeerID
	name   string
	state  MemberState
	joined int64            // Unix ms, as first recorded by its admitter
	hints  []netip.AddrPort // addresses others or an invite gave for it

	sess       *rtmfp.Session
	out        *outbox       // our data messages to it, in order
	play       *tc.NetStream // our play of its stream
	playing    bool          // its publisher said Play.Start
	gotState   bool          // its camchatState arrived
	connecting bool          // a connection attempt is running
	attempts   []*attempt    // Join calls waiting for the outcome

	mic, cam, syn bool
	verified      []flashcrypto.PeerID // members it found verified
	status        identity.Status

	pm       *peerMedia
	joinedAt time.Time // on our clock, when it became connected
	leftAt   time.Time
	reason   string // why it left
	bye      bool   // it said goodbye

	ctl memberControl // bitrate and statistics (owned by the tick)
}

// attempt is one Join call waiting for its target.
type attempt struct {
	done chan struct{}
	err  error
}

func (r *Room) newMember(id flashcrypto.PeerID, joined int64) *member {
	m := &member{id: id, state: StateConnecting, joined: joined}
	r.members[id] = m
	r.order = append(r.order, m)
	r.startOutbox(m)
	return m
}

// resolve ends the member's waiting Join calls with err (nil: connected).
// r.mu is held.
func (m *member) resolve(err error) {
	for _, a := range m.attempts {
		a.err = err
		close(a.done)
	}
	m.attempts = nil
}

// Join brings this member into the call of the peer that target names (a
// peer ID or an invite), or brings that peer into ours. It returns once the
// peer is connected, or with a clear error: ErrNotPeerID, ErrSelf,
// ErrRoomFull, ErrOtherCall, ErrUnreachable, ErrNoRoute, ErrRefused. The
// other members of the call are then connected in the background (events
// say when each joins). Joining a peer already in the call returns nil.
func (r *Room) Join(ctx context.Context, target string) error {
	inv, err := parseTarget(target)
	if err != nil {
		return err
	}
	if inv.id == r.ep.PeerID() {
		return ErrSelf
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	m := r.members[inv.id]
	if m != nil && m.state == StateConnected {
		r.mu.Unlock()
		return nil
	}
	if m == nil || m.state == StateLeft {
		if r.count() >= MaxMembers {
			r.mu.Unlock()
			return fmt.Errorf("%w: nobody else can join your call", ErrRoomFull)
		}
		delete(r.tombs, inv.id)
		m = r.newMember(inv.id, r.cfg.Now().UnixMilli())
	}
	m.hints = mergeAddrs(m.hints, inv.addrs)
	a := &attempt{done: make(chan struct{})}
	m.attempts = append(m.attempts, a)
	start := !m.connecting && m.sess == nil
	if start {
		m.connecting = true
	}
	rendezvous := inv.rendezvous
	r.mu.Unlock()
	if start {
		r.wg.Add(1)
		go r.connect(m, nil, rendezvous)
	}
	select {
	case <-a.done:
		return a.err
	case <-ctx.Done():
		r.mu.Lock()
		m.attempts = slices.DeleteFunc(m.attempts, func(x *attempt) bool { return x == a })
		r.mu.Unlock()
		return fmt.Errorf("%w: %s did not answer in time: %w", ErrUnreachable, shortID(inv.id), ctx.Err())
	case <-r.ctx.Done():
		return ErrClosed
	}
}

// connect opens a session to m (introduced by via, a member, when set) and
// starts playing its stream.
func (r *Room) connect(m *member, via *member, rendezvous string) {
	defer r.wg.Done()
	r.mu.Lock()
	cands := slices.Clone(m.hints)
	if via != nil && via.sess != nil {
		cands = append(cands, via.sess.FarAddr())
	}
	r.mu.Unlock()
	// The rendezvous server introduces us to a registered peer whether or
	// not our own registration is done (RFC 7016 §3.5.1.4).
	for _, rv := range []string{r.rendezvousServer(false), rendezvous} {
		if rv == "" {
			continue
		}
		if a, err := resolveUDP(r.ctx, rv); err == nil && !slices.Contains(cands, a) {
			cands = append(cands, a)
		}
	}
	var err error
	var s *rtmfp.Session
	r.cfg.Logger.Debug("connect", "peer", shortID(m.id), "candidates", addrList(cands), "via", via != nil)
	if len(cands) == 0 {
		err = fmt.Errorf("%w: %s cannot be found: paste an invite with addresses or set a rendezvous server", ErrNoRoute, shortID(m.id))
	} else {
		ctx, cancel := r.connectContext() // nat.go: ends early when UDP is blocked
		s, err = r.ep.Connect(ctx, flashcrypto.CanonicalEPD(m.id), cands...)
		cancel()
		if err != nil {
			r.cfg.Logger.Debug("connect failed", "peer", shortID(m.id), "err", err)
			err = r.connectErr(ctx, fmt.Errorf("%w: no answer from %s at %s", ErrUnreachable, shortID(m.id), addrList(cands)))
			if fs := r.connectForwarded(m, via); fs != nil && !errors.Is(err, ErrUDPBlocked) {
				s, err = fs, nil // forward.go: through a member
			}
		}
	}
	r.cfg.Logger.Debug("connected", "peer", shortID(m.id), "err", err)
	r.mu.Lock()
	m.connecting = false
	if err != nil || m.state == StateLeft || r.closed {
		if err == nil {
			err = ErrClosed
		}
		m.resolve(err)
		r.dropMemberLocked(m, "could not be reached")
		r.mu.Unlock()
		return
	}
	r.mu.Unlock()
	r.pub.ServeSession(s)
	r.usePlay(m, s)
}

func addrList(as []netip.AddrPort) string {
	ss := make([]string, len(as))
	for i, a := range as {
		ss[i] = a.String()
	}
	return strings.Join(ss, ", ")
}

// usePlay makes s m's session and plays m's stream on it, unless we
// already do.
func (r *Room) usePlay(m *member, s *rtmfp.Session) {
	r.mu.Lock()
	if m.state == StateLeft || r.closed {
		r.mu.Unlock()
		return
	}
	var old *tc.NetStream
	if m.sess != s {
		if m.sess != nil {
			old = m.play // a newer session replaces an old one (the member restarted)
			m.play, m.playing = nil, false
		}
		m.sess = s
	}
	if m.play != nil {
		r.mu.Unlock()
		return
	}
	// Members counts the people we are in a call with, not those we are
	// still reaching (the one we join among them).
	q := playQuery{Version: protocolVersion, Room: r.room, Members: 1 + r.connected()}
	ns, err := tc.PlayPeer(s, q.streamName(), tc.PlayConfig{})
	if err != nil {
		m.resolve(fmt.Errorf("%w: %w", ErrUnreachable, err))
		r.dropMemberLocked(m, "could not be reached")
		r.mu.Unlock()
		return
	}
	m.play = ns
	r.mu.Unlock()
	r.cfg.Logger.Debug("play", "peer", shortID(m.id), "session", s.FarAddr().String(), "replaces", old != nil)
	if old != nil {
		old.Close()
	}
	r.wg.Add(1)
	go r.readPlay(m, ns)
}

// readPlay reads m's stream until it ends: media to the receivers, the
// call protocol to the room.
func (r *Room) readPlay(m *member, ns *tc.NetStream) {
	defer r.wg.Done()
	for {
		msg, err := ns.Read(r.ctx)
		if err != nil {
			r.playEnded(m, ns, err)
			return
		}
		switch msg.Type {
		case tc.TypeAudio:
			if !msg.Audio.SequenceHeader() {
				r.pushAudio(m, msg)
			}
		case tc.TypeVideo:
			if !msg.Video.SequenceHeader() {
				r.pushVideo(m, msg)
			}
		case tc.TypeData, tc.TypeDataEx:
			r.handleData(m, msg.Data)
		case tc.TypeCommand, tc.TypeCommandEx:
			switch {
			case msg.IsStatus(tc.CodePlayStart):
				r.playStarted(m)
			case msg.IsStatus(tc.CodePlayFailed), msg.IsStatus(tc.CodePlayStreamNotFound):
				r.playRefused(m, msg.Status.Description)
				return
			}
		}
	}
}

func (r *Room) playStarted(m *member) {
	r.cfg.Logger.Debug("play started", "peer", shortID(m.id))
	r.mu.Lock()
	m.playing = true
	r.maybeConnected(m)
	r.mu.Unlock()
}

// playRefused handles the member's refusal of our play request.
func (r *Room) playRefused(m *member, why string) {
	var err error
	switch why {
	case refusalFull:
		err = fmt.Errorf("%w: %s's call already has five people", ErrRoomFull, shortID(m.id))
	case refusalOtherCall:
		err = fmt.Errorf("%w: %s is in a call with other people, and so are you: leave yours first", ErrOtherCall, shortID(m.id))
	case refusalProtocol:
		err = ErrNotCamchat
	default:
		err = fmt.Errorf("%w: %s said %q", ErrRefused, shortID(m.id), why)
	}
	r.mu.Lock()
	m.resolve(err)
	r.dropMemberLocked(m, "refused: "+why)
	r.mu.Unlock()
}

// playEnded handles the end of m's stream: it left, its session ended, or
// we closed the stream.
func (r *Room) playEnded(m *member, ns *tc.NetStream, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cfg.Logger.Debug("play ended", "peer", shortID(m.id), "current", m.play == ns, "err", err)
	if m.play != ns {
		return // replaced by a newer session's stream, or closed by us
	}
	reason := "left the call"
	if m.bye {
		reason = m.reason
	} else if m.sess != nil && m.sess.Err() != nil {
		reason = "connection lost"
	}
	if r.ctx.Err() == nil && m.state != StateConnected {
		m.resolve(fmt.Errorf("%w: %s: %v", ErrUnreachable, shortID(m.id), err))
	}
	r.dropMemberLocked(m, reason)
}

// maybeConnected marks m connected once its stream plays and its state
// arrived. r.mu is held.
func (r *Room) maybeConnected(m *member) {
	if m.state != StateConnecting || !m.playing || !m.gotState {
		return
	}
	pm, err := r.media.attach(m.id, func() { r.requestKeyframe(m) })
	if err != nil {
		m.resolve(err)
		r.dropMemberLocked(m, "no room for its audio")
		return
	}
	m.pm = pm
	m.state = StateConnected
	m.joinedAt = r.cfg.Now()
	m.status = r.cfg.Trust.Check(m.id, m.sess.FarCertificate(), m.name)
	delete(r.strays, m.sess)
	m.resolve(nil)
	r.emit(Event{Kind: EventJoined, Peer: m.id, Name: m.name})
	if m.status.State != identity.Unknown {
		r.emit(Event{Kind: EventVerification, Peer: m.id, Name: m.name, Status: m.status})
	}
	r.broadcastLocked()
}

// dropMemberLocked removes m from the call; r.mu is held. Its stream and
// media are closed on another goroutine.
func (r *Room) dropMemberLocked(m *member, reason string) {
	if m.state == StateLeft {
		return
	}
	r.cfg.Logger.Debug("drop", "peer", shortID(m.id), "reason", reason)
	wasConnected := m.state == StateConnected
	m.state = StateLeft
	m.leftAt = r.cfg.Now()
	m.reason = reason
	if r.members[m.id] == m {
		delete(r.members, m.id)
	}
	r.tombs[m.id] = m.leftAt.Add(leftLinger)
	m.resolve(fmt.Errorf("%w: %s %s", ErrUnreachable, shortID(m.id), reason))
	pm, play := m.pm, m.play
	m.pm, m.play = nil, nil
	if m.out != nil {
		m.out.stop()
	}
	if !wasConnected {
		// Never in the call: not worth a line in snapshots.
		r.order = slices.DeleteFunc(r.order, func(x *member) bool { return x == m })
	}
	if m.sess != nil {
		r.strays[m.sess] = m.leftAt
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if play != nil {
			play.Close()
		}
		if pm != nil {
			r.media.detach(pm)
		}
	}()
	if wasConnected {
		r.emit(Event{Kind: EventLeft, Peer: m.id, Name: m.name, Reason: reason})
		if len(r.members) == 0 {
			r.emit(Event{Kind: EventRoom})
		}
		r.broadcastLocked()
	}
}

// admit decides a play request for our stream (tc.PublisherConfig.Accept):
// a member or someone joining may play; a sixth person, or someone from
// another call while we are in one, is refused with words its player
// shows.
func (r *Room) admit(req tc.PlayRequest) (err error) {
	defer func() {
		r.cfg.Logger.Debug("admit", "peer", shortID(req.PeerID), "from", req.Addr.String(), "name", req.Name, "refused", err)
	}()
	q, err := parsePlayName(req.Name)
	if err != nil {
		r.malformed.Add(1)
		return errors.New(refusalProtocol)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New(refusalClosing)
	}
	if m := r.members[req.PeerID]; m != nil && m.state != StateLeft {
		return nil // a member (or one we are joining) plays us
	}
	n := r.count()
	if n >= MaxMembers {
		return errors.New(refusalFull)
	}
	if q.Room != r.room {
		switch {
		case n > 1 && q.Members > 1:
			return errors.New(refusalOtherCall)
		case n+q.Members > MaxMembers:
			return errors.New(refusalFull)
		case n == 1 && q.Members > 1:
			r.room = q.Room // we are pulled into their call
			r.joined = r.cfg.Now().UnixMilli()
		case n == 1 && q.Room.less(r.room):
			r.room = q.Room // both alone: the smaller ID, on both sides
		}
	}
	delete(r.tombs, req.PeerID)
	m := r.newMember(req.PeerID, r.cfg.Now().UnixMilli())
	m.sess = req.Session
	return nil
}

// onSubscribe runs when a player was admitted: it gets our state first,
// we play its stream in return, and our encoder sends a keyframe for it.
func (r *Room) onSubscribe(req tc.PlayRequest) {
	r.mu.Lock()
	m := r.members[req.PeerID]
	if m == nil || m.state == StateLeft {
		r.mu.Unlock()
		return
	}
	m.send(r.stateLocked().data(), nil)
	r.mu.Unlock()
	r.media.vs.RequestKeyframe(r.cfg.Now())
	r.usePlay(m, req.Session)
}

// handleData handles a data message on m's stream.
func (r *Room) handleData(m *member, dm tc.DataMessage) {
	switch dm.Handler {
	case handlerState:
		st, err := parseState(dm.Args)
		if err != nil {
			r.malformed.Add(1)
			return
		}
		r.handleState(m, st)
	case handlerChat:
		c, err := parseChat(dm.Args)
		if err != nil {
			r.malformed.Add(1)
			return
		}
		r.receiveChat(m, c)
	case handlerForwarding:
		r.onForwarding(m, dm.Args) // forward.go
	case handlerBye:
		reason := parseBye(dm.Args)
		if reason == "" {
			reason = "left the call"
		}
		r.mu.Lock()
		m.bye, m.reason = true, reason
		r.dropMemberLocked(m, reason)
		r.mu.Unlock()
	}
}

// handleState takes a member's state: its name and toggles, and its roster,
// which may name members we have yet to meet.
func (r *Room) handleState(m *member, st stateMsg) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.state == StateLeft {
		return
	}
	if st.Room != r.room {
		// Its call, ours, or a refusal: a newcomer's first state may
		// still name the room it was alone in.
		theirs := 0
		for _, e := range st.Members {
			if e.ID != m.id && e.ID != r.ep.PeerID() {
				theirs++
			}
		}
		ours := r.othersThan(m)
		switch {
		case theirs == 0 && ours == 0:
			if st.Room.less(r.room) {
				r.room = st.Room // both alone: the smaller ID, on both sides
			}
		case theirs == 0:
			// It is joining our call and will take our room.
		case ours == 0:
			r.room = st.Room // we joined its call
			r.joined = r.cfg.Now().UnixMilli()
		default:
			// Two calls never merge: the one we are in wins.
			m.resolve(fmt.Errorf("%w: %s is in another call", ErrOtherCall, shortID(m.id)))
			r.dropMemberLocked(m, "is in another call")
			return
		}
	}
	changed := m.gotState && (m.name != st.Name || m.mic != st.Mic || m.cam != st.Cam)
	nameChanged := m.name != st.Name
	m.name, m.mic, m.cam, m.syn = st.Name, st.Mic, st.Cam, st.Synthetic
	m.verified = st.Verified
	m.gotState = true
	r.noteRelay(m, st.Relay, st.Public)
	if nameChanged && m.state == StateConnected {
		if s := r.cfg.Trust.Check(m.id, m.sess.FarCertificate(), m.name); s.State != m.status.State {
			m.status = s
			r.emit(Event{Kind: EventVerification, Peer: m.id, Name: m.name, Status: s})
		}
	}
	now := r.cfg.Now()
	for _, e := range st.Members {
		switch {
		case e.ID == r.ep.PeerID():
			// Our join time as our admitter recorded it.
			if e.Joined > 0 && e.Joined < r.joined {
				r.joined = e.Joined
			}
			continue
		case e.ID == m.id:
			if e.Joined > 0 && e.Joined < m.joined {
				m.joined = e.Joined
			}
			continue
		}
		if until, ok := r.tombs[e.ID]; ok && now.Before(until) {
			continue // gossip older than its departure
		}
		x := r.members[e.ID]
		if x == nil {
			x = r.newMember(e.ID, e.Joined)
		} else if e.Joined > 0 && e.Joined < x.joined {
			x.joined = e.Joined
		}
		x.hints = mergeAddrs(x.hints, e.Addrs)
		if x.sess == nil && !x.connecting {
			x.connecting = true
			r.wg.Add(1)
			go r.connect(x, m, "")
		}
	}
	if r.count() > MaxMembers {
		r.pruneLocked()
	}
	r.maybeConnected(m)
	if changed {
		r.emit(Event{Kind: EventUpdate, Peer: m.id, Name: m.name})
	}
}

// connected counts the members in the call with us. r.mu is held.
func (r *Room) connected() int {
	n := 0
	for _, m := range r.members {
		if m.state == StateConnected {
			n++
		}
	}
	return n
}

// othersThan counts the members other than m. r.mu is held.
func (r *Room) othersThan(m *member) int {
	n := 0
	for _, x := range r.members {
		if x != m && x.state != StateLeft {
			n++
		}
	}
	return n
}

// pruneLocked settles a race that let more than MaxMembers in: everyone
// keeps the earliest by (joined, peer ID), so every member reaches the same
// verdict from the same rosters. r.mu is held.
func (r *Room) pruneLocked() {
	type entry struct {
		id     flashcrypto.PeerID
		joined int64
		m      *member
	}
	all := []entry{{id: r.ep.PeerID(), joined: r.joined}}
	for _, m := range r.members {
		all = append(all, entry{m.id, m.joined, m})
	}
	slices.SortFunc(all, func(a, b entry) int {
		if a.joined != b.joined {
			if a.joined < b.joined {
				return -1
			}
			return 1
		}
		return strings.Compare(a.id.String(), b.id.String())
	})
	for _, e := range all[MaxMembers:] {
		if e.m == nil {
			// We are the one too many: leave, as a sixth joiner would.
			r.emit(Event{Kind: EventError, Err: fmt.Errorf("%w: someone else joined at the same moment", ErrRoomFull)})
			r.wg.Add(1)
			go func() { defer r.wg.Done(); r.leave(refusalFull) }()
			return
		}
		e.m.resolve(fmt.Errorf("%w: the call filled up", ErrRoomFull))
		r.dropMemberLocked(e.m, refusalFull)
	}
}

// introduce handles an IHello that names someone else: when it comes from
// a member (or someone joining through us) and names a member we have a
// session with, we introduce them (RFC 7016 §3.5.1.4–§3.5.1.6), as a
// rendezvous server would: a Redirect to the initiator with the target's
// addresses, and an FIHello to the target, whose RHello then opens the
// initiator's NAT. Anyone else's IHellos are ignored, so a stranger cannot
// learn where members are. It runs on the endpoint's loop goroutine.
func (r *Room) introduce(u rtmfp.UnmatchedIHello) {
	if u.Via != nil {
		return
	}
	epd, err := flashcrypto.ParseEPD(u.EPD)
	if err != nil || !epd.HasFingerprint {
		return
	}
	r.mu.Lock()
	t := r.members[epd.Fingerprint]
	known := false
	for _, m := range r.members {
		if m.sess != nil && m.sess.FarAddr() == u.From {
			known = true
		}
	}
	if t == nil || t.sess == nil || !known {
		r.mu.Unlock()
		return
	}
	target := t.sess
	addrs := []wire.Address{{AddrPort: target.FarAddr(), Origin: wire.OriginObserved}}
	for _, h := range t.hints {
		if h != target.FarAddr() && len(addrs) < rtmfp.MaxCandidates {
			addrs = append(addrs, wire.Address{AddrPort: h, Origin: wire.OriginReported})
		}
	}
	r.mu.Unlock()
	if r.ep.Redirect(u.From, u.Tag, addrs...) == nil {
		target.ForwardIHello(u.EPD, u.From, u.Tag)
	}
}

// Leave leaves the call: every member gets a goodbye and is dropped; this
// member stays reachable, alone, for the next call.
func (r *Room) Leave() { r.leave("left the call") }

func (r *Room) leave(reason string) {
	r.mu.Lock()
	members := r.liveMembers()
	r.mu.Unlock()
	defer func() {
		// A new room for the next call, once the old one is gone.
		r.mu.Lock()
		r.room = newRoomID()
		r.joined = r.cfg.Now().UnixMilli()
		r.mu.Unlock()
	}()
	if len(members) == 0 {
		return
	}
	// The goodbye goes after whatever is queued for each member, and the
	// members are dropped once it is out (or the wait is over).
	bye := byeMsg(reason)
	var sessions []*rtmfp.Session
	sent := make(chan struct{}, len(members))
	r.mu.Lock()
	for _, m := range members {
		m.send(bye, func(error) { sent <- struct{}{} })
	}
	r.mu.Unlock()
	wait := time.NewTimer(sendTimeout)
	for range members {
		select {
		case <-sent:
			continue
		case <-wait.C:
		}
		break
	}
	wait.Stop()
	r.mu.Lock()
	for _, m := range members {
		if m.sess != nil {
			sessions = append(sessions, m.sess)
		}
		m.bye = true
		r.dropMemberLocked(m, "you left")
	}
	// Gossip about the old call no longer matters: someone we call next
	// may be in a call with people we just left.
	clear(r.tombs)
	r.mu.Unlock()
	// The goodbye goes out before the sessions close: wait for it to be
	// acknowledged, as long as a round trip or two takes.
	waitAcked(sessions, 500*time.Millisecond)
	for _, s := range sessions {
		s.Close()
	}
	r.emit(Event{Kind: EventRoom})
}

// waitAcked waits until no session has data in flight, or at most max.
func waitAcked(sessions []*rtmfp.Session, max time.Duration) {
	deadline := time.NewTimer(max)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		busy := false
		for _, s := range sessions {
			st := s.Stats()
			if st.Outstanding > 0 {
				busy = true
			}
		}
		if !busy {
			return
		}
		select {
		case <-deadline.C:
			return
		case <-tick.C:
		}
	}
}

// stateLocked is our state as we tell it. r.mu is held.
func (r *Room) stateLocked() stateMsg {
	ms := r.media.state()
	st := stateMsg{Room: r.room, Name: r.name, Mic: ms.micOn, Cam: ms.camOn, Synthetic: ms.camSynth, Relay: r.relayed(), Public: r.mapped()}
	st.Members = append(st.Members, rosterEntry{ID: r.ep.PeerID(), Name: r.name, Joined: r.joined})
	for _, m := range r.order {
		if m.state == StateLeft {
			continue
		}
		e := rosterEntry{ID: m.id, Name: m.name, Joined: m.joined}
		if m.sess != nil {
			e.Addrs = append(e.Addrs, m.sess.FarAddr())
		}
		for _, h := range m.hints {
			if len(e.Addrs) < maxAddrsPerEntry && !slices.Contains(e.Addrs, h) {
				e.Addrs = append(e.Addrs, h)
			}
		}
		st.Members = append(st.Members, e)
		if m.status.State == identity.Verified {
			st.Verified = append(st.Verified, m.id)
		}
	}
	return st
}

// broadcastState queues our state for every member.
func (r *Room) broadcastState() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.broadcastLocked()
}

// broadcastLocked queues our state for every member. r.mu is held.
func (r *Room) broadcastLocked() {
	dm := r.stateLocked().data()
	for _, m := range r.liveMembers() {
		m.send(dm, nil)
	}
}

func mergeAddrs(dst, src []netip.AddrPort) []netip.AddrPort {
	for _, a := range src {
		if len(dst) >= maxAddrsPerEntry {
			break
		}
		if usableHint(a) && !slices.Contains(dst, a) {
			dst = append(dst, a)
		}
	}
	return dst
}
