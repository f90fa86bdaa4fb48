package gui

import (
	"encoding/hex"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camchat/internal/room"
	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
)

// verifyPanel is the comparison of the short code with one participant: the
// words both read aloud, the nonces behind them, the two verdict buttons
// (neither is the default) and what is remembered.
type verifyPanel struct {
	ui      *UI
	peer    flashcrypto.PeerID
	content fyne.CanvasObject
	dlg     *dialog.CustomDialog

	intro   *widget.Label
	words   []*widget.Label
	match   *widget.Button
	differ  *widget.Button
	verdict *widget.Label
	near    *widget.Label
	far     *widget.Label
}

func newVerifyPanel(ui *UI, peer flashcrypto.PeerID) *verifyPanel {
	v := &verifyPanel{ui: ui, peer: peer}
	v.intro = widget.NewLabel("")
	v.intro.Wrapping = fyne.TextWrapWord
	grid := container.NewGridWithColumns(3)
	for range 6 {
		w := widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		w.SizeName = theme.SizeNameHeadingText
		v.words = append(v.words, w)
		grid.Add(w)
	}
	v.match = widget.NewButtonWithIcon("They match", theme.ConfirmIcon(), func() {
		ui.setVerdict(peer, identity.VerdictMatch)
	})
	v.differ = widget.NewButtonWithIcon("They differ", theme.CancelIcon(), func() {
		ui.setVerdict(peer, identity.VerdictDiffer)
	})
	// No default: both buttons look alike, and Enter presses neither.
	v.match.Importance = widget.MediumImportance
	v.differ.Importance = widget.MediumImportance
	v.verdict = widget.NewLabel("")
	v.verdict.Wrapping = fyne.TextWrapWord
	v.near = widget.NewLabel("")
	v.near.TextStyle.Monospace = true
	v.near.Wrapping = fyne.TextWrapBreak
	v.far = widget.NewLabel("")
	v.far.TextStyle.Monospace = true
	v.far.Wrapping = fyne.TextWrapBreak
	details := widget.NewAccordion(widget.NewAccordionItem("Nonces (for experts)", container.NewVBox(
		widget.NewLabel("Your nonce (nearNonce):"), v.near,
		widget.NewLabel("Their nonce (farNonce):"), v.far,
		widget.NewLabel("The code is SHA-256 over both nonces, as words; both ends compute the same."),
	)))
	v.content = container.NewGridWrap(fyne.NewSize(560, 430), container.NewVBox(
		v.intro,
		container.NewPadded(grid),
		container.NewGridWithColumns(2, v.match, v.differ),
		v.verdict,
		details,
	))
	return v
}

func (v *verifyPanel) render(m room.Member) {
	name := displayName(m.Name)
	intro := "Read these words aloud with " + name + ", on this call or by phone. " +
		"If " + name + " sees the same words in the same order, nobody is in the middle."
	if v.intro.Text != intro {
		v.intro.SetText(intro)
	}
	for i, w := range v.words {
		word := ""
		if i < len(m.Verification.Code) {
			word = m.Verification.Code[i]
		}
		if w.Text != word {
			w.SetText(word)
		}
	}
	st := m.Verification.Status
	msg := st.Message(name)
	imp := widget.WarningImportance
	switch {
	case st.State.Warning():
		imp = widget.DangerImportance
	case st.State == identity.Verified:
		imp = widget.SuccessImportance
	}
	if v.verdict.Text != msg || v.verdict.Importance != imp {
		v.verdict.Importance = imp
		v.verdict.SetText(msg)
	}
	near, far := hex.EncodeToString(m.Verification.NearNonce[:]), hex.EncodeToString(m.Verification.FarNonce[:])
	if v.near.Text != near {
		v.near.SetText(near)
	}
	if v.far.Text != far {
		v.far.SetText(far)
	}
	if m.State == room.StateConnected && len(m.Verification.Code) > 0 {
		v.match.Enable()
		v.differ.Enable()
	} else {
		v.match.Disable()
		v.differ.Disable()
	}
}

// openVerify shows the verification panel for a participant.
func (ui *UI) openVerify(peer flashcrypto.PeerID) {
	m, ok := memberOf(ui.snap, peer)
	if !ok {
		return
	}
	v := ui.verify[peer]
	if v == nil {
		v = newVerifyPanel(ui, peer)
		ui.verify[peer] = v
	}
	v.render(m)
	v.dlg = dialog.NewCustom("Compare the code with "+displayName(m.Name), "Close", v.content, ui.win)
	v.dlg.SetOnClosed(func() { delete(ui.verify, peer) })
	v.dlg.Show()
}
