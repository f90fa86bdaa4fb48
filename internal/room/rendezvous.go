package room

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/tc"
)

// The rendezvous connection: like a Flash client of Stratus/Cirrus, the
// room connects to the server and registers its addresses (setPeerInfo), so
// that peers who know only its peer ID reach it through an introduction
// (RFC 7016 §3.5.1.4; design: "Finding each other"). It reconnects with
// backoff while the room lives; a call in progress never depends on it.
//
// Config.Rendezvous may name several servers ("a:1935,b:1935"), and a host
// name may have several addresses: the nodes of one cluster (package
// rendezvous/cluster), any of which introduces any registered peer. The
// room dials every address at once (RTMFP tries a session's candidate
// addresses together, RFC 7016 §3.5.1.1, and the first server to answer
// wins), so a node that died costs nothing: when the connection to it
// ends, the room is registered on another node one handshake later.
const (
	rendezvousApp        = "camchat"
	rendezvousTimeout    = 10 * time.Second
	rendezvousMinBackoff = time.Second
	rendezvousMaxBackoff = 30 * time.Second
)

func (r *Room) rendezvousLoop() {
	defer r.wg.Done()
	backoff := rendezvousMinBackoff
	for r.ctx.Err() == nil {
		nc, addr, err := r.dialRendezvous()
		if err != nil {
			r.setRendezvous(netip.AddrPort{}, err)
			select {
			case <-r.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, rendezvousMaxBackoff)
			continue
		}
		backoff = rendezvousMinBackoff
		r.setRendezvous(addr, nil)
		r.onRendezvous(nc) // relay.go: a relay from the server
		select {
		case <-r.ctx.Done():
		case <-nc.Done():
		}
		nc.Close()
		err = nc.Err()
		if err == nil {
			err = fmt.Errorf("the server closed the connection")
		}
		r.setRendezvous(netip.AddrPort{}, err)
	}
}

func (r *Room) dialRendezvous() (*tc.NetConnection, netip.AddrPort, error) {
	ctx, cancel := context.WithTimeout(r.ctx, rendezvousTimeout)
	defer cancel()
	servers := rendezvousServers(r.cfg.Rendezvous)
	var addrs []netip.AddrPort
	names := map[netip.AddrPort]string{}
	var err error
	for _, s := range servers {
		as, e := resolveAllUDP(ctx, s)
		if e != nil {
			err = e
		}
		for _, a := range as {
			if _, dup := names[a]; !dup && len(addrs) < rtmfp.MaxCandidates {
				names[a] = s
				addrs = append(addrs, a)
			}
		}
	}
	if len(addrs) == 0 {
		return nil, netip.AddrPort{}, fmt.Errorf("rendezvous server %s: %w", r.cfg.Rendezvous, err)
	}
	var info []string
	for _, a := range r.registeredAddrs() {
		info = append(info, a.String())
	}
	nc, err := tc.Dial(ctx, r.ep, tc.ConnConfig{
		URL:      "rtmfp://" + servers[0] + "/" + rendezvousApp,
		Addrs:    addrs,
		PeerInfo: info,
	})
	if err != nil {
		return nil, netip.AddrPort{}, r.udpErr(fmt.Errorf("rendezvous server %s: %w", r.cfg.Rendezvous, err))
	}
	addr := nc.Session().FarAddr()
	r.mu.Lock()
	r.rvName = names[addr]
	r.mu.Unlock()
	return nc, addr, nil
}

// rendezvousServers splits Config.Rendezvous into its servers.
func rendezvousServers(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// resolveAllUDP is resolveUDP with every IPv4 address of a host name.
func resolveAllUDP(ctx context.Context, hostport string) ([]netip.AddrPort, error) {
	if a, err := netip.ParseAddrPort(hostport); err == nil {
		return []netip.AddrPort{a}, nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	pn, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
	if err != nil {
		return nil, err
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.AddrPort, 0, len(ips))
	for _, ip := range ips {
		out = append(out, netip.AddrPortFrom(ip.Unmap(), uint16(pn)))
	}
	return out, nil
}

// rendezvousServer is the server to send IHellos to and to name in the
// invite: the one the room is registered on (its address; in invites as
// configured), else the first configured.
func (r *Room) rendezvousServer(forInvite bool) string {
	r.mu.Lock()
	addr, name := r.rvAddr, r.rvName
	r.mu.Unlock()
	switch {
	case addr.IsValid() && forInvite && name != "":
		return name
	case addr.IsValid() && !forInvite:
		return addr.String()
	}
	if s := rendezvousServers(r.cfg.Rendezvous); len(s) > 0 {
		return s[0]
	}
	return ""
}

func (r *Room) setRendezvous(addr netip.AddrPort, err error) {
	r.mu.Lock()
	r.rvAddr = addr
	r.rv.Connected = addr.IsValid()
	r.rv.Err = ""
	if err != nil && r.ctx.Err() == nil {
		r.rv.Err = err.Error()
	}
	r.mu.Unlock()
}
