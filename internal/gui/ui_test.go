package gui

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"camchat/internal/media/synth"
	"camchat/internal/room"
	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rtmfptest"
)

// The window's tests drive a real room over loopback UDP with Fyne's test
// driver: taps and typing go to the real widgets, the other participants are
// real rooms with the synthetic camera and microphone. The window runs in
// manual mode: nothing happens on the Fyne side until the test calls Sync,
// so widgets are only touched from the test's goroutine.

var synthetic = room.Devices{Camera: room.Synthetic, Microphone: room.Synthetic, Speaker: room.Synthetic}

// newPeer starts another participant (identity i) on loopback.
func newPeer(t *testing.T, i int, name string, mod func(*room.Config)) *room.Room {
	t.Helper()
	cfg := room.Config{Identity: testIdentity(t, i), Name: name, Listen: "127.0.0.1:0",
		Trust: identity.MemoryTrust(), Devices: synthetic}
	if mod != nil {
		mod(&cfg)
	}
	r, err := room.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	go func() {
		for {
			select {
			case <-r.Events():
			case <-r.Done():
				return
			}
		}
	}()
	return r
}

// testIdentity is the fixed identity i of rtmfptest (0..7), or a new one.
func testIdentity(t *testing.T, i int) *flashcrypto.Identity {
	if i < 8 {
		return rtmfptest.Identity(i)
	}
	id, err := identity.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func inviteOf(t *testing.T, r *room.Room) string {
	t.Helper()
	s, err := identity.FormatInvite(r.PeerID(), []netip.AddrPort{r.LocalAddr()}, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type testUI struct {
	*UI
	t     *testing.T
	saved []Settings
}

// newTestUI opens the window (identity i) on Fyne's test driver.
func newTestUI(t *testing.T, i int, name string, mod func(*Config)) *testUI {
	t.Helper()
	a := test.NewTempApp(t)
	tu := &testUI{t: t}
	cfg := Config{
		Room:         room.Config{Identity: testIdentity(t, i), Listen: "127.0.0.1:0", Trust: identity.MemoryTrust()},
		Settings:     Settings{Name: name, Camera: room.Synthetic, Microphone: room.Synthetic, Speaker: room.Synthetic},
		SaveSettings: func(s Settings) error { tu.saved = append(tu.saved, s); return nil },
	}
	if mod != nil {
		mod(&cfg)
	}
	ui, err := newUI(a, cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	tu.UI = ui
	ui.win.Show()
	t.Cleanup(ui.Close)
	return tu
}

// eventually syncs the window until cond holds (real UDP: real time).
func (tu *testUI) eventually(limit time.Duration, what string, cond func() bool) {
	tu.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		tu.Sync()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			tu.t.Fatalf("after %v: %s; status %q, join hint %q", limit, what, tu.status.Text, tu.panel.joinHint.Text)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// paste puts s in the join field as a paste does (one change), then
// presses Enter.
func (tu *testUI) joinByTyping(s string) {
	test.Type(tu.panel.join, s)
	tu.panel.join.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func (tu *testUI) memberRow(id flashcrypto.PeerID) *personRow { return tu.panel.rows[id] }

// callWith makes the window join r and waits until both see each other.
func (tu *testUI) callWith(r *room.Room) {
	tu.t.Helper()
	tu.joinByTyping(inviteOf(tu.t, r))
	tu.eventually(20*time.Second, "in a call with "+shortID(r.PeerID()), func() bool {
		m, ok := memberOf(tu.snap, r.PeerID())
		return ok && m.State == room.StateConnected && tu.tiles[r.PeerID()] != nil
	})
}

// objects lists every object under o, dialogs included when o is a canvas
// overlay.
func objects(o fyne.CanvasObject) []fyne.CanvasObject { return test.LaidOutObjects(o) }

func findButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, x := range objects(o) {
		if b, ok := x.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	t.Fatalf("no button %q", text)
	return nil
}

func labelsUnder(o fyne.CanvasObject) []string {
	var out []string
	for _, x := range objects(o) {
		if l, ok := x.(*widget.Label); ok && l.Visible() && l.Text != "" {
			out = append(out, l.Text)
		}
	}
	return out
}

func topOverlay(t *testing.T, w fyne.Window) fyne.CanvasObject {
	t.Helper()
	o := w.Canvas().Overlays().Top()
	if o == nil {
		t.Fatal("no dialog open")
	}
	return o
}

func anyContains(ss []string, sub string) bool {
	return slices.ContainsFunc(ss, func(s string) bool { return strings.Contains(s, sub) })
}

func TestJoinValidatesAsYouType(t *testing.T) {
	tu := newTestUI(t, 1, "Alice", nil)
	p := tu.panel
	if !p.joinButton.Disabled() || p.joinHint.Text != "" {
		t.Fatalf("empty field: button enabled %v, hint %q", !p.joinButton.Disabled(), p.joinHint.Text)
	}
	test.Type(p.join, "hello")
	if !p.joinButton.Disabled() || p.joinHint.Importance != widget.DangerImportance || !strings.Contains(p.joinHint.Text, "peer ID") {
		t.Fatalf("garbage: hint %q (%v)", p.joinHint.Text, p.joinHint.Importance)
	}
	// Enter on an invalid field calls nobody.
	p.join.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if tu.joining {
		t.Fatal("Enter on garbage started a call")
	}
	p.join.SetText("")
	test.Type(p.join, tu.room.PeerID().String()[:63])
	if !p.joinButton.Disabled() || !strings.Contains(p.joinHint.Text, "63") {
		t.Fatalf("63 hex digits: hint %q", p.joinHint.Text)
	}
	test.Type(p.join, tu.room.PeerID().String()[63:])
	if !p.joinButton.Disabled() || !strings.Contains(p.joinHint.Text, "your own peer ID") {
		t.Fatalf("own peer ID: hint %q", p.joinHint.Text)
	}
	p.join.SetText("")
	other := testIdentity(t, 9).PeerID().String()
	// What copying adds (quotes, spaces, a line break) is forgiven.
	test.Type(p.join, "\""+other[:30]+"\n"+other[30:]+"\". ")
	if p.joinButton.Disabled() || p.joinHint.Importance != widget.SuccessImportance {
		t.Fatalf("pasted peer ID with quotes and a break: hint %q (%v)", p.joinHint.Text, p.joinHint.Importance)
	}
}

func TestJoinCallsAndShowsTheCall(t *testing.T) {
	tu := newTestUI(t, 1, "Alice", nil)
	bob := newPeer(t, 2, "Bob", nil)
	if got := labelsUnder(tu.panel.content); !anyContains(got, "You are alone") || !anyContains(got, tu.room.PeerID().String()) {
		t.Fatalf("before the call the panel says %q", got)
	}
	// Copy puts the whole peer ID on the clipboard.
	test.Tap(tu.panel.copyID)
	if got := tu.app.Clipboard().Content(); got != tu.room.PeerID().String() {
		t.Fatalf("clipboard %q, want the peer ID", got)
	}
	if tu.panel.invite.Text != tu.room.Snapshot().Invite || !strings.HasPrefix(tu.panel.invite.Text, "camchat:") {
		t.Fatalf("invite shown %q", tu.panel.invite.Text)
	}
	test.Tap(tu.panel.copyInvite)
	if inv, err := identity.ParseInvite(tu.app.Clipboard().Content()); err != nil || inv.PeerID != tu.room.PeerID() || len(inv.Addrs) == 0 {
		t.Fatalf("clipboard invite %q: %v", tu.app.Clipboard().Content(), err)
	}

	tu.joinByTyping(inviteOf(t, bob))
	if !tu.panel.join.Disabled() || !strings.HasPrefix(tu.panel.joinHint.Text, "Calling "+shortID(bob.PeerID())) {
		t.Fatalf("while calling: field enabled %v, hint %q", !tu.panel.join.Disabled(), tu.panel.joinHint.Text)
	}
	tu.eventually(20*time.Second, "Bob in the call", func() bool {
		r := tu.memberRow(bob.PeerID())
		return r != nil && r.state == "in the call · not verified" && tu.tiles[bob.PeerID()] != nil
	})
	tu.eventually(5*time.Second, "the join settled", func() bool { return !tu.joining })
	if tu.panel.join.Text != "" || !strings.HasPrefix(tu.panel.joinHint.Text, "Connected") {
		t.Fatalf("after joining: field %q, hint %q", tu.panel.join.Text, tu.panel.joinHint.Text)
	}
	if !strings.Contains(tu.bar.call.Text, "2 people") || tu.bar.leave.Disabled() {
		t.Fatalf("toolbar says %q, leave enabled %v", tu.bar.call.Text, !tu.bar.leave.Disabled())
	}
	// Bob sees Alice too.
	if m, ok := memberOf(bob.Snapshot(), tu.room.PeerID()); !ok || m.Name != "Alice" {
		t.Fatalf("Bob's view of Alice: %+v %v", m.Name, ok)
	}
	// Bob's tile: name, short ID, the test pattern label, his code.
	bt := tu.tiles[bob.PeerID()]
	if bt.name.Text != "Bob · "+shortID(bob.PeerID()) {
		t.Fatalf("tile name %q", bt.name.Text)
	}
	tu.eventually(10*time.Second, "Bob's picture", func() bool { return bt.hasPicture })
	if !slices.Contains(bt.badgeWords(), "Test pattern (no camera)") {
		t.Fatalf("Bob's badges %q: want the test pattern named", bt.badgeWords())
	}
	if code := tu.snap.Members[0].Verification.Code; len(code) != 6 || bt.code.Text != "Code: "+strings.Join(code, " ") {
		t.Fatalf("tile code %q, code %q", bt.code.Text, code)
	}
	if tu.local.name.Text != "Alice (you) · "+shortID(tu.room.PeerID()) {
		t.Fatalf("local tile %q", tu.local.name.Text)
	}
}

func TestJoinErrors(t *testing.T) {
	tu := newTestUI(t, 1, "Alice", func(c *Config) { c.JoinTimeout = 40 * time.Second })

	// A bare peer ID without a rendezvous server: nowhere to look.
	tu.joinByTyping(testIdentity(t, 7).PeerID().String())
	tu.eventually(10*time.Second, "no-route error", func() bool { return !tu.joining })
	if tu.panel.joinHint.Importance != widget.DangerImportance || !strings.Contains(tu.panel.joinHint.Text, "rendezvous server") {
		t.Fatalf("no route: hint %q", tu.panel.joinHint.Text)
	}
	if tu.panel.join.Disabled() || tu.panel.joinButton.Disabled() {
		t.Fatal("after an error the field and button must be usable again")
	}

	// Nobody at the address: unreachable, after the room's connect timeout.
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := netip.MustParseAddrPort(pc.LocalAddr().String())
	pc.Close()
	inv, err := identity.FormatInvite(testIdentity(t, 8).PeerID(), []netip.AddrPort{dead}, "")
	if err != nil {
		t.Fatal(err)
	}
	tu.panel.join.SetText("")
	tu.joinByTyping(inv)
	tu.eventually(40*time.Second, "unreachable error", func() bool { return !tu.joining })
	if !strings.HasPrefix(tu.panel.joinHint.Text, "Unreachable") || !strings.Contains(tu.panel.joinHint.Text, dead.String()) {
		t.Fatalf("unreachable: hint %q", tu.panel.joinHint.Text)
	}

	// A full call: five people, the window is the sixth.
	host := newPeer(t, 10, "Host", nil)
	for i := 11; i <= 14; i++ {
		p := newPeer(t, i, fmt.Sprintf("P%d", i), func(c *room.Config) { c.CameraOff = true })
		if err := joinCtx(p, inviteOf(t, host)); err != nil {
			t.Fatalf("P%d joining the host: %v", i, err)
		}
	}
	tu.panel.join.SetText("")
	tu.joinByTyping(inviteOf(t, host))
	tu.eventually(30*time.Second, "room-full error", func() bool { return !tu.joining })
	if !strings.HasPrefix(tu.panel.joinHint.Text, "Call is full") {
		t.Fatalf("full call: hint %q", tu.panel.joinHint.Text)
	}
}

func TestJoinErrorTexts(t *testing.T) {
	// Every error the room can report has its own words, with what to do.
	for _, c := range []struct {
		err  error
		want string
	}{
		{room.ValidateTarget("12ab"), "Not a peer ID: 4 hex digits, need 64."},
		{room.ErrSelf, "your own peer ID"},
		{fmt.Errorf("%w: 1234abcd's call already has five people", room.ErrRoomFull), "Call is full: 1234abcd's call already has five people"},
		{fmt.Errorf("%w: 1234abcd is in a call with other people", room.ErrOtherCall), "Cannot join: 1234abcd is in a call"},
		{room.ErrUDPBlocked, "UDP seems blocked"},
		{fmt.Errorf("%w: x", room.ErrNoRoute), "rendezvous server"},
		{fmt.Errorf("%w: no answer from 1234abcd at 10.0.0.1:1", room.ErrUnreachable), "Unreachable: no answer from 1234abcd at 10.0.0.1:1"},
		{fmt.Errorf("join: %w", errDeadline{}), "no answer within 30s"},
		{room.ErrNotCamchat, "not camchat"},
		{fmt.Errorf("%w: 1234abcd said \"busy\"", room.ErrRefused), "Refused: 1234abcd said \"busy\""},
	} {
		if got := joinErrorText(c.err, 30*time.Second); !strings.Contains(got, c.want) {
			t.Errorf("%v: %q, want %q in it", c.err, got, c.want)
		}
	}
}

type errDeadline struct{}

func (errDeadline) Error() string { return "context deadline exceeded" }
func (errDeadline) Is(target error) bool {
	return target.Error() == "context deadline exceeded"
}

// pictureStamp reads the synthetic camera's stamp from a tile's picture.
func pictureStamp(img image.Image) (uint32, bool) {
	rgba, ok := img.(*image.RGBA)
	if !ok {
		return 0, false
	}
	y := rgbaToYCbCr(rgba)
	n, _, ok := synth.ReadStamp(y)
	return n, ok
}

func TestTilesShowMovingVideoAndBadges(t *testing.T) {
	tu := newTestUI(t, 1, "Alice", nil)
	bob := newPeer(t, 2, "Bob", nil)
	tu.callWith(bob)
	bt := tu.tiles[bob.PeerID()]
	var first uint32
	tu.eventually(10*time.Second, "a stamped picture from Bob", func() bool {
		n, ok := pictureStamp(bt.img.Image)
		first = n
		return ok
	})
	tu.eventually(10*time.Second, "Bob's frame numbers advancing", func() bool {
		n, ok := pictureStamp(bt.img.Image)
		return ok && n > first+5
	})
	if _, ok := pictureStamp(tu.local.img.Image); !ok {
		t.Fatal("the local preview shows no stamped picture")
	}
	bob.SetMic(false)
	bob.SetCamera(false)
	tu.eventually(10*time.Second, "mic and camera badges", func() bool {
		b := bt.badgeWords()
		return slices.Contains(b, "Mic off") && slices.Contains(b, "Camera off") && !bt.img.Visible() && bt.note.Text == "Camera off"
	})
	bob.SetCamera(true)
	tu.eventually(10*time.Second, "camera back", func() bool { return bt.img.Visible() && !slices.Contains(bt.badgeWords(), "Camera off") })

	// Our own toggles from the toolbar.
	test.Tap(tu.bar.mic)
	test.Tap(tu.bar.camera)
	tu.Sync()
	if tu.snap.MicOn || tu.snap.CameraOn || tu.bar.mic.Text != "Mic off" || tu.bar.camera.Text != "Camera off" {
		t.Fatalf("after the toggles: mic %v camera %v, buttons %q %q", tu.snap.MicOn, tu.snap.CameraOn, tu.bar.mic.Text, tu.bar.camera.Text)
	}
	tu.eventually(10*time.Second, "Bob sees Alice muted", func() bool {
		m, ok := memberOf(bob.Snapshot(), tu.room.PeerID())
		return ok && !m.MicOn && !m.CameraOn
	})
}

func TestVerifyMatchDifferAndIdentityChanged(t *testing.T) {
	tu := newTestUI(t, 1, "Alice", nil)
	bob := newPeer(t, 2, "Bob", nil)
	tu.callWith(bob)

	row := tu.memberRow(bob.PeerID())
	if !strings.HasSuffix(row.state, "not verified") || row.trust.Visible() {
		t.Fatalf("before comparing: %q, warning %q", row.state, row.trust.Text)
	}
	test.Tap(row.verify)
	v := tu.verify[bob.PeerID()]
	dlg := topOverlay(t, tu.win)
	// The words are the same at both ends; the nonces are swapped.
	bobsView, _ := memberOf(bob.Snapshot(), tu.room.PeerID())
	var words []string
	for _, w := range v.words {
		words = append(words, w.Text)
	}
	if !slices.Equal(words, bobsView.Verification.Code) || len(words) != 6 {
		t.Fatalf("words %q, Bob sees %q", words, bobsView.Verification.Code)
	}
	for _, w := range words {
		if strings.Trim(w, "0123456789abcdef") == "" {
			t.Fatalf("word %q looks like hex", w)
		}
	}
	mine, _ := memberOf(tu.snap, bob.PeerID())
	if v.near.Text != fmt.Sprintf("%x", mine.Verification.NearNonce) || v.far.Text != fmt.Sprintf("%x", bobsView.Verification.NearNonce) {
		t.Fatalf("nonces near %s far %s", v.near.Text, v.far.Text)
	}
	// No default: both buttons alike, neither highlighted.
	match, differ := findButton(t, dlg, "They match"), findButton(t, dlg, "They differ")
	if match.Importance != differ.Importance || match.Importance == widget.HighImportance {
		t.Fatalf("button importances %v %v", match.Importance, differ.Importance)
	}
	test.Tap(match)
	tu.eventually(10*time.Second, "Bob verified", func() bool {
		return strings.HasPrefix(v.verdict.Text, "Verified") && slices.Contains(tu.tiles[bob.PeerID()].badgeWords(), "✔ Verified")
	})
	if tu.snap.AllVerified || strings.Contains(tu.bar.call.Text, "verified") {
		t.Fatal("the call is marked verified before Bob compared")
	}
	if err := bob.SetVerdict(tu.room.PeerID(), identity.VerdictMatch); err != nil {
		t.Fatal(err)
	}
	tu.eventually(10*time.Second, "call-wide verified", func() bool {
		return strings.HasPrefix(tu.panel.callMark.Text, "✔ Everyone") && strings.Contains(tu.bar.call.Text, "✔ verified")
	})
	tu.verify[bob.PeerID()].dlg.Hide()

	// Carol: the codes differ.
	carol := newPeer(t, 3, "Carol", nil)
	tu.callWith(carol)
	tu.eventually(10*time.Second, "the call no longer verified", func() bool { return !strings.HasPrefix(tu.panel.callMark.Text, "✔") })
	test.Tap(tu.memberRow(carol.PeerID()).verify)
	test.Tap(findButton(t, topOverlay(t, tu.win), "They differ"))
	tu.eventually(10*time.Second, "the warning", func() bool {
		return tu.banner.Visible() && strings.Contains(tu.bannerTx.Text, "Carol") && strings.Contains(tu.bannerTx.Text, "do not trust this call")
	})
	if r := tu.memberRow(carol.PeerID()); !r.trust.Visible() || !strings.Contains(r.trust.Text, "they differed") || !strings.HasSuffix(r.state, "⚠ check identity") {
		t.Fatalf("Carol's row: %q / %q", r.state, r.trust.Text)
	}
	ct := tu.tiles[carol.PeerID()]
	if !slices.Contains(ct.badgeWords(), "⚠ CHECK IDENTITY") || ct.border.StrokeColor != warningColor {
		t.Fatalf("Carol's tile: badges %q", ct.badgeWords())
	}
	if got := labelsUnder(topOverlay(t, tu.win)); !anyContains(got, "they differed") {
		t.Fatalf("no warning dialog on top: %q", got)
	}
	// The warning dialog offers to leave.
	findButton(t, topOverlay(t, tu.win), "Leave the call")
	test.Tap(findButton(t, topOverlay(t, tu.win), "Stay"))

	// Bob leaves; someone else comes back under Bob's name with another
	// peer ID: identity changed.
	bob.Close()
	tu.eventually(20*time.Second, "Bob gone", func() bool { return tu.tiles[bob.PeerID()] == nil })
	bob2 := newPeer(t, 4, "Bob", nil)
	tu.callWith(bob2)
	tu.eventually(10*time.Second, "identity-changed warning", func() bool {
		return strings.Contains(tu.bannerTx.Text, "has a new identity") &&
			slices.Contains(tu.tiles[bob2.PeerID()].badgeWords(), "⚠ CHECK IDENTITY")
	})
	if got := labelsUnder(topOverlay(t, tu.win)); !anyContains(got, "new identity") {
		t.Fatalf("no identity-changed dialog: %q", got)
	}
}

func TestChat(t *testing.T) {
	tu := newTestUI(t, 1, "Alice", nil)
	bob := newPeer(t, 2, "Bob", nil)
	tu.callWith(bob)
	test.Type(tu.chatPane.input, "hello Bob")
	tu.chatPane.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if tu.chatPane.input.Text != "" {
		t.Fatalf("input kept %q after sending", tu.chatPane.input.Text)
	}
	tu.eventually(10*time.Second, "Bob gets it and it shows as delivered", func() bool {
		got := bob.Chat()
		lines := labelsUnder(tu.chatPane.list)
		return len(got) == 1 && got[0].Text == "hello Bob" && got[0].Name == "Alice" &&
			len(lines) == 1 && strings.Contains(lines[0], "You: hello Bob") && strings.HasSuffix(lines[0], "✔✔ delivered")
	})
	if _, err := bob.SendChat("hi Alice"); err != nil {
		t.Fatal(err)
	}
	tu.eventually(10*time.Second, "Bob's message", func() bool {
		lines := labelsUnder(tu.chatPane.list)
		return len(lines) == 2 && strings.Contains(lines[1], "Bob: hi Alice")
	})
	lines := labelsUnder(tu.chatPane.list)
	if ts := lines[1][:5]; ts[2] != ':' {
		t.Fatalf("no time on %q", lines[1])
	}
	// Delivery states in words.
	m := room.ChatMessage{Mine: true, To: []flashcrypto.PeerID{{1}, {2}}, DeliveredTo: []flashcrypto.PeerID{{1}}}
	if got := deliveryState(m); got != "✔ delivered to 1 of 2" {
		t.Fatalf("partial delivery: %q", got)
	}
	m.DeliveredTo = nil
	if got := deliveryState(m); got != "✔ sent" {
		t.Fatalf("no receipt yet: %q", got)
	}
}

func TestSettings(t *testing.T) {
	tu := newTestUI(t, 1, "Alice", func(c *Config) {
		c.Devices = func() DeviceLists {
			return DeviceLists{Microphones: []DeviceChoice{{"mic-1", "USB Headset"}}}
		}
	})
	bob := newPeer(t, 2, "Bob", nil)
	tu.callWith(bob)
	test.Tap(tu.bar.settings)
	v := tu.settingsView
	dlg := topOverlay(t, tu.win)
	if v.camera.sel.Selected != pickTestPattern || !slices.Contains(v.mic.sel.Options, "USB Headset") {
		t.Fatalf("pickers: camera %q, microphones %q", v.camera.sel.Selected, v.mic.sel.Options)
	}
	// Live preview and meter.
	tu.eventually(5*time.Second, "preview and level", func() bool {
		return v.preview.Image != nil && v.level.Value > 0 && strings.HasSuffix(v.levelText.Text, "dBFS")
	})
	if _, ok := pictureStamp(v.preview.Image); !ok {
		t.Fatal("the preview shows no camera picture")
	}
	// Devices switch as they are picked (here: the first camera, and
	// there is none, so the room falls back to the test pattern), and
	// Cancel switches them back.
	v.camera.sel.SetSelected(pickFirstCamera)
	tu.eventually(10*time.Second, "the camera picked", func() bool {
		return tu.room.Snapshot().Devices.Camera == "" && tu.snap.CameraSynthetic
	})
	test.Tap(findButton(t, dlg, "Cancel"))
	tu.eventually(10*time.Second, "the camera back after Cancel", func() bool {
		return tu.room.Snapshot().Devices.Camera == room.Synthetic
	})
	if len(tu.saved) != 0 {
		t.Fatalf("Cancel saved %+v", tu.saved)
	}
	test.Tap(tu.bar.settings)
	v = tu.settingsView
	dlg = topOverlay(t, tu.win)
	v.name.SetText("")
	test.Type(v.name, "Alicia")
	v.rendezvous.SetText("")
	test.Type(v.rendezvous, "nonsense")
	if v.rendezvous.Validate() == nil {
		t.Fatal("rendezvous without a port accepted")
	}
	v.rendezvous.SetText("")
	test.Tap(findButton(t, dlg, "Save"))
	tu.eventually(10*time.Second, "Bob sees the new name", func() bool {
		m, ok := memberOf(bob.Snapshot(), tu.room.PeerID())
		return ok && m.Name == "Alicia"
	})
	if len(tu.saved) != 1 || tu.saved[0].Name != "Alicia" || tu.saved[0].Camera != room.Synthetic {
		t.Fatalf("saved %+v", tu.saved)
	}
	if tu.local.name.Text != "Alicia (you) · "+shortID(tu.room.PeerID()) {
		t.Fatalf("local tile %q", tu.local.name.Text)
	}

	// A new identity: new peer ID, the call left.
	newID := testIdentity(t, 6)
	tu.cfg.NewIdentity = func() (*flashcrypto.Identity, string, error) { return newID, "The old identity is kept in x.bak.", nil }
	test.Tap(tu.bar.settings)
	test.Tap(findButton(t, topOverlay(t, tu.win), "New identity…"))
	test.Tap(findButton(t, topOverlay(t, tu.win), "Yes"))
	tu.Sync()
	if tu.room.PeerID() != newID.PeerID() || tu.panel.peerID.Text != newID.PeerID().String() {
		t.Fatalf("peer ID %s after a new identity", tu.panel.peerID.Text)
	}
	if !strings.Contains(tu.status.Text, "your peer ID changed") {
		t.Fatalf("status %q", tu.status.Text)
	}
	tu.eventually(20*time.Second, "Bob sees Alice leave", func() bool {
		m, ok := memberOf(bob.Snapshot(), rtmfptest.Identity(1).PeerID())
		return !ok || m.State == room.StateLeft
	})
}

func TestStats(t *testing.T) {
	tu := newTestUI(t, 1, "Alice", nil)
	bob := newPeer(t, 2, "Bob", nil)
	tu.callWith(bob)
	test.Tap(tu.bar.stats)
	tu.eventually(10*time.Second, "statistics for Bob", func() bool {
		got := labelsUnder(tu.stats.list)
		return len(got) == 1 && strings.HasPrefix(got[0], "Bob · ") && strings.Contains(got[0], "RTT ") &&
			strings.Contains(got[0], "direct 127.0.0.1:") && strings.Contains(got[0], "fps") && strings.Contains(got[0], "▮")
	})

	for _, c := range []struct {
		m    room.Member
		want int
	}{
		{room.Member{State: room.StateConnected}, 4},
		{room.Member{State: room.StateConnected, Loss: 0.03}, 3},
		{room.Member{State: room.StateConnected, Loss: 0.06}, 2},
		{room.Member{State: room.StateConnected, Loss: 0.2}, 1},
		{room.Member{State: room.StateConnected, SendBitrate: 250_000, TargetBitrate: 400_000}, 4},
		{room.Member{State: room.StateConnected, SendBitrate: 150_000, TargetBitrate: 400_000}, 3},
		{room.Member{State: room.StateConnected, SendBitrate: 50_000, TargetBitrate: 400_000}, 2},
		{room.Member{State: room.StateConnected, SendBitrate: 50_000, TargetBitrate: 400_000, Loss: 0.2}, 1},
		{room.Member{State: room.StateConnected, RTT: 500 * time.Millisecond}, 3},
		{room.Member{State: room.StateConnecting}, 0},
	} {
		if got := quality(c.m); got != c.want {
			t.Errorf("quality(loss %.2f, send %d of %d) = %d, want %d", c.m.Loss, c.m.SendBitrate, c.m.TargetBitrate, got, c.want)
		}
	}
}

func TestLeaveAndCloseWindow(t *testing.T) {
	tu := newTestUI(t, 1, "Alice", nil)
	bob := newPeer(t, 2, "Bob", nil)
	tu.callWith(bob)
	test.Tap(tu.bar.leave)
	tu.eventually(10*time.Second, "alone again", func() bool {
		return tu.snap.RoomID == "" && len(tu.tiles) == 0 && tu.bar.leave.Disabled()
	})
	tu.eventually(10*time.Second, "Bob sees Alice leave", func() bool {
		m, ok := memberOf(bob.Snapshot(), tu.room.PeerID())
		return !ok || m.State == room.StateLeft
	})
	// Call again, then close the window: Bob learns at once (a goodbye,
	// not a timeout).
	tu.callWith(bob)
	id := tu.room.PeerID()
	start := time.Now()
	tu.closeWindow()
	if tu.room != nil {
		t.Fatal("the room is still open after the window closed")
	}
	for {
		m, ok := memberOf(bob.Snapshot(), id)
		if !ok || m.State == room.StateLeft {
			break
		}
		if time.Since(start) > 3*time.Second {
			t.Fatal("Bob still has Alice 3 s after she closed the window")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func joinCtx(r *room.Room, target string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return r.Join(ctx, target)
}

// rgbaToYCbCr converts a picture back to 4:2:0 (image/color's formula, top
// left sample of each block), so synth.ReadStamp can read what a tile shows.
func rgbaToYCbCr(src *image.RGBA) *image.YCbCr {
	b := src.Rect
	dst := image.NewYCbCr(b, image.YCbCrSubsampleRatio420)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := src.RGBAAt(x, y)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			dst.Y[dst.YOffset(x, y)] = yy
			if x%2 == 0 && y%2 == 0 {
				dst.Cb[dst.COffset(x, y)] = cb
				dst.Cr[dst.COffset(x, y)] = cr
			}
		}
	}
	return dst
}
