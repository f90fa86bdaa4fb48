package cluster

import (
	"context"
	"fmt"
	"io"

	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/tc"
)

// peerIdentity returns one of a few cached group-2 static identities.
func peerIdentity(i int) *flashcrypto.Identity { return rtmfptest.Identity(i) }

// newRand is a deterministic io.Reader for identities and endpoints.
func newRand(seed byte) io.Reader { return rtmfptest.Rand(seed) }

// natsServer is an in-process NATS server with JetStream that a test can
// stop and start again on the same port.
type natsServer struct {
	t    testing.TB
	port int
	srv  *server.Server
}

func startNATS(t testing.TB) *natsServer {
	t.Helper()
	ns := &natsServer{t: t, port: -1}
	ns.start()
	ns.port = ns.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(ns.stop)
	return ns
}

func (ns *natsServer) start() {
	ns.t.Helper()
	s, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: ns.port, JetStream: true, StoreDir: ns.t.TempDir(),
		NoLog: true, NoSigs: true,
	})
	if err != nil {
		ns.t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		ns.t.Fatal("NATS server did not start")
	}
	ns.srv = s
}

func (ns *natsServer) stop() {
	if ns.srv != nil {
		ns.srv.Shutdown()
		ns.srv.WaitForShutdown()
		ns.srv = nil
	}
}

func (ns *natsServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", ns.port) }

// testNodeTTL keeps the failure tests short: a dead node is forgotten
// within 2 s of its last heartbeat.
const testNodeTTL = 2 * time.Second

// node is one rendezvous server and its cluster membership.
type node struct {
	srv  *rendezvous.Server
	cl   *Node
	conn net.PacketConn
	addr netip.AddrPort
	done chan error
	stop sync.Once
}

// startNode runs a rendezvous server on conn that joins the cluster of
// NATS at url.
func startNode(t testing.TB, conn net.PacketConn, url string, seed byte, mod func(*rendezvous.Config, *Config)) *node {
	t.Helper()
	sid, err := flashcrypto.NewEphemeralIdentity(newRand(seed), []flashcrypto.Group{flashcrypto.Group2}, flashcrypto.CertOptions{AcceptsAncillary: true})
	if err != nil {
		t.Fatal(err)
	}
	ccfg := Config{URLs: []string{url}, NodeTTL: testNodeTTL, Rand: newRand(seed + 50), Name: fmt.Sprintf("node-%d", seed)}
	rcfg := rendezvous.Config{Identity: sid, Rand: newRand(seed + 100),
		KeepalivePeriod: 2 * time.Second, RetransmitLimit: 5 * time.Second}
	if mod != nil {
		mod(&rcfg, &ccfg)
	}
	cl, err := New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	rcfg.Directory = cl
	srv, err := rendezvous.New(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Start(srv); err != nil {
		t.Fatal(err)
	}
	n := &node{srv: srv, cl: cl, conn: conn, done: make(chan error, 1)}
	go func() { n.done <- srv.Serve(conn) }()
	waitFor(t, 5*time.Second, "server listening", func() bool { return len(srv.Addrs()) > 0 })
	n.addr = srv.Addrs()[0]
	t.Cleanup(func() { n.shutdown() })
	return n
}

// shutdown stops the node in order: the server closes its sessions (and
// unregisters its peers), then the node leaves the cluster.
func (n *node) shutdown() {
	n.stop.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = n.srv.Shutdown(ctx)
		<-n.done
		_ = n.cl.Close()
	})
}

// crash stops the node as a killed process would: its NATS connection
// and its socket go away at once, nothing is closed in order and nothing
// is removed from the bucket.
func (n *node) crash() {
	n.stop.Do(func() {
		n.cl.nc.Close()
		n.conn.Close()
		<-n.done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = n.srv.Shutdown(ctx)
		_ = n.cl.Close()
	})
}

func listenUDP(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// peer is a client of the rendezvous servers: an endpoint with the
// room's session timers and a NetConnection to one of the servers,
// registered with its socket's address.
type peer struct {
	ep   *rtmfp.Endpoint
	addr netip.AddrPort
	nc   *tc.NetConnection
}

func newPeer(t testing.TB, conn net.PacketConn, idx int) *peer {
	t.Helper()
	ep, err := rtmfp.NewEndpoint(conn, rtmfp.Config{Identity: peerIdentity(idx), Rand: newRand(byte(idx + 1)),
		FIHelloMode: rtmfp.FIHelloSendRHello, KeepalivePeriod: 2 * time.Second, RetransmitLimit: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return &peer{ep: ep, addr: ep.LocalAddr()}
}

// register connects to one of servers (whichever answers first, as the
// room does with several rendezvous addresses) and registers report.
func (p *peer) register(t testing.TB, report []netip.AddrPort, servers ...netip.AddrPort) *tc.NetConnection {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var info []string
	for _, a := range report {
		info = append(info, a.String())
	}
	nc, err := tc.Dial(ctx, p.ep, tc.ConnConfig{URL: "rtmfp://rendezvous/camchat", Addrs: servers, PeerInfo: info})
	if err != nil {
		t.Fatalf("connect to the rendezvous: %v", err)
	}
	p.nc = nc
	return nc
}

// call opens a session to target by peer ID, sending its IHellos to via.
func (p *peer) call(ctx context.Context, target *peer, via netip.AddrPort) (*rtmfp.Session, error) {
	return p.ep.Connect(ctx, flashcrypto.CanonicalEPD(target.ep.PeerID()), via)
}

// acceptFrom waits for a session from the peer ID from.
func (p *peer) acceptFrom(ctx context.Context, from *peer) <-chan *rtmfp.Session {
	ch := make(chan *rtmfp.Session, 1)
	go func() {
		defer close(ch)
		for {
			s, err := p.ep.Accept(ctx)
			if err != nil {
				return
			}
			if s.FarPeerID() == from.ep.PeerID() {
				ch <- s
				return
			}
		}
	}()
	return ch
}

// waitFor polls cond until it holds or d passes: NATS runs on the real
// clock, so these tests cannot use virtual time.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	for !cond() {
		if time.Since(t0) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(t0)
}

// knows reports whether n's directory holds id as another node's peer.
func (n *node) knows(id flashcrypto.PeerID) bool {
	n.cl.mu.Lock()
	defer n.cl.mu.Unlock()
	return n.cl.remote[id] != nil
}
