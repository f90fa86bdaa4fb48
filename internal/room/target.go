package room

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
)

// target is what a Join names: a peer and where it might be.
type target struct {
	id         flashcrypto.PeerID
	addrs      []netip.AddrPort
	rendezvous string
}

// parseTarget reads a pasted peer ID or invite (identity.ParseInvite), with
// its words for what is wrong.
func parseTarget(s string) (target, error) {
	inv, err := identity.ParseInvite(s)
	if err != nil {
		return target{}, fmt.Errorf("%w: %w", ErrNotPeerID, err)
	}
	return target{id: inv.PeerID, addrs: inv.Addrs, rendezvous: inv.Rendezvous}, nil
}

// ValidateTarget checks a Join target as the user types it: nil when Join
// would accept it, otherwise the reason in words.
func ValidateTarget(s string) error {
	_, err := parseTarget(s)
	return err
}

// resolveUDP looks up a "host:port" UDP address (IPv4 first: the room's
// socket is IPv4).
func resolveUDP(ctx context.Context, hostport string) (netip.AddrPort, error) {
	if a, err := netip.ParseAddrPort(hostport); err == nil {
		return a, nil
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.AddrPort{}, err
	}
	pn, err := net.DefaultResolver.LookupPort(ctx, "udp", port)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, errors.New("no IPv4 address")
	}
	return netip.AddrPortFrom(ips[0].Unmap(), uint16(pn)), nil
}
