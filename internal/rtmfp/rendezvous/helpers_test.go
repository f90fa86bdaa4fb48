package rendezvous

import (
	"context"
	"io"

	"net"
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
	"camchat/internal/rtmfp/tc"
)

// clientIdentity returns one of a few cached group-2 static identities.
func clientIdentity(i int) *flashcrypto.Identity { return rtmfptest.Identity(i) }

// newRand is a deterministic io.Reader for identities and endpoints.
func newRand(seed byte) io.Reader { return rtmfptest.Rand(seed) }

// serverIdentity is an ephemeral group-2 server identity that accepts
// ancillary data.
func serverIdentity(t testing.TB) *flashcrypto.Identity {
	id, err := flashcrypto.NewEphemeralIdentity(newRand(7), []flashcrypto.Group{flashcrypto.Group2}, flashcrypto.CertOptions{AcceptsAncillary: true})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// serverEPD selects any server by URI (RFC 7425 §4.4: ancillary data).
var serverEPD = flashcrypto.EPD{HasAncillary: true, Ancillary: []byte("rtmfp://rendezvous/chat")}.Append(nil)

// startServer runs a server on conn and shuts it down at cleanup.
func startServer(t testing.TB, conn net.PacketConn, cfg Config) *Server {
	t.Helper()
	if cfg.Identity == nil {
		cfg.Identity = serverIdentity(t)
	}
	if cfg.Rand == nil {
		cfg.Rand = newRand(8)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(conn) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		<-served
	})
	return s
}

// client is a Flash-profile client of the server, speaking the TC
// NetConnection protocol with the tc codecs (RFC 7425 §5.3).
type client struct {
	ep   *rtmfp.Endpoint
	sess *rtmfp.Session
	ctl  *rtmfp.SendFlow // stream 0, ours
	ret  *rtmfp.RecvFlow // the server's return flow
	tid  float64
}

func newClient(t testing.TB, conn net.PacketConn, idx int, mod func(*rtmfp.Config)) *rtmfp.Endpoint {
	t.Helper()
	cfg := rtmfp.Config{Identity: clientIdentity(idx), Rand: newRand(byte(idx + 1))}
	if mod != nil {
		mod(&cfg)
	}
	ep, err := rtmfp.NewEndpoint(conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	return ep
}

// dial opens a session to the server and sends connect for app; it returns
// the client and the server's answer.
func dial(t testing.TB, ep *rtmfp.Endpoint, server netip.AddrPort, app string) (*client, tc.Command) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := ep.Connect(ctx, serverEPD, server)
	if err != nil {
		t.Fatalf("connect to server: %v", err)
	}
	ctl, err := sess.OpenFlow(controlMetadata, flow.PriorityImmediate)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{ep: ep, sess: sess, ctl: ctl, tid: 1}
	con, err := tc.NewConnect("rtmfp://rendezvous/" + app)
	if err != nil {
		t.Fatal(err)
	}
	c.send(t, con.Command())
	if c.ret, err = ctl.AcceptReturn(ctx); err != nil {
		t.Fatalf("no return flow: %v", err)
	}
	return c, c.next(t)
}

func (c *client) send(t testing.TB, cmd tc.Command) {
	t.Helper()
	b, err := cmd.AppendMessage(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ctl.Write(b, rtmfp.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// nextMessage reads the next message of the server's return flow.
func (c *client) nextMessage(t testing.TB) tc.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := c.ret.Read(ctx)
	if err != nil {
		t.Fatalf("read control flow: %v", err)
	}
	m, err := tc.ParseMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// next reads the next command of the server's return flow.
func (c *client) next(t testing.TB) tc.Command {
	t.Helper()
	m := c.nextMessage(t)
	cmd, err := tc.ParseCommandMessage(m, tc.DefaultLimits)
	if err != nil {
		t.Fatalf("not a command: %v (%v)", err, m.Type)
	}
	return cmd
}

// register sends setPeerInfo and waits for it to be processed: the answer
// to a createStream sent after it proves the server read it (commands are
// handled in order).
func (c *client) register(t testing.TB, addrs ...string) {
	t.Helper()
	c.send(t, tc.SetPeerInfo(addrs...))
	c.tid++
	c.send(t, tc.CreateStream(c.tid))
	r := c.next(t)
	id, err := tc.ParseCreateStreamResult(r)
	if err != nil || r.TransactionID != c.tid || id == 0 {
		t.Fatalf("createStream answer %+v: %v", r, err)
	}
}

// mustConnect checks a connect answer for success and returns its info.
func mustConnect(t testing.TB, r tc.Command) tc.StatusInfo {
	t.Helper()
	info, err := r.Status()
	if err != nil || r.Name != "_result" || info.Code != tc.CodeConnectSuccess {
		t.Fatalf("connect answer %s %+v: %v", r.Name, info, err)
	}
	return info
}
