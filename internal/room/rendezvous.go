package room

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/tc"
)

// The rendezvous connection: like a Flash client of Stratus/Cirrus, the
// room connects to the server and registers its addresses (setPeerInfo), so
// that peers who know only its peer ID reach it through an introduction
// (RFC 7016 §3.5.1.4; design: "Finding each other"). It reconnects with
// backoff while the room lives; a call in progress never depends on it.
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
	addr, err := resolveUDP(ctx, r.cfg.Rendezvous)
	if err != nil {
		return nil, addr, fmt.Errorf("rendezvous server %s: %w", r.cfg.Rendezvous, err)
	}
	var info []string
	for _, a := range r.registeredAddrs() {
		info = append(info, a.String())
	}
	nc, err := tc.Dial(ctx, r.ep, tc.ConnConfig{
		URL:      "rtmfp://" + r.cfg.Rendezvous + "/" + rendezvousApp,
		Addrs:    []netip.AddrPort{addr},
		PeerInfo: info,
	})
	if err != nil {
		return nil, addr, r.udpErr(fmt.Errorf("rendezvous server %s: %w", r.cfg.Rendezvous, err))
	}
	return nc, addr, nil
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
