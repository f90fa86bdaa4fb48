package room

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"camchat/internal/room/identity"
	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
)

// listenAddrs are the addresses this member can be reached at on its own
// network: for a socket bound to one address, that address alone (no
// other interface can carry its datagrams); for a wildcard socket, every
// interface's address (identity.LocalAddrs). They are registered with the
// rendezvous server and put in invites.
func (r *Room) listenAddrs() []netip.AddrPort {
	local := r.ep.LocalAddr()
	if a := local.Addr().Unmap(); a.IsValid() && !a.IsUnspecified() {
		return []netip.AddrPort{netip.AddrPortFrom(a, local.Port())}
	}
	return identity.LocalAddrs(int(local.Port()))
}

// A peer whose UDP is blocked (a firewall that lets only TCP out) hears
// nothing at all, not even from the rendezvous server or the relay: after
// udpBlockedAfter of silence the room says so, in the rendezvous state,
// as an error event and as the error of a Join that is waiting, instead
// of letting the user wait out the connection timeouts.
const udpBlockedAfter = 6 * time.Second

// expectsAnswers reports whether something configured should answer us
// over UDP soon after start: a rendezvous server or a relay.
func (c Config) expectsAnswers() bool {
	return c.Rendezvous != "" || (!c.Relay.Off && c.Relay.Server != "")
}

// heardAnything reports whether any datagram has come in.
func (r *Room) heardAnything() bool {
	if r.ep.Stats().PacketsReceived > 0 {
		return true
	}
	if c := r.relay.conn; c != nil {
		st := c.Stats()
		return st.DirectIn+st.TURNIn > 0
	}
	return false
}

// udpBlocked is the error when nothing came back; nil when something did
// or nothing was expected to.
func (r *Room) udpBlocked() error {
	if !r.cfg.expectsAnswers() || r.heardAnything() {
		return nil
	}
	what := r.cfg.Rendezvous
	if what == "" {
		what = r.cfg.Relay.Server
	}
	return fmt.Errorf("%w (nothing came back from %s)", ErrUDPBlocked, what)
}

// udpErr replaces err by the UDP-blocked error when that is the cause.
func (r *Room) udpErr(err error) error {
	if b := r.udpBlocked(); b != nil {
		return b
	}
	return err
}

// watchUDP reports blocked UDP udpBlockedAfter after start.
func (r *Room) watchUDP() {
	if !r.cfg.expectsAnswers() {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTimer(udpBlockedAfter)
		defer t.Stop()
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		err := r.udpBlocked()
		if err == nil {
			return
		}
		r.mu.Lock()
		if !r.rv.Connected && r.cfg.Rendezvous != "" {
			r.rv.Err = err.Error()
		}
		r.mu.Unlock()
		r.emit(Event{Kind: EventError, Err: err})
	}()
}

// connectContext bounds one connection attempt: connectTimeout, or
// udpBlockedAfter when nothing at all has come in by then.
func (r *Room) connectContext() (context.Context, context.CancelFunc) {
	// With no relay of our own, a member may forward (forward.go): a
	// direct attempt that has not worked in directTryNoRelay will not.
	limit := connectTimeout
	r.mu.Lock()
	if !r.relayed().IsValid() && r.connected() > 0 && r.relay.conn != nil {
		limit = directTryNoRelay
	}
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.ctx, limit)
	if !r.cfg.expectsAnswers() || r.heardAnything() {
		return ctx, cancel
	}
	ctx2, cancel2 := context.WithCancelCause(ctx)
	t := time.AfterFunc(udpBlockedAfter, func() {
		if err := r.udpBlocked(); err != nil {
			cancel2(err)
		}
	})
	return ctx2, func() { t.Stop(); cancel2(nil); cancel() }
}

// connectErr is the error of a failed connection attempt.
func (r *Room) connectErr(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, ErrUDPBlocked) {
		return cause
	}
	return r.udpErr(err)
}

// Address mobility across NATs. When a member's NAT gives it a new public
// port mid-call (a router restart, an expired mapping) and the other end
// sits behind a port-restricted NAT, each end's packets are filtered by the
// other's NAT and the call would stop for good. Media flows every 20 ms,
// so a member we have heard nothing from for pathSilence has a broken
// path: we punch again through the rendezvous server (and the members, who
// introduce as it does), which makes the far end answer our address as it
// is now and shows us its own; the transport's mobility checks then move
// both ends of the session (rtmfp.Endpoint.Repunch).
const (
	pathSilence    = 600 * time.Millisecond
	repunchEvery   = 2 * time.Second
	repunchTimeout = 3 * time.Second
)

// A call that started relayed (TURN, or forwarded by a member) moves to a
// direct path when one appears: every probeEvery each end sends a
// mobility check to one of the other's direct addresses (its hints: where
// the rendezvous server and the members see it), in turn. A check's
// datagram opens our NAT toward that address, the other end's check opens
// its NAT toward ours, and once a check gets through, the far end answers
// it at the address it came from (rtmfp: answerCheck) and checks us back,
// so both sessions move (RFC 7016 §3.5.4.2).
const probeEvery = 3 * time.Second

// probeDirect sends m's session a direct-path check when it is due. r.mu
// is held.
func (r *Room) probeDirect(now time.Time, m *member) {
	relayed, _ := r.pathOf(m)
	if !relayed {
		return
	}
	far := m.sess.FarAddr()
	rs := &r.relay
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if now.Sub(rs.probedAt[m.id]) < probeEvery {
		return
	}
	if rs.conn.ViaRelay(far) {
		// The far address itself may be direct now: one datagram
		// straight to it.
		rs.conn.ProbeDirect(far, rtmfp.MobilityCheckInterval+100*time.Millisecond)
		rs.probedAt[m.id] = now
		r.cfg.Logger.Debug("probe direct", "peer", shortID(m.id), "addr", far.String(), "relayed", true)
	}
	theirs := rs.members[m.id]
	var cands []netip.AddrPort
	for _, h := range m.hints {
		if h != far && h != theirs && !h.Addr().IsLoopback() && !h.Addr().IsPrivate() {
			cands = append(cands, h)
		}
	}
	if len(cands) == 0 {
		return
	}
	rs.probedAt[m.id] = now
	h := cands[rs.probeNext[m.id]%len(cands)]
	rs.probeNext[m.id]++
	if m.sess.CheckAddress(h) {
		r.cfg.Logger.Debug("probe direct", "peer", shortID(m.id), "addr", h.String())
	}
}

// checkPaths re-punches to members that went silent (the tick).
func (r *Room) checkPaths(now time.Time, members []*member) {
	type job struct {
		m     *member
		cands []netip.AddrPort
	}
	var jobs []job
	r.mu.Lock()
	r.refreshForwards() // forward.go
	for _, m := range members {
		if m.state != StateConnected || m.sess == nil {
			continue
		}
		r.probeDirect(now, m)
		st := m.sess.Stats()
		if st.LastReceived.IsZero() || now.Sub(st.LastReceived) < pathSilence {
			continue
		}
		r.relay.mu.Lock()
		last := r.relay.repunched[m.id]
		due := now.Sub(last) >= repunchEvery
		if due {
			r.relay.repunched[m.id] = now
		}
		r.relay.mu.Unlock()
		if !due {
			continue
		}
		var cands []netip.AddrPort
		if r.rvAddr.IsValid() {
			cands = append(cands, r.rvAddr)
		}
		for _, o := range members {
			if o != m && o.sess != nil && o.state == StateConnected {
				cands = append(cands, o.sess.FarAddr())
			}
		}
		if len(cands) > 0 {
			jobs = append(jobs, job{m, cands})
		}
	}
	r.mu.Unlock()
	for _, j := range jobs {
		r.cfg.Logger.Debug("repunch", "peer", shortID(j.m.id), "via", addrList(j.cands))
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			ctx, cancel := context.WithTimeout(r.ctx, repunchTimeout)
			defer cancel()
			_, err := r.ep.Repunch(ctx, flashcrypto.CanonicalEPD(j.m.id), j.cands...)
			r.cfg.Logger.Debug("repunched", "peer", shortID(j.m.id), "err", err)
		}()
	}
}
