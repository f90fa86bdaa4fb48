package flashcrypto

//go:generate go run mont_gen.go

import "golang.org/x/sys/cpu"

//go:noescape
func montMul16(z, x, y, m *uint64, m0inv uint64)

//go:noescape
func montMul32(z, x, y, m *uint64, m0inv uint64)

// montMulFor returns the Montgomery multiplication of n limbs, or nil.
func montMulFor(n int) func(z, x, y, m *uint64, m0inv uint64) {
	if !cpu.X86.HasBMI2 || !cpu.X86.HasADX {
		return nil
	}
	switch n {
	case 16:
		return montMul16
	case 32:
		return montMul32
	}
	return nil
}

//go:noescape
func montSqr16(z, x, m *uint64, m0inv uint64)

//go:noescape
func montSqr32(z, x, m *uint64, m0inv uint64)

// montSqrFor returns the Montgomery squaring of n limbs, or nil.
func montSqrFor(n int) func(z, x, m *uint64, m0inv uint64) {
	if !cpu.X86.HasBMI2 || !cpu.X86.HasADX {
		return nil
	}
	switch n {
	case 16:
		return montSqr16
	case 32:
		return montSqr32
	}
	return nil
}
