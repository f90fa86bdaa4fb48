package gui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"camchat/internal/room"
)

// maxChatShown bounds the messages on screen (the room keeps the history).
const maxChatShown = 300

// chatPane is the call's chat: history with times and delivery, and a field
// to write in.
type chatPane struct {
	ui      *UI
	content fyne.CanvasObject
	list    *fyne.Container
	scroll  *container.Scroll
	input   *widget.Entry
	send    *widget.Button
	lines   []*widget.Label
}

func newChatPane(ui *UI) *chatPane {
	c := &chatPane{ui: ui}
	c.list = container.NewVBox()
	c.scroll = container.NewVScroll(c.list)
	c.input = widget.NewEntry()
	c.input.Scroll = fyne.ScrollHorizontalOnly
	c.input.SetPlaceHolder("Write a message, Enter sends")
	c.input.OnSubmitted = func(string) { c.submit() }
	c.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), c.submit)
	heading := widget.NewLabelWithStyle("Chat", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	c.content = container.NewBorder(heading, container.NewBorder(nil, nil, nil, c.send, c.input), nil, nil, c.scroll)
	return c
}

func (c *chatPane) submit() {
	text := strings.TrimSpace(c.input.Text)
	r := c.ui.room
	if text == "" || r == nil {
		return
	}
	if _, err := r.SendChat(text); err != nil {
		c.ui.status.SetText("Message not sent: " + err.Error())
		return
	}
	c.input.SetText("")
	c.refresh()
}

// refresh shows the room's chat history.
func (c *chatPane) refresh() {
	r := c.ui.room
	if r == nil {
		return
	}
	msgs := r.Chat()
	if len(msgs) > maxChatShown {
		msgs = msgs[len(msgs)-maxChatShown:]
	}
	c.ui.chat = msgs
	for len(c.lines) < len(msgs) {
		l := widget.NewLabel("")
		l.Wrapping = fyne.TextWrapWord
		c.lines = append(c.lines, l)
	}
	c.lines = c.lines[:len(msgs)]
	objs := make([]fyne.CanvasObject, len(msgs))
	for i, m := range msgs {
		text := chatLine(m)
		if c.lines[i].Text != text {
			c.lines[i].SetText(text)
		}
		objs[i] = c.lines[i]
	}
	grew := len(objs) != len(c.list.Objects)
	c.list.Objects = objs
	c.list.Refresh()
	if grew {
		c.scroll.ScrollToBottom()
	}
}

// chatLine is one message as shown: time, who, text and, for ours, whether
// everyone got it.
func chatLine(m room.ChatMessage) string {
	who := displayName(m.Name)
	if m.Mine {
		who = "You"
	}
	line := fmt.Sprintf("%s  %s: %s", m.Received.Local().Format("15:04"), who, m.Text)
	if m.Mine {
		line += "  " + deliveryState(m)
	}
	return line
}

// deliveryState says where one of our messages is.
func deliveryState(m room.ChatMessage) string {
	switch {
	case len(m.To) == 0:
		return "(nobody else in the call)"
	case m.Delivered():
		return "✔✔ delivered"
	case len(m.DeliveredTo) == 0:
		return "✔ sent"
	}
	return fmt.Sprintf("✔ delivered to %d of %d", len(m.DeliveredTo), len(m.To))
}
