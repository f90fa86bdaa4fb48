package rtmfp

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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
)

// Environment of BenchmarkHandshakeRate and its server process.
const (
	envHSServer   = "RTMFP_BENCH_HS_SERVER"   // set in the server process: its groups
	envHSExternal = "RTMFP_BENCH_HS_EXTERNAL" // addr:port,pid of a server to measure instead
	envHSProfile  = "RTMFP_BENCH_HS_PROFILE"  // CPU profile of the server process
	envHSCount    = "RTMFP_BENCH_HS_COUNT"    // handshakes per group (default 2000 and 800)
)

// procCPU is the user and system CPU time of process pid, all threads
// (Linux /proc/pid/stat, in clock ticks of 10 ms).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// BenchmarkHandshakeRate measures handshakes per CPU-second of a server in
// a process of its own (TestHandshakeServerProcess: an endpoint with an
// ephemeral-key certificate listing groups 14 and 2, HMAC and sequence
// numbers, as a rendezvous server has), over loopback: initiators with
// static keys of the group, made beforehand, each on its own socket,
// connect from a few goroutines of this process; the server's CPU
// (/proc/pid/stat, all threads) from the first IHello to the last
// session open is what is reported. RTMFP_BENCH_HS_EXTERNAL=addr:port,pid
// measures another server instead (rtmfp-cpp's tcserver, reached by the
// ancillary EPD "rtmfp:" a server accepts), with the same initiators.
// Run with -benchtime 1x.
func BenchmarkHandshakeRate(b *testing.B) {
	for _, c := range []struct {
		g flashcrypto.Group
		n int
	}{{flashcrypto.Group2, 2000}, {flashcrypto.Group14, 800}} {
		b.Run(c.g.String(), func(b *testing.B) {
			b.ReportAllocs()
			n := c.n
			if s := os.Getenv(envHSCount); s != "" {
				n, _ = strconv.Atoi(s)
			}
			for range b.N {
				handshakeRateRun(b, c.g, n)
			}
		})
	}
}

func handshakeRateRun(b *testing.B, g flashcrypto.Group, n int) {
	var addr netip.AddrPort
	var epd []byte
	var pid int
	if ext := os.Getenv(envHSExternal); ext != "" {
		a, p, _ := strings.Cut(ext, ",")
		addr = netip.MustParseAddrPort(a)
		pid, _ = strconv.Atoi(p)
		epd = flashcrypto.EPD{HasAncillary: true, Ancillary: []byte("rtmfp:")}.Append(nil)
	} else {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHandshakeServerProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envHSServer+"=14,2")
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { stdin.Close(); _ = cmd.Wait() }()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "LISTEN" {
				addr = netip.MustParseAddrPort(f[1])
				id, err := flashcrypto.ParsePeerID(f[2])
				if err != nil {
					b.Fatal(err)
				}
				epd = flashcrypto.CanonicalEPD(id)
				break
			}
		}
		if !addr.IsValid() {
			b.Fatal("server process failed")
		}
		pid = cmd.Process.Pid
	}
	// The initiators' identities, made before the clock starts.
	ids := make([]*flashcrypto.Identity, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				id, err := flashcrypto.NewStaticIdentity(rand.Reader, []flashcrypto.Group{g}, flashcrypto.CertOptions{})
				if err != nil {
					panic(err)
				}
				ids[i] = id
			}
		})
	}
	wg.Wait()
	eps := make([]*Endpoint, n)
	defer func() {
		for _, ep := range eps {
			if ep != nil {
				ep.Close()
			}
		}
	}()
	cpu0, err := procCPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	next.Store(0)
	var failed atomic.Int64
	// Fewer handshakes at once than the server's queue of key agreements
	// (MaxPendingKeying).
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
				if err != nil {
					failed.Add(1)
					continue
				}
				ep, err := NewEndpoint(c, Config{Identity: ids[i], KeepalivePeriod: time.Minute, RetransmitLimit: 2 * time.Minute})
				if err != nil {
					c.Close()
					failed.Add(1)
					continue
				}
				eps[i] = ep
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				if _, err := ep.Connect(ctx, epd, addr); err != nil {
					failed.Add(1)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	wall := time.Since(t0)
	cpu1, err := procCPU(pid)
	if err != nil {
		b.Fatal(err)
	}
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d handshakes failed", f, n)
	}
	cpu := cpu1 - cpu0
	b.ReportMetric(float64(n)/cpu.Seconds(), "handshakes/cpu-s")
	b.ReportMetric(float64(n)/wall.Seconds(), "handshakes/s")
	b.Logf("%v: %d handshakes in %v, server CPU %v", g, n, wall.Round(time.Millisecond), cpu)
}

// TestHandshakeServerProcess is the server process of
// BenchmarkHandshakeRate; it does nothing in a normal test run.
func TestHandshakeServerProcess(t *testing.T) {
	spec := os.Getenv(envHSServer)
	if spec == "" {
		t.Skip("server process of BenchmarkHandshakeRate")
	}
	var groups []flashcrypto.Group
	for _, s := range strings.Split(spec, ",") {
		g, _ := strconv.Atoi(s)
		groups = append(groups, flashcrypto.Group(g))
	}
	id, err := flashcrypto.NewEphemeralIdentity(rand.Reader, groups, flashcrypto.CertOptions{AcceptsAncillary: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadBuffer(4 << 20)
	ep, err := NewEndpoint(c, Config{Identity: id, KeepalivePeriod: time.Minute, RetransmitLimit: 2 * time.Minute,
		AcceptQueue: 64, Admission: Admission{MaxSessions: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	defer profileTo(t, envHSProfile)()
	go func() { // sessions stay open until the endpoint closes
		for {
			if _, err := ep.Accept(context.Background()); err != nil {
				return
			}
		}
	}()
	fmt.Printf("LISTEN %v %v\n", ep.LocalAddr(), ep.PeerID())
	_, _ = io.Copy(io.Discard, os.Stdin) // until the benchmark is done
}
