package rtmfp

import "net/netip"

// usableAddr reports whether a is an address an unauthenticated or merely
// session-authenticated far end may make us send to: a reply address of an
// FIHello (RFC 7016 §3.5.1.4) or a Redirect candidate (RFC 7016 §3.5.1.1).
// Such addresses are chosen by the far end, so without this check it could
// aim our IHellos and RHellos at third parties: the unspecified address,
// multicast, the IPv4 limited broadcast, port 0 and loopback services of our
// own host are refused. Loopback is allowed when our own socket is on
// loopback (everything is local then) or when the informant that told us the
// address is itself on loopback (a local process can reach loopback anyway);
// link-local unicast likewise only when our socket or the informant is
// link-local (on the same link).
func (e *engine) usableAddr(a, informant netip.AddrPort) bool {
	if !a.IsValid() || a.Port() == 0 {
		return false
	}
	ip := a.Addr().Unmap()
	switch {
	case ip.IsUnspecified(), ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return false
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return false
	case ip.IsLoopback():
		return e.localLoopback || informant.Addr().Unmap().IsLoopback()
	case ip.IsLinkLocalUnicast():
		return e.localLinkLocal || informant.Addr().Unmap().IsLinkLocalUnicast()
	}
	return true
}
