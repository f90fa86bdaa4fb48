package gui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"camchat/assets"
)

// labels collects the text of every label under o.
func labels(o fyne.CanvasObject) []string {
	var out []string
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, v.Text)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}

func TestMainWindow(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	w := NewMainWindow(a)
	defer w.Close()
	w.Show()

	if w.Title() != "camchat" {
		t.Fatalf("title %q, want camchat", w.Title())
	}
	got := labels(w.Content())
	if len(got) != 2 || got[0] != "camchat "+assets.Version {
		t.Fatalf("labels %q, want the app name and version first", got)
	}
	if s := w.Canvas().Size(); s.Width < 600 || s.Height < 400 {
		t.Fatalf("window size %v, want at least 600x400", s)
	}
}
