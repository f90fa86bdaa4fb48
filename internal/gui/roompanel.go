package gui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camchat/internal/room"
	"camchat/internal/room/identity"
	"camchat/internal/rtmfp/flashcrypto"
)

// roomPanel: who you are, whom to call, who is in the call.
type roomPanel struct {
	ui      *UI
	content *fyne.Container

	peerID     *widget.Label
	copyID     *widget.Button
	copyInvite *widget.Button
	invite     *widget.Label
	rendezvous *widget.Label

	join       *widget.Entry
	joinButton *widget.Button
	joinHint   *widget.Label

	callMark *widget.Label
	people   *fyne.Container
	rows     map[flashcrypto.PeerID]*personRow
	order    []flashcrypto.PeerID
}

func newRoomPanel(ui *UI) *roomPanel {
	p := &roomPanel{ui: ui, rows: map[flashcrypto.PeerID]*personRow{}}
	p.peerID = widget.NewLabel("")
	p.peerID.Wrapping = fyne.TextWrapBreak
	p.peerID.TextStyle.Monospace = true
	p.copyID = widget.NewButtonWithIcon("Copy ID", theme.ContentCopyIcon(), func() {
		ui.app.Clipboard().SetContent(ui.snap.PeerID.String())
		ui.status.SetText("Your peer ID is on the clipboard: send it to a friend.")
	})
	p.copyInvite = widget.NewButtonWithIcon("Copy invite", theme.ContentCopyIcon(), func() {
		ui.app.Clipboard().SetContent(ui.snap.Invite)
		ui.status.SetText("Your invite is on the clipboard: it adds where to find you, for calls without a rendezvous server.")
	})
	p.invite = widget.NewLabel("")
	p.invite.Wrapping = fyne.TextWrapBreak
	p.invite.TextStyle.Monospace = true
	p.rendezvous = widget.NewLabel("")
	p.rendezvous.Wrapping = fyne.TextWrapWord
	p.rendezvous.Importance = widget.LowImportance

	p.join = widget.NewEntry()
	// Scroll sideways rather than widen the panel: a pasted invite is long.
	p.join.Scroll = fyne.ScrollHorizontalOnly
	p.join.SetPlaceHolder("Paste a friend's peer ID or invite")
	p.join.OnChanged = func(string) { p.validate() }
	p.join.OnSubmitted = func(string) { p.submit() }
	p.joinButton = widget.NewButtonWithIcon("Call", theme.LoginIcon(), p.submit)
	p.joinButton.Importance = widget.HighImportance
	p.joinButton.Disable()
	p.joinHint = widget.NewLabel("")
	p.joinHint.Wrapping = fyne.TextWrapWord

	p.callMark = widget.NewLabel("")
	p.callMark.Wrapping = fyne.TextWrapWord
	p.people = container.NewVBox()

	heading := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	p.content = container.NewVBox(
		heading("Your peer ID"),
		p.peerID,
		container.NewGridWithColumns(2, p.copyID, p.copyInvite),
		widget.NewAccordion(widget.NewAccordionItem("Your invite (peer ID and where to reach you)", p.invite)),
		p.rendezvous,
		container.NewBorder(nil, nil, nil, p.joinButton, p.join),
		p.joinHint,
		widget.NewSeparator(),
		heading("In this call"),
		p.callMark,
		p.people,
	)
	return p
}

// validate checks the join field as the user types.
func (p *roomPanel) validate() {
	if p.ui.joining {
		return
	}
	text := strings.TrimSpace(p.join.Text)
	if text == "" {
		p.joinButton.Disable()
		p.setHint("", widget.MediumImportance)
		return
	}
	if err := room.ValidateTarget(text); err != nil {
		p.joinButton.Disable()
		p.setHint(sentence(trimSentinel(err, room.ErrNotPeerID, identity.ErrBadInvite)), widget.DangerImportance)
		return
	}
	if p.ui.room != nil && p.isSelf(text) {
		p.joinButton.Disable()
		p.setHint("That is your own peer ID: send it to a friend, and paste theirs here.", widget.DangerImportance)
		return
	}
	p.joinButton.Enable()
	p.setHint("Press Enter to call.", widget.SuccessImportance)
}

func (p *roomPanel) isSelf(text string) bool {
	inv, err := identity.ParseInvite(text)
	return err == nil && inv.PeerID == p.ui.room.PeerID()
}

func (p *roomPanel) setHint(s string, imp widget.Importance) {
	p.joinHint.Importance = imp
	p.joinHint.SetText(s)
}

func (p *roomPanel) submit() {
	text := strings.TrimSpace(p.join.Text)
	if p.ui.joining {
		return
	}
	p.validate()
	if text == "" || p.joinButton.Disabled() {
		return
	}
	p.ui.join(text)
}

func (p *roomPanel) joinStarted(target string) {
	short := target
	if inv, err := identity.ParseInvite(target); err == nil {
		short = shortID(inv.PeerID)
	}
	p.join.Disable()
	p.joinButton.Disable()
	p.setHint("Calling "+short+"…", widget.MediumImportance)
}

func (p *roomPanel) joinDone(err error, timeout time.Duration) {
	p.join.Enable()
	if err == nil {
		p.join.SetText("")
		p.setHint("Connected. Compare the code with each person (Verify).", widget.SuccessImportance)
		return
	}
	p.joinButton.Enable()
	p.setHint(joinErrorText(err, timeout), widget.DangerImportance)
}

// joinErrorText says why a join failed and what to do, for each error the
// room reports.
func joinErrorText(err error, timeout time.Duration) string {
	switch {
	case errors.Is(err, room.ErrNotPeerID):
		return sentence(trimSentinel(err, room.ErrNotPeerID, identity.ErrBadInvite))
	case errors.Is(err, room.ErrSelf):
		return "That is your own peer ID: send it to a friend, and paste theirs here."
	case errors.Is(err, room.ErrRoomFull):
		return "Call is full: " + trimSentinel(err, room.ErrRoomFull) + ". A call has at most five people."
	case errors.Is(err, room.ErrOtherCall):
		return "Cannot join: " + trimSentinel(err, room.ErrOtherCall) + "."
	case errors.Is(err, room.ErrUDPBlocked):
		return "UDP seems blocked on this network: nothing came back, not even from the rendezvous server. Try another network, or ask its administrator to allow UDP."
	case errors.Is(err, room.ErrNoRoute):
		return "Cannot find that peer: there is no rendezvous server (Settings) and the text has no addresses. Ask your friend for their invite (Copy invite), or set a rendezvous server."
	case errors.Is(err, room.ErrUnreachable):
		return "Unreachable: " + trimSentinel(err, room.ErrUnreachable) + ". Check that your friend's camchat is open and the ID is theirs; on another network, both of you need the same rendezvous server."
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("Unreachable: no answer within %v. Check that your friend's camchat is open and the ID is theirs.", timeout.Round(time.Second))
	case errors.Is(err, room.ErrNotCamchat):
		return "That peer answered, but it is not camchat: check the ID."
	case errors.Is(err, room.ErrRefused):
		return "Refused: " + trimSentinel(err, room.ErrRefused) + "."
	case errors.Is(err, room.ErrClosed):
		return "The call was closed."
	}
	return sentence(err.Error())
}

// trimSentinel drops a leading "sentinel: " from an error's text: the rest
// is the detail the room wrote for the user.
func trimSentinel(err error, sentinels ...error) string {
	s := err.Error()
	for changed := true; changed; {
		changed = false
		for _, x := range sentinels {
			if rest, ok := strings.CutPrefix(s, x.Error()+": "); ok {
				s, changed = rest, true
			}
		}
	}
	return strings.TrimSuffix(s, ".")
}

// sentence starts s with a capital and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func (p *roomPanel) render(s room.Snapshot) {
	if p.peerID.Text != s.PeerID.String() {
		p.peerID.SetText(s.PeerID.String())
	}
	if p.invite.Text != s.Invite {
		p.invite.SetText(s.Invite)
	}
	rv := "No rendezvous server: friends on other networks need your invite (Copy invite)."
	switch {
	case s.Rendezvous.Addr != "" && s.Rendezvous.Connected:
		rv = "Rendezvous server " + s.Rendezvous.Addr + ": connected. Friends can call your peer ID."
	case s.Rendezvous.Addr != "" && s.Rendezvous.Err != "":
		rv = "Rendezvous server " + s.Rendezvous.Addr + ": " + s.Rendezvous.Err
	case s.Rendezvous.Addr != "":
		rv = "Rendezvous server " + s.Rendezvous.Addr + ": connecting…"
	}
	if p.rendezvous.Text != rv {
		p.rendezvous.SetText(rv)
	}
	mark := "You are alone: send your peer ID to a friend, or paste theirs above."
	if s.RoomID != "" {
		if s.AllVerified {
			mark = "✔ Everyone in this call has compared codes: the call is verified."
			p.callMark.Importance = widget.SuccessImportance
		} else {
			mark = "Not verified yet: compare the code with each person (Verify…)."
			p.callMark.Importance = widget.WarningImportance
		}
	} else {
		p.callMark.Importance = widget.MediumImportance
	}
	if p.callMark.Text != mark {
		p.callMark.SetText(mark)
	} else {
		p.callMark.Refresh()
	}

	var order []flashcrypto.PeerID
	for _, m := range s.Members {
		order = append(order, m.PeerID)
		r := p.rows[m.PeerID]
		if r == nil {
			r = newPersonRow(p.ui, m.PeerID)
			p.rows[m.PeerID] = r
		}
		r.render(m)
	}
	if !samePeers(order, p.order) {
		p.order = order
		objs := make([]fyne.CanvasObject, 0, len(order))
		for id := range p.rows {
			if _, ok := memberOf(s, id); !ok {
				delete(p.rows, id)
			}
		}
		for _, id := range order {
			objs = append(objs, p.rows[id].content)
		}
		p.people.Objects = objs
		p.people.Refresh()
	}
}

func samePeers(a, b []flashcrypto.PeerID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// personRow is one participant in the list.
// One line per person (name in bold, then state), so that four fit above
// the chat; the trust store's sentence under it only for a warning.
type personRow struct {
	content  *fyne.Container
	line     *widget.RichText
	name     string
	state    string
	stateImp widget.Importance
	trust    *widget.Label
	verify   *widget.Button
}

func newPersonRow(ui *UI, id flashcrypto.PeerID) *personRow {
	r := &personRow{line: widget.NewRichText(), trust: widget.NewLabel("")}
	r.line.Truncation = fyne.TextTruncateEllipsis
	r.trust.Wrapping = fyne.TextWrapWord
	r.trust.Importance = widget.DangerImportance
	r.trust.Hide()
	r.verify = widget.NewButtonWithIcon("Verify…", theme.VisibilityIcon(), func() { ui.openVerify(id) })
	r.content = container.NewVBox(
		container.NewBorder(nil, nil, nil, r.verify, r.line),
		r.trust,
	)
	return r
}

// importanceColor is the theme colour a label of that importance uses.
func importanceColor(imp widget.Importance) fyne.ThemeColorName {
	switch imp {
	case widget.SuccessImportance:
		return theme.ColorNameSuccess
	case widget.WarningImportance:
		return theme.ColorNameWarning
	case widget.DangerImportance:
		return theme.ColorNameError
	}
	return theme.ColorNameForeground
}

func (r *personRow) render(m room.Member) {
	name := displayName(m.Name) + " · " + shortID(m.PeerID)
	var st []string
	switch m.State {
	case room.StateConnecting:
		st = append(st, "connecting…")
	case room.StateConnected:
		st = append(st, "in the call")
	case room.StateLeft:
		st = append(st, "left")
	}
	if m.State == room.StateConnected {
		if !m.MicOn {
			st = append(st, "mic off")
		}
		if !m.CameraOn {
			st = append(st, "camera off")
		}
		if m.Relayed {
			st = append(st, "relayed")
		}
	}
	state := strings.Join(st, ", ")
	trust, imp := trustLine(m)
	if word := trustWord(m); word != "" {
		state += " · " + word
	}
	if r.name != name || r.state != state || r.stateImp != imp {
		r.name, r.state, r.stateImp = name, state, imp
		r.line.Segments = []widget.RichTextSegment{
			&widget.TextSegment{Text: name + "  ", Style: widget.RichTextStyle{Inline: true, TextStyle: fyne.TextStyle{Bold: true}}},
			&widget.TextSegment{Text: state, Style: widget.RichTextStyle{Inline: true, ColorName: importanceColor(imp)}},
		}
		r.line.Refresh()
	}
	// The long sentence only for a warning: it must be read.
	if !m.Verification.Status.State.Warning() {
		trust = ""
	}
	if r.trust.Text != trust {
		r.trust.SetText(trust)
	}
	r.trust.Hidden = trust == ""
	if m.State == room.StateConnected && len(m.Verification.Code) > 0 {
		r.verify.Enable()
	} else {
		r.verify.Disable()
	}
}

// trustWord is what the participant's line says about verification.
func trustWord(m room.Member) string {
	st := m.Verification.Status.State
	switch {
	case st.Warning():
		return "⚠ check identity"
	case st == identity.Verified:
		return "✔ verified"
	case m.State == room.StateConnected:
		return "not verified"
	}
	return ""
}

// trustLine is what the trust store says about a participant, and how
// loudly.
func trustLine(m room.Member) (string, widget.Importance) {
	st := m.Verification.Status
	switch {
	case st.State.Warning():
		return st.Message(displayName(m.Name)), widget.DangerImportance
	case st.State == identity.Verified:
		return "✔ Verified: codes compared and matched.", widget.SuccessImportance
	case m.State != room.StateConnected:
		return "", widget.MediumImportance
	}
	return "Not verified: press Verify… and compare the code.", widget.WarningImportance
}
