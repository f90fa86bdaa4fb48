package gui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camchat/assets"
	"camchat/internal/room"
	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
)

// Title is the main window's title.
const Title = "camchat"

// DefaultJoinTimeout bounds a join from the window; the room gives up on an
// unreachable peer sooner (its connect timeout) and says so.
const DefaultJoinTimeout = 30 * time.Second

// syncPeriod is how often the window takes a fresh snapshot (statistics,
// levels, states): four times a second is enough for a speaking highlight
// and cheap for the room.
const syncPeriod = 250 * time.Millisecond

// Config is what the window needs from the program that opens it.
type Config struct {
	// Room is the base configuration of the room: Identity, Audio, Trust,
	// Listen, Video, Logger. The window sets Name, Rendezvous, Devices and
	// OnFrame from Settings and itself.
	Room room.Config
	// Settings are the user's choices at start.
	Settings Settings
	// SaveSettings stores changed settings (nil: they last for this run).
	SaveSettings func(Settings) error
	// NewIdentity replaces the user's identity on disk and returns the new
	// one with a sentence for the user (where the old one was kept); nil
	// hides the button.
	NewIdentity func() (*flashcrypto.Identity, string, error)
	// Devices lists the cameras, microphones and speakers to choose from
	// (nil: only the defaults and the synthetic stand-ins).
	Devices func() DeviceLists
	// JoinTimeout bounds a join (default DefaultJoinTimeout).
	JoinTimeout time.Duration
	// Logger receives diagnostics (default: discarded).
	Logger *slog.Logger
}

// Settings are the user's choices that outlive a run.
type Settings struct {
	Name       string `json:"name"`
	Rendezvous string `json:"rendezvous"`
	Camera     string `json:"camera"`
	Microphone string `json:"microphone"`
	Speaker    string `json:"speaker"`
}

func (s Settings) devices() room.Devices {
	return room.Devices{Camera: s.Camera, Microphone: s.Microphone, Speaker: s.Speaker}
}

// DeviceChoice is one entry of a device picker.
type DeviceChoice struct {
	ID   string // what room.Devices takes
	Name string // what the picker shows
}

// DeviceLists are the devices the settings offer.
type DeviceLists struct {
	Cameras, Microphones, Speakers []DeviceChoice
}

// UI is camchat's main window and the room it shows.
type UI struct {
	app    fyne.App
	win    fyne.Window
	cfg    Config
	log    *slog.Logger
	manual bool // tests: nothing runs on its own, Sync does the work

	// Cross-goroutine work for the Fyne goroutine.
	qmu       sync.Mutex
	queue     []func()
	scheduled bool

	frames slots[flashcrypto.PeerID] // remote members' pictures, and ours under localKey

	// Owned by the Fyne goroutine from here on.
	settings Settings
	room     *room.Room
	pumpStop chan struct{}
	pumpDone chan struct{}
	closed   bool
	snap     room.Snapshot
	chat     []room.ChatMessage

	local    *tile
	tiles    map[flashcrypto.PeerID]*tile
	grid     *fyne.Container
	top      *fyne.Container
	banner   *fyne.Container
	bannerTx *widget.Label
	status   *widget.Label

	panel        *roomPanel
	chatPane     *chatPane
	bar          *toolbar
	verify       map[flashcrypto.PeerID]*verifyPanel
	warned       map[flashcrypto.PeerID]identity.State // warnings already shown in a dialog
	stats        *statsView
	settingsView *settingsView

	joining    bool
	lastLayout string
	kickedAt   time.Time // guarded by qmu
	perf       perf
}

// New builds the main window on a (real) Fyne app and opens the room. Show
// the window with Window().ShowAndRun().
func New(a fyne.App, cfg Config) (*UI, error) {
	return newUI(a, cfg, false)
}

func newUI(a fyne.App, cfg Config, manual bool) (*UI, error) {
	if cfg.JoinTimeout <= 0 {
		cfg.JoinTimeout = DefaultJoinTimeout
	}
	ui := &UI{app: a, cfg: cfg, manual: manual, settings: cfg.Settings,
		tiles: map[flashcrypto.PeerID]*tile{}, verify: map[flashcrypto.PeerID]*verifyPanel{},
		warned: map[flashcrypto.PeerID]identity.State{}}
	ui.log = cfg.Logger
	if ui.log == nil {
		ui.log = slog.New(slog.DiscardHandler)
	}
	ui.frames.do = fyne.Do
	if manual {
		ui.frames.do = ui.enqueue
	}
	ui.win = a.NewWindow(Title)
	ui.win.SetIcon(assets.Icon)
	ui.build()
	ui.win.SetCloseIntercept(ui.closeWindow)
	if err := ui.openRoom(cfg.Room.Identity); err != nil {
		ui.win.Close()
		return nil, err
	}
	ui.Sync()
	return ui, nil
}

// Window is the main window.
func (ui *UI) Window() fyne.Window { return ui.win }

// Room is the room the window shows (it changes with a new identity or
// rendezvous server).
func (ui *UI) Room() *room.Room { return ui.room }

func (ui *UI) build() {
	ui.local = newTile()
	ui.grid = container.New(gridLayout{}, ui.local.content)
	gridBG := canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	ui.bannerTx = widget.NewLabel("")
	ui.bannerTx.Wrapping = fyne.TextWrapWord
	ui.bannerTx.TextStyle.Bold = true
	ui.banner = container.NewStack(canvas.NewRectangle(warningBackdrop), container.NewPadded(ui.bannerTx))
	ui.banner.Hide()
	ui.status = widget.NewLabel("")
	ui.status.Truncation = fyne.TextTruncateEllipsis
	ui.panel = newRoomPanel(ui)
	ui.chatPane = newChatPane(ui)
	ui.bar = newToolbar(ui)

	videos := container.NewStack(gridBG, container.NewPadded(ui.grid))
	right := container.NewVSplit(container.NewVScroll(ui.panel.content), ui.chatPane.content)
	right.SetOffset(0.72)
	split := container.NewHSplit(videos, right)
	split.SetOffset(0.62)
	ui.top = container.NewVBox(ui.bar.content, ui.banner)
	ui.win.SetContent(container.NewBorder(ui.top, ui.status, nil, nil, split))
	ui.win.Resize(fyne.NewSize(1240, 760))
}

// openRoom starts a room with the current settings and identity id.
func (ui *UI) openRoom(id *flashcrypto.Identity) error {
	cfg := ui.cfg.Room
	cfg.Identity = id
	cfg.Name = ui.settings.Name
	cfg.Rendezvous = ui.settings.Rendezvous
	cfg.Devices = ui.settings.devices()
	frames := &ui.frames
	cfg.OnFrame = func(f room.VideoFrame) {
		k := f.Peer
		if f.Local {
			k = localKey // the room leaves Peer zero on the preview
		}
		frames.get(k).push(f.Image, f.Synthetic)
	}
	r, err := room.New(cfg)
	if err != nil {
		return err
	}
	ui.cfg.Room.Identity = id
	ui.room = r
	ui.local.update(tileInfo{}) // reset
	ui.frames.get(localKey).attach(ui.local.setPicture)
	if !ui.manual {
		ui.pumpStop, ui.pumpDone = make(chan struct{}), make(chan struct{})
		go ui.pump(r, ui.pumpStop, ui.pumpDone)
	}
	return nil
}

// closeRoom stops the pump and closes the room (it leaves the call).
func (ui *UI) closeRoom() {
	if ui.room == nil {
		return
	}
	if ui.pumpStop != nil {
		close(ui.pumpStop)
		<-ui.pumpDone
		ui.pumpStop = nil
	}
	ui.room.Close()
	for id, t := range ui.tiles {
		ui.grid.Remove(t.content)
		delete(ui.tiles, id)
	}
	ui.frames.reset()
	ui.room = nil
}

// closeWindow is what closing the window does: leave the call cleanly
// (every member gets a goodbye), stop the room, then close the window.
func (ui *UI) closeWindow() {
	ui.Close()
	ui.win.Close()
}

// Close leaves the call and closes the room; the window stays (closing
// the window calls it).
func (ui *UI) Close() {
	if ui.closed {
		return
	}
	ui.closed = true
	ui.closeRoom()
}

// pump turns the room's events and a clock into work for the Fyne
// goroutine.
func (ui *UI) pump(r *room.Room, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(syncPeriod)
	defer t.Stop()
	for {
		select {
		case ev := <-r.Events():
			ui.post(func() { ui.handleEvent(ev) })
		case <-t.C:
			ui.kick()
		case <-stop:
			return
		}
	}
}

// enqueue adds work for the Fyne goroutine's next Sync.
func (ui *UI) enqueue(f func()) {
	ui.qmu.Lock()
	ui.queue = append(ui.queue, f)
	ui.qmu.Unlock()
}

// post adds work for the Fyne goroutine and makes sure a Sync comes.
func (ui *UI) post(f func()) {
	ui.enqueue(f)
	ui.kick()
}

// kick schedules a Sync on the Fyne goroutine unless one is pending.
func (ui *UI) kick() {
	if ui.manual {
		return
	}
	ui.qmu.Lock()
	s := ui.scheduled
	ui.scheduled = true
	if !s {
		ui.kickedAt = time.Now()
	}
	ui.qmu.Unlock()
	if !s {
		fyne.Do(ui.Sync)
	}
}

// Sync runs the work other goroutines queued (events, join results) and
// shows a fresh snapshot of the room. It runs on the Fyne goroutine (tests
// call it directly).
func (ui *UI) Sync() {
	start := time.Now()
	ui.qmu.Lock()
	q := ui.queue
	ui.queue = nil
	ui.scheduled = false
	kicked := ui.kickedAt
	ui.qmu.Unlock()
	if !kicked.IsZero() {
		defer ui.perf.note(start.Sub(kicked), start, ui)
	}
	for _, f := range q {
		f()
	}
	if ui.room == nil {
		return
	}
	if ui.manual {
		for drained := false; !drained; {
			select {
			case ev := <-ui.room.Events():
				ui.handleEvent(ev)
			default:
				drained = true
			}
		}
	}
	ui.render(ui.room.Snapshot())
}

// perf measures how the Fyne goroutine keeps up (logged at debug level
// every 10 s): the wait from a Sync being scheduled to it running, how long
// Syncs take, and how many pictures the tiles showed.
type perf struct {
	since            time.Time
	syncs            int
	maxWait, maxSync time.Duration
	sumWait          time.Duration
	shows            uint64
}

func (p *perf) note(wait time.Duration, start time.Time, ui *UI) {
	now := time.Now()
	if p.since.IsZero() {
		p.since = now
	}
	p.syncs++
	p.sumWait += wait
	p.maxWait = max(p.maxWait, wait)
	p.maxSync = max(p.maxSync, now.Sub(start))
	if el := now.Sub(p.since); el >= 10*time.Second {
		shows := ui.frames.shows()
		if shows < p.shows { // a tile went away with its count
			p.shows = 0
		}
		ui.log.Debug("ui", "syncs", p.syncs, "wait_avg", (p.sumWait / time.Duration(p.syncs)).Round(time.Microsecond),
			"wait_max", p.maxWait.Round(time.Microsecond), "sync_max", p.maxSync.Round(time.Microsecond),
			"pictures_per_s", fmt.Sprintf("%.1f", float64(shows-p.shows)/el.Seconds()))
		*p = perf{since: now, shows: shows}
	}
}

// render shows a snapshot.
func (ui *UI) render(s room.Snapshot) {
	ui.snap = s
	short := shortID(s.PeerID)
	ui.local.update(tileInfo{Name: displayName(s.Name), ShortID: short, Local: true,
		MicOff: !s.MicOn, CameraOff: !s.CameraOn, Speaking: s.Level.Speaking && s.MicOn,
		Synthetic: s.CameraSynthetic})

	seen := map[flashcrypto.PeerID]bool{}
	var warn []string
	for _, m := range s.Members {
		if m.State == room.StateLeft {
			continue
		}
		seen[m.PeerID] = true
		t := ui.tiles[m.PeerID]
		if t == nil {
			t = newTile()
			ui.tiles[m.PeerID] = t
			ui.grid.Add(t.content)
			ui.frames.get(m.PeerID).attach(t.setPicture)
		}
		st := m.Verification.Status.State
		t.update(tileInfo{Name: displayName(m.Name), ShortID: shortID(m.PeerID),
			MicOff: !m.MicOn, CameraOff: !m.CameraOn, Verified: st == identity.Verified,
			Warning: st.Warning(), Relayed: m.Relayed, Speaking: m.Level.Speaking && m.MicOn,
			Synthetic: m.CameraSynthetic, Connecting: m.State == room.StateConnecting,
			Code: m.Verification.Code})
		if st.Warning() {
			warn = append(warn, m.Verification.Status.Message(displayName(m.Name)))
		}
	}
	for id, t := range ui.tiles {
		if !seen[id] {
			ui.frames.get(id).attach(nil)
			ui.frames.drop(id)
			ui.grid.Remove(t.content)
			delete(ui.tiles, id)
		}
	}
	if text := joinLines(warn); text != ui.bannerTx.Text || (text != "") != ui.banner.Visible() {
		ui.bannerTx.SetText(text)
		ui.banner.Hidden = text == ""
		// The banner changes the toolbar area's height: lay the window out
		// again.
		ui.top.Refresh()
		ui.win.Content().Refresh()
	}
	ui.panel.render(s)
	ui.bar.render(s)
	for id, v := range ui.verify {
		if m, ok := memberOf(s, id); ok {
			v.render(m)
		}
	}
	if ui.stats != nil {
		ui.stats.render(s)
	}
	if ui.settingsView != nil {
		ui.settingsView.render(s)
	}
	ui.logLayout()
}

// logLayout writes, at debug level and whenever it changes, where each
// tile's picture is in the window in pixels ("local" for ours, else the
// short peer ID): tools that look at the screen (the screenshot test) find
// the pictures with it.
func (ui *UI) logLayout() {
	if !ui.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	var parts []string
	add := func(key string, t *tile) {
		if !t.hasPicture || !t.img.Visible() || t.img.Image == nil {
			return
		}
		r := pictureRect(t.img)
		c := ui.win.Canvas()
		x0, y0 := c.PixelCoordinateForPosition(r.pos)
		x1, y1 := c.PixelCoordinateForPosition(r.pos.Add(fyne.NewPos(r.size.Width, r.size.Height)))
		parts = append(parts, fmt.Sprintf("%s:%d,%d,%d,%d", key, x0, y0, x1-x0, y1-y0))
	}
	add("local", ui.local)
	for _, m := range ui.snap.Members {
		if t := ui.tiles[m.PeerID]; t != nil {
			add(shortID(m.PeerID), t)
		}
	}
	sz := ui.win.Canvas().Size()
	w, h := ui.win.Canvas().PixelCoordinateForPosition(fyne.NewPos(sz.Width, sz.Height))
	line := fmt.Sprintf("window:0,0,%d,%d %s", w, h, strings.Join(parts, " "))
	if line != ui.lastLayout {
		ui.lastLayout = line
		ui.log.Debug("layout", "pictures", line)
	}
}

// pictureRect is where a contain-fitted canvas.Image draws its picture,
// in canvas coordinates.
func pictureRect(img *canvas.Image) rect {
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(img)
	size := img.Size()
	b := img.Image.Bounds()
	if b.Dx() == 0 || b.Dy() == 0 || size.Width == 0 || size.Height == 0 {
		return rect{pos: pos, size: size}
	}
	aspect := float32(b.Dx()) / float32(b.Dy())
	w, h := size.Width, size.Height
	if w/h > aspect {
		w = h * aspect
	} else {
		h = w / aspect
	}
	return rect{pos: pos.Add(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2)), size: fyne.NewSize(w, h)}
}

// handleEvent reacts to one room event (on the Fyne goroutine).
func (ui *UI) handleEvent(ev room.Event) {
	ui.log.Debug("room event", "kind", ev.Kind.String(), "text", ev.Text)
	switch ev.Kind {
	case room.EventChat, room.EventChatDelivered:
		ui.chatPane.refresh()
	case room.EventVerification:
		if ev.Status.State.Warning() && ui.warned[ev.Peer] != ev.Status.State {
			ui.warned[ev.Peer] = ev.Status.State
			ui.warnDialog(ev)
		}
	}
	if ev.Text != "" {
		ui.status.SetText(ev.Text)
	}
	if ev.Kind == room.EventError && errors.Is(ev.Err, room.ErrSocket) {
		dialog.ShowError(fmt.Errorf("the network failed: %w. Restart camchat", ev.Err), ui.win)
	}
}

// warnDialog puts a warning about a member's identity in front of the user.
func (ui *UI) warnDialog(ev room.Event) {
	name := displayName(ev.Name)
	if m, ok := memberOf(ui.snap, ev.Peer); ok {
		name = displayName(m.Name)
	}
	msg := widget.NewLabel(ev.Status.Message(name))
	msg.Wrapping = fyne.TextWrapWord
	msg.Importance = widget.DangerImportance
	d := dialog.NewCustomConfirm("Warning: "+name+" may not be who you think", "Leave the call", "Stay",
		container.NewGridWrap(fyne.NewSize(420, 140), msg), func(leave bool) {
			if leave {
				ui.leave()
			}
		}, ui.win)
	d.Show()
}

// leave leaves the call, staying reachable for the next one.
func (ui *UI) leave() {
	r := ui.room
	if r == nil {
		return
	}
	ui.status.SetText("Leaving the call…")
	go func() {
		r.Leave()
		ui.post(func() { ui.status.SetText("You left the call.") })
	}()
}

// JoinAtStart puts target in the join field and calls it, as if the user
// had pasted it and pressed Enter.
func (ui *UI) JoinAtStart(target string) {
	ui.panel.join.SetText(target)
	ui.panel.submit()
}

// join calls the peer that target names, in the background.
func (ui *UI) join(target string) {
	r := ui.room
	if r == nil || ui.joining {
		return
	}
	ui.joining = true
	ui.panel.joinStarted(target)
	timeout := ui.cfg.JoinTimeout
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		err := r.Join(ctx, target)
		cancel()
		ui.post(func() {
			ui.joining = false
			ui.panel.joinDone(err, timeout)
		})
	}()
}

// setVerdict stores the user's verdict on a member (the trust store writes
// a file: off the Fyne goroutine).
func (ui *UI) setVerdict(peer flashcrypto.PeerID, v identity.Verdict) {
	r := ui.room
	if r == nil {
		return
	}
	go func() {
		err := r.SetVerdict(peer, v)
		ui.post(func() {
			if err != nil {
				ui.status.SetText("Could not store the verdict: " + err.Error())
			}
		})
	}()
}

// localKey is the frame slot of the local preview.
var localKey flashcrypto.PeerID

func memberOf(s room.Snapshot, id flashcrypto.PeerID) (room.Member, bool) {
	for _, m := range s.Members {
		if m.PeerID == id {
			return m, true
		}
	}
	return room.Member{}, false
}

func shortID(id flashcrypto.PeerID) string { return id.String()[:8] }

func displayName(n string) string {
	if n == "" {
		return "Someone"
	}
	return n
}

func joinLines(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += "\n"
		}
		out += s
	}
	return out
}
