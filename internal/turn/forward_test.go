package turn

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

func addrOf(c net.PacketConn) netip.AddrPort { return c.LocalAddr().(*net.UDPAddr).AddrPort() }

func readConn(t *testing.T, c *Conn) ([]byte, netip.AddrPort) {
	t.Helper()
	type res struct {
		b    []byte
		from netip.AddrPort
	}
	ch := make(chan res, 1)
	go func() {
		buf := make([]byte, 2048)
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err == nil {
			ch <- res{buf[:n], from}
		}
	}()
	select {
	case r := <-ch:
		return r.b, r.from
	case <-time.After(2 * time.Second):
		t.Fatal("nothing arrived")
	}
	return nil, netip.AddrPort{}
}

// TestForwardThroughMember: A and B exchange datagrams through F, which
// forwards for the pair: each sees the other's own address as the source,
// answers go back the same way, the forwarder holds each direction to its
// budget, and frames from anyone else are dropped.
func TestForwardThroughMember(t *testing.T) {
	a, f, b := NewConn(listenLoop(t), nil, nil), NewConn(listenLoop(t), nil, nil), NewConn(listenLoop(t), nil, nil)
	defer a.Close()
	defer f.Close()
	defer b.Close()
	aa, fa, ba := addrOf(a), addrOf(f), addrOf(b)
	f.AllowForward(aa, ba, 80_000) // 10 kB/s each way
	a.SetVia(ba, fa)
	b.SetVia(aa, fa)
	a.WriteToUDPAddrPort([]byte("hello B"), ba)
	if got, from := readConn(t, b); string(got) != "hello B" || from != aa {
		t.Fatalf("B read %q from %v", got, from)
	}
	b.WriteToUDPAddrPort([]byte("hello A"), aa)
	if got, from := readConn(t, a); string(got) != "hello A" || from != ba {
		t.Fatalf("A read %q from %v", got, from)
	}
	if a.ViaMember(ba) != fa || b.ViaMember(aa) != fa {
		t.Errorf("ViaMember %v, %v; want %v", a.ViaMember(ba), b.ViaMember(aa), fa)
	}
	// A stranger's frame aimed at B through F, and F claiming to bring
	// B a datagram from an origin B does not reach through it.
	s := listenLoop(t)
	defer s.Close()
	s.WriteToUDPAddrPort(appendFrame(nil, ba, []byte("spam")), fa)
	other := netip.MustParseAddrPort("192.0.2.7:1935")
	f.writeDirect(appendFrame(nil, other, []byte("spoofed")), ba)
	// Over budget: 40 datagrams of 1000 bytes at once; the bucket holds
	// 250 ms of 10 kB/s.
	payload := make([]byte, 1000)
	for range 40 {
		a.WriteToUDPAddrPort(payload, ba)
	}
	time.Sleep(200 * time.Millisecond)
	st := f.Stats()
	if st.Forwarded < 2 || st.Forwarded > 6 || st.ForwardDropped < 36 {
		t.Errorf("forwarder stats %+v: want about 4 forwarded and the rest (and the stranger's) dropped", st)
	}
	if st := a.Stats(); st.ViaOut != 41 || st.ViaIn != 1 || st.DirectOut != 0 {
		t.Errorf("A's stats %+v", st)
	}
	if st := b.Stats(); st.ViaIn > 6 || st.ForwardDropped != 1 || b.ViaMember(other).IsValid() {
		t.Errorf("B's stats %+v, route to %v via %v: the spoofed frame was taken", st, other, b.ViaMember(other))
	}
}

// TestParseFrame: every truncation of a frame is rejected; unusable
// addresses too.
func TestParseFrame(t *testing.T) {
	for _, a := range []netip.AddrPort{netip.MustParseAddrPort("192.0.2.1:1935"), netip.MustParseAddrPort("[2001:db8::1]:1935")} {
		f := appendFrame(nil, a, []byte("xy"))
		got, p, ok := parseFrame(f)
		if !ok || got != a || string(p) != "xy" {
			t.Fatalf("%v: parsed %v %q %v", a, got, p, ok)
		}
		hdr := len(f) - 2
		for i := range hdr {
			if _, _, ok := parseFrame(f[:i]); ok {
				t.Errorf("%v: %d-byte prefix parsed", a, i)
			}
		}
	}
	for _, a := range []string{"0.0.0.0:1", "224.0.0.1:1", "192.0.2.1:0"} {
		if _, _, ok := parseFrame(appendFrame(nil, netip.MustParseAddrPort(a), nil)); ok {
			t.Errorf("%s accepted", a)
		}
	}
}

func FuzzParseFrame(f *testing.F) {
	f.Add(appendFrame(nil, netip.MustParseAddrPort("192.0.2.1:1935"), []byte("x")))
	f.Add(appendFrame(nil, netip.MustParseAddrPort("[2001:db8::1]:1"), nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, p, ok := parseFrame(b)
		if ok {
			if again := appendFrame(nil, a, p); len(again) > len(b) {
				t.Fatalf("re-encoded longer: %d > %d", len(again), len(b))
			}
		}
	})
}
