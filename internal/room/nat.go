package room

import (
	"net/netip"

	"camchat/internal/room/identity"
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
