package rtmfptest

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Host is a machine with one or more addresses in a realm (public, or
// behind a NAT) and UDP sockets bound to them.
type Host struct {
	net  *Network
	name string

	// Guarded by net.mu.
	realm    *realm
	addrs    []netip.Addr
	conns    map[netip.AddrPort]*Conn
	nextPort uint16
	up, down *Link
	stats    Counters
}

func (r *realm) addHost(name string, addrs []netip.Addr) (*Host, error) {
	n := r.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := r.claim(name, addrs); err != nil {
		return nil, err
	}
	h := &Host{
		net:      n,
		name:     name,
		realm:    r,
		conns:    make(map[netip.AddrPort]*Conn),
		nextPort: 49152,
		up:       newLink(n, name+"/up", LinkConditions{}),
		down:     newLink(n, name+"/down", LinkConditions{}),
	}
	for _, a := range addrs {
		a = a.Unmap()
		h.addrs = append(h.addrs, a)
		r.nodes[a] = h
	}
	n.names[name] = h
	return h, nil
}

func (h *Host) nodeName() string  { return h.name }
func (h *Host) nodeRealm() *realm { return h.realm }
func (h *Host) uplink() *Link     { return h.up }
func (h *Host) downlink() *Link   { return h.down }
func (h *Host) String() string    { return h.name }

// Name returns the host's name.
func (h *Host) Name() string { return h.name }

// Uplink returns the link every datagram leaving the host crosses first
// (its access link, upstream).
func (h *Host) Uplink() *Link { return h.up }

// Downlink returns the link every datagram for the host crosses last.
func (h *Host) Downlink() *Link { return h.down }

// Network returns the network the host belongs to.
func (h *Host) Network() *Network { return h.net }

// Addrs returns the host's current addresses.
func (h *Host) Addrs() []netip.Addr {
	h.net.mu.Lock()
	defer h.net.mu.Unlock()
	return slices.Clone(h.addrs)
}

// Addr returns the host's first address.
func (h *Host) Addr() netip.Addr {
	h.net.mu.Lock()
	defer h.net.mu.Unlock()
	return h.addrs[0]
}

// Stats returns the host's counters.
func (h *Host) Stats() Counters {
	h.net.mu.Lock()
	defer h.net.mu.Unlock()
	return h.stats
}

// Listen binds a UDP socket. The address must be one of the host's, or
// unspecified (0.0.0.0 or ::) or invalid to pick the host's first address
// of that family (IPv4 first for an invalid one). Port 0 picks a free
// ephemeral port.
func (h *Host) Listen(addr netip.AddrPort) (*Conn, error) {
	n := h.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, ErrNetworkClosed
	}
	a := addr.Addr().Unmap()
	switch {
	case !a.IsValid():
		a = h.firstAddr(true)
		if !a.IsValid() {
			a = h.addrs[0]
		}
	case a.IsUnspecified():
		a = h.firstAddr(a.Is4())
	case !slices.Contains(h.addrs, a):
		a = netip.Addr{}
	}
	if !a.IsValid() {
		return nil, fmt.Errorf("rtmfptest: %s: listen %v: not a local address: %w", h.name, addr, ErrBadAddress)
	}
	port := addr.Port()
	if port == 0 {
		for range 1 << 16 {
			p := h.nextPort
			h.nextPort++
			if h.nextPort == 0 {
				h.nextPort = 49152
			}
			if _, used := h.conns[netip.AddrPortFrom(a, p)]; !used {
				port = p
				break
			}
		}
		if port == 0 {
			return nil, fmt.Errorf("rtmfptest: %s: no free port: %w", h.name, ErrAddrInUse)
		}
	}
	ap := netip.AddrPortFrom(a, port)
	if _, used := h.conns[ap]; used {
		return nil, fmt.Errorf("rtmfptest: %s: listen %v: %w", h.name, ap, ErrAddrInUse)
	}
	c := newConn(h, ap)
	h.conns[ap] = c
	return c, nil
}

// ListenPacket mirrors net.ListenPacket: network is "udp", "udp4" or
// "udp6"; address is "host:port" with an IP literal or an empty host.
func (h *Host) ListenPacket(network, address string) (net.PacketConn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("rtmfptest: listen %q: %w: %v", address, ErrBadAddress, err)
	}
	var port uint16
	if portStr != "" {
		p, err := net.LookupPort("udp", portStr)
		if err != nil {
			return nil, fmt.Errorf("rtmfptest: listen %q: %w: %v", address, ErrBadAddress, err)
		}
		port = uint16(p)
	}
	var a netip.Addr
	if host != "" {
		a, err = netip.ParseAddr(host)
		if err != nil {
			return nil, fmt.Errorf("rtmfptest: listen %q: %w: %v", address, ErrBadAddress, err)
		}
	}
	switch {
	case strings.HasSuffix(network, "6") && !a.IsValid():
		a = netip.IPv6Unspecified()
	case strings.HasSuffix(network, "4") && !a.IsValid():
		a = netip.IPv4Unspecified()
	case network != "udp" && network != "udp4" && network != "udp6":
		return nil, fmt.Errorf("rtmfptest: listen %q: network %q: %w", address, network, ErrBadAddress)
	}
	return h.Listen(netip.AddrPortFrom(a, port))
}

func (h *Host) firstAddr(v4 bool) netip.Addr {
	for _, a := range h.addrs {
		if a.Is4() == v4 {
			return a
		}
	}
	return netip.Addr{}
}

// Rebind moves the host from address old to address new, as when a laptop
// changes networks: every socket bound to old keeps its port and from now on
// sends from, and receives at, new. Datagrams in flight to old are lost
// (DropNoRoute or DropNoListener).
func (h *Host) Rebind(old, new netip.Addr) error {
	n := h.net
	n.mu.Lock()
	defer n.mu.Unlock()
	old, new = old.Unmap(), new.Unmap()
	i := slices.Index(h.addrs, old)
	if i < 0 {
		return fmt.Errorf("rtmfptest: %s: rebind from %v: not a local address: %w", h.name, old, ErrBadAddress)
	}
	if !new.IsValid() || new.IsUnspecified() || new.Is4() != old.Is4() {
		return fmt.Errorf("rtmfptest: %s: rebind to %v: %w", h.name, new, ErrBadAddress)
	}
	if _, used := h.realm.nodes[new]; used {
		return fmt.Errorf("rtmfptest: %s: rebind to %v: %w", h.name, new, ErrAddrInUse)
	}
	delete(h.realm.nodes, old)
	h.realm.nodes[new] = h
	h.addrs[i] = new
	var moved []*Conn
	for ap, c := range h.conns {
		if ap.Addr() == old {
			delete(h.conns, ap)
			moved = append(moved, c)
		}
	}
	for _, c := range moved {
		c.local = netip.AddrPortFrom(new, c.local.Port())
		h.conns[c.local] = c
	}
	return nil
}

// MoveTo moves the host into another realm, behind nat or into the public
// realm when nat is nil, with new addresses: a laptop going from home Wi-Fi
// to a mobile network. Each socket keeps its port and moves to the first new
// address of its family, so there must be one for every family in use.
// Datagrams in flight to the old addresses are lost.
func (h *Host) MoveTo(nat *NAT, addrs ...netip.Addr) error {
	n := h.net
	to := n.public
	if nat != nil {
		to = nat.inside
	}
	if len(addrs) == 0 {
		return fmt.Errorf("rtmfptest: %s: move: no address: %w", h.name, ErrBadAddress)
	}
	addrs = slices.Clone(addrs)
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, a := range addrs {
		addrs[i] = a.Unmap()
		if !a.IsValid() || a.IsUnspecified() || a.Zone() != "" {
			return fmt.Errorf("rtmfptest: %s: move to %v: %w", h.name, a, ErrBadAddress)
		}
		if other, used := to.nodes[addrs[i]]; used && other != h {
			return fmt.Errorf("rtmfptest: %s: move to %v: %w", h.name, a, ErrAddrInUse)
		}
	}
	first := func(v4 bool) netip.Addr {
		for _, a := range addrs {
			if a.Is4() == v4 {
				return a
			}
		}
		return netip.Addr{}
	}
	for ap := range h.conns {
		if !first(ap.Addr().Is4()).IsValid() {
			return fmt.Errorf("rtmfptest: %s: move: no new address for the socket at %v: %w", h.name, ap, ErrBadAddress)
		}
	}
	for _, a := range h.addrs {
		delete(h.realm.nodes, a)
	}
	h.realm = to
	h.addrs = addrs
	for _, a := range h.addrs {
		to.nodes[a] = h
	}
	old := h.conns
	h.conns = make(map[netip.AddrPort]*Conn, len(old))
	for _, c := range old {
		c.local = netip.AddrPortFrom(first(c.local.Addr().Is4()), c.local.Port())
		if _, dup := h.conns[c.local]; dup {
			// Two sockets on different old addresses with one port now
			// collide: the later one is closed, as the OS would fail it.
			c.closed = true
			c.closeOnce.Do(func() { close(c.done) })
			continue
		}
		h.conns[c.local] = c
	}
	return nil
}

// deliver queues p to the socket bound to p.dst (n.mu held).
func (h *Host) deliver(now time.Time, p packet) {
	n := h.net
	c, ok := h.conns[p.dst]
	if !ok {
		h.stats.Dropped[DropNoListener]++
		n.drop(now, h.name, DropNoListener, &p)
		return
	}
	select {
	case c.inbox <- p:
		c.stats.Delivered++
		h.stats.Delivered++
		n.stats.Delivered++
		if n.trace != nil {
			n.trace(TraceEvent{Kind: TraceDeliver, Time: now, Where: h.name, Src: p.src, Dst: p.dst, Payload: p.payload})
		}
	default:
		c.stats.Dropped[DropRecvQueueFull]++
		h.stats.Dropped[DropRecvQueueFull]++
		n.drop(now, h.name, DropRecvQueueFull, &p)
	}
}
