package rendezvous

import "net/netip"

// ipv4Broadcast is the limited broadcast address (RFC 919).
var ipv4Broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// reportable reports whether a setPeerInfo address may be listed in a
// Redirect (RFC 7016 §2.3.5): every initiator that asks for the client
// sends IHellos to each address listed, so an address that names no
// single remote host would let a client aim those IHellos at the
// initiator's own host or network. Unspecified, multicast, broadcast and
// link-local addresses are never reportable (a link-local address means
// nothing on the initiator's link); loopback only when the server itself
// listens on loopback, so that every initiator is on this host too.
func reportable(a netip.AddrPort, loopbackOK bool) bool {
	ip := a.Addr()
	switch {
	case !ip.IsValid(), a.Port() == 0:
		return false
	case ip.IsUnspecified(), ip.IsMulticast(), ip == ipv4Broadcast:
		return false
	case ip.IsLinkLocalUnicast():
		return false
	case ip.IsLoopback():
		return loopbackOK
	}
	return true
}
