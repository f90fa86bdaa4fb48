package gui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camchat/internal/room"
)

// toolbar: mic, camera, settings, stats, leave.
type toolbar struct {
	ui       *UI
	content  fyne.CanvasObject
	mic      *widget.Button
	camera   *widget.Button
	settings *widget.Button
	stats    *widget.Button
	leave    *widget.Button
	call     *widget.Label
}

func newToolbar(ui *UI) *toolbar {
	b := &toolbar{ui: ui}
	b.mic = widget.NewButtonWithIcon("Mic on", theme.VolumeUpIcon(), func() {
		if ui.room != nil {
			ui.room.SetMic(!ui.snap.MicOn)
			ui.Sync()
		}
	})
	b.camera = widget.NewButtonWithIcon("Camera on", theme.MediaVideoIcon(), func() {
		if ui.room != nil {
			ui.room.SetCamera(!ui.snap.CameraOn)
			ui.Sync()
		}
	})
	b.settings = widget.NewButtonWithIcon("Settings", theme.SettingsIcon(), ui.openSettings)
	b.stats = widget.NewButtonWithIcon("Stats", theme.InfoIcon(), ui.openStats)
	b.leave = widget.NewButtonWithIcon("Leave", theme.LogoutIcon(), ui.leave)
	b.leave.Importance = widget.DangerImportance
	b.call = widget.NewLabel("")
	b.content = container.NewHBox(b.mic, b.camera, b.settings, b.stats, b.leave, layout.NewSpacer(), b.call)
	return b
}

func (b *toolbar) render(s room.Snapshot) {
	setButton(b.mic, map[bool]string{true: "Mic on", false: "Mic off"}[s.MicOn],
		map[bool]fyne.Resource{true: theme.VolumeUpIcon(), false: theme.VolumeMuteIcon()}[s.MicOn])
	setButton(b.camera, map[bool]string{true: "Camera on", false: "Camera off"}[s.CameraOn],
		map[bool]fyne.Resource{true: theme.MediaVideoIcon(), false: theme.VisibilityOffIcon()}[s.CameraOn])
	n := 0
	for _, m := range s.Members {
		if m.State == room.StateConnected {
			n++
		}
	}
	call := "Alone: waiting for a call"
	if s.RoomID != "" {
		call = fmt.Sprintf("In a call: %d people", n+1)
		if s.AllVerified {
			call += " · ✔ verified"
		}
		b.leave.Enable()
	} else {
		b.leave.Disable()
	}
	if b.call.Text != call {
		b.call.SetText(call)
	}
}

func setButton(b *widget.Button, text string, icon fyne.Resource) {
	if b.Text != text || b.Icon != icon {
		b.Text, b.Icon = text, icon
		b.Refresh()
	}
}

// quality is the connection-quality indicator, 0 to 4 bars: 4 on a clean
// path, fewer with loss and when what is sent falls far below the video
// target (an easy picture undershoots a little; a path that cannot carry
// the target undershoots a lot), one fewer above 400 ms of round trip.
func quality(m room.Member) int {
	if m.State != room.StateConnected {
		return 0
	}
	q := 4
	switch {
	case m.Loss >= 0.10:
		q -= 3
	case m.Loss >= 0.05:
		q -= 2
	case m.Loss >= 0.02:
		q--
	}
	if m.TargetBitrate > 0 && m.SendBitrate > 0 {
		switch r := float64(m.SendBitrate) / float64(m.TargetBitrate); {
		case r < 0.25:
			q -= 2
		case r < 0.5:
			q--
		}
	}
	if m.RTT > 400*time.Millisecond {
		q--
	}
	return max(q, 1)
}

// bars draws a quality as four bars.
func bars(q int) string {
	return strings.Repeat("▮", q) + strings.Repeat("▯", 4-q) + " " + [...]string{"none", "poor", "fair", "good", "excellent"}[q]
}

// statsView shows per member what the network and the media do.
type statsView struct {
	list *fyne.Container
	rows []*widget.Label
	dlg  dialog.Dialog
}

func (ui *UI) openStats() {
	v := &statsView{list: container.NewVBox()}
	ui.stats = v
	v.render(ui.snap)
	v.dlg = dialog.NewCustom("Call statistics", "Close",
		container.NewGridWrap(fyne.NewSize(560, 380), container.NewVScroll(v.list)), ui.win)
	v.dlg.SetOnClosed(func() {
		if ui.stats == v {
			ui.stats = nil
		}
	})
	v.dlg.Show()
}

func (v *statsView) render(s room.Snapshot) {
	var texts []string
	for _, m := range s.Members {
		if m.State == room.StateLeft {
			continue
		}
		texts = append(texts, memberStats(m))
	}
	if len(texts) == 0 {
		texts = append(texts, "Nobody else is in the call.")
	}
	for len(v.rows) < len(texts) {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		v.rows = append(v.rows, l)
	}
	v.rows = v.rows[:len(texts)]
	objs := make([]fyne.CanvasObject, len(texts))
	for i, t := range texts {
		if v.rows[i].Text != t {
			v.rows[i].SetText(t)
		}
		objs[i] = v.rows[i]
	}
	if len(objs) != len(v.list.Objects) {
		v.list.Objects = objs
		v.list.Refresh()
	}
}

// memberStats is one member's statistics in words.
func memberStats(m room.Member) string {
	path := "direct " + m.Addr.String()
	if m.Relayed {
		path = "relayed via " + m.Via
	}
	return fmt.Sprintf("%s · %s   %s\n"+
		"RTT %d ms · loss %.1f %% · %s\n"+
		"Sending %s (video target %s, %d layers) · receiving %s\n"+
		"Audio delay %d ms (jitter target %d ms) · video %.1f fps",
		displayName(m.Name), shortID(m.PeerID), bars(quality(m)),
		m.RTT.Milliseconds(), 100*m.Loss, path,
		kbps(m.SendBitrate), kbps(m.TargetBitrate), m.VideoLayersSent, kbps(m.RecvBitrate),
		m.AudioDelay.Milliseconds(), m.JitterTarget.Milliseconds(), m.VideoFPS)
}

func kbps(bps int) string { return fmt.Sprintf("%d kbit/s", (bps+500)/1000) }
