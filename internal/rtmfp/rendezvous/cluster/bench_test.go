package cluster

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/wire"
)

// benchWorld is three nodes on one NATS server with the per-target
// limits off (a benchmark aims every IHello at one target).
func benchWorld(b *testing.B, url string) []*node {
	var ns []*node
	for i := range 3 {
		ns = append(ns, startNode(b, listenUDP(b), url, byte(11+i), func(rc *rendezvous.Config, cc *Config) {
			rc.Limits = rendezvous.Limits{IntroductionRate: -1, HandshakeRate: -1, HandshakeRatePerIP: -1}
			cc.IntroductionRate = -1
		}))
	}
	for _, n := range ns {
		waitFor(b, 10*time.Second, "node loaded", func() bool { return n.cl.Stats().Loaded })
	}
	return ns
}

// BenchmarkCrossNodeIntroduction: a raw socket sends IHellos for a peer
// of node A to node C (cross) or to A itself (local); each is answered
// with a Redirect by the node that received it and forwarded to the
// target as an FIHello by A. Reported: introductions completed (FIHellos
// sent by A) per second and the process's CPU per introduction, all three
// nodes and the NATS server included.
func BenchmarkCrossNodeIntroduction(b *testing.B) {
	ns := startNATS(b)
	w := benchWorld(b, ns.url())
	tconn := listenUDP(b)
	p := newPeer(b, tconn, 0)
	p.register(b, []netip.AddrPort{p.addr}, w[0].addr)
	waitFor(b, 5*time.Second, "P everywhere", func() bool { return w[1].knows(p.ep.PeerID()) && w[2].knows(p.ep.PeerID()) })
	epd := flashcrypto.CanonicalEPD(p.ep.PeerID())
	for _, c := range []struct {
		name string
		to   *node
	}{{"cross", w[2]}, {"local", w[0]}} {
		b.Run(c.name, func(b *testing.B) {
			done := func() int {
				return int(w[0].srv.Stats().Forwarded + w[0].srv.Stats().Introductions - w[0].srv.Stats().RemoteIntroductions)
			}
			got, wall, cpu := ihelloLoad(b, c.to.addr, epd, b.N, done)
			b.ReportMetric(float64(got)/wall.Seconds(), "intros/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(max(got, 1)), "cpu-ns/intro")
		})
	}
}

// ihelloLoad sends count IHellos for epd to addr, at most 256 ahead of
// done, and returns how many were done, in what time, with what CPU.
func ihelloLoad(b *testing.B, addr netip.AddrPort, epd []byte, count int, done func() int) (int, time.Duration, time.Duration) {
	raw := listenUDP(b)
	defer raw.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := raw.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	tag := make([]byte, 16)
	base := done()
	cpu0, t0 := cpuTime(), time.Now()
	for sent := 0; sent < count; sent++ {
		tag[0], tag[1], tag[2] = byte(sent), byte(sent>>8), byte(sent>>16)
		if _, err := raw.WriteToUDPAddrPort(rawIHello(epd, tag, 200), addr); err != nil {
			b.Fatal(err)
		}
		for sent-(done()-base) > 256 {
			time.Sleep(50 * time.Microsecond)
		}
	}
	got, last := 0, time.Now()
	for got < count && time.Since(last) < 100*time.Millisecond {
		if g := done() - base; g != got {
			got, last = g, time.Now()
		}
		time.Sleep(100 * time.Microsecond)
	}
	if got < count {
		b.Logf("%d of %d IHellos introduced", got, count)
	}
	return got, last.Sub(t0), cpuTime() - cpu0
}

func cpuTime() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// BenchmarkIntroductionLatency: the time from an initiator's IHello to
// the target's RHello (the FIHello's effect, RFC 7016 §3.5.1.5), with the
// IHello sent to the node that holds the target (local) or to another
// (cross): what going through NATS adds. Targets answer FIHellos at 4 a
// second each (the transport's bucket), so eight targets take turns.
func BenchmarkIntroductionLatency(b *testing.B) {
	ns := startNATS(b)
	w := benchWorld(b, ns.url())
	var targets []*peer
	for i := range 6 {
		p := newPeer(b, listenUDP(b), i)
		p.register(b, []netip.AddrPort{p.addr}, w[0].addr)
		targets = append(targets, p)
	}
	for _, p := range targets {
		waitFor(b, 5*time.Second, "targets everywhere", func() bool { return w[2].knows(p.ep.PeerID()) })
	}
	raw := listenUDP(b)
	type arrival struct {
		tag byte
		at  time.Time
	}
	rhellos := make(chan arrival, 64)
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := raw.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if from == w[0].addr || from == w[2].addr {
				continue // the Redirect
			}
			if tag, ok := rhelloTag(buf[:n]); ok {
				rhellos <- arrival{tag, time.Now()}
			}
		}
	}()
	samples := map[string][]time.Duration{}
	const perMode = 40
	seq := byte(0)
	for i := range 2 * perMode {
		mode, via := "local", w[0].addr
		if i%2 == 1 {
			mode, via = "cross", w[2].addr
		}
		p := targets[i%len(targets)]
		seq++
		tag := append([]byte{seq}, make([]byte, 15)...)
		t0 := time.Now()
		_, _ = raw.WriteToUDPAddrPort(rawIHello(flashcrypto.CanonicalEPD(p.ep.PeerID()), tag, 400), via)
		timeout := time.After(time.Second)
	wait:
		for {
			select {
			case a := <-rhellos:
				if a.tag == seq {
					samples[mode] = append(samples[mode], a.at.Sub(t0))
					break wait
				}
			case <-timeout:
				break wait
			}
		}
		time.Sleep(250 * time.Millisecond / time.Duration(len(targets)))
	}
	for _, mode := range []string{"local", "cross"} {
		s := samples[mode]
		slices.Sort(s)
		if len(s) == 0 {
			b.Fatalf("%s: no RHello", mode)
		}
		b.ReportMetric(float64(s[len(s)/2].Microseconds()), mode+"-p50-µs")
		b.ReportMetric(float64(s[len(s)*9/10].Microseconds()), mode+"-p90-µs")
		b.Logf("%s: %d of %d answered, p50 %v, p90 %v", mode, len(s), perMode, s[len(s)/2], s[len(s)*9/10])
	}
	raw.Close()
}

// rhelloTag returns the first byte of the tag echoed by an RHello in a
// startup packet (RFC 7016 §2.3.4).
func rhelloTag(pkt []byte) (byte, bool) {
	if len(pkt) < wire.SessionIDLength+4 {
		return 0, false
	}
	c := flashcrypto.NewDefaultCipher()
	plain, err := c.Open(nil, pkt[wire.SessionIDLength:])
	if err != nil {
		return 0, false
	}
	_, n, err := wire.ParsePacketHeader(plain)
	if err != nil {
		return 0, false
	}
	r := wire.NewChunkReader(plain[n:])
	for {
		typ, payload, ok := r.Next()
		if !ok {
			break
		}
		if typ == wire.ChunkRHello {
			rh, err := wire.ParseRHello(payload)
			if err != nil || len(rh.Tag) == 0 {
				return 0, false
			}
			return rh.Tag[0], true
		}
	}
	return 0, false
}

// natsProcessEnv makes the test binary a NATS server (BenchmarkClusterScale
// keeps its memory out of the nodes' heap).
const natsProcessEnv = "CLUSTER_BENCH_NATS"

// TestNATSServerProcess is the NATS server of BenchmarkClusterScale when
// run with natsProcessEnv set ("port,monitor port"); otherwise it does
// nothing.
func TestNATSServerProcess(t *testing.T) {
	spec := os.Getenv(natsProcessEnv)
	if spec == "" {
		return
	}
	var port, mon int
	fmt.Sscanf(spec, "%d,%d", &port, &mon)
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, HTTPHost: "127.0.0.1", HTTPPort: mon,
		JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	<-ch
	s.Shutdown()
}

func freePort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// varz are the NATS server's counters that matter here.
type varz struct {
	InMsgs, OutMsgs, InBytes, OutBytes int64
	Mem                                int64
}

func getVarz(b *testing.B, mon int) varz {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/varz", mon))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		InMsgs   int64 `json:"in_msgs"`
		OutMsgs  int64 `json:"out_msgs"`
		InBytes  int64 `json:"in_bytes"`
		OutBytes int64 `json:"out_bytes"`
		Mem      int64 `json:"mem"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		b.Fatal(err)
	}
	return varz{v.InMsgs, v.OutMsgs, v.InBytes, v.OutBytes, v.Mem}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// BenchmarkClusterScale registers 100,000 idle peers over three nodes
// (through the Directory interface, as the server does at setPeerInfo;
// a peer's session costs its node about 9.5 KB more, see rendezvous's
// BenchmarkScale) with the NATS server in another process, and reports:
// how fast the directory fills, the directory's memory per peer on the
// node holding it and on every other node, the NATS server's memory per
// peer, and the NATS traffic per second while every peer idles.
// CLUSTER_BENCH_PEERS overrides the count. Run with -benchtime=1x.
func BenchmarkClusterScale(b *testing.B) {
	total := 100000
	if s := os.Getenv("CLUSTER_BENCH_PEERS"); s != "" {
		total, _ = strconv.Atoi(s)
	}
	for range b.N {
		clusterScale(b, total)
	}
}

func clusterScale(b *testing.B, total int) {
	port, mon := freePort(b), freePort(b)
	cmd := exec.Command(os.Args[0], "-test.run=^TestNATSServerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d", natsProcessEnv, port, mon))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	waitFor(b, 20*time.Second, "NATS up", func() bool {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", mon))
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	var nodes []*Node
	for i := range 3 {
		n, err := New(Config{URLs: []string{url}, Rand: newRand(byte(60 + i)), Name: fmt.Sprintf("bench-%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		if err := n.Start(nopForwarder{}); err != nil {
			b.Fatal(err)
		}
		defer n.Close()
		nodes = append(nodes, n)
	}
	for _, n := range nodes {
		waitFor(b, 10*time.Second, "node loaded", func() bool { return n.Stats().Loaded })
	}
	v0 := getVarz(b, mon)
	h0 := heapInUse()
	rng := rand.New(rand.NewPCG(1, 2))
	t0 := time.Now()
	for i := range total {
		var id flashcrypto.PeerID
		for k := range 4 {
			v := rng.Uint64()
			for j := range 8 {
				id[8*k+j] = byte(v >> (8 * j))
			}
		}
		pub := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, byte(i >> 16), byte(i >> 8)}), uint16(1024+i%60000))
		lan := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 168, byte(i >> 8), byte(i)}), 1935)
		nodes[i%3].Register(id, pub, []netip.AddrPort{lan, pub})
	}
	want := total - total/3 - 1
	for _, n := range nodes {
		waitFor(b, 10*time.Minute, "directory filled", func() bool { st := n.Stats(); return st.Remote >= want && st.Pending == 0 })
	}
	fill := time.Since(t0)
	h1 := heapInUse()
	v1 := getVarz(b, mon)
	// A fourth node that holds no peer: its heap growth is the copy of
	// the directory every node keeps.
	obs, err := New(Config{URLs: []string{url}, Rand: newRand(70), Name: "observer"})
	if err != nil {
		b.Fatal(err)
	}
	if err := obs.Start(nopForwarder{}); err != nil {
		b.Fatal(err)
	}
	defer obs.Close()
	waitFor(b, 2*time.Minute, "observer loaded", func() bool { st := obs.Stats(); return st.Loaded && st.Remote >= total })
	h2 := heapInUse()
	remote := float64(h2-h1) / float64(total)
	all := float64(h1-h0) / float64(total) // one local and two remote entries per peer
	local := all - 2*remote
	// At rest: only heartbeats and pings.
	const rest = 10 * time.Second
	r0 := getVarz(b, mon)
	time.Sleep(rest)
	r1 := getVarz(b, mon)
	b.ReportMetric(float64(total)/fill.Seconds(), "registrations/s")
	b.ReportMetric(local, "local-B/peer")
	b.ReportMetric(remote, "remote-B/peer")
	b.ReportMetric(float64(v1.Mem-v0.Mem)/float64(total), "nats-B/peer")
	b.ReportMetric(float64(r1.InMsgs+r1.OutMsgs-r0.InMsgs-r0.OutMsgs)/rest.Seconds(), "rest-msgs/s")
	b.ReportMetric(float64(r1.InBytes+r1.OutBytes-r0.InBytes-r0.OutBytes)/rest.Seconds(), "rest-B/s")
	b.Logf("%d peers over 3 nodes (4 with the observer) filled in %v; per node, the directory costs %.0f B per own peer and %.0f B per other node's peer; NATS RSS +%.0f B per peer; at rest NATS moves %.1f msgs/s, %.0f B/s",
		total, fill, local, remote, float64(v1.Mem-v0.Mem)/float64(total),
		float64(r1.InMsgs+r1.OutMsgs-r0.InMsgs-r0.OutMsgs)/rest.Seconds(), float64(r1.InBytes+r1.OutBytes-r0.InBytes-r0.OutBytes)/rest.Seconds())
}

type nopForwarder struct{}

func (nopForwarder) ForwardIntroduction(flashcrypto.PeerID, []byte, netip.AddrPort, []byte) error {
	return nil
}
