package rendezvous

import (
	"net/netip"
	"testing"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/wire"
)

// The answer sizes the guard computes are those of the packets the
// transport seals.
func TestAnswerSizes(t *testing.T) {
	for _, tag := range []int{0, 16, 200} {
		tg := make([]byte, tag)
		cert := make([]byte, 908)
		rh := wire.RHello{Tag: tg, Cookie: make([]byte, flashcrypto.CookieLen), Certificate: cert}.Append(nil)
		if got, want := rhelloSize(tag, len(cert)), len(rawStartup(0, rh, 0)); got != want {
			t.Errorf("RHello, tag %d: %d, want %d", tag, got, want)
		}
		rd := wire.Redirect{Tag: tg, Addresses: []wire.Address{{AddrPort: netip.MustParseAddrPort("192.0.2.1:1")}, {AddrPort: netip.MustParseAddrPort("192.0.2.2:1")}}}.Append(nil)
		if got, want := redirectSize(tag, 2), len(rawStartup(0, rd, 0)); got != want {
			t.Errorf("Redirect, tag %d: %d, want %d", tag, got, want)
		}
	}
	cc := wire.RHelloCookieChange{OldCookie: make([]byte, flashcrypto.CookieLen), NewCookie: make([]byte, flashcrypto.CookieLen)}.Append(nil)
	if got, want := cookieChangeSize(), len(rawStartup(0, cc, 0)); got != want {
		t.Errorf("Cookie Change: %d, want %d", got, want)
	}
}

// BenchmarkForgedIHello is what a forged 20-byte IHello costs the guard:
// opening it, finding its answer too large, and accounting it.
func BenchmarkForgedIHello(b *testing.B) {
	l, _ := newTestLimiter(Limits{})
	cl := newClassifier(serverIdentity(b), mustJar(b))
	ih := tinyIHello()
	now := l.now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{100, 64 + byte(i>>16)&63, byte(i >> 8), byte(i)}), 9)
		kind, answer := cl.classify(now, from, ih)
		if l.admit(now, from, len(ih), kind, answer) {
			b.Fatal("forged IHello admitted")
		}
	}
}

func mustJar(tb testing.TB) *flashcrypto.CookieJar {
	j, err := flashcrypto.NewCookieJar(newRand(3), time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return j
}
