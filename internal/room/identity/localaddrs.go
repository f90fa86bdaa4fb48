package identity

import (
	"net"
	"net/netip"
	"slices"
	"strings"
)

// virtualPrefixes name interfaces of containers and virtual machines on
// this host: reachable from here, rarely from a friend's machine.
var virtualPrefixes = []string{"docker", "br-", "veth", "virbr", "vmnet", "vboxnet", "lxcbr", "lxdbr", "podman", "cni", "flannel"}

// LocalAddrs returns this host's addresses with port, for the hints of an
// invite: every address of every interface that is up and running, except
// link-local, multicast and unspecified ones, in FormatInvite's order (with
// interfaces of containers and virtual machines after the others of their
// class) and loopback last. It returns nil when port is out of range or
// the interfaces cannot be listed.
func LocalAddrs(port int) []netip.AddrPort {
	if port < 1 || port > 65535 {
		return nil
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	type found struct {
		a       netip.AddrPort
		virtual bool
	}
	var all []found
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&(net.FlagRunning|net.FlagLoopback) == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		virtual := slices.ContainsFunc(virtualPrefixes, func(p string) bool { return strings.HasPrefix(ifc.Name, p) })
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(n.IP)
			if !ok {
				continue
			}
			ap := netip.AddrPortFrom(ip.Unmap(), uint16(port))
			if unusable(ap) != "" {
				continue
			}
			all = append(all, found{ap, virtual})
		}
	}
	slices.SortStableFunc(all, func(x, y found) int {
		if d := hintRank(x.a.Addr()) - hintRank(y.a.Addr()); d != 0 {
			return d
		}
		switch {
		case x.virtual == y.virtual:
			return 0
		case x.virtual:
			return 1
		}
		return -1
	})
	out := make([]netip.AddrPort, 0, len(all))
	for _, f := range all {
		if !slices.Contains(out, f.a) {
			out = append(out, f.a)
		}
	}
	return out
}
