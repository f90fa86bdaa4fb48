package gui

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// Tile aspect: camchat sends 4:3 pictures.
const tileAspect = 4.0 / 3.0

// tileBorder is the width of the speaking (or warning) frame.
const tileBorder = 3

var (
	tileBackground  = color.NRGBA{0x20, 0x22, 0x26, 0xff}
	speakingColor   = color.NRGBA{0x2e, 0xcc, 0x71, 0xff}
	badgeBackdrop   = color.NRGBA{0, 0, 0, 0xa0}
	warningBackdrop = color.NRGBA{0xb0, 0x2a, 0x1e, 0xff}
	warningColor    = color.NRGBA{0xe7, 0x4c, 0x3c, 0xff}
)

// tileInfo is what a tile shows besides the picture.
type tileInfo struct {
	Name, ShortID string
	Local         bool
	MicOff        bool
	CameraOff     bool
	Verified      bool
	Warning       bool // codes differ or identity changed
	Relayed       bool
	Speaking      bool
	Synthetic     bool
	Connecting    bool
	Code          []string // the short code, for remote members not yet verified
}

// tile is one person's video with their name and badges.
type tile struct {
	img     *canvas.Image
	border  *canvas.Rectangle
	name    *canvas.Text
	badges  *canvas.Text
	code    *canvas.Text
	note    *canvas.Text // centre text: "Camera off", "Connecting…"
	topBar  *canvas.Rectangle
	botBar  *canvas.Rectangle
	content *fyne.Container

	// mirror, when set, shows the same pictures (the settings' preview).
	mirror *canvas.Image

	info tileInfo
	// picSynthetic: the picture shown is the test pattern.
	picSynthetic bool
	hasPicture   bool
}

func newTile() *tile {
	t := &tile{
		img:    canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 4, 3))),
		border: canvas.NewRectangle(tileBackground),
		name:   canvas.NewText("", color.White),
		badges: canvas.NewText("", color.White),
		code:   canvas.NewText("", color.White),
		note:   canvas.NewText("", color.NRGBA{0xcc, 0xcc, 0xcc, 0xff}),
		topBar: canvas.NewRectangle(badgeBackdrop),
		botBar: canvas.NewRectangle(badgeBackdrop),
	}
	t.img.FillMode = canvas.ImageFillContain
	t.img.ScaleMode = canvas.ImageScaleFastest
	t.img.Hide()
	t.border.StrokeWidth = tileBorder
	t.border.StrokeColor = tileBackground
	t.name.TextStyle.Bold = true
	t.name.TextSize = theme.TextSize()
	t.badges.TextSize = theme.CaptionTextSize()
	t.code.TextSize = theme.CaptionTextSize()
	t.note.TextSize = theme.TextSize()
	t.note.Alignment = fyne.TextAlignCenter
	t.content = container.New(&tileLayout{t: t}, t.border, t.img, t.topBar, t.botBar, t.badges, t.name, t.code, t.note)
	return t
}

// setPicture shows a converted frame (from the tile's frame slot).
func (t *tile) setPicture(img *image.RGBA, synthetic bool) {
	// canvas.Image.Refresh recomputes the aspect and allocates; a picture
	// of the size already shown only needs its texture replaced, which a
	// plain canvas refresh does (the painter frees dirty textures and
	// uploads the RGBA again).
	sameSize := t.hasPicture && t.img.Image != nil && t.img.Image.Bounds() == img.Rect
	t.img.Image = img
	t.hasPicture = true
	if synthetic != t.picSynthetic {
		t.picSynthetic = synthetic
		t.refreshText()
	}
	if !t.info.CameraOff && !t.img.Visible() {
		t.img.Show()
		t.refreshText()
	}
	if sameSize {
		canvas.Refresh(t.img)
	} else {
		t.img.Refresh()
	}
	if t.mirror != nil {
		t.mirror.Image = img
		t.mirror.Refresh()
	}
}

func (t *tile) update(info tileInfo) {
	changed := !equalInfo(info, t.info)
	t.info = info
	if !changed {
		return
	}
	if info.CameraOff {
		t.img.Hide()
	} else if t.hasPicture {
		t.img.Show()
	}
	switch {
	case info.Warning:
		t.border.StrokeColor = warningColor
	case info.Speaking:
		t.border.StrokeColor = speakingColor
	default:
		t.border.StrokeColor = tileBackground
	}
	t.border.Refresh()
	t.refreshText()
}

func (t *tile) refreshText() {
	info := t.info
	name := info.Name
	if info.Local {
		name += " (you)"
	}
	if info.ShortID != "" {
		name += " · " + info.ShortID
	}
	t.name.Text = name
	t.badges.Text = strings.Join(t.badgeWords(), "  ·  ")
	if len(info.Code) > 0 && !info.Verified {
		t.code.Text = "Code: " + strings.Join(info.Code, " ")
	} else {
		t.code.Text = ""
	}
	switch {
	case info.Connecting:
		t.note.Text = "Connecting…"
	case info.CameraOff:
		t.note.Text = "Camera off"
	case !t.hasPicture:
		t.note.Text = "Waiting for video…"
	default:
		t.note.Text = ""
	}
	for _, o := range []fyne.CanvasObject{t.name, t.badges, t.code, t.note, t.topBar, t.botBar} {
		o.Refresh()
	}
	t.content.Refresh()
}

// badgeWords are the tile's badges, in words (the same words a screen
// reader or a test reads).
func (t *tile) badgeWords() []string {
	info := t.info
	var b []string
	if info.Warning {
		b = append(b, "⚠ CHECK IDENTITY")
	}
	if info.Speaking {
		b = append(b, "Speaking")
	}
	if info.MicOff {
		b = append(b, "Mic off")
	}
	if info.CameraOff {
		b = append(b, "Camera off")
	}
	if (t.picSynthetic || info.Synthetic) && !info.CameraOff {
		b = append(b, "Test pattern (no camera)")
	}
	if info.Verified {
		b = append(b, "✔ Verified")
	}
	if info.Relayed {
		b = append(b, "Relayed")
	}
	return b
}

func equalInfo(a, b tileInfo) bool {
	return slices.Equal(a.Code, b.Code) && a.flags() == b.flags()
}

// flags is a tile's info without the code (comparable).
func (i tileInfo) flags() [2]string {
	return [2]string{i.Name + "\x00" + i.ShortID, fmt.Sprint(i.Local, i.MicOff, i.CameraOff, i.Verified, i.Warning, i.Relayed, i.Speaking, i.Synthetic, i.Connecting)}
}

// tileLayout places the picture over the whole tile, the badges along the
// top, the name and code along the bottom and the note in the middle.
type tileLayout struct{ t *tile }

func (l *tileLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(160, 120) }

func (l *tileLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	t := l.t
	pad := theme.Padding()
	inset := t.border.StrokeWidth
	t.border.Resize(size)
	t.border.Move(fyne.NewPos(0, 0))
	inner := fyne.NewSize(size.Width-2*inset, size.Height-2*inset)

	// Badges above the picture, name and code below it: nothing covers
	// the picture.
	bh := tileBarHeight()
	t.topBar.Move(fyne.NewPos(inset, inset))
	t.topBar.Resize(fyne.NewSize(inner.Width, bh))
	t.badges.Move(fyne.NewPos(inset+pad, inset+(bh-t.badges.MinSize().Height)/2))
	t.badges.Resize(fyne.NewSize(inner.Width-2*pad, t.badges.MinSize().Height))

	nh := t.name.MinSize().Height
	ch := theme.CaptionTextSize() * 1.4
	botH := tileBarHeight() + ch
	top := size.Height - inset - botH
	t.botBar.Move(fyne.NewPos(inset, top))
	t.botBar.Resize(fyne.NewSize(inner.Width, botH))
	t.name.Move(fyne.NewPos(inset+pad, top+pad/2))
	t.name.Resize(fyne.NewSize(inner.Width-2*pad, nh))
	t.code.Move(fyne.NewPos(inset+pad, top+pad/2+nh))
	t.code.Resize(fyne.NewSize(inner.Width-2*pad, ch))

	t.img.Move(fyne.NewPos(inset, inset+bh))
	t.img.Resize(fyne.NewSize(inner.Width, max(top-inset-bh, 0)))

	t.note.Move(fyne.NewPos(0, (size.Height-t.note.MinSize().Height)/2))
	t.note.Resize(fyne.NewSize(size.Width, t.note.MinSize().Height))
}

// tileBarHeight is the height of a tile's strip of badges (and of its
// name strip without the code line).
func tileBarHeight() float32 {
	return theme.TextSize() + 2*theme.Padding()
}

// tileExtraHeight is what a tile adds to its picture's height: the two
// strips, the code line and the border.
func tileExtraHeight() float32 {
	return 2*tileBarHeight() + theme.CaptionTextSize()*1.4 + 2*tileBorder
}

// gridLayout arranges up to five tiles in the grid of columns and rows that
// makes them largest, each 4:3, the whole centred.
type gridLayout struct{}

func (gridLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(320, 240)
}

func (gridLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var vis []fyne.CanvasObject
	for _, o := range objs {
		if o.Visible() {
			vis = append(vis, o)
		}
	}
	rects := gridRects(len(vis), size, theme.Padding(), tileExtraHeight())
	for i, o := range vis {
		o.Move(rects[i].pos)
		o.Resize(rects[i].size)
	}
}

type rect struct {
	pos  fyne.Position
	size fyne.Size
}

// gridRects returns n rectangles of the largest size that fits area in some
// number of columns, with gap between them, centred (a last row with fewer
// tiles is centred too). Each holds a 4:3 picture and extra height for the
// tile's strips.
func gridRects(n int, area fyne.Size, gap, extra float32) []rect {
	if n == 0 {
		return nil
	}
	bestCols, bestW := 1, float32(0)
	for cols := 1; cols <= n; cols++ {
		rows := (n + cols - 1) / cols
		w := (area.Width - gap*float32(cols-1)) / float32(cols)
		h := (area.Height-gap*float32(rows-1))/float32(rows) - extra
		w = min(w, h*tileAspect)
		if w > bestW {
			bestCols, bestW = cols, w
		}
	}
	w := float32(math.Floor(float64(max(bestW, 1))))
	h := float32(math.Floor(float64(w/tileAspect + extra)))
	cols := bestCols
	rows := (n + cols - 1) / cols
	top := (area.Height - (float32(rows)*h + float32(rows-1)*gap)) / 2
	out := make([]rect, n)
	for i := range n {
		r, c := i/cols, i%cols
		inRow := min(cols, n-r*cols)
		left := (area.Width - (float32(inRow)*w + float32(inRow-1)*gap)) / 2
		out[i] = rect{
			pos:  fyne.NewPos(float32(math.Floor(float64(left+float32(c)*(w+gap)))), float32(math.Floor(float64(top+float32(r)*(h+gap))))),
			size: fyne.NewSize(w, h),
		}
	}
	return out
}
