package rendezvous

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"camchat/internal/rtmfp"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/tc"
)

// Environment of the synthetic client process of the scale benchmarks.
const (
	envClientServer = "RENDEZVOUS_BENCH_SERVER"
	envClientCount  = "RENDEZVOUS_BENCH_CLIENTS"
)

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heap returns the live heap and the goroutine stacks after a full GC.
func heap() (heapBytes, stackBytes uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.StackInuse
}

// udpRcvbufErrors is the host's count of UDP datagrams the kernel dropped
// for a full socket receive buffer (Linux /proc/net/snmp), or -1.
func udpRcvbufErrors() int64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return -1
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i, n := range names {
			if n == "RcvbufErrors" && i < len(f) {
				v, _ := strconv.ParseInt(f[i], 10, 64)
				return v
			}
		}
	}
	return -1
}

// benchServer runs a server on loopback with the limits out of the way
// (every client comes from 127.0.0.1) and idle-friendly timers.
func benchServer(b *testing.B, groups []flashcrypto.Group) (*Server, netip.AddrPort) {
	id, err := flashcrypto.NewEphemeralIdentity(rand.Reader, groups, flashcrypto.CertOptions{AcceptsAncillary: true})
	if err != nil {
		b.Fatal(err)
	}
	c := listenUDP(b)
	srv := startServer(b, c, Config{Identity: id, Rand: rand.Reader,
		KeepalivePeriod: time.Minute, RetransmitLimit: 2 * time.Minute, ConnectTimeout: time.Minute,
		Limits: Limits{MaxSessionsPerIP: -1, HandshakeRate: -1, HandshakeRatePerIP: -1, IntroductionRate: -1}})
	return srv, c.LocalAddr().(*net.UDPAddr).AddrPort()
}

// BenchmarkScale connects synthetic clients from a separate process over
// loopback (so that only the server's memory and CPU are measured here):
// each opens a session, connects and sends setPeerInfo, then idles. It
// reports the server's heap and stack per idle peer and its handshakes per
// CPU-second, and the CPU it spends while the peers idle. Run with
// -benchtime=1x; RENDEZVOUS_BENCH_CLIENTS overrides the counts.
func BenchmarkScale(b *testing.B) {
	for _, c := range []struct {
		name  string
		group flashcrypto.Group
		n     int
	}{{"group2-1000", flashcrypto.Group2, 1000}, {"group14-1000", flashcrypto.Group14, 1000}, {"group2-10000", flashcrypto.Group2, 10000}} {
		b.Run(c.name, func(b *testing.B) {
			n := c.n
			if s := os.Getenv(envClientCount); s != "" {
				n, _ = strconv.Atoi(s)
			}
			for range b.N {
				scaleRun(b, c.group, n)
			}
		})
	}
}

func scaleRun(b *testing.B, g flashcrypto.Group, n int) {
	if os.Getenv("RENDEZVOUS_BENCH_HEAPPROFILE") != "" {
		runtime.MemProfileRate = 1
	}
	srv, addr := benchServer(b, []flashcrypto.Group{g})
	h0, s0 := heap()
	cmd := exec.Command(os.Args[0], "-test.run=^TestScaleClientProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envClientServer+"="+addr.String(), envClientCount+"="+strconv.Itoa(n),
		"RENDEZVOUS_BENCH_GROUP="+strconv.Itoa(int(g)))
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	cpu0, t0 := cpuTime(), time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	ready := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "READY") {
			ready = true
			break
		}
	}
	if !ready {
		b.Fatal("client process failed")
	}
	for end := time.Now().Add(10 * time.Second); srv.Stats().Reachable < n && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	// Idle peers are parked: wait for it, so that what is measured is
	// the steady state.
	for end := time.Now().Add(parkAfter + 10*time.Second); srv.parkedCount() < n && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	st := srv.Stats()
	if st.Reachable != n {
		b.Fatalf("%d of %d clients reachable: %+v", st.Reachable, n, st)
	}
	h1, s1 := heap()
	if p := os.Getenv("RENDEZVOUS_BENCH_HEAPPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	per := float64(int64(h1)-int64(h0)) / float64(n)
	stack := float64(int64(s1)-int64(s0)) / float64(n)
	b.ReportMetric(per, "heapB/peer")
	b.ReportMetric(stack, "stackB/peer")
	b.ReportMetric(per+stack, "B/peer")
	b.ReportMetric(float64(n)/cpu.Seconds(), "handshakes/cpu-s")
	b.ReportMetric(float64(n)/wall.Seconds(), "handshakes/s")
	// Idle load: the peers only keep their sessions alive (keepalive one
	// minute on both sides).
	if p := os.Getenv("RENDEZVOUS_BENCH_IDLEPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer f.Close()
		}
	}
	idle0 := cpuTime()
	time.Sleep(5 * time.Second)
	idle := cpuTime() - idle0
	pprof.StopCPUProfile()
	b.ReportMetric(100*idle.Seconds()/5, "idle-cpu-%")
	// Introductions among the idle peers.
	var epds [][]byte
	srv.mu.Lock()
	for id := range srv.peers {
		if epds = append(epds, flashcrypto.CanonicalEPD(id)); len(epds) == 256 {
			break
		}
	}
	srv.mu.Unlock()
	ni, iwall, icpu := introduceLoad(b, srv, addr, epds, 5000)
	b.ReportMetric(float64(ni)/iwall.Seconds(), "intros/s")
	b.ReportMetric(float64(ni)/icpu.Seconds(), "intros/cpu-s")
	b.Logf("%s: %d peers in %v (server CPU %v); heap %+.0f B/peer, stacks %+.0f B/peer; %d goroutines; idle CPU %v in 5 s; transport %v",
		flashcrypto.Group(g), n, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), per, stack, runtime.NumGoroutine(), idle.Round(time.Millisecond), srv.TransportStats())
	if per+stack > 10*1024 {
		b.Logf("over the budget of 10 KiB per idle peer by %.0f bytes", per+stack-10*1024)
	}
}

// TestScaleClientProcess is the synthetic client process of
// BenchmarkScale; it does nothing in a normal test run.
func TestScaleClientProcess(t *testing.T) {
	srvAddr := os.Getenv(envClientServer)
	if srvAddr == "" {
		t.Skip("client process of BenchmarkScale")
	}
	n, _ := strconv.Atoi(os.Getenv(envClientCount))
	gi, _ := strconv.Atoi(os.Getenv("RENDEZVOUS_BENCH_GROUP"))
	addr := netip.MustParseAddrPort(srvAddr)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	eps := make([]*rtmfp.Endpoint, n)
	// Fewer concurrent handshakes than the server's queue of pending
	// public-key computations (rtmfp.MaxPendingKeying).
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := scaleClient(addr, flashcrypto.Group(gi), i, eps); err != nil {
					failed.Add(1)
					fmt.Fprintln(os.Stderr, "client", i, err)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Printf("READY %d failed %d\n", n, failed.Load())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the benchmark is done
	os.Exit(0)
}

func scaleClient(addr netip.AddrPort, g flashcrypto.Group, i int, eps []*rtmfp.Endpoint) error {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	// Clients have static keys (RFC 7425 §4.3): the server introduces no
	// other kind, and refuses their setPeerInfo.
	id, err := flashcrypto.NewStaticIdentity(rand.Reader, []flashcrypto.Group{g}, flashcrypto.CertOptions{})
	if err != nil {
		return err
	}
	ep, err := rtmfp.NewEndpoint(c, rtmfp.Config{Identity: id, KeepalivePeriod: time.Minute, RetransmitLimit: 2 * time.Minute})
	if err != nil {
		return err
	}
	eps[i] = ep
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sess, err := ep.Connect(ctx, serverEPD, addr)
	if err != nil {
		return err
	}
	ctl, err := sess.OpenFlow(controlMetadata, flow.PriorityImmediate)
	if err != nil {
		return err
	}
	con, _ := tc.NewConnect("rtmfp://rendezvous/chat")
	for _, cmd := range []tc.Command{con.Command(), tc.SetPeerInfo(c.LocalAddr().String())} {
		m, _ := cmd.AppendMessage(nil, 0)
		if _, err := ctl.Write(m, rtmfp.WriteOptions{}); err != nil {
			return err
		}
	}
	ret, err := ctl.AcceptReturn(ctx)
	if err != nil {
		return err
	}
	_, err = ret.Read(ctx) // connect's _result
	return err
}

// BenchmarkIntroduction measures introductions end to end over loopback: a
// raw socket sends IHellos naming a connected client's fingerprint; each
// is answered with a Redirect and forwarded as an FIHello to the target
// (an in-process endpoint that ignores it). Reported: introductions per
// second and the process's CPU per introduction.
func BenchmarkIntroduction(b *testing.B) {
	srv, addr := benchServer(b, []flashcrypto.Group{flashcrypto.Group2})
	tconn := listenUDP(b)
	target := newClient(b, tconn, 1, nil)
	ct, r := dial(b, target, addr, "chat")
	mustConnect(b, r)
	ct.register(b, tconn.LocalAddr().String())
	epd := flashcrypto.CanonicalEPD(target.PeerID())
	b.ReportAllocs()
	b.ResetTimer()
	got, wall, cpu := introduceLoad(b, srv, addr, [][]byte{epd}, b.N)
	b.ReportMetric(float64(got)/wall.Seconds(), "intros/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(got), "cpu-ns/intro")
}

// introduceLoad sends count IHellos, each naming one of epds in turn, from a
// raw socket, at most 256 ahead of the server, and returns how many were
// introduced, in what time and with what CPU time of this process.
func introduceLoad(b *testing.B, srv *Server, addr netip.AddrPort, epds [][]byte, count int) (int, time.Duration, time.Duration) {
	raw := listenUDP(b)
	defer raw.Close()
	go func() { // drain the Redirects
		buf := make([]byte, 2048)
		for {
			if _, _, err := raw.ReadFromUDPAddrPort(buf); err != nil {
				return
			}
		}
	}()
	tag := make([]byte, 16)
	intros := func() int { return int(atomic.LoadUint64(&srv.ctr.introductions)) }
	base := intros()
	kdrops := udpRcvbufErrors()
	cpu0, t0 := cpuTime(), time.Now()
	for sent := 0; sent < count; sent++ {
		tag[0], tag[1], tag[2] = byte(sent), byte(sent>>8), byte(sent>>16)
		if _, err := raw.WriteToUDPAddrPort(rawIHello(epds[sent%len(epds)], tag, 200), addr); err != nil {
			b.Fatal(err)
		}
		// Stay within the transport's reader queue (512 datagrams).
		for sent-(intros()-base) > 256 {
			time.Sleep(50 * time.Microsecond)
		}
	}
	// Until every IHello is handled or none was for 100 ms (a datagram
	// lost by the kernel).
	got, last := 0, time.Now()
	for got < count && time.Since(last) < 100*time.Millisecond {
		if g := intros() - base; g != got {
			got, last = g, time.Now()
		}
		time.Sleep(100 * time.Microsecond)
	}
	wall, cpu := last.Sub(t0), cpuTime()-cpu0
	if got < count {
		// Lost before the server saw them (socket buffer or the
		// transport's reader queue): reported, not hidden.
		b.Logf("%d of %d IHellos introduced; drops %v; transport %v; kernel UDP receive-buffer drops on the host +%d",
			got, count, srv.Stats().Dropped, srv.TransportStats(), udpRcvbufErrors()-kdrops)
	}
	b.ReportMetric(100*float64(count-got)/float64(count), "intro-loss-%")
	return got, wall, cpu
}
