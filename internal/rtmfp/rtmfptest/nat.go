package rtmfptest

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// MappingBehavior says when a NAT reuses a public port (RFC 4787 §4.1).
type MappingBehavior int

const (
	// MappingEndpointIndependent reuses one public port for every
	// destination of an inside endpoint: the common home NAT.
	MappingEndpointIndependent MappingBehavior = iota
	// MappingAddressDependent gives each destination IP its own port.
	MappingAddressDependent
	// MappingAddressAndPortDependent gives each destination IP and port its
	// own port: a "symmetric" NAT, which defeats plain hole punching.
	MappingAddressAndPortDependent
)

// FilteringBehavior says which inbound datagrams a mapping admits
// (RFC 4787 §5). The zero value is the common home NAT.
type FilteringBehavior int

const (
	// FilteringAddressDependent admits datagrams from any port of an IP
	// that the inside endpoint has sent to through the mapping.
	FilteringAddressDependent FilteringBehavior = iota
	// FilteringEndpointIndependent admits datagrams from anyone ("full cone").
	FilteringEndpointIndependent
	// FilteringAddressAndPortDependent admits datagrams only from the exact
	// IP and port the inside endpoint has sent to ("port restricted").
	FilteringAddressAndPortDependent
)

// DefaultMappingTimeout is the NAT mapping lifetime when
// NATConfig.MappingTimeout is zero (RFC 4787 REQ-5 asks for at least 2 min).
const DefaultMappingTimeout = 2 * time.Minute

// NATConfig configures a NAT.
type NATConfig struct {
	Name string
	// Public holds the NAT's outside addresses, at most one per family.
	// Datagrams of a family the NAT has no address for are dropped
	// (DropNoRoute) on the way out.
	Public    []netip.Addr
	Mapping   MappingBehavior
	Filtering FilteringBehavior
	// MappingTimeout is how long a mapping and its filter permissions live
	// after the last outbound datagram; inbound traffic does not refresh
	// them, so inside endpoints must keep the mapping alive themselves.
	// 0 means DefaultMappingTimeout.
	MappingTimeout time.Duration
	// FirstPort is the first public port handed out; 0 means 20000. Ports
	// are then handed out in increasing order and never reused, so a new
	// mapping always has a port different from any earlier one.
	FirstPort uint16
}

// NAT translates between a private realm of hosts (and NATs) behind it and
// the realm its public addresses live in. Mapping and filtering state is
// checked when a datagram reaches the NAT, at its virtual arrival time.
type NAT struct {
	net  *Network
	name string

	// Constant after creation.
	mapping   MappingBehavior
	filtering FilteringBehavior
	timeout   time.Duration
	inside    *realm

	// Guarded by net.mu.
	realm    *realm // where the public addresses live
	public   []netip.Addr
	nextPort uint16
	byKey    map[mapKey]*natMapping
	byPublic map[netip.AddrPort]*natMapping
	up, down *Link
	stats    Counters
}

type mapKey struct {
	inside netip.AddrPort
	remote netip.AddrPort // masked by the mapping behavior
}

type natMapping struct {
	key     mapKey
	public  netip.AddrPort
	expires time.Time
	permits map[netip.AddrPort]time.Time // filter key -> expiry
}

// MappingInfo describes one live NAT mapping.
type MappingInfo struct {
	Inside  netip.AddrPort // private endpoint
	Public  netip.AddrPort // its translation
	Remote  netip.AddrPort // destination the mapping is tied to (zero for endpoint-independent; port 0 for address-dependent)
	Expires time.Time
}

func (r *realm) addNAT(cfg NATConfig) (*NAT, error) {
	n := r.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := r.claim(cfg.Name, cfg.Public); err != nil {
		return nil, err
	}
	var v4, v6 int
	for _, a := range cfg.Public {
		if a.Unmap().Is4() {
			v4++
		} else {
			v6++
		}
	}
	if v4 > 1 || v6 > 1 {
		return nil, fmt.Errorf("rtmfptest: add NAT %q: more than one address per family: %w", cfg.Name, ErrBadAddress)
	}
	t := &NAT{
		net:       n,
		name:      cfg.Name,
		mapping:   cfg.Mapping,
		filtering: cfg.Filtering,
		timeout:   cmp.Or(cfg.MappingTimeout, DefaultMappingTimeout),
		realm:     r,
		nextPort:  cmp.Or(cfg.FirstPort, 20000),
		byKey:     make(map[mapKey]*natMapping),
		byPublic:  make(map[netip.AddrPort]*natMapping),
		up:        newLink(n, cfg.Name+"/up", LinkConditions{}),
		down:      newLink(n, cfg.Name+"/down", LinkConditions{}),
	}
	t.inside = newRealm(n, t)
	for _, a := range cfg.Public {
		a = a.Unmap()
		t.public = append(t.public, a)
		r.nodes[a] = t
	}
	n.names[cfg.Name] = t
	return t, nil
}

func (t *NAT) nodeName() string  { return t.name }
func (t *NAT) nodeRealm() *realm { return t.realm }
func (t *NAT) uplink() *Link     { return t.up }
func (t *NAT) downlink() *Link   { return t.down }
func (t *NAT) String() string    { return t.name }

// Name returns the NAT's name.
func (t *NAT) Name() string { return t.name }

// Uplink returns the link from the NAT towards its realm (the access
// link's upstream direction: the usual place for a home bottleneck).
func (t *NAT) Uplink() *Link { return t.up }

// Downlink returns the link from the NAT's realm into the NAT.
func (t *NAT) Downlink() *Link { return t.down }

// AddHost adds a host behind the NAT, with private addresses.
func (t *NAT) AddHost(name string, addrs ...netip.Addr) (*Host, error) {
	return t.inside.addHost(name, addrs)
}

// AddNAT adds a NAT behind this one (carrier-grade NAT below a home NAT).
func (t *NAT) AddNAT(cfg NATConfig) (*NAT, error) {
	return t.inside.addNAT(cfg)
}

// PublicAddrs returns the NAT's outside addresses.
func (t *NAT) PublicAddrs() []netip.Addr {
	t.net.mu.Lock()
	defer t.net.mu.Unlock()
	return slices.Clone(t.public)
}

// Stats returns the NAT's counters.
func (t *NAT) Stats() Counters {
	t.net.mu.Lock()
	defer t.net.mu.Unlock()
	return t.stats
}

// Mappings returns the live mappings, ordered by public port.
func (t *NAT) Mappings() []MappingInfo {
	t.net.mu.Lock()
	defer t.net.mu.Unlock()
	now := time.Now()
	var out []MappingInfo
	for _, m := range t.byKey {
		if m.expires.After(now) {
			out = append(out, MappingInfo{Inside: m.key.inside, Public: m.public, Remote: m.key.remote, Expires: m.expires})
		}
	}
	slices.SortFunc(out, func(a, b MappingInfo) int { return cmp.Compare(a.Public.Port(), b.Public.Port()) })
	return out
}

// FlushMappings forgets every mapping, as a NAT reboot or an aggressive
// timeout would: the next outbound datagram of each inside endpoint gets a
// new public port, and the peers' view of it changes.
func (t *NAT) FlushMappings() {
	t.net.mu.Lock()
	defer t.net.mu.Unlock()
	clear(t.byKey)
	clear(t.byPublic)
}

// Rebind changes one of the NAT's public addresses (a new lease from the
// ISP) and flushes all mappings.
func (t *NAT) Rebind(old, new netip.Addr) error {
	n := t.net
	n.mu.Lock()
	defer n.mu.Unlock()
	old, new = old.Unmap(), new.Unmap()
	i := slices.Index(t.public, old)
	if i < 0 {
		return fmt.Errorf("rtmfptest: %s: rebind from %v: not a public address: %w", t.name, old, ErrBadAddress)
	}
	if !new.IsValid() || new.IsUnspecified() || new.Is4() != old.Is4() {
		return fmt.Errorf("rtmfptest: %s: rebind to %v: %w", t.name, new, ErrBadAddress)
	}
	if _, used := t.realm.nodes[new]; used {
		return fmt.Errorf("rtmfptest: %s: rebind to %v: %w", t.name, new, ErrAddrInUse)
	}
	delete(t.realm.nodes, old)
	t.realm.nodes[new] = t
	t.public[i] = new
	clear(t.byKey)
	clear(t.byPublic)
	return nil
}

func (t *NAT) publicAddr(v4 bool) netip.Addr {
	for _, a := range t.public {
		if a.Is4() == v4 {
			return a
		}
	}
	return netip.Addr{}
}

func (t *NAT) mapKey(p *packet) mapKey {
	k := mapKey{inside: p.src}
	switch t.mapping {
	case MappingAddressDependent:
		k.remote = netip.AddrPortFrom(p.dst.Addr(), 0)
	case MappingAddressAndPortDependent:
		k.remote = p.dst
	}
	return k
}

func (t *NAT) filterKey(remote netip.AddrPort) netip.AddrPort {
	switch t.filtering {
	case FilteringEndpointIndependent:
		return netip.AddrPort{}
	case FilteringAddressDependent:
		return netip.AddrPortFrom(remote.Addr(), 0)
	default:
		return remote
	}
}

func (t *NAT) remove(m *natMapping) {
	delete(t.byKey, m.key)
	if t.byPublic[m.public] == m {
		delete(t.byPublic, m.public)
	}
}

// outbound translates p's source, creating or refreshing a mapping
// (n.mu held). It reports false if p was dropped.
func (t *NAT) outbound(now time.Time, p *packet) bool {
	pub := t.publicAddr(p.src.Addr().Is4())
	if !pub.IsValid() {
		t.stats.Dropped[DropNoRoute]++
		t.net.drop(now, t.name, DropNoRoute, p)
		return false
	}
	k := t.mapKey(p)
	m := t.byKey[k]
	if m != nil && !m.expires.After(now) {
		t.remove(m)
		m = nil
	}
	if m == nil {
		var port uint16
		for range 1 << 16 {
			cand := t.nextPort
			t.nextPort++
			if t.nextPort == 0 {
				t.nextPort = 1024
			}
			old := t.byPublic[netip.AddrPortFrom(pub, cand)]
			if old == nil || !old.expires.After(now) {
				if old != nil {
					t.remove(old)
				}
				port = cand
				break
			}
		}
		if port == 0 {
			t.stats.Dropped[DropNoRoute]++
			t.net.drop(now, t.name, DropNoRoute, p)
			return false
		}
		m = &natMapping{key: k, public: netip.AddrPortFrom(pub, port), permits: make(map[netip.AddrPort]time.Time)}
		t.byKey[k] = m
		t.byPublic[m.public] = m
	}
	exp := now.Add(t.timeout)
	m.expires = exp
	m.permits[t.filterKey(p.dst)] = exp
	p.src = m.public
	t.stats.Sent++
	return true
}

// inbound checks p against the mapping and filter for its destination and
// translates the destination to the inside endpoint (n.mu held). It
// reports false if p was dropped.
func (t *NAT) inbound(now time.Time, p *packet) bool {
	m := t.byPublic[p.dst]
	if m == nil || !m.expires.After(now) {
		t.stats.Dropped[DropFiltered]++
		t.net.drop(now, t.name, DropFiltered, p)
		return false
	}
	if exp, ok := m.permits[t.filterKey(p.src)]; !ok || !exp.After(now) {
		t.stats.Dropped[DropFiltered]++
		t.net.drop(now, t.name, DropFiltered, p)
		return false
	}
	p.dst = m.key.inside
	t.stats.Delivered++
	return true
}
