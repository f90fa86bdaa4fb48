package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/tc"
)

const rendezvousUsage = `camchat rendezvous: an introduction server for camchat and Flash-profile
RTMFP clients (Cirrus-compatible): clients connect, register their addresses,
and find each other by peer ID.

Usage:
  camchat rendezvous [flags]

Flags:
`

// rendezvousOptions are the parsed flags of the rendezvous command.
type rendezvousOptions struct {
	listen          []string
	keyPath         string
	hostname        string
	groups          []flashcrypto.Group
	apps            []string
	metrics         string
	logFormat       string
	verbose         bool
	keepalive       tc.SetKeepalive
	limits          rendezvous.Limits
	shutdownTimeout time.Duration
	turn            turnOptions    // the relay (turn.go)
	cluster         clusterOptions // several nodes over NATS (cluster.go)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// parseRendezvousFlags parses the rendezvous command's flags.
func parseRendezvousFlags(args []string, stderr io.Writer) (rendezvousOptions, error) {
	var o rendezvousOptions
	fs := flag.NewFlagSet("camchat rendezvous", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, rendezvousUsage)
		fs.PrintDefaults()
	}
	var listen listFlag
	fs.Var(&listen, "listen", "UDP address to serve on, IPv4 or IPv6 (repeatable; default :1935)")
	fs.StringVar(&o.keyPath, "key", "", "static key file, created (mode 0600) if missing, so that clients can pin the server's fingerprint; default an ephemeral key")
	fs.StringVar(&o.hostname, "hostname", "", "host name listed in the certificate, so that clients may select the server by name (with -key: only when the key is created)")
	groups := fs.String("groups", "", "Diffie-Hellman groups of the certificate, most preferred first (default 14,2: an initiator may pick any group offered, and group 16 costs the server 16 times group 14)")
	apps := fs.String("apps", "", "comma-separated application names allowed to connect (default any)")
	fs.StringVar(&o.metrics, "metrics", "", "serve Prometheus metrics over HTTP on this address (e.g. 127.0.0.1:9100)")
	fs.StringVar(&o.logFormat, "log", "text", "log format: text or json")
	fs.BoolVar(&o.verbose, "v", false, "log every session and introduction")
	fs.DurationVar(&o.keepalive.Server, "keepalive", 0, "ask clients to ping the server this often (Set Keepalive; at least 5s; 0: do not ask)")
	fs.DurationVar(&o.keepalive.Peer, "peer-keepalive", 0, "with -keepalive, the keepalive clients use for sessions with peers (default the same)")
	d := rendezvous.DefaultLimits
	fs.IntVar(&o.limits.MaxSessions, "max-sessions", d.MaxSessions, "sessions at once")
	fs.IntVar(&o.limits.MaxSessionsPerIP, "max-sessions-per-ip", d.MaxSessionsPerIP, "sessions at once from one IP address")
	fs.Float64Var(&o.limits.HandshakeRate, "handshake-rate", d.HandshakeRate, "startup packets per second from everyone")
	fs.Float64Var(&o.limits.HandshakeRatePerIP, "handshake-rate-per-ip", d.HandshakeRatePerIP, "startup packets per second from one IP address")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 5*time.Second, "how long to wait for clients to acknowledge the close on SIGINT or SIGTERM")
	o.turn.register(fs)
	o.cluster.register(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.listen = listen
	if len(o.listen) == 0 {
		o.listen = []string{":1935"}
	}
	for _, a := range o.listen {
		if _, err := net.ResolveUDPAddr("udp", a); err != nil {
			return o, fmt.Errorf("-listen %q: %w", a, err)
		}
	}
	o.groups = rendezvous.DefaultGroups
	if *groups != "" {
		o.groups = nil
		for _, g := range strings.Split(*groups, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(g), 10, 32)
			if err != nil || !flashcrypto.Group(n).Supported() {
				return o, fmt.Errorf("-groups: unsupported group %q", g)
			}
			o.groups = append(o.groups, flashcrypto.Group(n))
		}
	}
	if *apps != "" {
		for _, a := range strings.Split(*apps, ",") {
			if a = strings.TrimSpace(a); a != "" {
				o.apps = append(o.apps, a)
			}
		}
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return o, fmt.Errorf("-log %q: want text or json", o.logFormat)
	}
	if o.keepalive.Server != 0 {
		if o.keepalive.Peer == 0 {
			o.keepalive.Peer = o.keepalive.Server
		}
		if o.keepalive.Server < tc.MinKeepalive || o.keepalive.Peer < tc.MinKeepalive {
			return o, fmt.Errorf("-keepalive and -peer-keepalive must be at least %v", tc.MinKeepalive)
		}
	} else if o.keepalive.Peer != 0 {
		return o, errors.New("-peer-keepalive needs -keepalive")
	}
	if err := o.turn.check(); err != nil {
		return o, err
	}
	if err := o.cluster.check(); err != nil {
		return o, err
	}
	return o, nil
}

// runRendezvous runs the rendezvous server until SIGINT or SIGTERM.
func runRendezvous(args []string, stdout, stderr io.Writer) int {
	o, err := parseRendezvousFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "camchat rendezvous: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveRendezvous(ctx, o, stdout); err != nil {
		fmt.Fprintf(stderr, "camchat rendezvous: %v\n", err)
		return 1
	}
	return 0
}

// serveRendezvous serves until ctx ends, then shuts down in order.
func serveRendezvous(ctx context.Context, o rendezvousOptions, logOut io.Writer) error {
	hopts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if o.verbose {
		hopts.Level = slog.LevelDebug
	}
	var log *slog.Logger
	if o.logFormat == "json" {
		log = slog.New(slog.NewJSONHandler(logOut, hopts))
	} else {
		log = slog.New(slog.NewTextHandler(logOut, hopts))
	}
	var id *flashcrypto.Identity
	var err error
	opts := flashcrypto.CertOptions{AcceptsAncillary: true, Hostname: o.hostname}
	if o.keyPath != "" {
		id, err = rendezvous.LoadOrCreateIdentity(o.keyPath, o.groups, opts, rand.Reader)
	} else {
		id, err = flashcrypto.NewEphemeralIdentity(rand.Reader, o.groups, opts)
	}
	if err != nil {
		return err
	}
	relay, err := startRelay(o.turn, log)
	if err != nil {
		return err
	}
	if relay != nil {
		defer relay.srv.Close()
		log.Info("relay", "addr", relay.addr.String(), "credentials_ttl", o.turn.ttl.String())
	}
	node, err := newClusterNode(o.cluster, o.limits, log)
	if err != nil {
		return err
	}
	srv, err := rendezvous.New(rendezvous.Config{
		Identity: id, Apps: o.apps, Keepalive: o.keepalive, Limits: o.limits, Logger: log,
		Calls: relay.calls(o.turn), Directory: directory(node),
	})
	if err != nil {
		return err
	}
	if node != nil {
		if err := node.Start(srv); err != nil {
			_ = srv.Shutdown(context.Background())
			return err
		}
		defer node.Close() // after the server's shutdown below
	}
	log.Info("rendezvous server", "peer_id", srv.PeerID().String(), "static_key", id.IsStatic(),
		"hostname", string(id.Cert().Hostname), "apps", strings.Join(o.apps, ","))
	errs := make(chan error, len(o.listen)+1)
	for _, a := range o.listen {
		ua, _ := net.ResolveUDPAddr("udp", a)
		c, err := net.ListenUDP("udp", ua)
		if err != nil {
			_ = srv.Shutdown(context.Background())
			return fmt.Errorf("listen %s: %w", a, err)
		}
		go func() { errs <- srv.Serve(c) }()
	}
	var hs *http.Server
	if o.metrics != "" {
		ln, err := net.Listen("tcp", o.metrics)
		if err != nil {
			_ = srv.Shutdown(context.Background())
			return fmt.Errorf("metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", metricsHandler(srv, node))
		hs = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { errs <- hs.Serve(ln) }()
		log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errs:
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	if hs != nil {
		_ = hs.Shutdown(sctx)
	}
	_ = srv.Shutdown(sctx)
	if serveErr != nil && !errors.Is(serveErr, rendezvous.ErrClosed) && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}
