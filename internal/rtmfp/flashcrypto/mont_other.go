//go:build !amd64

package flashcrypto

// montMulFor returns nil: modExp uses bigmod (mont.go).
func montMulFor(n int) func(z, x, y, m *uint64, m0inv uint64) { return nil }

// montSqrFor returns nil: modExp uses bigmod.
func montSqrFor(n int) func(z, x, m *uint64, m0inv uint64) { return nil }
