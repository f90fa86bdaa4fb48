package gui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"camchat/internal/room"
	"camchat/internal/rtmfp/flashcrypto"
)

// SettingsFile is the settings' file name in the config directory.
const SettingsFile = "settings.json"

// LoadSettings reads settings from path; a missing file gives zero
// settings and no error.
func LoadSettings(path string) (Settings, error) {
	var s Settings
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("cannot read the settings in %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return Settings{}, fmt.Errorf("the settings in %s are damaged (%v): move the file away to start with defaults", path, err)
	}
	return s, nil
}

// SaveSettings writes settings to path (mode 0600, through a temporary file
// and a rename, so a crash never leaves half a file).
func SaveSettings(path string, s Settings) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot save the settings: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("cannot save the settings: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot save the settings: %w", err)
	}
	return nil
}

// Picker entries for the synthetic and default devices.
const (
	pickTestPattern  = "Test pattern (no camera)"
	pickFirstCamera  = "First camera found"
	pickDefaultMic   = "Default microphone"
	pickToneMic      = "Tone (no microphone)"
	pickDefaultSpkr  = "Default speaker"
	pickSilentSpeakr = "None (no sound card)"
)

// picker is a Select over device choices.
type picker struct {
	sel   *widget.Select
	ids   map[string]string // label -> ID
	label map[string]string // ID -> label
}

func newPicker(choices []DeviceChoice, current string, changed func(id string)) *picker {
	p := &picker{ids: map[string]string{}, label: map[string]string{}}
	var opts []string
	for _, c := range choices {
		l := c.Name
		for p.ids[l] != "" || (l == c.Name && slicesContains(opts, l)) {
			l += " "
		}
		opts = append(opts, l)
		p.ids[l] = c.ID
		p.label[c.ID] = l
	}
	p.sel = widget.NewSelect(opts, nil)
	if l, ok := p.label[current]; ok {
		p.sel.SetSelected(l)
	} else if len(opts) > 0 {
		p.sel.SetSelectedIndex(0)
	}
	p.sel.OnChanged = func(l string) { changed(p.ids[l]) }
	return p
}

func (p *picker) id() string { return p.ids[p.sel.Selected] }

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// settingsView is the settings dialog: name, devices with a live preview
// and a level meter, rendezvous server, new identity.
type settingsView struct {
	ui         *UI
	dlg        dialog.Dialog
	name       *widget.Entry
	camera     *picker
	mic        *picker
	speaker    *picker
	preview    *canvas.Image
	level      *widget.ProgressBar
	levelText  *widget.Label
	devices    *widget.Label
	rendezvous *widget.Entry
	rvError    *widget.Label
	newID      *widget.Button
	before     Settings
}

func (ui *UI) deviceLists() DeviceLists {
	var l DeviceLists
	if ui.cfg.Devices != nil {
		l = ui.cfg.Devices()
	}
	l.Cameras = append([]DeviceChoice{{"", pickFirstCamera}, {room.Synthetic, pickTestPattern}}, l.Cameras...)
	l.Microphones = append([]DeviceChoice{{"", pickDefaultMic}, {room.Synthetic, pickToneMic}}, l.Microphones...)
	l.Speakers = append([]DeviceChoice{{"", pickDefaultSpkr}, {room.Synthetic, pickSilentSpeakr}}, l.Speakers...)
	return l
}

func (ui *UI) openSettings() {
	v := &settingsView{ui: ui, before: ui.settings}
	lists := ui.deviceLists()
	apply := func(string) { v.applyDevices() }
	v.name = widget.NewEntry()
	v.name.SetText(ui.settings.Name)
	v.name.SetPlaceHolder("The name others see")
	v.camera = newPicker(lists.Cameras, ui.settings.Camera, apply)
	v.mic = newPicker(lists.Microphones, ui.settings.Microphone, apply)
	v.speaker = newPicker(lists.Speakers, ui.settings.Speaker, apply)
	v.preview = canvas.NewImageFromImage(nil)
	v.preview.FillMode = canvas.ImageFillContain
	v.preview.ScaleMode = canvas.ImageScaleFastest
	v.preview.SetMinSize(fyne.NewSize(240, 180))
	if img := ui.local.img.Image; img != nil && ui.local.hasPicture {
		v.preview.Image = img
	}
	ui.local.mirror = v.preview
	v.level = widget.NewProgressBar()
	v.level.TextFormatter = func() string { return "" }
	v.levelText = widget.NewLabel("")
	v.devices = widget.NewLabel("")
	v.devices.Wrapping = fyne.TextWrapWord
	v.devices.Importance = widget.LowImportance
	v.rendezvous = widget.NewEntry()
	v.rendezvous.SetText(ui.settings.Rendezvous)
	v.rendezvous.SetPlaceHolder("host:port, empty for none")
	v.rvError = widget.NewLabel("")
	v.rvError.Importance = widget.DangerImportance
	v.rvError.Wrapping = fyne.TextWrapWord
	v.rendezvous.Validator = validateRendezvous
	v.newID = widget.NewButton("New identity…", v.confirmNewIdentity)
	if ui.cfg.NewIdentity == nil {
		v.newID.Hide()
	}
	form := widget.NewForm(
		widget.NewFormItem("Display name", v.name),
		widget.NewFormItem("Camera", v.camera.sel),
		widget.NewFormItem("Microphone", v.mic.sel),
		widget.NewFormItem("Speaker", v.speaker.sel),
		widget.NewFormItem("Preview", container.NewCenter(v.preview)),
		widget.NewFormItem("Microphone level", container.NewBorder(nil, nil, nil, v.levelText, v.level)),
		widget.NewFormItem("", v.devices),
		widget.NewFormItem("Rendezvous server", v.rendezvous),
		widget.NewFormItem("", v.rvError),
		widget.NewFormItem("Identity", v.newID),
	)
	ui.settingsView = v
	v.render(ui.snap)
	d := dialog.NewCustomConfirm("Settings", "Save", "Cancel", container.NewGridWrap(fyne.NewSize(560, 560), container.NewVScroll(form)),
		func(save bool) {
			if save {
				v.save()
			} else {
				v.cancel()
			}
			if ui.settingsView == v {
				ui.settingsView = nil
			}
			if ui.local.mirror == v.preview {
				ui.local.mirror = nil
			}
		}, ui.win)
	v.dlg = d
	d.Show()
}

func validateRendezvous(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return errors.New("write the server as host:port, for example rendezvous.example.org:1935")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errors.New("the port after the colon must be a number from 1 to 65535")
	}
	return nil
}

// render shows the level and the devices in use (from each Sync).
func (v *settingsView) render(s room.Snapshot) {
	// -60 dBFS (quiet room) to 0 dBFS (full scale).
	f := (s.Level.DBFS + 60) / 60
	v.level.SetValue(min(max(f, 0), 1))
	lt := fmt.Sprintf("%.0f dBFS", s.Level.DBFS)
	if !s.MicOn {
		lt = "muted"
	}
	if v.levelText.Text != lt {
		v.levelText.SetText(lt)
	}
	d := fmt.Sprintf("In use: camera %s, microphone %s, speaker %s.", s.CameraName, s.MicrophoneName, s.SpeakerName)
	if s.CameraSynthetic {
		d += " No camera: others see the test pattern."
	}
	if v.devices.Text != d {
		v.devices.SetText(d)
	}
}

// applyDevices switches devices as they are picked, so the preview and the
// meter show the choice at once (Cancel switches back).
func (v *settingsView) applyDevices() {
	r := v.ui.room
	if r == nil {
		return
	}
	d := room.Devices{Camera: v.camera.id(), Microphone: v.mic.id(), Speaker: v.speaker.id()}
	go r.SetDevices(d)
}

func (v *settingsView) cancel() {
	ui := v.ui
	if r := ui.room; r != nil && (v.camera.id() != v.before.Camera || v.mic.id() != v.before.Microphone || v.speaker.id() != v.before.Speaker) {
		go r.SetDevices(v.before.devices())
	}
}

func (v *settingsView) save() {
	ui := v.ui
	rv := strings.TrimSpace(v.rendezvous.Text)
	if validateRendezvous(rv) != nil {
		rv = ui.settings.Rendezvous
	}
	s := Settings{Name: strings.TrimSpace(v.name.Text), Rendezvous: rv,
		Camera: v.camera.id(), Microphone: v.mic.id(), Speaker: v.speaker.id()}
	ui.applySettings(s)
}

// applySettings makes s the settings: name and devices change in the
// running room; another rendezvous server needs a new room (it leaves the
// call).
func (ui *UI) applySettings(s Settings) {
	old := ui.settings
	ui.settings = s
	if ui.cfg.SaveSettings != nil {
		if err := ui.cfg.SaveSettings(s); err != nil {
			ui.status.SetText(err.Error())
		}
	}
	if s.Rendezvous != old.Rendezvous {
		ui.reopen(ui.cfg.Room.Identity, "Rendezvous server changed.")
		return
	}
	r := ui.room
	if r == nil {
		return
	}
	if s.Name != old.Name {
		r.SetName(s.Name)
	}
	if s.devices() != old.devices() {
		go r.SetDevices(s.devices())
	}
	ui.Sync()
}

// reopen closes the room and opens another one (new identity or server).
func (ui *UI) reopen(id *flashcrypto.Identity, why string) {
	ui.closeRoom()
	if err := ui.openRoom(id); err != nil {
		ui.status.SetText("camchat cannot go on: " + err.Error())
		dialog.ShowError(err, ui.win)
		return
	}
	ui.status.SetText(why)
	ui.chatPane.refresh()
	ui.Sync()
}

// newIdentity replaces the identity and restarts the room with it.
func (ui *UI) newIdentity() {
	if ui.cfg.NewIdentity == nil {
		return
	}
	id, msg, err := ui.cfg.NewIdentity()
	if err != nil {
		dialog.ShowError(err, ui.win)
		return
	}
	ui.reopen(id, sentence("New identity: your peer ID changed. "+msg))
}

func (v *settingsView) confirmNewIdentity() {
	ui := v.ui
	dialog.ShowConfirm("New identity",
		"A new identity gives you a new peer ID. Friends must use the new one and compare codes with you again. "+
			"If you are in a call, you leave it. Make a new identity?",
		func(ok bool) {
			if ok {
				ui.newIdentity()
			}
		}, ui.win)
}
