package room

import (
	"context"
	"net/netip"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
)

// Relaying through a member (the seed's "a client relays the streams of
// another client to the third"): when two members cannot reach each other
// directly and no TURN relay works, a member connected to both forwards
// their datagrams (turn.Conn's forwarding, on its room socket). Their
// session stays end to end, so the short code still proves nobody sits in
// the middle and the forwarder sees only sealed packets: every media
// message keeps its priority and deadline, and when the forwarder's budget
// for the pair is spent it drops, which the pair's congestion control and
// bitrate control answer by sending less, video first (audio has the
// higher priority). The budget is the forwarder's own estimate of what its
// paths to the two members carry (what it would send them of its own
// video, plus audio), so forwarding never takes more of its uplink than a
// member's stream would.
//
//	member -> forwarder   camchatForward {peer}          (command on the play flow)
//	forwarder -> both     camchatForwarding {peer, addr} (data message)
//
// The member that could not connect picks the member that introduced the
// other (it has a session with it), else the connected member with the
// least RTT; it asks, both ends learn the other's address as the forwarder
// sees it, and the member connects to that address through the forwarder.
const (
	commandForward    = "camchatForward"
	handlerForwarding = "camchatForwarding"

	forwardWait       = 3 * time.Second
	forwardConnect    = 6 * time.Second
	forwardRateMin    = 64_000
	directTryNoRelay  = 5 * time.Second // direct attempt when a member could forward
	forwardAudioShare = 2 * audioAllowance
)

// forwardState is the forwarding part of relayState (guarded by its mu).
type forwardState struct {
	by     map[flashcrypto.PeerID]flashcrypto.PeerID  // member -> the member forwarding for us
	ready  map[flashcrypto.PeerID]chan netip.AddrPort // waiting connects, by target
	grants map[[2]flashcrypto.PeerID]grant            // pairs we forward for
}

// grant is a pair we forward for, at the addresses and rate allowed.
type grant struct {
	a, b netip.AddrPort
	rate int
}

func forwardMsg(peer flashcrypto.PeerID) tc.Command {
	return tc.Command{Name: commandForward, Args: []tc.Value{tc.NewObject(tc.Property{Key: "peer", Value: peerIDString(peer)})}}
}

func forwardingMsg(peer flashcrypto.PeerID, addr netip.AddrPort) tc.DataMessage {
	return tc.Send(handlerForwarding, tc.NewObject(
		tc.Property{Key: "peer", Value: peerIDString(peer)},
		tc.Property{Key: "addr", Value: addr.String()},
	))
}

func parsePeerArg(args []tc.Value) (flashcrypto.PeerID, tc.Properties, error) {
	p, err := argObject(args)
	if err != nil {
		return flashcrypto.PeerID{}, nil, err
	}
	v, _ := p.Get("peer")
	id, err := parsePeerIDValue(v)
	return id, p, err
}

// onForwardRequest is the forwarder's side: a member asks it to forward
// between it and another member.
func (r *Room) onForwardRequest(req tc.PlayRequest, c tc.Command) {
	target, _, err := parsePeerArg(c.Args)
	if err != nil || r.relay.conn == nil {
		r.malformed.Add(1)
		return
	}
	r.mu.Lock()
	from, to := r.members[req.PeerID], r.members[target]
	if from == nil || to == nil || from == to || from.state != StateConnected || to.state != StateConnected ||
		from.sess == nil || to.sess == nil {
		r.mu.Unlock()
		return
	}
	fa, ta := from.sess.FarAddr(), to.sess.FarAddr()
	rate := forwardRate(r.cfg, from, to)
	r.relay.conn.AllowForward(fa, ta, rate)
	r.relay.mu.Lock()
	r.relay.fwd.grants[[2]flashcrypto.PeerID{req.PeerID, target}] = grant{fa, ta, rate}
	r.relay.mu.Unlock()
	from.send(forwardingMsg(target, ta), nil)
	to.send(forwardingMsg(req.PeerID, fa), nil)
	r.mu.Unlock()
	r.cfg.Logger.Debug("forward", "between", shortID(req.PeerID), "and", shortID(target), "rate", rate)
}

// refreshForwards follows the pairs we forward for (the tick): the rate
// follows our path estimates, an address that moved moves the grant, and
// a pair one of whose members left is forwarded no more. r.mu is held.
func (r *Room) refreshForwards() {
	c := r.relay.conn
	if c == nil {
		return
	}
	rs := &r.relay
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for k, g := range rs.fwd.grants {
		x, y := r.members[k[0]], r.members[k[1]]
		live := x != nil && y != nil && x.state == StateConnected && y.state == StateConnected && x.sess != nil && y.sess != nil
		if !live {
			c.AllowForward(g.a, g.b, 0)
			delete(rs.fwd.grants, k)
			continue
		}
		n := grant{x.sess.FarAddr(), y.sess.FarAddr(), forwardRate(r.cfg, x, y)}
		if n == g {
			continue
		}
		if n.a != g.a || n.b != g.b {
			c.AllowForward(g.a, g.b, 0)
		}
		c.AllowForward(n.a, n.b, n.rate)
		rs.fwd.grants[k] = n
	}
}

// forwardRate is what the forwarder lets through each way: the video
// rate its paths to both members take, plus audio, within bounds. r.mu is
// held.
func forwardRate(cfg Config, a, b *member) int {
	v := float64(cfg.Video.MaxBitrate)
	for _, m := range []*member{a, b} {
		if m.ctl.rate > 0 {
			v = min(v, m.ctl.rate)
		}
	}
	return max(forwardRateMin, int(v)+forwardAudioShare)
}

// onForwarding takes a forwarder's word that it forwards between us and
// peer, whom it sees at addr.
func (r *Room) onForwarding(fwd *member, args []tc.Value) {
	peer, p, err := parsePeerArg(args)
	s, _ := p.String("addr")
	addr, aerr := netip.ParseAddrPort(s)
	if err != nil || aerr != nil || !usableHint(addr) || r.relay.conn == nil {
		r.malformed.Add(1)
		return
	}
	r.mu.Lock()
	var via netip.AddrPort
	if fwd.sess != nil {
		via = fwd.sess.FarAddr()
	}
	r.mu.Unlock()
	if !via.IsValid() {
		return
	}
	r.relay.conn.SetVia(addr, via)
	rs := &r.relay
	rs.mu.Lock()
	rs.fwd.by[peer] = fwd.id
	ch := rs.fwd.ready[peer]
	rs.mu.Unlock()
	if ch != nil {
		select {
		case ch <- addr:
		default:
		}
	}
}

// connectForwarded opens a session to m through a member, after a direct
// attempt failed. via is the member that introduced m, if any.
func (r *Room) connectForwarded(m *member, via *member) *rtmfp.Session {
	if r.relay.conn == nil {
		return nil
	}
	r.mu.Lock()
	var fwd *member
	if via != nil && via.state == StateConnected && via.play != nil {
		fwd = via
	} else {
		best := time.Duration(1 << 62)
		for _, x := range r.members {
			if x == m || x.state != StateConnected || x.sess == nil || x.play == nil {
				continue
			}
			if rtt := x.sess.Stats().SRTT; rtt < best {
				fwd, best = x, rtt
			}
		}
	}
	if fwd == nil || m.state == StateLeft || r.closed {
		r.mu.Unlock()
		return nil
	}
	play := fwd.play
	r.mu.Unlock()
	ch := make(chan netip.AddrPort, 1)
	rs := &r.relay
	rs.mu.Lock()
	rs.fwd.ready[m.id] = ch
	rs.mu.Unlock()
	defer func() {
		rs.mu.Lock()
		if rs.fwd.ready[m.id] == ch {
			delete(rs.fwd.ready, m.id)
		}
		rs.mu.Unlock()
	}()
	r.cfg.Logger.Debug("ask forward", "peer", shortID(m.id), "forwarder", shortID(fwd.id))
	if err := play.Command(forwardMsg(m.id)); err != nil {
		return nil
	}
	var addr netip.AddrPort
	select {
	case addr = <-ch:
	case <-time.After(forwardWait):
		return nil
	case <-r.ctx.Done():
		return nil
	}
	ctx, cancel := context.WithTimeout(r.ctx, forwardConnect)
	defer cancel()
	s, err := r.ep.Connect(ctx, flashcrypto.CanonicalEPD(m.id), addr)
	r.cfg.Logger.Debug("connected forwarded", "peer", shortID(m.id), "forwarder", shortID(fwd.id), "err", err)
	if err != nil {
		return nil
	}
	return s
}

// forwardedBy names the member forwarding m's session, if it is
// forwarded. r.mu is held.
func (r *Room) forwardedBy(m *member) (string, bool) {
	c := r.relay.conn
	if c == nil || m.sess == nil || !c.ViaMember(m.sess.FarAddr()).IsValid() {
		return "", false
	}
	r.relay.mu.Lock()
	id, ok := r.relay.fwd.by[m.id]
	r.relay.mu.Unlock()
	if !ok {
		return "", false
	}
	if f := r.members[id]; f != nil && f.name != "" {
		return f.name, true
	}
	return shortID(id), true
}
