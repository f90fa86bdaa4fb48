package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/nats-io/nats.go"

	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/rendezvous/cluster"
)

// clusterOptions are the rendezvous command's cluster flags: with
// -cluster, several `camchat rendezvous` nodes share one peer directory
// over NATS (package cluster). Without it nothing of NATS runs.
type clusterOptions struct {
	urls     listFlag
	creds    string
	nkey     string
	ca       string
	cert     string
	certKey  string
	bucket   string
	nodeTTL  time.Duration
	nodeName string
}

func (o *clusterOptions) register(fs *flag.FlagSet) {
	fs.Var(&o.urls, "cluster", "join a cluster of rendezvous nodes through this NATS server, nats://[user:password@]host:4222 (repeatable: the node fails over between them); JetStream must be on")
	fs.StringVar(&o.creds, "cluster-creds", "", "NATS credentials file (JWT and NKey seed) for -cluster")
	fs.StringVar(&o.nkey, "cluster-nkey", "", "NATS NKey seed file for -cluster")
	fs.StringVar(&o.ca, "cluster-ca", "", "CA certificate file that signs the NATS servers' TLS certificates")
	fs.StringVar(&o.cert, "cluster-cert", "", "client TLS certificate file for NATS (with -cluster-cert-key)")
	fs.StringVar(&o.certKey, "cluster-cert-key", "", "client TLS key file for NATS")
	fs.StringVar(&o.bucket, "cluster-bucket", cluster.DefaultBucket, "JetStream key-value bucket of the directory: nodes sharing it form one cluster")
	fs.DurationVar(&o.nodeTTL, "cluster-node-ttl", cluster.DefaultNodeTTL, "a node silent this long is taken for dead and its peers dropped")
	fs.StringVar(&o.nodeName, "cluster-name", "", "this node's name in the directory (default the host name)")
}

// check validates the cluster flags.
func (o *clusterOptions) check() error {
	if len(o.urls) == 0 {
		if o.creds != "" || o.nkey != "" || o.ca != "" || o.cert != "" || o.certKey != "" {
			return errors.New("the -cluster-* options need -cluster")
		}
		return nil
	}
	for _, u := range o.urls {
		p, err := url.Parse(u)
		if err != nil || p.Host == "" || (p.Scheme != "nats" && p.Scheme != "tls" && p.Scheme != "ws" && p.Scheme != "wss") {
			return fmt.Errorf("-cluster %q: want nats://host:4222", u)
		}
	}
	if (o.cert == "") != (o.certKey == "") {
		return errors.New("-cluster-cert and -cluster-cert-key go together")
	}
	for _, f := range []string{o.creds, o.nkey, o.ca, o.cert, o.certKey} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
	}
	if o.creds != "" && o.nkey != "" {
		return errors.New("-cluster-creds and -cluster-nkey: give one")
	}
	return nil
}

// newClusterNode returns the node for the flags, or nil without -cluster.
func newClusterNode(o clusterOptions, lim rendezvous.Limits, log *slog.Logger) (*cluster.Node, error) {
	if len(o.urls) == 0 {
		return nil, nil
	}
	var opts []nats.Option
	if o.creds != "" {
		opts = append(opts, nats.UserCredentials(o.creds))
	}
	if o.nkey != "" {
		opt, err := nats.NkeyOptionFromSeed(o.nkey)
		if err != nil {
			return nil, fmt.Errorf("-cluster-nkey: %w", err)
		}
		opts = append(opts, opt)
	}
	if o.ca != "" {
		opts = append(opts, nats.RootCAs(o.ca))
	}
	if o.cert != "" {
		opts = append(opts, nats.ClientCert(o.cert, o.certKey))
	}
	name := o.nodeName
	if name == "" {
		name, _ = os.Hostname()
	}
	return cluster.New(cluster.Config{
		URLs: o.urls, Options: opts, Bucket: o.bucket, NodeTTL: o.nodeTTL, Name: name,
		IntroductionRate: lim.IntroductionRate, IntroductionBurst: lim.IntroductionBurst,
		Logger: log,
	})
}

// directory is node as the server's Directory: a nil interface without
// a cluster.
func directory(node *cluster.Node) rendezvous.Directory {
	if node == nil {
		return nil
	}
	return node
}

// metricsHandler serves the server's metrics, then the node's.
func metricsHandler(srv *rendezvous.Server, node *cluster.Node) http.Handler {
	if node == nil {
		return srv.MetricsHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = srv.WriteMetrics(w)
		_ = node.WriteMetrics(w)
	})
}
