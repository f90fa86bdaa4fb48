package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"time"

	"github.com/nats-io/nats.go"

	"camchat/internal/rtmfp/rendezvous"
)

// Config configures a Node. URLs is required; every other zero value
// selects a default.
type Config struct {
	// URLs are the NATS servers ("nats://host:4222"; user and password
	// or a token may be given in the URL); the client connects to one
	// and fails over to the others.
	URLs []string
	// Options are more NATS client options: credentials (nats.UserCredentials,
	// nats.NkeyOptionFromSeed), TLS (nats.RootCAs, nats.ClientCert). They
	// are applied after the node's own.
	Options []nats.Option

	// Bucket is the JetStream key-value bucket of the directory (default
	// DefaultBucket); it also names the subjects of introductions. Nodes
	// that share a bucket form one cluster.
	Bucket string

	// NodeTTL is how long a node's entries outlive its last heartbeat: a
	// node that stopped (or lost NATS) for longer is taken for dead, its
	// peers are dropped from every other node's directory and purged
	// from the bucket. Heartbeats go every NodeTTL/4 (default 10 s).
	NodeTTL time.Duration

	// IntroductionRate and IntroductionBurst bound, per target peer, the
	// introductions this node begins for peers other nodes hold
	// (default: rendezvous.DefaultLimits). The node holding the target
	// applies its own limit to the FIHellos it sends, whichever node
	// the IHellos reached.
	IntroductionRate, IntroductionBurst float64

	// MaxEntries bounds the directory of other nodes' peers kept in
	// memory (default 1,048,576): entries beyond it are dropped and
	// counted.
	MaxEntries int

	// Name is this node's name in its heartbeat and in the NATS
	// connection (default "camchat-rendezvous").
	Name string

	// Logger receives structured logs (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now); Rand is the randomness for
	// the node ID (default crypto/rand).
	Now  func() time.Time
	Rand io.Reader
}

// DefaultBucket is the default of Config.Bucket.
const DefaultBucket = "camchat_rendezvous"

// DefaultNodeTTL is the default of Config.NodeTTL.
const DefaultNodeTTL = 10 * time.Second

// minNodeTTL keeps heartbeats at least a quarter of a second apart.
const minNodeTTL = time.Second

var bucketName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func (c *Config) validate() error {
	if len(c.URLs) == 0 {
		return fmt.Errorf("%w: no NATS server", ErrConfig)
	}
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	if !bucketName.MatchString(c.Bucket) {
		return fmt.Errorf("%w: bucket name %q (letters, digits, - and _)", ErrConfig, c.Bucket)
	}
	if c.NodeTTL == 0 {
		c.NodeTTL = DefaultNodeTTL
	}
	if c.NodeTTL < minNodeTTL {
		return fmt.Errorf("%w: node TTL %v below %v", ErrConfig, c.NodeTTL, minNodeTTL)
	}
	if c.IntroductionRate == 0 {
		c.IntroductionRate = rendezvous.DefaultLimits.IntroductionRate
	}
	if c.IntroductionBurst == 0 {
		c.IntroductionBurst = rendezvous.DefaultLimits.IntroductionBurst
	}
	if c.MaxEntries == 0 {
		c.MaxEntries = 1 << 20
	}
	if c.Name == "" {
		c.Name = "camchat-rendezvous"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}
