package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"camchat/internal/room"
	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/tc"
	"camchat/internal/turn"
)

// turnOptions are the rendezvous command's relay flags: with -turn it
// also runs a TURN server and hands connected clients time-limited
// credentials for it (room.RelayCall).
type turnOptions struct {
	listen string        // UDP address of the TURN server ("" : none)
	ip     string        // address relayed transport addresses are announced with
	secret string        // shared secret of the credentials
	ttl    time.Duration // how long credentials stay valid
	max    int           // allocations at once
}

func (o *turnOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.listen, "turn", "", "also run a TURN relay on this UDP address (e.g. :3478) for peers no direct path reaches; clients of this server get credentials for it")
	fs.StringVar(&o.ip, "turn-ip", "", "public IP address of the relay (default the -turn address's IP; needed when -turn listens on all addresses)")
	fs.StringVar(&o.secret, "turn-secret", "", "shared secret of the relay's credentials, for relays on other machines that accept them (coturn static-auth-secret); default random at each start")
	fs.DurationVar(&o.ttl, "turn-ttl", 24*time.Hour, "how long the relay credentials handed to a client stay valid")
	fs.IntVar(&o.max, "turn-max", 1000, "relay allocations at once")
}

// check validates the relay flags and fills in the defaults.
func (o *turnOptions) check() error {
	if o.listen == "" {
		if o.ip != "" || o.secret != "" {
			return errors.New("-turn-ip and -turn-secret need -turn")
		}
		return nil
	}
	ua, err := net.ResolveUDPAddr("udp4", o.listen)
	if err != nil {
		return fmt.Errorf("-turn %q: %w", o.listen, err)
	}
	if o.ip == "" {
		if ua.IP == nil || ua.IP.IsUnspecified() {
			return errors.New("-turn listens on every address: give the relay's public address with -turn-ip")
		}
		o.ip = ua.IP.String()
	}
	ip, err := netip.ParseAddr(o.ip)
	if err != nil || !ip.Unmap().Is4() || ip.IsUnspecified() {
		return fmt.Errorf("-turn-ip %q: want the relay's public IPv4 address", o.ip)
	}
	if o.ttl < time.Minute {
		return errors.New("-turn-ttl must be at least 1m")
	}
	if o.max < 1 {
		return errors.New("-turn-max must be at least 1")
	}
	if o.secret == "" {
		var b [32]byte
		rand.Read(b[:])
		o.secret = hex.EncodeToString(b[:])
	}
	return nil
}

// relayServer is a running TURN server and the call that hands out its
// credentials.
type relayServer struct {
	srv  *turn.Server
	addr netip.AddrPort // as announced to clients
}

// startRelay starts the TURN server (nil when -turn is not set).
func startRelay(o turnOptions, log *slog.Logger) (*relayServer, error) {
	if o.listen == "" {
		return nil, nil
	}
	c, err := net.ListenPacket("udp4", o.listen)
	if err != nil {
		return nil, fmt.Errorf("relay: listen %s: %w", o.listen, err)
	}
	ip := netip.MustParseAddr(o.ip).Unmap()
	srv, err := turn.NewServer(turn.ServerConfig{Conn: c, RelayIP: ip, Secret: o.secret, MaxAllocations: o.max, Logger: log.With("part", "relay")})
	if err != nil {
		c.Close()
		return nil, err
	}
	port := c.LocalAddr().(*net.UDPAddr).Port
	return &relayServer{srv: srv, addr: netip.AddrPortFrom(ip, uint16(port))}, nil
}

// calls answers room.RelayCall with credentials bound to the caller's
// peer ID.
func (r *relayServer) calls(o turnOptions) map[string]rendezvous.CallHandler {
	if r == nil {
		return nil
	}
	return map[string]rendezvous.CallHandler{
		room.RelayCall: func(c rendezvous.Caller, _ tc.Command) ([]tc.Value, error) {
			cr := turn.RESTCredentials(o.secret, c.PeerID.String(), time.Now(), o.ttl)
			return []tc.Value{tc.NewObject(
				tc.Property{Key: "addr", Value: r.addr.String()},
				tc.Property{Key: "username", Value: cr.Username},
				tc.Property{Key: "password", Value: cr.Password},
				tc.Property{Key: "ttl", Value: o.ttl.Seconds()},
			)}, nil
		},
	}
}
