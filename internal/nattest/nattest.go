package nattest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// ErrUnsupported: the machine cannot build test networks (not root, no
// namespaces, or a command missing). New skips the test instead.
var ErrUnsupported = errors.New("nattest: network namespaces unavailable")

// Kind is a NAT's behaviour (RFC 4787 §4.1 mapping, §5 filtering).
type Kind int

const (
	// PortRestricted: endpoint-independent mapping (masquerade keeps the
	// source port while it is free, so every destination sees one public
	// port) and address-and-port-dependent filtering (only replies within
	// a conntrack entry come in): the common home router.
	PortRestricted Kind = iota + 1
	// FullCone: endpoint-independent mapping and filtering: anyone may
	// send to a mapped port (an explicit DNAT of every UDP port to the
	// NAT's first host).
	FullCone
	// AddressRestricted: endpoint-independent mapping, address-dependent
	// filtering: any port of an address the host has sent to may send to
	// its mapped port.
	AddressRestricted
	// Symmetric: address-and-port-dependent mapping (masquerade with
	// random ports: a new public port for each destination) and
	// address-and-port-dependent filtering.
	Symmetric
)

func (k Kind) String() string {
	switch k {
	case PortRestricted:
		return "port-restricted"
	case FullCone:
		return "full-cone"
	case AddressRestricted:
		return "address-restricted"
	case Symmetric:
		return "symmetric"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// The public segment and the home LANs. Nothing routes between them and
// the machine's own interfaces: the segment lives on a bridge in the core
// namespace, which has no other link.
var (
	publicPrefix = netip.MustParsePrefix("198.18.0.0/24")
)

// Network is one test network: a core namespace with the public segment,
// and the servers, NATs and hosts attached to it. Methods are safe for
// concurrent use.
type Network struct {
	t      testing.TB
	prefix string // namespace name prefix, unique per network
	core   string // namespace of the public bridge

	mu         sync.Mutex
	namespaces []string // created, removed by Close in reverse order
	nextPublic int      // last octet of the next public address
	nextLAN    int      // third octet of the next home LAN
	nextVeth   int
	names      map[string]bool
	closed     bool
}

// Host is a machine on the test network: on the public segment (a
// server) or behind a NAT.
type Host struct {
	n    *Network
	Name string
	// NS is the namespace's name (for ip netns exec).
	NS string
	// Addr is the host's address: public, or private behind its NAT.
	Addr netip.Addr
	// NAT is the router the host sits behind, nil on the public segment.
	NAT *NAT
}

// NAT is a home router: a namespace with a WAN link on the public segment
// and a LAN bridge for its hosts.
type NAT struct {
	n      *Network
	Name   string
	NS     string
	Kind   Kind
	Public netip.Addr // the WAN address

	lan   netip.Prefix
	mu    sync.Mutex
	hosts []*Host
	// portRange is the masquerade port range ("" keeps ports); Rebind
	// moves it.
	portRange string
	rebinds   int
	// open: no input firewall (SetInputFirewall).
	open bool
}

// SetKind changes how the router filters from now on, among the kinds
// with endpoint-independent mapping (port-restricted, address-restricted,
// full cone), keeping its mappings: a path that was filtered may open.
func (nat *NAT) SetKind(kind Kind) error {
	if kind == Symmetric || nat.Kind == Symmetric || kind < PortRestricted || kind > Symmetric {
		return fmt.Errorf("nattest: SetKind from %v to %v (only between endpoint-independent kinds)", nat.Kind, kind)
	}
	nat.mu.Lock()
	nat.Kind = kind
	nat.mu.Unlock()
	return nat.writeRules()
}

// SetInputFirewall turns the router's input firewall on (the default) or
// off. Without one, a datagram from outside to a port nothing is mapped
// to reaches the router itself, and conntrack keeps an entry for it: a
// host's first datagram to that sender then clashes with the entry and
// masquerade gives it another public port (routers seen in the wild do
// this, and it defeats hole punching when the peer's packet comes first).
func (nat *NAT) SetInputFirewall(on bool) error {
	nat.mu.Lock()
	nat.open = !on
	nat.mu.Unlock()
	return nat.writeRules()
}

// New builds an empty test network (the core namespace and its bridge)
// and removes everything it made when the test ends. Without root or the
// tools it skips the test, saying why.
func New(t testing.TB) *Network {
	t.Helper()
	if err := Supported(); err != nil {
		t.Skip(err.Error())
	}
	var b [3]byte
	rand.Read(b[:])
	n := &Network{t: t, prefix: "cc" + hex.EncodeToString(b[:]), nextPublic: 2, nextLAN: 1, names: map[string]bool{}}
	t.Cleanup(n.Close)
	n.core = n.prefix + "-core"
	if err := n.addNamespace(n.core); err != nil {
		t.Skipf("nattest: cannot create a network namespace (%v): run the tests as root on Linux", err)
	}
	if err := n.ipBatch(n.core,
		"link add br0 type bridge",
		"link set br0 up",
	); err != nil {
		t.Fatal(err)
	}
	return n
}

// Supported reports why test networks cannot be built here (nil when
// they can): not root, or ip, nft or tc missing.
func Supported() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: not root (network namespaces need root: run make test as root)", ErrUnsupported)
	}
	for _, c := range []string{"ip", "nft", "tc"} {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("%w: the %s command is missing (Debian packages iproute2 and nftables)", ErrUnsupported, c)
		}
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return nil
}

// Close removes every namespace of the network (and with them their
// links, rules and sockets' routes). The test's cleanup calls it.
func (n *Network) Close() {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	nss := n.namespaces
	n.mu.Unlock()
	for i := len(nss) - 1; i >= 0; i-- {
		if out, err := exec.Command("ip", "netns", "del", nss[i]).CombinedOutput(); err != nil {
			n.t.Logf("nattest: removing namespace %s: %v: %s", nss[i], err, out)
		}
	}
}

func (n *Network) claim(name string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.names[name] {
		return fmt.Errorf("nattest: name %q in use", name)
	}
	if name == "" || len(name) > 20 || strings.ContainsAny(name, "/ \t") {
		return fmt.Errorf("nattest: bad name %q", name)
	}
	n.names[name] = true
	return nil
}

func (n *Network) addNamespace(ns string) error {
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add %s: %v: %s", ns, err, bytes.TrimSpace(out))
	}
	n.mu.Lock()
	n.namespaces = append(n.namespaces, ns)
	n.mu.Unlock()
	if err := n.ipBatch(ns, "link set lo up"); err != nil {
		return err
	}
	// Sockets see ICMP errors only where asked; routers answer nothing.
	return run(nil, "ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0")
}

// publicAddr hands out the next address on the public segment.
func (n *Network) publicAddr() (netip.Addr, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.nextPublic > 250 {
		return netip.Addr{}, errors.New("nattest: public segment full")
	}
	b := publicPrefix.Addr().As4()
	b[3] = byte(n.nextPublic)
	n.nextPublic++
	return netip.AddrFrom4(b), nil
}

func (n *Network) vethName() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.nextVeth++
	return fmt.Sprintf("v%d", n.nextVeth)
}

// attachPublic links namespace ns to the public bridge as interface ifname
// with address a.
func (n *Network) attachPublic(ns, ifname string, a netip.Addr) error {
	peer := n.vethName()
	if err := run(nil, "ip", "link", "add", ifname, "netns", ns, "type", "veth", "peer", "name", peer, "netns", n.core); err != nil {
		return err
	}
	if err := n.ipBatch(n.core, "link set "+peer+" master br0", "link set "+peer+" up"); err != nil {
		return err
	}
	return n.ipBatch(ns,
		fmt.Sprintf("addr add %s/%d dev %s", a, publicPrefix.Bits(), ifname),
		"link set "+ifname+" up",
	)
}

// AddServer adds a host on the public segment (a rendezvous or relay
// server, or a peer with a public address).
func (n *Network) AddServer(name string) *Host {
	n.t.Helper()
	h, err := n.addServer(name)
	if err != nil {
		n.t.Fatal(err)
	}
	return h
}

func (n *Network) addServer(name string) (*Host, error) {
	if err := n.claim(name); err != nil {
		return nil, err
	}
	ns := n.prefix + "-" + name
	if err := n.addNamespace(ns); err != nil {
		return nil, err
	}
	a, err := n.publicAddr()
	if err != nil {
		return nil, err
	}
	if err := n.attachPublic(ns, "eth0", a); err != nil {
		return nil, err
	}
	return &Host{n: n, Name: name, NS: ns, Addr: a}, nil
}

// AddNAT adds a router of the given kind with a WAN address on the public
// segment and an empty home LAN (192.168.x.0/24, the router at .1).
func (n *Network) AddNAT(name string, kind Kind) *NAT {
	n.t.Helper()
	nat, err := n.addNAT(name, kind)
	if err != nil {
		n.t.Fatal(err)
	}
	return nat
}

func (n *Network) addNAT(name string, kind Kind) (*NAT, error) {
	if kind < PortRestricted || kind > Symmetric {
		return nil, fmt.Errorf("nattest: unknown NAT kind %d", kind)
	}
	if err := n.claim(name); err != nil {
		return nil, err
	}
	ns := n.prefix + "-" + name
	if err := n.addNamespace(ns); err != nil {
		return nil, err
	}
	a, err := n.publicAddr()
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	if n.nextLAN > 250 {
		n.mu.Unlock()
		return nil, errors.New("nattest: too many NATs")
	}
	lan := netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(n.nextLAN), 1}), 24)
	n.nextLAN++
	n.mu.Unlock()
	nat := &NAT{n: n, Name: name, NS: ns, Kind: kind, Public: a, lan: lan}
	if err := n.attachPublic(ns, "wan", a); err != nil {
		return nil, err
	}
	if err := n.ipBatch(ns,
		"link add lan type bridge",
		fmt.Sprintf("addr add %s dev lan", lan),
		"link set lan up",
	); err != nil {
		return nil, err
	}
	if err := run(nil, "ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"); err != nil {
		return nil, err
	}
	return nat, nil
}

// AddHost adds a host on the NAT's LAN, its default route through the NAT.
// A full-cone or address-restricted NAT forwards inbound datagrams to its
// first host (its DMZ host).
func (nat *NAT) AddHost(name string) *Host {
	n := nat.n
	n.t.Helper()
	h, err := nat.addHost(name)
	if err != nil {
		n.t.Fatal(err)
	}
	return h
}

func (nat *NAT) addHost(name string) (*Host, error) {
	n := nat.n
	if err := n.claim(name); err != nil {
		return nil, err
	}
	nat.mu.Lock()
	k := len(nat.hosts)
	nat.mu.Unlock()
	if k > 200 {
		return nil, errors.New("nattest: LAN full")
	}
	b := nat.lan.Addr().As4()
	b[3] = byte(2 + k)
	a := netip.AddrFrom4(b)
	ns := n.prefix + "-" + name
	if err := n.addNamespace(ns); err != nil {
		return nil, err
	}
	peer := n.vethName()
	if err := run(nil, "ip", "link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", peer, "netns", nat.NS); err != nil {
		return nil, err
	}
	if err := n.ipBatch(nat.NS, "link set "+peer+" master lan", "link set "+peer+" up"); err != nil {
		return nil, err
	}
	if err := n.ipBatch(ns,
		fmt.Sprintf("addr add %s/%d dev eth0", a, nat.lan.Bits()),
		"link set eth0 up",
		"route add default via "+nat.lan.Addr().String(),
	); err != nil {
		return nil, err
	}
	h := &Host{n: n, Name: name, NS: ns, Addr: a, NAT: nat}
	nat.mu.Lock()
	nat.hosts = append(nat.hosts, h)
	first := len(nat.hosts) == 1
	nat.mu.Unlock()
	if first {
		if err := nat.writeRules(); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// AddBehindNAT adds a NAT of the given kind named name+"-nat" with one
// host, name, behind it.
func (n *Network) AddBehindNAT(name string, kind Kind) *Host {
	n.t.Helper()
	return n.AddNAT(name+"-nat", kind).AddHost(name)
}

// writeRules (re)writes the NAT's nftables rules: translation, filtering,
// and an empty loss chain.
func (nat *NAT) writeRules() error {
	nat.mu.Lock()
	dmz := nat.hosts[0].Addr
	input := `iifname "wan" drop`
	if nat.open {
		input = ""
	}
	masq := "masquerade"
	if nat.Kind == Symmetric {
		masq = "masquerade random"
	}
	if nat.portRange != "" {
		// A port range needs a transport protocol match; other
		// protocols keep the plain masquerade.
		r := "meta l4proto udp masquerade to :" + nat.portRange
		if nat.Kind == Symmetric {
			r += " random"
		}
		masq = r + "\n\t\toifname \"wan\" " + masq
	}
	nat.mu.Unlock()
	var pre, fwdIn string
	switch nat.Kind {
	case FullCone:
		pre = fmt.Sprintf(`iifname "wan" meta l4proto udp dnat to %s`, dmz)
		fwdIn = `ct status dnat accept`
	case AddressRestricted:
		pre = fmt.Sprintf(`iifname "wan" ip saddr . udp dport @contacted dnat to %s`, dmz)
		fwdIn = `ct status dnat accept`
	}
	update := ""
	if nat.Kind == AddressRestricted {
		update = `meta l4proto udp update @contacted { ip daddr . udp sport }`
	}
	rules := fmt.Sprintf(`
table ip nattest
delete table ip nattest
table ip nattest {
	set contacted {
		type ipv4_addr . inet_service
		flags dynamic, timeout
		timeout 2m
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		%s
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" %s
	}
	chain loss {
		type filter hook forward priority -10; policy accept;
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "lan" oifname "wan" %s accept
		%s
	}
	chain input {
		type filter hook input priority filter; policy accept;
		%s
	}
}
`, pre, masq, update, fwdIn, input)
	return nat.nft(rules)
}

func (nat *NAT) nft(rules string) error {
	return run(strings.NewReader(rules), "ip", "netns", "exec", nat.NS, "nft", "-f", "-")
}

// SetLoss drops datagrams passing the NAT at random: up the fraction
// leaving for the public segment, down the fraction coming in (0..1,
// resolution 0.1 %).
func (nat *NAT) SetLoss(up, down float64) error {
	var b strings.Builder
	b.WriteString("flush chain ip nattest loss\n")
	for _, x := range []struct {
		dir string
		p   float64
	}{{`oifname "wan"`, up}, {`iifname "wan"`, down}} {
		if x.p <= 0 {
			continue
		}
		fmt.Fprintf(&b, "add rule ip nattest loss %s numgen random mod 1000 < %d drop\n", x.dir, int(x.p*1000+0.5))
	}
	return nat.nft(b.String())
}

// SetRate limits the NAT's WAN link with tbf: up bits per second leaving,
// down coming in (0: unlimited), each with a queue of at most queue.
func (nat *NAT) SetRate(up, down int, queue time.Duration) error {
	// The downlink is shaped on the bridge side of the WAN link: find the
	// peer interface in the core namespace by its index.
	peer, err := nat.n.corePeerOf(nat.NS, "wan")
	if err != nil {
		return err
	}
	if err := shape(nat.NS, "wan", up, queue); err != nil {
		return err
	}
	return shape(nat.n.core, peer, down, queue)
}

func shape(ns, dev string, rate int, queue time.Duration) error {
	if rate <= 0 {
		// Deleting a qdisc that is not there fails: ignore.
		run(nil, "tc", "-n", ns, "qdisc", "del", "dev", dev, "root")
		return nil
	}
	// Burst: 10 ms at the rate, at least two full-size packets.
	burst := max(rate/8/100, 3000)
	if queue <= 0 {
		queue = 100 * time.Millisecond
	}
	return run(nil, "tc", "-n", ns, "qdisc", "replace", "dev", dev, "root", "tbf",
		"rate", fmt.Sprintf("%dbit", rate), "burst", fmt.Sprint(burst),
		"latency", fmt.Sprintf("%dms", queue.Milliseconds()))
}

// corePeerOf names the core namespace's end of ns's veth dev.
func (n *Network) corePeerOf(ns, dev string) (string, error) {
	out, err := exec.Command("ip", "-n", ns, "-o", "link", "show", dev).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ip link show %s: %v: %s", dev, err, out)
	}
	// "2: wan@if7: ..." : the peer's index follows "@if".
	s := string(out)
	i := strings.Index(s, "@if")
	if i < 0 {
		return "", fmt.Errorf("nattest: %s is not a veth: %s", dev, s)
	}
	j := strings.IndexByte(s[i:], ':')
	idx := s[i+3 : i+j]
	out, err = exec.Command("ip", "-n", n.core, "-o", "link").CombinedOutput()
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, idx+": ") {
			name := strings.TrimPrefix(l, idx+": ")
			if k := strings.IndexAny(name, "@:"); k > 0 {
				return name[:k], nil
			}
		}
	}
	return "", fmt.Errorf("nattest: no interface %s in the core namespace", idx)
}

// Rebind makes the NAT forget its mappings and hand out different public
// ports from now on, as a router that restarts or whose mappings expire
// does: the masquerade moves to a new port range and conntrack is
// flushed. Existing flows get new ports with their next outbound
// datagram; inbound datagrams to the old ports are dropped.
func (nat *NAT) Rebind() error {
	if nat.Kind != PortRestricted && nat.Kind != Symmetric {
		return fmt.Errorf("nattest: Rebind of a %v NAT (only port-restricted and symmetric)", nat.Kind)
	}
	nat.mu.Lock()
	nat.rebinds++
	lo := 20000 + (nat.rebinds%4)*10000
	nat.portRange = fmt.Sprintf("%d-%d", lo, lo+9999)
	nat.mu.Unlock()
	if err := nat.writeRules(); err != nil {
		return err
	}
	return inNamespace(nat.NS, flushConntrack)
}

// ListenUDP opens a UDP socket in the host's namespace on its address
// (port 0: any). The socket stays in that namespace for its life.
func (h *Host) ListenUDP(port int) (*net.UDPConn, error) {
	var c *net.UDPConn
	err := inNamespace(h.NS, func() error {
		var err error
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(h.Addr, uint16(port))))
		return err
	})
	return c, err
}

// Listen opens a socket of network ("tcp4", "udp4") in the host's
// namespace on address (":0" for any port on every address).
func (h *Host) Listen(network, address string) (net.Listener, error) {
	var l net.Listener
	err := inNamespace(h.NS, func() error {
		var err error
		l, err = net.Listen(network, address)
		return err
	})
	return l, err
}

// Command prepares a program to run in the host's namespace.
func (h *Host) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.NS, name}, args...)...)
}

// BlockUDP drops every UDP datagram the host sends or receives (a
// firewall that allows only TCP); on false it lifts the block.
func (h *Host) BlockUDP(block bool) error {
	rules := "table ip nattest-block\ndelete table ip nattest-block\n"
	if block {
		rules += `table ip nattest-block {
	chain out { type filter hook output priority filter; policy accept; meta l4proto udp oifname != "lo" drop; }
	chain in { type filter hook input priority filter; policy accept; meta l4proto udp iifname != "lo" drop; }
}
`
	}
	return run(strings.NewReader(rules), "ip", "netns", "exec", h.NS, "nft", "-f", "-")
}

// ipBatch runs ip commands in namespace ns.
func (n *Network) ipBatch(ns string, cmds ...string) error {
	return run(strings.NewReader(strings.Join(cmds, "\n")+"\n"), "ip", "-n", ns, "-batch", "-")
}

func run(stdin *strings.Reader, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("nattest: %s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}
