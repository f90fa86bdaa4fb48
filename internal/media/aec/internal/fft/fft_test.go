package fft

import (
	"math"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// naive is the defining sum, in float64.
func naive(x []float32) (re, im []float64) {
	n := len(x)
	re, im = make([]float64, n/2+1), make([]float64, n/2+1)
	for k := range re {
		for t, v := range x {
			s, c := math.Sincos(-2 * math.Pi * float64(k*t%n) / float64(n))
			re[k] += float64(v) * c
			im[k] += float64(v) * s
		}
	}
	return re, im
}

func TestForwardMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{4, 8, 16, 64, 512, 1024} {
		f, err := NewReal(n)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		re, im := make([]float32, f.Bins()), make([]float32, f.Bins())
		f.Forward(x, re, im)
		wr, wi := naive(x)
		var worst float64
		for k := range wr {
			worst = max(worst, math.Hypot(float64(re[k])-wr[k], float64(im[k])-wi[k]))
		}
		// float32 rounding grows like sqrt(n log n) for unit-variance input.
		if tol := 1e-5 * float64(n); worst > tol {
			t.Errorf("n=%d: largest bin error %.3g, want < %.3g", n, worst, tol)
		}
		back := make([]float32, n)
		f.Inverse(re, im, back)
		for i := range x {
			if d := math.Abs(float64(back[i])/float64(n) - float64(x[i])); d > 1e-5*math.Log2(float64(n)) {
				t.Fatalf("n=%d: inverse sample %d off by %.3g", n, i, d)
			}
		}
	}
}

func TestImpulseAndTone(t *testing.T) {
	const n = 64
	f, _ := NewReal(n)
	x := make([]float32, n)
	re, im := make([]float32, f.Bins()), make([]float32, f.Bins())
	x[3] = 1 // a delayed impulse: unit magnitude, phase -2πk·3/n
	f.Forward(x, re, im)
	for k := range re {
		s, c := math.Sincos(-2 * math.Pi * 3 * float64(k) / n)
		if math.Abs(float64(re[k])-c) > 1e-6 || math.Abs(float64(im[k])-s) > 1e-6 {
			t.Fatalf("bin %d = %v%+vi, want %v%+vi", k, re[k], im[k], c, s)
		}
	}
}

func TestNewRealRejects(t *testing.T) {
	for _, n := range []int{0, 2, 3, 6, 1000} {
		if _, err := NewReal(n); err == nil {
			t.Errorf("NewReal(%d) succeeded", n)
		}
	}
}

func BenchmarkForward1024(b *testing.B) {
	f, _ := NewReal(1024)
	x := make([]float32, 1024)
	for i := range x {
		x[i] = float32(i % 17)
	}
	re, im := make([]float32, f.Bins()), make([]float32, f.Bins())
	b.ReportAllocs()
	for b.Loop() {
		f.Forward(x, re, im)
	}
}

func BenchmarkInverse1024(b *testing.B) {
	f, _ := NewReal(1024)
	re, im := make([]float32, f.Bins()), make([]float32, f.Bins())
	for i := range re {
		re[i], im[i] = float32(i%7), float32(i%5)
	}
	x := make([]float32, 1024)
	b.ReportAllocs()
	for b.Loop() {
		f.Inverse(re, im, x)
	}
}

// threadCPU is this thread's CPU time (the benchmarks lock their thread):
// on a shared machine wall time per op also counts other processes' turns.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkForwardCPU(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f, _ := NewReal(1024)
	x := make([]float32, 1024)
	re, im := make([]float32, f.Bins()), make([]float32, f.Bins())
	c0 := threadCPU()
	for b.Loop() {
		f.Forward(x, re, im)
	}
	b.ReportMetric(float64(threadCPU()-c0)/float64(b.N), "cpu-ns/op")
}

// TestConvolveMatchesDirect: overlap-add over several blocks equals the
// direct sum.
func TestConvolveMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	x := make([]float64, 150_000)
	for i := range x {
		x[i] = r.Float64()*2 - 1
	}
	h := make([]float64, 3000)
	for i := range h {
		h[i] = r.NormFloat64() * math.Exp(-float64(i)/500)
	}
	y := Convolve(x, h)
	if len(y) != len(x) {
		t.Fatalf("%d samples out of %d", len(y), len(x))
	}
	for _, i := range []int{0, 1, 2999, 65535 - 2999, 65536 - 2999, 65536, 100_000, len(x) - 1} {
		var want float64
		for k := 0; k < len(h) && k <= i; k++ {
			want += h[k] * x[i-k]
		}
		if math.Abs(y[i]-want) > 1e-3 {
			t.Errorf("sample %d: %.6f, want %.6f", i, y[i], want)
		}
	}
}
