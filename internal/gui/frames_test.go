package gui

import (
	"image"
	"math/rand/v2"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// flat is a w×h I420 picture of one luma value.
func flat(w, h int, y byte) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = y
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return img
}

func TestFrameSlotKeepsOnlyTheLatestAndOneDo(t *testing.T) {
	var queued []func()
	s := newFrameSlot(func(f func()) { queued = append(queued, f) })
	var shown []byte
	var shownImg *image.RGBA
	s.attach(func(img *image.RGBA, _ bool) { shown = append(shown, img.Pix[0]); shownImg = img })
	// The screen is busy: five frames arrive before it runs.
	for y := byte(10); y <= 50; y += 10 {
		s.push(flat(64, 48, y), false)
	}
	if len(queued) != 1 {
		t.Fatalf("%d fyne.Do pending for five frames, want 1", len(queued))
	}
	queued[0]()
	if len(shown) != 1 || shown[0] != 50 {
		t.Fatalf("shown %v, want only the latest (50)", shown)
	}
	// While a picture is shown, new frames never write into it.
	before := append([]byte(nil), shownImg.Pix...)
	for y := byte(60); y <= 90; y += 10 {
		s.push(flat(64, 48, y), false)
	}
	if string(before) != string(shownImg.Pix) {
		t.Fatal("a frame was converted into the buffer on screen")
	}
	if len(queued) != 2 {
		t.Fatalf("%d fyne.Do in all, want 2", len(queued))
	}
	queued[1]()
	if shown[len(shown)-1] != 90 {
		t.Fatalf("shown %v, want 90 last", shown)
	}
	// A Do that finds nothing new shows nothing.
	s.show()
	if len(shown) != 2 {
		t.Fatalf("shown %v after an empty Do", shown)
	}
	// Detached: frames are kept but nothing is scheduled.
	s.attach(nil)
	s.push(flat(64, 48, 100), false)
	if len(queued) != 2 {
		t.Fatal("a Do was scheduled for a slot without a tile")
	}
	s.attach(func(img *image.RGBA, _ bool) { shown = append(shown, img.Pix[0]) })
	if shown[len(shown)-1] != 100 {
		t.Fatal("attaching did not show the waiting picture")
	}
}

func TestFrameSlotNoAllocation(t *testing.T) {
	s := newFrameSlot(func(f func()) { f() })
	s.attach(func(*image.RGBA, bool) {})
	src := flat(320, 240, 80)
	s.push(src, false)
	s.push(src, false)
	s.push(src, false)
	if n := testing.AllocsPerRun(50, func() { s.push(src, false) }); n != 0 {
		t.Fatalf("%v allocations per frame, want 0", n)
	}
}

func TestGridRects(t *testing.T) {
	area := fyne.NewSize(800, 600)
	extra := float32(60)
	for n := 1; n <= 5; n++ {
		rs := gridRects(n, area, 4, extra)
		if len(rs) != n {
			t.Fatalf("n=%d: %d rects", n, len(rs))
		}
		for i, r := range rs {
			if r.pos.X < 0 || r.pos.Y < 0 || r.pos.X+r.size.Width > area.Width+0.5 || r.pos.Y+r.size.Height > area.Height+0.5 {
				t.Fatalf("n=%d: rect %d %+v outside %v", n, i, r, area)
			}
			pic := r.size.Height - extra
			if d := r.size.Width/pic - tileAspect; d > 0.02 || d < -0.02 {
				t.Fatalf("n=%d: picture %vx%v is not 4:3", n, r.size.Width, pic)
			}
			for j := range i {
				o := rs[j]
				if r.pos.X < o.pos.X+o.size.Width && o.pos.X < r.pos.X+r.size.Width &&
					r.pos.Y < o.pos.Y+o.size.Height && o.pos.Y < r.pos.Y+r.size.Height {
					t.Fatalf("n=%d: rects %d and %d overlap", n, i, j)
				}
			}
		}
	}
	// One person gets the largest tile that fits; two share a row on a
	// wide area; five use two rows.
	if r := gridRects(1, area, 4, extra)[0]; r.size.Width != 720 {
		t.Fatalf("one tile %v wide, want 720 (height-bound)", r.size.Width)
	}
	if rs := gridRects(2, fyne.NewSize(1200, 500), 4, extra); rs[0].pos.Y != rs[1].pos.Y {
		t.Fatal("two tiles on a wide area are not side by side")
	}
	if rs := gridRects(5, area, 4, extra); rs[0].pos.Y == rs[4].pos.Y {
		t.Fatal("five tiles in one row on a 4:3 area")
	}
}

// BenchmarkTileUpdate: a 640x480 frame from the room's display goroutine to
// the tile's canvas.Image: conversion, slot hand-over, the Do and the
// refresh (Fyne's test driver: no GPU upload).
func BenchmarkTileUpdate640x480(b *testing.B) {
	test.NewTempApp(b)
	tl := newTile()
	w := test.NewWindow(tl.content)
	defer w.Close()
	w.Resize(fyne.NewSize(660, 560))
	s := newFrameSlot(func(f func()) { f() })
	s.attach(tl.setPicture)
	src := randomYCbCr(rand.New(rand.NewPCG(1, 1)), 640, 480, image.YCbCrSubsampleRatio420)
	s.push(src, false)
	b.ReportAllocs()
	for b.Loop() {
		s.push(src, false)
	}
}
