package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"camchat/internal/media/synth"
)

var screenshotPath = flag.String("screenshot", "", "write the three-person call's screenshot to this PNG (e.g. ../../docs/screenshot.png)")

// TestMain lets the tests start this binary as camchat itself (the app and
// headless participants), so they run exactly the code under test.
func TestMain(m *testing.M) {
	if os.Getenv("CAMCHAT_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, openApp))
	}
	os.Exit(m.Run())
}

// camchatCmd runs this test binary as camchat with args.
func camchatCmd(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "CAMCHAT_TEST_MAIN=1"), env...)
	t.Cleanup(func() {
		if cmd.Process != nil {
			cmd.Process.Signal(os.Interrupt)
			done := waited(cmd)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
	})
	return cmd
}

// waits holds a channel per started command, closed when its one Wait
// returned: a second concurrent Wait on an exec.Cmd never returns.
var waits sync.Map // *exec.Cmd → chan struct{}

// waited returns a channel closed once cmd (started) has exited, calling
// cmd.Wait once whoever asks first.
func waited(cmd *exec.Cmd) <-chan struct{} {
	ch, loaded := waits.LoadOrStore(cmd, make(chan struct{}))
	if !loaded {
		go func() { cmd.Wait(); close(ch.(chan struct{})) }()
	}
	return ch.(chan struct{})
}

// startXvfb starts a virtual X server whose screen is also a file (-fbdir,
// XWD format), and returns its display and the file.
func startXvfb(t *testing.T, w, h int) (display, fb string) {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Skip("Xvfb is not installed (scripts/deps.sh test installs it): no real window to test")
	}
	dir := t.TempDir()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", w, h),
		"-nolisten", "tcp", "-fbdir", dir)
	cmd.ExtraFiles = []*os.File{wr}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Skipf("Xvfb cannot start here (%v): no real window to test", err)
	}
	wr.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
		r.Close()
	}()
	select {
	case s := <-line:
		if s == "" {
			t.Skipf("Xvfb cannot start here: %s", stderr.String())
		}
		return ":" + s, filepath.Join(dir, "Xvfb_screen0")
	case <-time.After(20 * time.Second):
		t.Skipf("Xvfb did not start within 20 s: %s", stderr.String())
	}
	return "", ""
}

// readXWD decodes the X window dump Xvfb keeps of its screen (24-bit
// TrueColor, 32 bits per pixel).
func readXWD(path string) (*image.RGBA, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 100 {
		return nil, errors.New("xwd: short header")
	}
	f := func(i int) uint32 { return binary.BigEndian.Uint32(b[4*i:]) }
	hdr, w, h, byteOrder, bpp, bpl, ncolors := f(0), int(f(4)), int(f(5)), f(7), f(11), int(f(12)), f(19)
	if bpp != 32 || w <= 0 || h <= 0 {
		return nil, fmt.Errorf("xwd: %d bits per pixel, %dx%d", bpp, w, h)
	}
	off := int(hdr) + int(ncolors)*12
	if len(b) < off+h*bpl {
		return nil, errors.New("xwd: short pixels")
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		row := b[off+y*bpl:]
		for x := range w {
			p := row[4*x : 4*x+4]
			if byteOrder == 0 { // LSBFirst: B G R x
				img.SetRGBA(x, y, color.RGBA{p[2], p[1], p[0], 255})
			} else {
				img.SetRGBA(x, y, color.RGBA{p[1], p[2], p[3], 255})
			}
		}
	}
	return img, nil
}

// stampAt reads the synthetic camera's stamp from the picture at r of a
// screenshot. The picture is scaled on screen, so it is sampled back to the
// size it was sent at (the headless participant's 320x240): the stamp's cells
// are a whole number of pixels there.
func stampAt(shot *image.RGBA, r image.Rectangle) (uint32, bool) {
	const w, h = 320, 240
	if r.Dx() < w/2 || r.Dy() < h/2 || !r.In(shot.Rect) {
		return 0, false
	}
	y := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for j := range h {
		sy := r.Min.Y + (2*j+1)*r.Dy()/(2*h)
		for i := range w {
			sx := r.Min.X + (2*i+1)*r.Dx()/(2*w)
			c := shot.RGBAAt(sx, sy)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			y.Y[y.YOffset(i, j)] = yy
			y.Cb[y.COffset(i, j)], y.Cr[y.COffset(i, j)] = cb, cr
		}
	}
	n, _, ok := synth.ReadStamp(y)
	return n, ok
}

// lineWatcher collects a process's output lines and finds lines in it.
type lineWatcher struct {
	mu    sync.Mutex
	lines []string
	all   bytes.Buffer
}

func (lw *lineWatcher) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		lw.mu.Lock()
		lw.lines = append(lw.lines, sc.Text())
		lw.all.WriteString(sc.Text() + "\n")
		lw.mu.Unlock()
	}
}

func (lw *lineWatcher) last(re *regexp.Regexp) []string {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	for i := len(lw.lines) - 1; i >= 0; i-- {
		if m := re.FindStringSubmatch(lw.lines[i]); m != nil {
			return m
		}
	}
	return nil
}

func (lw *lineWatcher) text() string {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.all.String()
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestScreenshotThreePersonCall opens the real app in a virtual X server,
// in a call with two headless participants, takes screenshots from the X
// server's framebuffer and checks that both remote tiles show moving video:
// the frame numbers stamped into the test pattern advance between shots.
// With -screenshot it also writes the picture for the README.
func TestScreenshotThreePersonCall(t *testing.T) {
	display, fb := startXvfb(t, 1280, 800)

	// Two headless participants in a call; the second joins the first.
	var hostOut lineWatcher
	host := camchatCmd(t, nil, "headless", "-name", "Bob", "-listen", "127.0.0.1:0")
	hostIn, _ := host.StdinPipe()
	out, _ := host.StdoutPipe()
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	go hostOut.read(out)
	inviteRE := regexp.MustCompile(`^invite: (\S+)`)
	waitFor(t, 20*time.Second, "the host's invite", func() bool { return hostOut.last(inviteRE) != nil })
	invite := hostOut.last(inviteRE)[1]
	guest := camchatCmd(t, nil, "headless", "-name", "Carol", "-listen", "127.0.0.1:0", "-join", invite)
	if err := guest.Start(); err != nil {
		t.Fatal(err)
	}

	// The app, with a config directory of its own, joins them. C.UTF-8
	// is the locale Fyne could not parse: its complaint must not appear.
	var appErr lineWatcher
	app := camchatCmd(t, []string{"DISPLAY=" + display, "FYNE_SCALE=1", "LANG=C.UTF-8", "LANGUAGE=C.UTF-8", "LC_ALL="},
		"-config", t.TempDir(), "-name", "Alice", "-join", invite, "-listen", "127.0.0.1:0", "-log", "debug")
	errPipe, _ := app.StderrPipe()
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	go appErr.read(errPipe)

	// The app logs where each picture is, whenever that changes; the last
	// line holds. Wait for ours and two others.
	layoutRE := regexp.MustCompile(`pictures="window:0,0,(\d+),(\d+) ([^"]*)"`)
	layout := func() (win image.Rectangle, local bool, remote map[string]image.Rectangle) {
		m := appErr.last(layoutRE)
		if m == nil {
			return
		}
		w, _ := strconv.Atoi(m[1])
		h, _ := strconv.Atoi(m[2])
		win = image.Rect(0, 0, w, h)
		remote = map[string]image.Rectangle{}
		for _, f := range strings.Fields(m[3]) {
			key, spec, _ := strings.Cut(f, ":")
			var x, y, rw, rh int
			if _, err := fmt.Sscanf(spec, "%d,%d,%d,%d", &x, &y, &rw, &rh); err != nil {
				continue
			}
			if key == "local" {
				local = true
			} else {
				remote[key] = image.Rect(x, y, x+rw, y+rh)
			}
		}
		return
	}
	var win image.Rectangle
	var remote map[string]image.Rectangle
	waitFor(t, 40*time.Second, "three pictures on the screen", func() bool {
		var local bool
		win, local, remote = layout()
		return local && len(remote) == 2
	})
	fmt.Fprintln(hostIn, "Hi Alice! Can you see the test pattern?")

	shoot := func() (*image.RGBA, map[string]uint32) {
		win, _, remote = layout()
		shot, err := readXWD(fb)
		if err != nil {
			t.Fatal(err)
		}
		frames := map[string]uint32{}
		for k, r := range remote {
			if n, ok := stampAt(shot, r); ok {
				frames[k] = n
			}
		}
		return shot, frames
	}
	var first map[string]uint32
	var last *image.RGBA
	defer func() {
		if t.Failed() && last != nil {
			p := filepath.Join(os.TempDir(), "camchat-screenshot-failed.png")
			if f, err := os.Create(p); err == nil {
				png.Encode(f, last)
				f.Close()
				t.Logf("the screen is in %s; pictures at %v", p, remote)
			}
		}
	}()
	waitFor(t, 20*time.Second, "stamps readable in both remote pictures", func() bool {
		last, first = shoot()
		return len(first) == 2
	})
	var shot *image.RGBA
	waitFor(t, 20*time.Second, "both remote pictures moving", func() bool {
		var now map[string]uint32
		shot, now = shoot()
		last = shot
		for k, n := range first {
			if now[k] < n+5 {
				return false
			}
		}
		t.Logf("frame numbers %v, then %v", first, now)
		return true
	})
	if strings.Contains(appErr.text(), "Error parsing user locale") {
		t.Errorf("Fyne complained about the locale:\n%s", appErr.text())
	}
	if *screenshotPath != "" {
		// Let the chat line arrive and the frames settle, then keep the
		// window's part of the screen.
		time.Sleep(1500 * time.Millisecond)
		shot, _ = shoot()
		f, err := os.Create(*screenshotPath)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, shot.SubImage(win.Intersect(shot.Rect))); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
