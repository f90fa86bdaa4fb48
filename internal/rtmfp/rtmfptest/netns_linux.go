package rtmfptest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// VethPair is a real link for benchmarks: two network namespaces joined by
// a veth pair, A (10.77.0.1) and B (10.77.0.2), with an optional tbf qdisc
// on A's egress as the bottleneck. Sockets opened with ListenUDP live in a
// namespace while the process stays where it is, so both ends share one
// clock. It needs root and iproute2 (ip, tc); NewVethPair says what is
// missing. Close removes everything it created.
type VethPair struct {
	nsA, nsB   string
	devA, devB string
	A, B       netip.Addr
}

// ErrNoNetns: network namespaces cannot be made here (not root, no
// iproute2).
var ErrNoNetns = errors.New("rtmfptest: network namespaces unavailable")

// NewVethPair creates the namespaces and the link. tag (a few letters)
// and the process ID name them, so that concurrent benchmarks do not meet.
func NewVethPair(tag string) (*VethPair, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: needs root", ErrNoNetns)
	}
	for _, bin := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%w: %s not found (iproute2)", ErrNoNetns, bin)
		}
	}
	id := fmt.Sprintf("%s%d", tag, os.Getpid()%100000)
	v := &VethPair{nsA: id + "a", nsB: id + "b", devA: id + "x", devB: id + "y",
		A: netip.MustParseAddr("10.77.0.1"), B: netip.MustParseAddr("10.77.0.2")}
	steps := [][]string{
		{"ip", "netns", "add", v.nsA},
		{"ip", "netns", "add", v.nsB},
		{"ip", "link", "add", v.devA, "netns", v.nsA, "type", "veth", "peer", "name", v.devB, "netns", v.nsB},
		{"ip", "-n", v.nsA, "addr", "add", v.A.String() + "/24", "dev", v.devA},
		{"ip", "-n", v.nsB, "addr", "add", v.B.String() + "/24", "dev", v.devB},
		{"ip", "-n", v.nsA, "link", "set", v.devA, "up"},
		{"ip", "-n", v.nsB, "link", "set", v.devB, "up"},
		{"ip", "-n", v.nsA, "link", "set", "lo", "up"},
		{"ip", "-n", v.nsB, "link", "set", "lo", "up"},
	}
	for _, s := range steps {
		if err := run(s...); err != nil {
			v.Close()
			return nil, err
		}
	}
	return v, nil
}

func run(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("rtmfptest: %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Shape puts a tbf qdisc on A's egress: rate in bit/s, burst in bytes, and
// latency, the longest a packet may wait (tbf's buffer). A rate of 0
// removes the qdisc (no limit).
func (v *VethPair) Shape(rate BitRate, burst int, latency time.Duration) error {
	_ = run("tc", "-n", v.nsA, "qdisc", "del", "dev", v.devA, "root")
	if rate == 0 {
		return nil
	}
	return run("tc", "-n", v.nsA, "qdisc", "replace", "dev", v.devA, "root", "tbf",
		"rate", strconv.FormatInt(int64(rate), 10)+"bit", "burst", strconv.Itoa(burst),
		"latency", strconv.FormatInt(latency.Milliseconds(), 10)+"ms")
}

var tbfDropped = regexp.MustCompile(`dropped (\d+)`)

// Drops is what the qdisc on A's egress dropped so far (0 without one).
func (v *VethPair) Drops() (uint64, error) {
	out, err := exec.Command("tc", "-n", v.nsA, "-s", "qdisc", "show", "dev", v.devA).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("rtmfptest: tc -s qdisc: %w: %s", err, out)
	}
	m := tbfDropped.FindSubmatch(out)
	if m == nil {
		return 0, nil
	}
	return strconv.ParseUint(string(m[1]), 10, 64)
}

// ListenUDP opens a UDP socket in A's namespace (a) or B's, on port (0:
// any).
func (v *VethPair) ListenUDP(a bool, port uint16) (*net.UDPConn, error) {
	ns, addr := v.nsB, v.B
	if a {
		ns, addr = v.nsA, v.A
	}
	var c *net.UDPConn
	err := inNetns("/var/run/netns/"+ns, func() error {
		var err error
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, port)))
		return err
	})
	return c, err
}

// inNetns runs f on a thread moved into the namespace at path, and moves
// the thread back. A thread that cannot be moved back is not given back to
// the scheduler (it ends with the goroutine).
func inNetns(path string, f func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	target, err := os.Open(path)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer target.Close()
	if err := setns(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("rtmfptest: setns %s: %w", path, err)
	}
	ferr := f()
	if err := setns(orig); err != nil {
		return fmt.Errorf("rtmfptest: setns back: %w", err) // the thread stays locked and dies
	}
	runtime.UnlockOSThread()
	return ferr
}

func setns(f *os.File) error { return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET) }

// Do runs f on a thread inside A's namespace (a) or B's: what f opens
// (sockets of any kind, on any address of that namespace) stays there.
func (v *VethPair) Do(a bool, f func() error) error {
	ns := v.nsB
	if a {
		ns = v.nsA
	}
	return inNetns("/var/run/netns/"+ns, f)
}

// IP runs `ip -n <namespace> args…` in A's namespace (a) or B's, for the
// addresses and routes a benchmark adds (Dev names the veth ends).
func (v *VethPair) IP(a bool, args ...string) error {
	ns := v.nsB
	if a {
		ns = v.nsA
	}
	return run(append([]string{"ip", "-n", ns}, args...)...)
}

// Dev is the name of A's (a) or B's end of the veth pair.
func (v *VethPair) Dev(a bool) string {
	if a {
		return v.devA
	}
	return v.devB
}

// Close deletes the namespaces (and with them the veth pair).
func (v *VethPair) Close() error {
	err1 := run("ip", "netns", "del", v.nsA)
	err2 := run("ip", "netns", "del", v.nsB)
	return errors.Join(err1, err2)
}

// Exec returns a command that runs in A's namespace (a) or B's, for
// programs run beside a benchmark.
func (v *VethPair) Exec(a bool, name string, args ...string) *exec.Cmd {
	ns := v.nsB
	if a {
		ns = v.nsA
	}
	return exec.Command("ip", append([]string{"netns", "exec", ns, name}, args...)...)
}
