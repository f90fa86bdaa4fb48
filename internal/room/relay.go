package room

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/tc"
	"camchat/internal/turn"
)

// The TURN relay (design: "Finding each other"). Direct paths are always
// tried first; a relay carries a pair whose NATs defeat hole punching
// (symmetric mapping against port-dependent filtering). The room's socket
// is a turn.Conn: the direct socket plus, once allocated, a relayed
// address on a TURN server, and each far address is sent to on the path
// it was last heard on. The relayed address is registered with the
// rendezvous server (setPeerInfo) and told to members in our state, so
// that introductions list it as a candidate; the TURN permission a peer
// needs is installed when we answer its first handshake packet through
// the relay (package turn).
//
// Credentials: a configured relay (RelayConfig.Server) uses fixed ones;
// otherwise the room asks its rendezvous server, which hands time-limited
// credentials to connected clients over the NetConnection (the
// RelayCall command; `camchat rendezvous -turn`).

// RelayConfig chooses the relay.
type RelayConfig struct {
	// Server is a TURN server's "host:port" to use with Username and
	// Password; empty: the rendezvous server's relay, if it offers one.
	Server             string
	Username, Password string
	// Off never uses a relay: members that cannot reach each other
	// directly stay apart.
	Off bool
}

// RelayCall is the NetConnection call by which a client asks its
// rendezvous server for relay credentials. The answer is one object:
// {addr: "IP:port" of the TURN server, username, password, ttl: seconds
// they stay valid}.
const RelayCall = "camchatRelay"

const (
	relayAllocTimeout = 5 * time.Second
	relayRetry        = 30 * time.Second
)

// relayState is the room's relay (its own lock, taken after Room.mu).
type relayState struct {
	conn *turn.Conn // nil when relaying is off (constant after New)

	mu         sync.Mutex
	rv         *tc.NetConnection // the live rendezvous connection
	allocating bool
	members    map[flashcrypto.PeerID]netip.AddrPort // relayed addresses members announce
	repunched  map[flashcrypto.PeerID]time.Time      // last re-punch per member (nat.go)
	fwd        forwardState                          // forwarding through members (forward.go)
	probedAt   map[flashcrypto.PeerID]time.Time      // last direct-path check (nat.go)
	probeNext  map[flashcrypto.PeerID]int
}

// wantRelay reports whether the room may ever use a relay.
func (c Config) wantRelay() bool {
	return !c.Relay.Off && (c.Relay.Server != "" || c.Rendezvous != "")
}

// relayConn wraps the room's socket when a relay may be used.
func (r *Room) relayConn(conn net.PacketConn) net.PacketConn {
	r.relay.members = map[flashcrypto.PeerID]netip.AddrPort{}
	r.relay.repunched = map[flashcrypto.PeerID]time.Time{}
	r.relay.probedAt = map[flashcrypto.PeerID]time.Time{}
	r.relay.probeNext = map[flashcrypto.PeerID]int{}
	r.relay.fwd = forwardState{by: map[flashcrypto.PeerID]flashcrypto.PeerID{}, ready: map[flashcrypto.PeerID]chan netip.AddrPort{},
		grants: map[[2]flashcrypto.PeerID]grant{}}
	if !r.cfg.wantRelay() {
		return conn
	}
	r.relay.conn = turn.NewConn(conn, r.cfg.Now, r.cfg.Logger)
	return r.relay.conn
}

// startRelay allocates on a configured relay (a rendezvous server's relay
// is asked for once connected: onRendezvous).
func (r *Room) startRelay() {
	if r.relay.conn == nil || r.cfg.Relay.Server == "" {
		return
	}
	r.relay.allocating = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for r.ctx.Err() == nil {
			err := r.allocate(r.cfg.Relay.Server, turn.Credentials{Username: r.cfg.Relay.Username, Password: r.cfg.Relay.Password})
			if err == nil {
				return
			}
			r.cfg.Logger.Debug("relay", "err", err)
			select {
			case <-r.ctx.Done():
			case <-time.After(relayRetry):
			}
		}
	}()
}

// onRendezvous runs when the rendezvous connection is up: without a relay
// of our own, it asks the server for one.
func (r *Room) onRendezvous(nc *tc.NetConnection) {
	rs := &r.relay
	if rs.conn == nil {
		return
	}
	rs.mu.Lock()
	rs.rv = nc
	start := !rs.allocating && !rs.conn.Relayed().IsValid() && r.cfg.Relay.Server == ""
	if start {
		rs.allocating = true
	}
	rs.mu.Unlock()
	if !start {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		err := r.relayFromRendezvous(nc)
		if err != nil {
			r.cfg.Logger.Debug("relay", "err", err)
			rs.mu.Lock()
			rs.allocating = false // asked again on the next connection
			rs.mu.Unlock()
		}
	}()
}

var errNoRelayOffered = errors.New("the rendezvous server offers no relay")

// relayFromRendezvous asks the rendezvous server for relay credentials
// and allocates with them.
func (r *Room) relayFromRendezvous(nc *tc.NetConnection) error {
	ctx, cancel := context.WithTimeout(r.ctx, relayAllocTimeout)
	ans, err := nc.Call(ctx, RelayCall)
	cancel()
	if err != nil {
		return fmt.Errorf("%w: %w", errNoRelayOffered, err)
	}
	p, err := argObject(ans.Args)
	if err != nil {
		return fmt.Errorf("%w: malformed answer", errNoRelayOffered)
	}
	addr, _ := p.String("addr")
	user, _ := p.String("username")
	pass, _ := p.String("password")
	if addr == "" || user == "" {
		return fmt.Errorf("%w: malformed answer", errNoRelayOffered)
	}
	return r.allocate(addr, turn.Credentials{Username: user, Password: pass})
}

// allocate gets a relayed address on server and tells the rendezvous
// server and the members about it.
func (r *Room) allocate(server string, creds turn.Credentials) error {
	ctx, cancel := context.WithTimeout(r.ctx, relayAllocTimeout)
	defer cancel()
	a, err := resolveUDP(ctx, server)
	if err != nil {
		return fmt.Errorf("relay %s: %w", server, err)
	}
	relayed, err := r.relay.conn.Allocate(ctx, a, creds)
	if err != nil {
		return err
	}
	r.cfg.Logger.Debug("relay allocated", "server", a.String(), "relayed", relayed.String())
	r.relay.mu.Lock()
	nc := r.relay.rv
	r.relay.mu.Unlock()
	if nc != nil {
		var info []string
		for _, x := range r.registeredAddrs() {
			info = append(info, x.String())
		}
		nc.SetPeerInfo(info...)
	}
	r.broadcastState()
	return nil
}

// relayed is our relayed address (zero when none).
func (r *Room) relayed() netip.AddrPort {
	if r.relay.conn == nil {
		return netip.AddrPort{}
	}
	return r.relay.conn.Relayed()
}

// registeredAddrs are the addresses registered with the rendezvous
// server: where we listen, and our relayed address.
func (r *Room) registeredAddrs() []netip.AddrPort {
	as := r.listenAddrs()
	if x := r.relayed(); x.IsValid() {
		as = append(as, x)
	}
	return as
}

// mapped is our address as our relay sees it (zero when none).
func (r *Room) mapped() netip.AddrPort {
	if r.relay.conn == nil {
		return netip.AddrPort{}
	}
	return r.relay.conn.Mapped()
}

// noteRelay records the relayed address a member announced in its state
// and adds it, and its public address, to the member's candidates. r.mu
// is held.
func (r *Room) noteRelay(m *member, a, public netip.AddrPort) {
	if public.IsValid() {
		m.hints = mergeAddrs(m.hints, []netip.AddrPort{public})
	}
	r.relay.mu.Lock()
	if a.IsValid() {
		r.relay.members[m.id] = a
	} else {
		delete(r.relay.members, m.id)
	}
	r.relay.mu.Unlock()
	if a.IsValid() {
		m.hints = mergeAddrs(m.hints, []netip.AddrPort{a})
	}
}

// pathOf says whether m's session goes through a relay, and which: ours
// (the session's far address is reached through our allocation) or the
// member's (the far address is its relayed address). r.mu is held.
func (r *Room) pathOf(m *member) (relayed bool, via string) {
	if m.sess == nil {
		return false, ""
	}
	if name, ok := r.forwardedBy(m); ok {
		return true, name
	}
	far := m.sess.FarAddr()
	if c := r.relay.conn; c != nil && c.ViaRelay(far) {
		return true, "relay " + c.Server().String()
	}
	r.relay.mu.Lock()
	theirs, ok := r.relay.members[m.id]
	r.relay.mu.Unlock()
	if ok && theirs == far {
		return true, "relay " + theirs.Addr().String()
	}
	return false, ""
}
