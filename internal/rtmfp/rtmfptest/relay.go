package rtmfptest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Relay defaults.
const (
	DefaultRelayIdleTimeout = 2 * time.Minute
	DefaultRelayMaxClients  = 64
)

// RelayConfig configures a Relay. The zero value relays without impairment.
type RelayConfig struct {
	// ToUpstream and ToClient impair each client's two directions; every
	// client has its own (its own queue, its own jitter), as if each sat
	// behind its own bad access link.
	ToUpstream, ToClient Impairment
	// Seed drives the impairments; the n-th client (from 0) gets Seed+n.
	Seed int64
	// IdleTimeout forgets a client that sent and received nothing for that
	// long, like a NAT mapping that expires (0: DefaultRelayIdleTimeout).
	IdleTimeout time.Duration
	// MaxClients bounds the clients relayed at once; datagrams from more
	// are dropped (RelayStats.Refused). 0: DefaultRelayMaxClients.
	MaxClients int
}

// RelayStats count what a Relay did.
type RelayStats struct {
	Clients int    // clients relayed now
	Mapped  uint64 // clients seen, each given its own upstream socket
	Expired uint64 // clients forgotten after IdleTimeout
	Refused uint64 // datagrams from new clients beyond MaxClients, dropped
	Foreign uint64 // datagrams to a client's upstream socket from elsewhere than upstream, dropped
}

// Relay forwards UDP between clients and one upstream address, impairing
// both directions, for programs that cannot wrap their own socket (the
// reference implementation, a server under test) or to put a distance
// between network namespaces. Like a symmetric NAT, each client gets its
// own upstream socket (the upstream sees one address per client) that
// accepts datagrams only from upstream.
//
// Only the path through the relay is impaired: peers that find each other
// through a server behind the relay and then talk directly do not pass it.
// To impair a peer's every path, wrap its socket with ImpairConn.
//
// Goroutines: one reader of the listen socket, which forwards each client's
// datagrams into that client's ImpairedConn (whose goroutines impair and
// send them); per client, one goroutine that reads that ImpairedConn and
// sends to the client; one janitor that forgets idle clients. Close stops
// them all and waits.
type Relay struct {
	listen   net.PacketConn
	lapc     udpAddrPortConn // listen, when it has the allocation-free methods
	upstream netip.AddrPort
	cfg      RelayConfig

	mu      sync.Mutex
	clients map[netip.AddrPort]*relayClient // guarded by mu
	closed  bool                            // guarded by mu
	stats   RelayStats                      // guarded by mu (Clients filled in by Stats)

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

type relayClient struct {
	addr     netip.AddrPort
	conn     *ImpairedConn
	lastSeen atomic.Int64 // unix nanoseconds of the last datagram either way
}

// NewRelay relays datagrams that reach listen to upstream and the answers
// back, as RelayConfig says. The Relay owns listen and closes it on Close.
func NewRelay(listen net.PacketConn, upstream netip.AddrPort, cfg RelayConfig) (*Relay, error) {
	if !upstream.IsValid() || upstream.Port() == 0 {
		return nil, fmt.Errorf("rtmfptest: relay to %v: %w", upstream, ErrBadAddress)
	}
	for _, m := range []Impairment{cfg.ToUpstream, cfg.ToClient} {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("rtmfptest: relay: %w", err)
		}
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultRelayIdleTimeout
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = DefaultRelayMaxClients
	}
	r := &Relay{
		listen:   listen,
		upstream: netip.AddrPortFrom(upstream.Addr().Unmap(), upstream.Port()),
		cfg:      cfg,
		clients:  make(map[netip.AddrPort]*relayClient),
		done:     make(chan struct{}),
	}
	r.lapc, _ = listen.(udpAddrPortConn)
	r.wg.Add(2)
	go r.reader()
	go r.janitor()
	return r, nil
}

// Addr is the address clients send to.
func (r *Relay) Addr() netip.AddrPort {
	if a, ok := r.listen.LocalAddr().(*net.UDPAddr); ok {
		return a.AddrPort()
	}
	return netip.AddrPort{}
}

// Stats returns the relay's counters.
func (r *Relay) Stats() RelayStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Clients = len(r.clients)
	return s
}

// ClientStats returns the impairment counters of a client's two
// directions; ok is false if the relay does not know the client (now).
func (r *Relay) ClientStats(client netip.AddrPort) (toUpstream, toClient ImpairStats, ok bool) {
	r.mu.Lock()
	c := r.clients[client]
	r.mu.Unlock()
	if c == nil {
		return ImpairStats{}, ImpairStats{}, false
	}
	toUpstream, toClient = c.conn.Stats()
	return toUpstream, toClient, true
}

// UpstreamAddr returns the address of a client's upstream socket, the
// client's address as upstream sees it; ok is false for an unknown client.
func (r *Relay) UpstreamAddr(client netip.AddrPort) (netip.AddrPort, bool) {
	r.mu.Lock()
	c := r.clients[client]
	r.mu.Unlock()
	if c == nil {
		return netip.AddrPort{}, false
	}
	return c.conn.LocalAddr().(*net.UDPAddr).AddrPort(), true
}

// reader forwards what clients send.
func (r *Relay) reader() {
	defer r.wg.Done()
	buf := make([]byte, maxDatagram+1)
	for {
		var n int
		var from netip.AddrPort
		var err error
		if r.lapc != nil {
			n, from, err = r.lapc.ReadFromUDPAddrPort(buf)
		} else {
			var a net.Addr
			n, a, err = r.listen.ReadFrom(buf)
			if ua, ok := a.(*net.UDPAddr); ok {
				from = ua.AddrPort()
			}
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		c := r.client(from)
		if c == nil {
			continue
		}
		c.lastSeen.Store(time.Now().UnixNano())
		_, _ = c.conn.WriteToUDPAddrPort(buf[:n], r.upstream)
	}
}

// client returns the client at addr, mapping it on its first datagram; nil
// when the relay is full or closed.
func (r *Relay) client(addr netip.AddrPort) *relayClient {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.clients[addr]; c != nil {
		return c
	}
	if r.closed {
		return nil
	}
	if len(r.clients) >= r.cfg.MaxClients {
		r.stats.Refused++
		return nil
	}
	network, local := "udp4", &net.UDPAddr{IP: net.IPv4zero}
	if !r.upstream.Addr().Is4() {
		network, local = "udp6", &net.UDPAddr{IP: net.IPv6unspecified}
	}
	uc, err := net.ListenUDP(network, local)
	if err != nil {
		r.stats.Refused++
		return nil
	}
	c := &relayClient{addr: addr, conn: ImpairConn(uc, r.cfg.ToUpstream, r.cfg.ToClient, r.cfg.Seed+int64(r.stats.Mapped))}
	c.lastSeen.Store(time.Now().UnixNano())
	r.stats.Mapped++
	r.clients[addr] = c
	r.wg.Add(1)
	go r.back(c)
	return c
}

// back forwards what upstream sends to one client.
func (r *Relay) back(c *relayClient) {
	defer r.wg.Done()
	buf := make([]byte, maxDatagram+1)
	for {
		n, from, err := c.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed: expired or relay closed
		}
		if netip.AddrPortFrom(from.Addr().Unmap(), from.Port()) != r.upstream {
			r.mu.Lock()
			r.stats.Foreign++
			r.mu.Unlock()
			continue
		}
		c.lastSeen.Store(time.Now().UnixNano())
		if r.lapc != nil {
			_, _ = r.lapc.WriteToUDPAddrPort(buf[:n], c.addr)
		} else {
			_, _ = r.listen.WriteTo(buf[:n], net.UDPAddrFromAddrPort(c.addr))
		}
	}
}

// janitor forgets idle clients.
func (r *Relay) janitor() {
	defer r.wg.Done()
	tick := time.NewTicker(max(r.cfg.IdleTimeout/4, time.Millisecond))
	defer tick.Stop()
	var idle []*relayClient
	for {
		select {
		case <-r.done:
			return
		case now := <-tick.C:
			cutoff := now.Add(-r.cfg.IdleTimeout).UnixNano()
			r.mu.Lock()
			for a, c := range r.clients {
				if c.lastSeen.Load() < cutoff {
					delete(r.clients, a)
					r.stats.Expired++
					idle = append(idle, c)
				}
			}
			r.mu.Unlock()
			for i, c := range idle {
				_ = c.conn.Close()
				idle[i] = nil
			}
			idle = idle[:0]
		}
	}
}

// Close stops relaying: it closes the listen socket and every client's
// upstream socket (letting datagrams already on their way upstream
// arrive, as ImpairedConn.Close does) and waits for every goroutine.
func (r *Relay) Close() error {
	first := false
	r.closeOnce.Do(func() { first = true })
	if !first {
		return &net.OpError{Op: "close", Net: "udp", Err: net.ErrClosed}
	}
	r.mu.Lock()
	r.closed = true
	clients := make([]*relayClient, 0, len(r.clients))
	for _, c := range r.clients {
		clients = append(clients, c)
	}
	clear(r.clients)
	r.mu.Unlock()
	close(r.done)
	err := r.listen.Close()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.conn.Close() }()
	}
	wg.Wait()
	r.wg.Wait()
	return err
}
