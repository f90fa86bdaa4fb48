package codec

import "image"

// movingPattern draws frame i of a deterministic synthetic scene: diagonal
// luma and chroma gradients that drift, a fine texture, and a textured box
// moving across the picture, so the encoder sees both motion and detail.
func movingPattern(w, h, i int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	box := min(48, w/3, h/3)
	bx := (i * 5) % (w - box)
	by := (i*3)%(2*(h-box)) - (h - box)
	if by < 0 {
		by = -by
	}
	for y := range h {
		row := img.Y[y*img.YStride:]
		for x := range w {
			v := 16 + (x+2*i)*160/(w+60) + y*40/h
			// Texture: a small deterministic hash gives grain that is
			// expensive to code, like sensor noise on a real camera.
			t := ((x*7 + y*13) ^ (x * y)) & 15
			v += t - 8
			// Temporal noise of ±3, different in every frame, which
			// motion compensation cannot predict.
			n := uint32(x*73856093) ^ uint32(y*19349663) ^ uint32(i*83492791)
			n *= 0x9e3779b1
			v += int(n>>29) - 3
			if x >= bx && x < bx+box && y >= by && y < by+box {
				// Box with its own checkerboard that moves with it.
				if ((x-bx)/6+(y-by)/6)&1 == 0 {
					v = 220
				} else {
					v = 60
				}
			}
			row[x] = uint8(min(max(v, 0), 255))
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := range ch {
		for x := range cw {
			img.Cb[y*img.CStride+x] = uint8(64 + (x+i)*128/(cw+15))
			img.Cr[y*img.CStride+x] = uint8(192 - y*128/ch)
		}
	}
	return img
}
