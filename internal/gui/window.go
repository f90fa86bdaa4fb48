package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"camchat/assets"
)

// Title is the main window's title.
const Title = "camchat"

// NewMainWindow builds camchat's main window on a (real or test) Fyne app.
func NewMainWindow(a fyne.App) fyne.Window {
	w := a.NewWindow(Title)
	w.SetIcon(assets.Icon)
	heading := widget.NewLabelWithStyle(assets.AppName+" "+assets.Version,
		fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	blurb := widget.NewLabelWithStyle("Private video calls for up to five people, peer to peer over RTMFP.",
		fyne.TextAlignCenter, fyne.TextStyle{})
	w.SetContent(container.NewCenter(container.NewVBox(
		widget.NewIcon(assets.Icon), heading, blurb)))
	w.Resize(fyne.NewSize(640, 480))
	return w
}
