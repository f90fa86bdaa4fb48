package turn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"

	pturn "github.com/pion/turn/v4"
)

// ServerConfig configures a relay.
type ServerConfig struct {
	// Conn is the server's UDP socket (clients allocate through it).
	Conn net.PacketConn
	// RelayIP is the address relayed transport addresses are opened on
	// and announced with: the server's public address.
	RelayIP netip.Addr
	// Secret is the shared secret of REST-style credentials.
	Secret string
	// MaxAllocations bounds the allocations at once (default 1000): each
	// costs a socket and relays a call's media.
	MaxAllocations int
	// ListenPacket opens a relayed address's socket (default
	// net.ListenPacket; tests open them in a network namespace).
	ListenPacket func(network, address string) (net.PacketConn, error)
	// Logger receives the relay's logs (default: discarded).
	Logger *slog.Logger
}

// Server is a TURN relay that accepts REST-style credentials.
type Server struct {
	s      *pturn.Server
	active atomic.Int64
}

// ErrConfig: an invalid ServerConfig.
var ErrConfig = errors.New("turn: invalid configuration")

// NewServer starts a relay on cfg.Conn. Close stops it and closes the
// socket.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Conn == nil || !cfg.RelayIP.IsValid() || cfg.RelayIP.IsUnspecified() {
		return nil, fmt.Errorf("%w: a socket and a relay address are needed", ErrConfig)
	}
	if cfg.Secret == "" {
		return nil, fmt.Errorf("%w: no shared secret", ErrConfig)
	}
	if cfg.MaxAllocations <= 0 {
		cfg.MaxAllocations = 1000
	}
	if cfg.ListenPacket == nil {
		cfg.ListenPacket = net.ListenPacket
	}
	log := loggerOrDiscard(cfg.Logger)
	srv := &Server{}
	max := int64(cfg.MaxAllocations)
	s, err := pturn.NewServer(pturn.ServerConfig{
		Realm:         Realm,
		LoggerFactory: slogFactory{log},
		AuthHandler:   pturn.LongTermTURNRESTAuthHandler(cfg.Secret, slogFactory{log}.NewLogger("auth")),
		QuotaHandler: func(username, realm string, src net.Addr) bool {
			return srv.active.Load() < max
		},
		EventHandler: pturn.EventHandler{
			OnAllocationCreated: func(src, dst net.Addr, proto, username, realm string, relay net.Addr, port int) {
				srv.active.Add(1)
				log.Debug("relay allocated", "client", src.String(), "user", username, "relay", relay.String())
			},
			OnAllocationDeleted: func(src, dst net.Addr, proto, username, realm string) {
				srv.active.Add(-1)
				log.Debug("relay released", "client", src.String(), "user", username)
			},
		},
		PacketConnConfigs: []pturn.PacketConnConfig{{
			PacketConn:            cfg.Conn,
			RelayAddressGenerator: relayAddrs{ip: cfg.RelayIP, listen: cfg.ListenPacket},
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("turn: %w", err)
	}
	srv.s = s
	return srv, nil
}

// Allocations is the number of live allocations.
func (s *Server) Allocations() int { return int(s.active.Load()) }

// Close stops the relay, closes its socket and every relayed address.
func (s *Server) Close() error { return s.s.Close() }

// relayAddrs opens relayed addresses on one IP (pion's
// RelayAddressGeneratorStatic, with the socket opened by our hook).
type relayAddrs struct {
	ip     netip.Addr
	listen func(network, address string) (net.PacketConn, error)
}

func (r relayAddrs) Validate() error { return nil }

func (r relayAddrs) AllocatePacketConn(network string, port int) (net.PacketConn, net.Addr, error) {
	c, err := r.listen("udp4", netip.AddrPortFrom(r.ip, uint16(port)).String())
	if err != nil {
		return nil, nil, err
	}
	a, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok {
		c.Close()
		return nil, nil, errors.New("turn: relay socket is not UDP")
	}
	return c, &net.UDPAddr{IP: r.ip.AsSlice(), Port: a.Port}, nil
}

func (r relayAddrs) AllocateConn(string, int) (net.Conn, net.Addr, error) {
	return nil, nil, errors.New("turn: TCP relaying is not offered")
}
