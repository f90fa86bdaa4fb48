package rtmfp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/flow"
	"camchat/internal/rtmfp/rtmfptest"
)

const (
	envCPUReceiver        = "RTMFP_BENCH_RECEIVER"
	envCPUReceiverProfile = "RTMFP_BENCH_RECEIVER_PROFILE" // CPU profile of the receiving process
)

// processCPU is this process's user and system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// profileTo starts a CPU profile of this process into the file that the
// environment variable env names, if it is set; the returned func stops it.
func profileTo(t testing.TB, env string) func() {
	p := os.Getenv(env)
	if p == "" {
		return func() {}
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	_ = pprof.StartCPUProfile(f)
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// BenchmarkCPUPerByte sends 200 MiB in 16 KiB messages over loopback UDP
// with HMAC and session sequence numbers, the receiver in another process
// (TestCPUReceiverProcess), and reports each side's CPU time per 100 MB:
// the figure to set beside rtmfp-cpp's. Run with -benchtime 1x;
// -cpuprofile profiles the sender, RTMFP_BENCH_RECEIVER_PROFILE=file the
// receiver.
func BenchmarkCPUPerByte(b *testing.B) {
	b.ReportAllocs()
	const msgSize, total = 16 << 10, 200 << 20
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCPUReceiverProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), envCPUReceiver+"="+strconv.Itoa(total))
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		var addr netip.AddrPort
		var peer flashcrypto.PeerID
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "LISTEN" {
				addr = netip.MustParseAddrPort(f[1])
				p, err := flashcrypto.ParsePeerID(f[2])
				if err != nil {
					b.Fatal(err)
				}
				peer = p
				break
			}
		}
		if !addr.IsValid() {
			b.Fatal("receiver process failed")
		}
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Skip("no loopback UDP:", err)
		}
		_ = c.SetWriteBuffer(4 << 20)
		_ = c.SetReadBuffer(4 << 20)
		ep, err := NewEndpoint(c, Config{Identity: rtmfptest.Identity(0)})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		s, err := ep.Connect(ctx, flashcrypto.CanonicalEPD(peer), addr)
		if err != nil {
			b.Fatal(err)
		}
		f, err := s.OpenFlow([]byte("bulk"), flow.PriorityBulk)
		if err != nil {
			b.Fatal(err)
		}
		msg := make([]byte, msgSize)
		cpu0, t0 := processCPU(), time.Now()
		var last *Receipt
		for range total / msgSize {
			if last, err = f.Write(msg, WriteOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		<-last.Done()
		sendCPU, wall := processCPU()-cpu0, time.Since(t0)
		var recvCPU time.Duration
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "CPU" {
				d, _ := time.ParseDuration(f[1])
				recvCPU = d
				break
			}
		}
		st := s.Stats()
		s.Close()
		ep.Close()
		cancel()
		_ = cmd.Wait()
		per100 := func(d time.Duration) float64 { return d.Seconds() * 100e6 / total }
		b.ReportMetric(per100(sendCPU), "send-cpu-s/100MB")
		b.ReportMetric(per100(recvCPU), "recv-cpu-s/100MB")
		b.ReportMetric(float64(total)/wall.Seconds()/1e6, "MB/s")
		b.Logf("%d MiB in %v: sender CPU %v, receiver CPU %v, %d retransmissions", total>>20, wall.Round(time.Millisecond), sendCPU.Round(time.Millisecond), recvCPU.Round(time.Millisecond), st.Retransmits)
	}
}

// TestCPUReceiverProcess is the receiving process of BenchmarkCPUPerByte;
// it does nothing in a normal test run.
func TestCPUReceiverProcess(t *testing.T) {
	total, _ := strconv.Atoi(os.Getenv(envCPUReceiver))
	if total == 0 {
		t.Skip("receiver process of BenchmarkCPUPerByte")
	}
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadBuffer(4 << 20)
	_ = c.SetWriteBuffer(4 << 20)
	ep, err := NewEndpoint(c, Config{Identity: rtmfptest.Identity(1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	fmt.Printf("LISTEN %v %v\n", ep.LocalAddr(), ep.PeerID())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := ep.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := s.AcceptFlow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer profileTo(t, envCPUReceiverProfile)()
	cpu0 := processCPU()
	got := 0
	buf := make([]byte, 0, 64<<10)
	for got < total {
		m, err := rf.ReadAppend(ctx, buf[:0])
		if err != nil {
			t.Fatal(err)
		}
		got += len(m)
	}
	fmt.Printf("CPU %v\n", processCPU()-cpu0)
	st := s.Stats()
	fmt.Fprintf(os.Stderr, "receiver: %d packets in, %d out\n", st.PacketsReceived, st.PacketsSent)
	<-s.Done()
}
