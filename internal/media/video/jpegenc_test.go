package video

import (
	"bytes"
	"math"
)

// This file holds a small baseline JPEG encoder (ITU-T T.81 sequential DCT,
// Huffman coded with the Annex K.3 tables) used only to make test fixtures
// that image/jpeg's encoder cannot: 4:2:2 sampling and frames without a DHT
// segment, as UVC webcams send them.

// zigzag[i] is the natural (row-major) index of the i-th coefficient in
// zig-zag order (T.81 Figure A.6).
var zigzag = [64]int{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// Quantisation tables of T.81 Annex K.1, natural order.
var baseQuant = [2][64]int{
	{
		16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
		14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
		18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
		49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
	},
	{
		17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
		24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
	},
}

type huffCode struct {
	code uint32
	size uint8
}

// huffCodes derives the code of each symbol from a table's counts
// (T.81 Annex C).
func huffCodes(t huffmanTable) [256]huffCode {
	var out [256]huffCode
	code, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for range int(t.counts[l-1]) {
			out[t.values[k]] = huffCode{code, uint8(l)}
			k++
			code++
		}
		code <<= 1
	}
	return out
}

type bitWriter struct {
	out   bytes.Buffer
	acc   uint32
	nbits uint
}

func (w *bitWriter) put(bits uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (bits>>uint(i))&1
		w.nbits++
		if w.nbits == 8 {
			b := byte(w.acc)
			w.out.WriteByte(b)
			if b == 0xff {
				w.out.WriteByte(0) // byte stuffing, T.81 §F.1.2.3
			}
			w.acc, w.nbits = 0, 0
		}
	}
}

func (w *bitWriter) flush() {
	for w.nbits != 0 {
		w.put(1, 1)
	}
}

// plane is a full-resolution component.
type plane struct {
	w, h int
	p    []float64
}

func (p plane) at(x, y int) float64 {
	return p.p[min(y, p.h-1)*p.w+min(x, p.w-1)]
}

// encodeBaseline encodes the three full-resolution planes as a baseline
// JPEG with luma sampling factors hY×vY (2×1 is 4:2:2, 2×2 is 4:2:0) and
// chroma 1×1. Chroma is box-averaged to its sampling grid.
func encodeBaseline(y, cb, cr plane, hY, vY, quality int, withDHT bool) []byte {
	width, height := y.w, y.h
	scale := 200 - 2*quality
	if quality < 50 {
		scale = 5000 / quality
	}
	var quant [2][64]int
	for t := range quant {
		for i, v := range baseQuant[t] {
			quant[t][i] = min(max((v*scale+50)/100, 1), 255)
		}
	}
	var b bytes.Buffer
	b.Write([]byte{0xff, 0xd8})
	// DQT: both tables, 8-bit, zig-zag order.
	b.Write([]byte{0xff, 0xdb, 0, 2 + 2*65})
	for t := range quant {
		b.WriteByte(byte(t))
		for _, n := range zigzag {
			b.WriteByte(byte(quant[t][n]))
		}
	}
	// SOF0.
	b.Write([]byte{0xff, 0xc0, 0, 17, 8, byte(height >> 8), byte(height), byte(width >> 8), byte(width), 3,
		1, byte(hY<<4 | vY), 0, 2, 0x11, 1, 3, 0x11, 1})
	if withDHT {
		b.Write(defaultDHT)
	}
	// SOS.
	b.Write([]byte{0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0})

	codes := [4][256]huffCode{}
	for i, t := range defaultHuffmanTables {
		codes[i] = huffCodes(t)
	}
	var bw bitWriter
	var prevDC [3]int
	mcuW, mcuH := 8*hY, 8*vY
	var blk [64]float64
	emit := func(comp, table int) {
		var coef [64]int
		fdct(&blk, &coef, &quant[table])
		dc, ac := codes[2*table], codes[2*table+1]
		diff := coef[0] - prevDC[comp]
		prevDC[comp] = coef[0]
		s, bits := magnitude(diff)
		bw.put(dc[s].code, uint(dc[s].size))
		bw.put(bits, uint(s))
		run := 0
		for k := 1; k < 64; k++ {
			v := coef[zigzag[k]]
			if v == 0 {
				run++
				continue
			}
			for run >= 16 {
				bw.put(ac[0xf0].code, uint(ac[0xf0].size))
				run -= 16
			}
			s, bits := magnitude(v)
			sym := run<<4 | s
			bw.put(ac[sym].code, uint(ac[sym].size))
			bw.put(bits, uint(s))
			run = 0
		}
		if run > 0 {
			bw.put(ac[0].code, uint(ac[0].size))
		}
	}
	for my := 0; my < height; my += mcuH {
		for mx := 0; mx < width; mx += mcuW {
			for by := range vY {
				for bx := range hY {
					for i := range 64 {
						blk[i] = y.at(mx+8*bx+i%8, my+8*by+i/8)
					}
					emit(0, 0)
				}
			}
			for c, p := range []plane{cb, cr} {
				for i := range 64 {
					sum := 0.0
					for dy := range vY {
						for dx := range hY {
							sum += p.at(mx+hY*(i%8)+dx, my+vY*(i/8)+dy)
						}
					}
					blk[i] = sum / float64(hY*vY)
				}
				emit(c+1, 1)
			}
		}
	}
	bw.flush()
	b.Write(bw.out.Bytes())
	b.Write([]byte{0xff, 0xd9})
	return b.Bytes()
}

// magnitude returns the size category of v and its low bits (T.81 §F.1.2.1).
func magnitude(v int) (int, uint32) {
	a := v
	if a < 0 {
		a = -a
	}
	s := 0
	for a>>s != 0 {
		s++
	}
	if v < 0 {
		v--
	}
	return s, uint32(v) & (1<<s - 1)
}

var dctCos = func() (t [8][8]float64) {
	for x := range 8 {
		for u := range 8 {
			t[x][u] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / 16)
		}
	}
	return t
}()

// fdct is the separable forward DCT of T.81 §A.3.3 followed by quantisation.
func fdct(in *[64]float64, out *[64]int, q *[64]int) {
	var tmp [64]float64
	for y := range 8 {
		for u := range 8 {
			s := 0.0
			for x := range 8 {
				s += (in[y*8+x] - 128) * dctCos[x][u]
			}
			tmp[y*8+u] = s
		}
	}
	for u := range 8 {
		for v := range 8 {
			s := 0.0
			for y := range 8 {
				s += tmp[y*8+u] * dctCos[y][v]
			}
			cu, cv := 1.0, 1.0
			if u == 0 {
				cu = math.Sqrt2 / 2
			}
			if v == 0 {
				cv = math.Sqrt2 / 2
			}
			out[v*8+u] = int(math.Round(s * cu * cv / 4 / float64(q[v*8+u])))
		}
	}
}
