package video

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"
)

func TestDefaultDHTSegment(t *testing.T) {
	// 2 marker bytes + length 0x01A2 (418) = 420 bytes: 4 × (1 + 16) header
	// bytes + 12 + 162 + 12 + 162 symbols + 2 length bytes.
	if len(defaultDHT) != 420 {
		t.Fatalf("len %d", len(defaultDHT))
	}
	if !bytes.Equal(defaultDHT[:5], []byte{0xff, 0xc4, 0x01, 0xa2, 0x00}) {
		t.Fatalf("header % x", defaultDHT[:5])
	}
	for _, tb := range defaultHuffmanTables {
		n := 0
		for _, c := range tb.counts {
			n += int(c)
		}
		if n != len(tb.values) {
			t.Fatalf("table %#x: counts sum %d, %d values", tb.class, n, len(tb.values))
		}
	}
}

// TestInsertDHTRestoresStripped: image/jpeg's encoder writes the Annex K.3
// tables in one DHT segment right before SOS, so stripping it and inserting
// the default tables must give back the original bytes.
func TestInsertDHTRestoresStripped(t *testing.T) {
	orig := readFixture(t, fixMJPEG)
	stripped := readFixture(t, fixMJPEGNoDHT)
	if len(orig)-len(stripped) != len(defaultDHT) {
		t.Fatalf("fixtures differ by %d bytes", len(orig)-len(stripped))
	}
	got, inserted, err := InsertDHT(nil, stripped)
	if err != nil || !inserted {
		t.Fatalf("inserted=%v err=%v", inserted, err)
	}
	if !bytes.Equal(got, orig) {
		t.Fatal("re-inserted frame differs from the original encoding")
	}
	same, inserted, err := InsertDHT(nil, orig)
	if err != nil || inserted || &same[0] != &orig[0] {
		t.Fatalf("frame with DHT: inserted=%v err=%v copied=%v", inserted, err, &same[0] != &orig[0])
	}
}

func TestMJPEGFixturesMatchReference(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ref    string // same picture with a DHT, for image/jpeg's own decode
		w, h   int
		ratio  image.YCbCrSubsampleRatio
		stdlib bool // image/jpeg decodes the fixture as is
	}{
		{fixMJPEG, fixMJPEG, 640, 480, image.YCbCrSubsampleRatio420, true},
		{fixMJPEGNoDHT, fixMJPEG, 640, 480, image.YCbCrSubsampleRatio420, false},
		{fix422NoDHT, "", 320, 240, image.YCbCrSubsampleRatio422, false},
		{fix422Odd, fix422Odd, 321, 241, image.YCbCrSubsampleRatio422, true},
		{fix420Odd, fix420Odd, 323, 239, image.YCbCrSubsampleRatio420, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := readFixture(t, tc.name)
			_, stdErr := jpeg.Decode(bytes.NewReader(data))
			if (stdErr == nil) != tc.stdlib {
				t.Fatalf("image/jpeg on the raw fixture: err=%v", stdErr)
			}
			refBytes := data
			if tc.ref != "" {
				refBytes = readFixture(t, tc.ref)
			} else {
				refBytes, _, _ = InsertDHT(nil, data)
			}
			ref, err := jpeg.Decode(bytes.NewReader(refBytes))
			if err != nil {
				t.Fatal(err)
			}
			if r := ref.(*image.YCbCr).SubsampleRatio; r != tc.ratio {
				t.Fatalf("fixture subsampling %v, want %v", r, tc.ratio)
			}
			var d MJPEGDecoder
			img, err := d.Decode(nil, data)
			if err != nil {
				t.Fatal(err)
			}
			if img.Rect != image.Rect(0, 0, tc.w, tc.h) || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
				t.Fatalf("got %v %v", img.Rect, img.SubsampleRatio)
			}
			p := psnr(t, img, referenceI420(ref))
			t.Logf("PSNR vs image/jpeg reference: %.1f dB", p)
			if p < 40 {
				t.Fatalf("PSNR %.1f dB < 40", p)
			}
			// The picture is the scene (lossy JPEG, so a looser bound).
			if p := psnr(t, img, referenceI420(sceneImage(tc.w, tc.h, image.YCbCrSubsampleRatio444))); p < 28 {
				t.Fatalf("PSNR vs scene %.1f dB", p)
			} else {
				t.Logf("PSNR vs source scene: %.1f dB", p)
			}
			// Decoding again into the same image reuses it.
			again, err := d.Decode(img, data)
			if err != nil || again != img {
				t.Fatalf("reuse: same=%v err=%v", again == img, err)
			}
		})
	}
}

func TestMJPEGGreyscale(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 17, 9))
	for i := range g.Pix {
		g.Pix[i] = uint8(i * 3)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, g, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	var d MJPEGDecoder
	img, err := d.Decode(nil, b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := jpeg.Decode(bytes.NewReader(b.Bytes()))
	if p := psnr(t, img, referenceI420(ref)); !(p > 99) {
		t.Fatalf("PSNR %.1f", p)
	}
	for _, c := range append(img.Cb, img.Cr...) {
		if c != 128 {
			t.Fatalf("chroma %d, want 128", c)
		}
	}
}

// TestMJPEGTruncated: every prefix of a DHT-less frame fails cleanly. All
// header prefixes are tried; in the entropy-coded data every 61st.
func TestMJPEGTruncated(t *testing.T) {
	data := readFixture(t, fix422NoDHT)
	sos, _, err := scanHeader(data)
	if err != nil {
		t.Fatal(err)
	}
	var d MJPEGDecoder
	var dst *image.YCbCr
	for n := 0; n < len(data)-2; n++ {
		if n > sos+16 && n%61 != 0 {
			continue
		}
		if _, err := d.Decode(dst, data[:n]); !errors.Is(err, ErrBadJPEG) {
			t.Fatalf("prefix %d of %d: err %v", n, len(data), err)
		}
		if n <= sos {
			if _, _, err := InsertDHT(nil, data[:n]); !errors.Is(err, ErrBadJPEG) {
				t.Fatalf("InsertDHT prefix %d: err %v", n, err)
			}
		}
	}
}

func TestInsertDHTMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"not JPEG":       {0x89, 'P', 'N', 'G'},
		"EOI before SOS": {0xff, 0xd8, 0xff, 0xd9},
		"length 1":       {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0xff, 0xda, 0, 2},
		"overrun":        {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0, 0},
		"garbage":        {0xff, 0xd8, 0x12, 0x34},
		"only fill":      {0xff, 0xd8, 0xff, 0xff, 0xff},
	} {
		if _, _, err := InsertDHT(nil, b); !errors.Is(err, ErrBadJPEG) {
			t.Errorf("%s: err %v", name, err)
		}
	}
	// Fill bytes and a stand-alone marker before SOS are skipped.
	ok := []byte{0xff, 0xd8, 0xff, 0xff, 0xd0, 0xff, 0xe0, 0x00, 0x02, 0xff, 0xda, 0x00, 0x02}
	out, inserted, err := InsertDHT(nil, ok)
	if err != nil || !inserted || !bytes.Equal(out[9:9+len(defaultDHT)], defaultDHT) {
		t.Fatalf("inserted=%v err=%v", inserted, err)
	}
}

func FuzzMJPEGToI420(f *testing.F) {
	// Small real encodings keep the executions fast: a DHT-less 4:2:2 frame
	// as a UVC camera sends, an image/jpeg 4:2:0 frame, and one fixture.
	y, cb, cr := scenePlanes(32, 16)
	small422 := encodeBaseline(y, cb, cr, 2, 1, 75, false)
	var small420 bytes.Buffer
	jpeg.Encode(&small420, sceneImage(24, 18, image.YCbCrSubsampleRatio444), &jpeg.Options{Quality: 60})
	for _, b := range [][]byte{small422, small420.Bytes(), readFixture(f, fix420Odd)} {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{0xff, 0xd8, 0xff, 0xda, 0, 2})
	var d MJPEGDecoder
	var dst *image.YCbCr
	f.Fuzz(func(t *testing.T, data []byte) {
		// image/jpeg allocates by the header's size; keep the fuzzer's
		// frames small enough to run fast.
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width*cfg.Height > 1<<20 {
			return
		}
		// A frame InsertDHT accepts has tables afterwards, at the old SOS.
		if out, inserted, err := InsertDHT(nil, data); err == nil {
			sos0, _, _ := scanHeader(data)
			sos, has, err := scanHeader(out)
			if err != nil || !has || (inserted && sos != sos0+len(defaultDHT)) || (!inserted && sos != sos0) {
				t.Fatalf("after insertion: sos %d (was %d) has=%v err=%v", sos, sos0, has, err)
			}
		}
		img, err := d.Decode(dst, data)
		if err != nil {
			return
		}
		dst = img
		if img.SubsampleRatio != image.YCbCrSubsampleRatio420 || len(img.Y) < img.Rect.Dx()*img.Rect.Dy() {
			t.Fatalf("bad output %v %v", img.Rect, img.SubsampleRatio)
		}
	})
}

// TestMJPEGSubsamplings: every sampling image/jpeg can return converts to
// I420 like the reference, at even and odd sizes, without a DHT.
func TestMJPEGSubsamplings(t *testing.T) {
	for _, tc := range []struct {
		h, v  int
		ratio image.YCbCrSubsampleRatio
	}{
		{1, 1, image.YCbCrSubsampleRatio444},
		{2, 1, image.YCbCrSubsampleRatio422},
		{2, 2, image.YCbCrSubsampleRatio420},
		{1, 2, image.YCbCrSubsampleRatio440},
		{4, 1, image.YCbCrSubsampleRatio411},
	} {
		for _, size := range [][2]int{{64, 48}, {37, 23}} {
			y, cb, cr := scenePlanes(size[0], size[1])
			data := encodeBaseline(y, cb, cr, tc.h, tc.v, 90, false)
			withDHT, _, _ := InsertDHT(nil, data)
			ref, err := jpeg.Decode(bytes.NewReader(withDHT))
			if err != nil {
				t.Fatal(err)
			}
			if r := ref.(*image.YCbCr).SubsampleRatio; r != tc.ratio {
				t.Fatalf("%dx%d sampling decoded as %v", tc.h, tc.v, r)
			}
			var d MJPEGDecoder
			img, err := d.Decode(nil, data)
			if err != nil {
				t.Fatal(err)
			}
			if p := psnr(t, img, referenceI420(ref)); p < 40 {
				t.Fatalf("%v %v: PSNR %.1f", tc.ratio, size, p)
			}
		}
	}
}
