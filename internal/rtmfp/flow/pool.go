package flow

import (
	"math/bits"
	"sync"
)

// Message and fragment bytes live in pooled buffers so that a flow in steady
// state does not allocate: the sender copies each message into one at Write,
// the receiver copies each fragment into one and reassembles messages into
// another. Buffers come in power-of-two size classes; larger ones are
// allocated and left to the garbage collector.
const (
	minPoolShift = 6  // 64 bytes
	maxPoolShift = 22 // 4 MiB
)

var bufPools [maxPoolShift - minPoolShift + 1]sync.Pool

// poolClass returns the size class index for n bytes, or -1 when n is larger
// than the biggest class.
func poolClass(n int) int {
	if n <= 1<<minPoolShift {
		return 0
	}
	shift := bits.Len(uint(n - 1))
	if shift > maxPoolShift {
		return -1
	}
	return shift - minPoolShift
}

// getBuf returns a buffer of length n. The pointer is what putBuf takes back,
// so that returning a buffer to the pool does not allocate.
func getBuf(n int) *[]byte {
	c := poolClass(n)
	if c < 0 {
		b := make([]byte, n)
		return &b
	}
	if p, ok := bufPools[c].Get().(*[]byte); ok {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n, 1<<(c+minPoolShift))
	return &b
}

// bufCap is the capacity getBuf(n) returns: the memory a buffer of n bytes
// really holds, which the receiver's memory bound counts.
func bufCap(n int) int {
	c := poolClass(n)
	if c < 0 {
		return n
	}
	return 1 << (c + minPoolShift)
}

// putBuf returns a buffer obtained from getBuf. nil is ignored.
func putBuf(p *[]byte) {
	if p == nil {
		return
	}
	c := poolClass(cap(*p))
	if c < 0 || cap(*p) != 1<<(c+minPoolShift) {
		return
	}
	*p = (*p)[:0]
	bufPools[c].Put(p)
}
