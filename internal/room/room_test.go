package room

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
)

// The room's tests run whole calls on rtmfptest's simulated network under
// testing/synctest: real codecs and the synthetic camera and microphone,
// virtual time, no sleeps. Each member is a Room on its own simulated host.

// testMember is one Room with what its events said.
type testMember struct {
	t    *testing.T
	r    *Room
	id   flashcrypto.PeerID
	addr netip.AddrPort
	name string

	mu     sync.Mutex
	events []Event
	done   chan struct{}
}

type scene struct {
	t     *testing.T
	net   *rtmfptest.Network
	ms    []*testMember
	hosts []*rtmfptest.Host
}

func newScene(t *testing.T, seed uint64) *scene {
	n := rtmfptest.NewNetwork(rtmfptest.Config{Seed: seed, DefaultLink: rtmfptest.LinkConditions{Delay: 10 * time.Millisecond}})
	sc := &scene{t: t, net: n}
	t.Cleanup(func() {
		for _, m := range sc.ms {
			m.close()
		}
		n.Close()
	})
	return sc
}

// add starts member i (identity i, host 10.0.0.i+1) on the public realm,
// or behind nat when it is not nil.
func (sc *scene) add(i int, name string, mod func(*Config)) *testMember {
	sc.t.Helper()
	a := netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i%250 + 1)})
	h, err := sc.net.AddHost(fmt.Sprintf("host%d", i), a)
	if err != nil {
		sc.t.Fatal(err)
	}
	sc.hosts = append(sc.hosts, h)
	return sc.addOn(h, a, i, name, mod)
}

func (sc *scene) addOn(h *rtmfptest.Host, a netip.Addr, i int, name string, mod func(*Config)) *testMember {
	sc.t.Helper()
	conn, err := h.Listen(netip.AddrPortFrom(a, 1935))
	if err != nil {
		sc.t.Fatal(err)
	}
	cfg := Config{Identity: rtmfptest.Identity(i), Name: name, Conn: conn}
	if mod != nil {
		mod(&cfg)
	}
	r, err := New(cfg)
	if err != nil {
		sc.t.Fatal(err)
	}
	m := &testMember{t: sc.t, r: r, id: r.PeerID(), addr: conn.LocalAddrPort(), name: name, done: make(chan struct{})}
	go m.collect()
	sc.ms = append(sc.ms, m)
	return m
}

func (m *testMember) collect() {
	for {
		select {
		case ev := <-m.r.Events():
			m.mu.Lock()
			m.events = append(m.events, ev)
			m.mu.Unlock()
		case <-m.done:
			return
		}
	}
}

func (m *testMember) close() {
	select {
	case <-m.done:
		return
	default:
	}
	m.r.Close()
	close(m.done)
}

// invite is m's invite with its address on the simulated network.
func (m *testMember) invite() string {
	s, err := identity.FormatInvite(m.id, []netip.AddrPort{m.addr}, "")
	if err != nil {
		m.t.Fatal(err)
	}
	return s
}

func (m *testMember) join(other *testMember) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return m.r.Join(ctx, other.invite())
}

func (m *testMember) eventsOf(k EventKind) []Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Event
	for _, ev := range m.events {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

// member returns what m's snapshot says about peer, if it lists it (the
// latest entry: one who left and came back is listed twice for a while).
func (m *testMember) member(peer *testMember) (Member, bool) {
	ms := m.r.Snapshot().Members
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].PeerID == peer.id {
			return ms[i], true
		}
	}
	return Member{}, false
}

// connectedTo lists whom m has in the call.
func (m *testMember) connectedTo() []flashcrypto.PeerID {
	var out []flashcrypto.PeerID
	for _, x := range m.r.Snapshot().Members {
		if x.State == StateConnected {
			out = append(out, x.PeerID)
		}
	}
	return out
}

// waitFor advances virtual time in 100 ms steps until cond holds or limit
// passes (then it fails the test, logging every member's view); it returns
// how long that took.
func (sc *scene) waitFor(limit time.Duration, what string, cond func() bool) time.Duration {
	t := sc.t
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			for _, m := range sc.ms {
				snap := m.r.Snapshot()
				t.Logf("%s (%s) room %.8s:", m.name, shortID(m.id), snap.RoomID)
				for _, x := range snap.Members {
					t.Logf("    %s %s %v %v", x.Name, shortID(x.PeerID), x.State, x.Addr)
				}
			}
			t.Fatalf("after %v: %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

// fullMesh reports whether every member has every other one connected.
func (sc *scene) fullMesh(ms ...*testMember) bool {
	for _, m := range ms {
		got := m.connectedTo()
		if len(got) != len(ms)-1 {
			return false
		}
		for _, o := range ms {
			if o != m && !slices.Contains(got, o.id) {
				return false
			}
		}
	}
	return true
}

// TestTwoPeopleCall: one person pastes the other's invite; within a second
// both are in one call, audio and video flow both ways (frames counted at
// the receivers), both ends show the same short code with swapped nonces,
// chat arrives with a receipt, and a member who leaves is gone on the other
// side within a second.
func TestTwoPeopleCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 1)
		ada := sc.add(0, "Ada", nil)
		bob := sc.add(1, "Bob", nil)
		start := time.Now()
		if err := ada.join(bob); err != nil {
			t.Fatal(err)
		}
		took := sc.waitFor(5*time.Second, "a two-person call", func() bool { return sc.fullMesh(ada, bob) })
		t.Logf("joined in %v (virtual), both connected after %v more", time.Since(start)-took, took)

		time.Sleep(5 * time.Second)
		for _, pair := range [][2]*testMember{{ada, bob}, {bob, ada}} {
			x, _ := pair[0].member(pair[1])
			// 5 s of 20 ms audio is 250 frames; video at 15 fps is 75.
			if x.AudioPlayed < 200 || x.VideoShown < 55 {
				t.Errorf("%s from %s: %d audio frames played, %d video frames shown in 5 s", pair[0].name, pair[1].name, x.AudioPlayed, x.VideoShown)
			}
			if x.Name != pair[1].name || !x.MicOn || !x.CameraOn || !x.CameraSynthetic {
				t.Errorf("%s sees %s as %+v", pair[0].name, pair[1].name, x)
			}
		}
		a, _ := ada.member(bob)
		b, _ := bob.member(ada)
		if len(a.Verification.Code) < 6 || !slices.Equal(a.Verification.Code, b.Verification.Code) {
			t.Errorf("codes %v and %v", a.Verification.Code, b.Verification.Code)
		}
		if a.Verification.NearNonce != b.Verification.FarNonce || a.Verification.FarNonce != b.Verification.NearNonce {
			t.Error("nonces not swapped between the two ends")
		}
		if ada.r.Snapshot().RoomID == "" || ada.r.Snapshot().RoomID != bob.r.Snapshot().RoomID {
			t.Errorf("room IDs %q and %q", ada.r.Snapshot().RoomID, bob.r.Snapshot().RoomID)
		}

		msg, err := ada.r.SendChat("hello Bob")
		if err != nil {
			t.Fatal(err)
		}
		sc.waitFor(2*time.Second, "chat delivered", func() bool { return len(ada.eventsOf(EventChatDelivered)) == 1 })
		got := bob.eventsOf(EventChat)
		if len(got) != 1 || got[0].Chat.Text != "hello Bob" || got[0].Chat.From != ada.id || got[0].Chat.ID != msg.ID {
			t.Fatalf("Bob's chat events %+v", got)
		}
		if h := ada.r.Chat(); len(h) != 1 || !h[0].Delivered() {
			t.Errorf("Ada's history %+v", h)
		}
		// A burst arrives complete and in order.
		var want []string
		for i := range 30 {
			want = append(want, fmt.Sprintf("line %d", i))
			if _, err := ada.r.SendChat(want[i]); err != nil {
				t.Fatal(err)
			}
		}
		sc.waitFor(2*time.Second, "the burst delivered", func() bool { return len(ada.eventsOf(EventChatDelivered)) == 31 })
		var got2 []string
		for _, ev := range bob.eventsOf(EventChat)[1:] {
			got2 = append(got2, ev.Chat.Text)
		}
		if !slices.Equal(got2, want) {
			t.Errorf("Bob got %q", got2)
		}

		bob.r.Leave()
		left := sc.waitFor(time.Second, "Ada sees Bob leave", func() bool { return len(ada.eventsOf(EventLeft)) == 1 })
		if ev := ada.eventsOf(EventLeft)[0]; ev.Peer != bob.id || ev.Reason != "left the call" {
			t.Errorf("left event %+v", ev)
		}
		t.Logf("leave noticed after %v", left)
	})
}

// TestGlare: two people paste each other's invite at the same moment and end
// in one call, with one room ID.
func TestGlare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 2)
		ada := sc.add(0, "Ada", nil)
		bob := sc.add(1, "Bob", nil)
		errs := make(chan error, 2)
		go func() { errs <- ada.join(bob) }()
		go func() { errs <- bob.join(ada) }()
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		sc.waitFor(5*time.Second, "one call", func() bool { return sc.fullMesh(ada, bob) })
		if a, b := ada.r.Snapshot().RoomID, bob.r.Snapshot().RoomID; a == "" || a != b {
			t.Fatalf("room IDs %q and %q", a, b)
		}
	})
}

// TestFiveAndASixth: five people form a full mesh by joining one member;
// a sixth is told the call is full, and nobody in it loses a frame or sees
// the sixth.
func TestFiveAndASixth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 3)
		var ms []*testMember
		for i := range MaxMembers {
			ms = append(ms, sc.add(i, fmt.Sprintf("m%d", i), nil))
		}
		for _, m := range ms[1:] {
			if err := m.join(ms[0]); err != nil {
				t.Fatalf("%s: %v", m.name, err)
			}
		}
		took := sc.waitFor(10*time.Second, "a full mesh of five", func() bool { return sc.fullMesh(ms...) })
		t.Logf("full mesh %v after the last join", took)
		time.Sleep(2 * time.Second) // every jitter buffer settled
		before := map[[2]int]Member{}
		for i, m := range ms {
			for j, o := range ms {
				if i != j {
					before[[2]int{i, j}], _ = m.member(o)
				}
			}
		}
		sixth := sc.add(5, "sixth", nil)
		err := sixth.join(ms[2])
		if !errors.Is(err, ErrRoomFull) {
			t.Fatalf("sixth joining: %v, want ErrRoomFull", err)
		}
		time.Sleep(3 * time.Second)
		for i, m := range ms {
			if _, ok := m.member(sixth); ok {
				t.Errorf("%s lists the sixth", m.name)
			}
			for j, o := range ms {
				if i == j {
					continue
				}
				b := before[[2]int{i, j}]
				a, _ := m.member(o)
				if a.AudioLost != b.AudioLost {
					t.Errorf("%s lost %d audio frames from %s while the sixth was refused", m.name, a.AudioLost-b.AudioLost, o.name)
				}
				// 3 s at 50 audio frames a second.
				if a.AudioPlayed-b.AudioPlayed < 140 {
					t.Errorf("%s played %d audio frames from %s in 3 s", m.name, a.AudioPlayed-b.AudioPlayed, o.name)
				}
			}
		}
		if len(sixth.connectedTo()) != 0 {
			t.Errorf("the sixth is connected to %v", sixth.connectedTo())
		}
	})
}

// TestCallsNeverMerge: two two-person calls; a member of one joining a
// member of the other is refused, and both calls go on.
func TestCallsNeverMerge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 4)
		a, b, c, d := sc.add(0, "a", nil), sc.add(1, "b", nil), sc.add(2, "c", nil), sc.add(3, "d", nil)
		if err := a.join(b); err != nil {
			t.Fatal(err)
		}
		if err := c.join(d); err != nil {
			t.Fatal(err)
		}
		sc.waitFor(5*time.Second, "two calls", func() bool { return sc.fullMesh(a, b) && sc.fullMesh(c, d) })
		if err := a.join(c); !errors.Is(err, ErrOtherCall) {
			t.Fatalf("joining across calls: %v, want ErrOtherCall", err)
		}
		time.Sleep(2 * time.Second)
		if !sc.fullMesh(a, b) || !sc.fullMesh(c, d) {
			t.Fatalf("calls changed: a %v, c %v", a.connectedTo(), c.connectedTo())
		}
	})
}

// TestCrashedMemberDropped: a member whose network disappears (no goodbye)
// is dropped by the others within 10 s, and can come back with the same
// peer ID.
func TestCrashedMemberDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 5)
		a, b, c := sc.add(0, "a", nil), sc.add(1, "b", nil), sc.add(2, "c", nil)
		for _, m := range []*testMember{b, c} {
			if err := m.join(a); err != nil {
				t.Fatal(err)
			}
		}
		sc.waitFor(10*time.Second, "a call of three", func() bool { return sc.fullMesh(a, b, c) })
		// c's machine vanishes: every datagram to or from it is lost.
		ch := sc.hosts[2]
		ch.Uplink().SetConditions(rtmfptest.LinkConditions{Loss: 1})
		ch.Downlink().SetConditions(rtmfptest.LinkConditions{Loss: 1})
		took := sc.waitFor(10*time.Second, "c dropped by both", func() bool {
			_, inA := a.member(c)
			xa, _ := a.member(c)
			xb, _ := b.member(c)
			return (!inA || xa.State == StateLeft) && xb.State == StateLeft
		})
		t.Logf("crash noticed after %v", took)
		if ev := a.eventsOf(EventLeft); len(ev) != 1 || ev[0].Reason != "connection lost" {
			t.Errorf("a's left events %+v", ev)
		}
		if !sc.fullMesh(a, b) {
			t.Fatalf("a and b lost each other: %v %v", a.connectedTo(), b.connectedTo())
		}
	})
}

// TestVerification: the call-wide mark needs every pair's verdict; "they
// differ" raises a warning; a verified friend's name under a new peer ID
// comes back as "identity changed", not as verified.
func TestVerification(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 6)
		trust := identity.MemoryTrust()
		ada := sc.add(0, "Ada", func(c *Config) { c.Trust = trust })
		bob := sc.add(1, "Bob", nil)
		cat := sc.add(2, "Cat", nil)
		for _, m := range []*testMember{bob, cat} {
			if err := m.join(ada); err != nil {
				t.Fatal(err)
			}
		}
		sc.waitFor(10*time.Second, "a call of three", func() bool { return sc.fullMesh(ada, bob, cat) })
		set := func(m, peer *testMember, v identity.Verdict) {
			t.Helper()
			if err := m.r.SetVerdict(peer.id, v); err != nil {
				t.Fatal(err)
			}
		}
		pairs := [][2]*testMember{{ada, bob}, {bob, ada}, {ada, cat}, {cat, ada}, {bob, cat}}
		for _, p := range pairs {
			set(p[0], p[1], identity.VerdictMatch)
		}
		time.Sleep(time.Second)
		if ada.r.Snapshot().AllVerified {
			t.Fatal("call-wide verified with Cat's verdict on Bob missing")
		}
		set(cat, bob, identity.VerdictMatch)
		sc.waitFor(2*time.Second, "call-wide verified at all three", func() bool {
			return ada.r.Snapshot().AllVerified && bob.r.Snapshot().AllVerified && cat.r.Snapshot().AllVerified
		})
		if x, _ := ada.member(bob); x.Verification.Status.State != identity.Verified {
			t.Errorf("Ada sees Bob as %v", x.Verification.Status.State)
		}

		set(bob, cat, identity.VerdictDiffer)
		synctest.Wait() // the event reaches the collector
		evs := bob.eventsOf(EventVerification)
		if last := evs[len(evs)-1]; last.Peer != cat.id || last.Status.State != identity.Differ || !last.Status.State.Warning() {
			t.Errorf("Bob's last verification event %+v", last)
		}
		sc.waitFor(2*time.Second, "the call-wide mark gone", func() bool { return !ada.r.Snapshot().AllVerified })

		// Bob leaves and someone else comes back as "Bob" under another
		// peer ID: Ada, who verified Bob, is warned.
		bob.r.Leave()
		sc.waitFor(2*time.Second, "Bob gone", func() bool { return len(ada.eventsOf(EventLeft)) == 1 })
		fake := sc.add(3, "Bob", nil)
		if err := fake.join(ada); err != nil {
			t.Fatal(err)
		}
		sc.waitFor(2*time.Second, "the new Bob in Ada's call", func() bool { return slices.Contains(ada.connectedTo(), fake.id) })
		x, _ := ada.member(fake)
		if x.Verification.Status.State != identity.IdentityChanged || x.Verification.Status.Was.PeerID != bob.id {
			t.Errorf("the new Bob is %v (was %v)", x.Verification.Status.State, x.Verification.Status.Was.PeerID)
		}
	})
}

// TestSimultaneousJoins: four people join the same member at the same
// moment; they meet each other through the roster at the same time too
// (sessions opened from both sides at once), and all five end in one full
// mesh.
func TestSimultaneousJoins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 7)
		host := sc.add(0, "host", nil)
		ms := []*testMember{host}
		for i := 1; i < MaxMembers; i++ {
			ms = append(ms, sc.add(i, fmt.Sprintf("m%d", i), nil))
		}
		errs := make(chan error, len(ms))
		for _, m := range ms[1:] {
			go func() { errs <- m.join(host) }()
		}
		for range ms[1:] {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		took := sc.waitFor(10*time.Second, "a full mesh of five", func() bool { return sc.fullMesh(ms...) })
		t.Logf("full mesh %v after the joins returned", took)
	})
}

// TestRejoin: a member who left comes back with the same peer ID; one who
// crashed comes back before the others noticed, from another port, and
// replaces its old session at once.
func TestRejoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 9)
		ada := sc.add(0, "Ada", nil)
		bob := sc.add(1, "Bob", nil)
		if err := bob.join(ada); err != nil {
			t.Fatal(err)
		}
		sc.waitFor(5*time.Second, "a call", func() bool { return sc.fullMesh(ada, bob) })
		bob.close()
		sc.waitFor(time.Second, "Bob gone", func() bool { return len(ada.connectedTo()) == 0 })

		// Back, same identity, same host.
		bob2 := sc.addOn(sc.hosts[1], bob.addr.Addr(), 1, "Bob", nil)
		if err := bob2.join(ada); err != nil {
			t.Fatal(err)
		}
		sc.waitFor(5*time.Second, "Bob back", func() bool { return sc.fullMesh(ada, bob2) })

		// Bob's process dies without a word and restarts on another port
		// of the same host at once.
		bob2.r.ep.Close() // the socket is gone; no goodbye
		conn, err := sc.hosts[1].Listen(netip.AddrPortFrom(bob.addr.Addr(), 1936))
		if err != nil {
			t.Fatal(err)
		}
		r3, err := New(Config{Identity: rtmfptest.Identity(1), Name: "Bob", Conn: conn})
		if err != nil {
			t.Fatal(err)
		}
		bob3 := &testMember{t: t, r: r3, id: r3.PeerID(), addr: conn.LocalAddrPort(), name: "Bob", done: make(chan struct{})}
		go bob3.collect()
		sc.ms = append(sc.ms, bob3)
		if err := bob3.join(ada); err != nil {
			t.Fatal(err)
		}
		took := sc.waitFor(3*time.Second, "Bob back after the crash", func() bool {
			x, ok := ada.member(bob3)
			return ok && x.State == StateConnected && x.Addr == bob3.addr && x.AudioPlayed > 10
		})
		t.Logf("the restarted member plays again %v after its join returned", took)
	})
}

// TestThreeOnBadLinks: three members, each behind an uplink of 600 kbit/s
// with 25 ms delay, 10 ms jitter and 3 % loss, and a downlink of 25 ms and
// 10 ms jitter (about 100 ms RTT): audio keeps flowing and video adapts to
// the uplink instead of stalling.
func TestThreeOnBadLinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 10)
		var ms []*testMember
		for i := range 3 {
			m := sc.add(i, fmt.Sprintf("m%d", i), nil)
			h := sc.hosts[i]
			h.Uplink().SetConditions(rtmfptest.LinkConditions{Delay: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, KeepOrder: true,
				Loss: 0.03, Rate: 600 * rtmfptest.Kbps, QueueDelay: 250 * time.Millisecond, HeaderBytes: 28})
			h.Downlink().SetConditions(rtmfptest.LinkConditions{Delay: 20 * time.Millisecond, Jitter: 10 * time.Millisecond, KeepOrder: true})
			ms = append(ms, m)
		}
		for _, m := range ms[1:] {
			if err := m.join(ms[0]); err != nil {
				t.Fatal(err)
			}
		}
		sc.waitFor(10*time.Second, "a call of three", func() bool { return sc.fullMesh(ms...) })
		time.Sleep(5 * time.Second) // the bitrate settles
		before := map[[2]int]Member{}
		for i, m := range ms {
			for j, o := range ms {
				if i != j {
					before[[2]int{i, j}], _ = m.member(o)
				}
			}
		}
		const window = 20 * time.Second
		time.Sleep(window)
		for i, m := range ms {
			for j, o := range ms {
				if i == j {
					continue
				}
				b := before[[2]int{i, j}]
				a, _ := m.member(o)
				audio := a.AudioPlayed + a.AudioFEC - b.AudioPlayed - b.AudioFEC
				video := a.VideoShown - b.VideoShown
				t.Logf("%s from %s: audio %d/1000 (lost %d, concealed %d), video %d frames (%.1f fps), layers sent %d, target %d kbit/s, send %d kbit/s, rtt %v, delay %v",
					m.name, o.name, audio, a.AudioLost-b.AudioLost, a.AudioConcealed-b.AudioConcealed, video, float64(video)/window.Seconds(),
					o.memberLayers(m), a.TargetBitrate/1000, a.SendBitrate/1000, a.SmoothedRTT.Round(time.Millisecond), a.AudioDelay)
				m.r.mu.Lock()
				if x := m.r.members[o.id]; x != nil && x.pm != nil {
					vs := x.pm.vr.Stats()
					t.Logf("   video receiver: received %d, decoded %d, skipped %d, keyframe requests %d, shown %d, late %d", vs.Received, vs.Decoded, vs.Skipped, vs.KeyframeRequests, vs.Display.Shown, vs.Display.Late)
				}
				m.r.mu.Unlock()
				if ss, ok := o.r.pub.SubscriberStats(m.id); ok {
					t.Logf("   sender: %+v, encoder %+v", ss, o.r.media.vs.Stats())
				}
				if audio < 950 {
					t.Errorf("%s from %s: %d audio frames played of 1000", m.name, o.name, audio)
				}
				if video < 100 {
					t.Errorf("%s from %s: %d video frames shown in %v: video stalled", m.name, o.name, video, window)
				}
			}
		}
	})
}

// memberLayers is how many video layers m sends to peer.
func (m *testMember) memberLayers(peer *testMember) int {
	x, _ := m.member(peer)
	return x.VideoLayersSent
}

// TestLeaveAndCallAgain: after Leave, calling the same person again from
// the same room works at once.
func TestLeaveAndCallAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 11)
		ada := sc.add(0, "Ada", nil)
		bob := sc.add(1, "Bob", nil)
		if err := bob.join(ada); err != nil {
			t.Fatal(err)
		}
		sc.waitFor(5*time.Second, "a call", func() bool { return sc.fullMesh(ada, bob) })
		bob.r.Leave()
		sc.waitFor(time.Second, "both alone", func() bool { return len(ada.connectedTo()) == 0 && len(bob.connectedTo()) == 0 })
		start := time.Now()
		if err := bob.join(ada); err != nil {
			t.Fatal(err)
		}
		took := sc.waitFor(5*time.Second, "the call again", func() bool { return sc.fullMesh(ada, bob) })
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("calling again took %v", d)
		}
		t.Logf("called again in %v (%v after Join returned)", time.Since(start), took)
	})
}

// TestLeaveAndRejoinThree: in a call of three, one leaves and calls back
// one of the others; it meets the third again at once (the call it left
// leaves no memory that would hold it back).
func TestLeaveAndRejoinThree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := newScene(t, 12)
		a, b, c := sc.add(0, "a", nil), sc.add(1, "b", nil), sc.add(2, "c", nil)
		for _, m := range []*testMember{b, c} {
			if err := m.join(a); err != nil {
				t.Fatal(err)
			}
		}
		sc.waitFor(5*time.Second, "a call of three", func() bool { return sc.fullMesh(a, b, c) })
		a.r.Leave()
		sc.waitFor(time.Second, "a gone", func() bool { return len(a.connectedTo()) == 0 && sc.fullMesh(b, c) })
		if err := a.join(b); err != nil {
			t.Fatal(err)
		}
		took := sc.waitFor(2*time.Second, "the three again", func() bool { return sc.fullMesh(a, b, c) })
		t.Logf("back with all three %v after the join returned", took)
	})
}
