package video

import (
	"bytes"
	"compress/gzip"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Recorded-frame fixtures in testdata/, made by TestGenerateFixtures:
//
//	go test ./internal/media/video -run TestGenerateFixtures -update
//
// They stand in for a webcam, which the test machines do not have.
const (
	fixYUYV       = "yuyv_320x240.raw.gz"        // packed YUYV, gzip-compressed
	fixMJPEG      = "mjpeg_640x480.jpg"          // image/jpeg encoder, 4:2:0, with DHT
	fixMJPEGNoDHT = "mjpeg_640x480_nodht.jpg"    // the same with its DHT segment cut out
	fix422NoDHT   = "mjpeg422_320x240_nodht.jpg" // 4:2:2 without DHT, as UVC cameras send
	fix422Odd     = "jpeg422_321x241.jpg"        // 4:2:2, odd size, with DHT
	fix420Odd     = "jpeg420_323x239.jpg"        // image/jpeg encoder, 4:2:0, odd size
)

var update = flag.Bool("update", false, "rewrite testdata fixtures")

// scene is a deterministic picture with gradients, saturated patches, edges
// and a fine checkerboard, in full-range YCbCr like JPEG (JFIF).
func scene(x, y, w, h int) (yy, cb, cr uint8) {
	r := 255 * x / max(w-1, 1)
	g := 255 * y / max(h-1, 1)
	b := 128 + int(100*math.Sin(float64(x+y)/23))
	// A red disc and a blue bar with hard edges.
	cx, cy, rad := w/3, h/2, h/4
	if (x-cx)*(x-cx)+(y-cy)*(y-cy) < rad*rad {
		r, g, b = 220, 30, 40
	}
	if x > 2*w/3 && x < 2*w/3+w/10 {
		r, g, b = 20, 40, 210
	}
	// Fine checkerboard in the bottom-right corner.
	if x > 3*w/4 && y > 3*h/4 && (x/2+y/2)%2 == 0 {
		r, g, b = 250, 250, 250
	}
	return color.RGBToYCbCr(uint8(r), uint8(g), uint8(min(max(b, 0), 255)))
}

// sceneImage renders scene into a YCbCr image of the given subsampling, chroma
// box-averaged.
func sceneImage(w, h int, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), ratio)
	sums := make(map[int][3]int)
	for y := range h {
		for x := range w {
			yy, cb, cr := scene(x, y, w, h)
			img.Y[img.YOffset(x, y)] = yy
			o := img.COffset(x, y)
			s := sums[o]
			sums[o] = [3]int{s[0] + int(cb), s[1] + int(cr), s[2] + 1}
		}
	}
	for o, s := range sums {
		img.Cb[o] = uint8((s[0] + s[2]/2) / s[2])
		img.Cr[o] = uint8((s[1] + s[2]/2) / s[2])
	}
	return img
}

func scenePlanes(w, h int) (y, cb, cr plane) {
	y, cb, cr = plane{w, h, make([]float64, w*h)}, plane{w, h, make([]float64, w*h)}, plane{w, h, make([]float64, w*h)}
	for j := range h {
		for i := range w {
			a, b, c := scene(i, j, w, h)
			y.p[j*w+i], cb.p[j*w+i], cr.p[j*w+i] = float64(a), float64(b), float64(c)
		}
	}
	return y, cb, cr
}

// sceneYUYV packs scene as YUYV, chroma averaged over each pixel pair.
func sceneYUYV(w, h int) []byte {
	out := make([]byte, 0, 2*w*h)
	for y := range h {
		for x := 0; x < w; x += 2 {
			y0, cb0, cr0 := scene(x, y, w, h)
			y1, cb1, cr1 := scene(x+1, y, w, h)
			out = append(out, y0, uint8((int(cb0)+int(cb1)+1)/2), y1, uint8((int(cr0)+int(cr1)+1)/2))
		}
	}
	return out
}

// stripDHT removes every DHT segment before SOS.
func stripDHT(t testing.TB, b []byte) []byte {
	t.Helper()
	out := append([]byte(nil), b[:2]...)
	i := 2
	for {
		m := b[i+1]
		if m == markerSOS {
			return append(out, b[i:]...)
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if m != markerDHT {
			out = append(out, b[i:i+2+n]...)
		}
		i += 2 + n
	}
}

func TestGenerateFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata")
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join("testdata", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(sceneYUYV(320, 240))
	zw.Close()
	write(fixYUYV, gz.Bytes())

	var mj bytes.Buffer
	if err := jpeg.Encode(&mj, sceneImage(640, 480, image.YCbCrSubsampleRatio444), &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	write(fixMJPEG, mj.Bytes())
	write(fixMJPEGNoDHT, stripDHT(t, mj.Bytes()))

	y, cb, cr := scenePlanes(320, 240)
	write(fix422NoDHT, encodeBaseline(y, cb, cr, 2, 1, 80, false))
	y, cb, cr = scenePlanes(321, 241)
	write(fix422Odd, encodeBaseline(y, cb, cr, 2, 1, 80, true))

	var odd bytes.Buffer
	if err := jpeg.Encode(&odd, sceneImage(323, 239, image.YCbCrSubsampleRatio444), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	write(fix420Odd, odd.Bytes())
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(name) == ".gz" {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// referenceI420 converts any image to I420 the slow, obvious way: luma per
// pixel, chroma the rounded mean over each 2×2 block (clipped at the edges),
// all through the image.Image interface.
func referenceI420(img image.Image) *image.YCbCr {
	r := img.Bounds()
	out := NewI420(r.Dx(), r.Dy())
	at := func(x, y int) color.YCbCr {
		switch c := img.At(r.Min.X+x, r.Min.Y+y).(type) {
		case color.YCbCr:
			return c
		case color.Gray:
			return color.YCbCr{Y: c.Y, Cb: 128, Cr: 128}
		default:
			rr, gg, bb, _ := c.RGBA()
			yy, cb, cr := color.RGBToYCbCr(uint8(rr>>8), uint8(gg>>8), uint8(bb>>8))
			return color.YCbCr{Y: yy, Cb: cb, Cr: cr}
		}
	}
	for y := range r.Dy() {
		for x := range r.Dx() {
			out.Y[y*out.YStride+x] = at(x, y).Y
		}
	}
	for cy := range (r.Dy() + 1) / 2 {
		for cx := range (r.Dx() + 1) / 2 {
			var sb, sr, n int
			for dy := range 2 {
				for dx := range 2 {
					x, y := min(2*cx+dx, r.Dx()-1), min(2*cy+dy, r.Dy()-1)
					c := at(x, y)
					sb += int(c.Cb)
					sr += int(c.Cr)
					n++
				}
			}
			out.Cb[cy*out.CStride+cx] = uint8((sb + n/2) / n)
			out.Cr[cy*out.CStride+cx] = uint8((sr + n/2) / n)
		}
	}
	return out
}

// psnr compares the three planes of two I420 images of the same size and
// returns the PSNR over all samples in dB (+Inf when identical).
func psnr(t testing.TB, a, b *image.YCbCr) float64 {
	t.Helper()
	if a.Rect != b.Rect {
		t.Fatalf("size %v vs %v", a.Rect, b.Rect)
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	var se float64
	var n int
	add := func(pa, pb []byte, sa, sb, pw, ph int) {
		for y := range ph {
			for x := range pw {
				d := float64(pa[y*sa+x]) - float64(pb[y*sb+x])
				se += d * d
				n++
			}
		}
	}
	add(a.Y, b.Y, a.YStride, b.YStride, w, h)
	add(a.Cb, b.Cb, a.CStride, b.CStride, (w+1)/2, (h+1)/2)
	add(a.Cr, b.Cr, a.CStride, b.CStride, (w+1)/2, (h+1)/2)
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255/(se/float64(n)))
}
