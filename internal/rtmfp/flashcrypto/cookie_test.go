package flashcrypto

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"
)

func TestCookies(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	jar, err := NewCookieJar(testRand(40), t0)
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddrPort("192.0.2.10:1935")
	b := netip.MustParseAddrPort("192.0.2.10:1936")
	v6 := netip.MustParseAddrPort("[2001:db8::1]:1935")
	mapped := netip.AddrPortFrom(netip.AddrFrom16(a.Addr().As16()), a.Port())

	c := jar.Make(a, t0.Add(10*time.Second))
	if len(c) != CookieLen {
		t.Fatalf("cookie %d bytes", len(c))
	}
	check := func(name string, cookie []byte, addr netip.AddrPort, at time.Duration, want error) {
		t.Helper()
		if err := jar.Check(cookie, addr, t0.Add(at)); err != want {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	check("fresh", c, a, 10*time.Second, nil)
	check("v4-mapped form of the same address", c, mapped, 11*time.Second, nil)
	check("95 s old", c, a, 105*time.Second+999*time.Millisecond, nil)
	check("96 s old", c, a, 106*time.Second, ErrCookieExpired)
	check("other port", c, b, 20*time.Second, ErrCookieMismatch)
	check("other family", c, v6, 20*time.Second, ErrCookieMismatch)
	check("from the future", c, a, 9*time.Second, ErrCookieInvalid)
	check("expired beats mismatch", c, b, 200*time.Second, ErrCookieExpired)

	for i := range c {
		bad := bytes.Clone(c)
		bad[i] ^= 1
		want := ErrCookieInvalid
		if i >= 32 {
			want = ErrCookieMismatch // the address tag alone is damaged
		}
		check("flipped byte", bad, a, 10*time.Second, want)
	}
	check("short", c[:63], a, 10*time.Second, ErrCookieInvalid)
	check("long", append(bytes.Clone(c), 0), a, 10*time.Second, ErrCookieInvalid)
	check("empty", nil, a, 10*time.Second, ErrCookieInvalid)

	// Another jar (another secret) rejects our cookies.
	other, _ := NewCookieJar(testRand(41), t0)
	if err := other.Check(c, a, t0.Add(10*time.Second)); err != ErrCookieInvalid {
		t.Errorf("foreign jar: %v", err)
	}
	// Cookies differ, even for one address at one time, and so do their
	// IDs.
	if c1, c2 := jar.Make(a, t0), jar.Make(a, t0); bytes.Equal(c1, c2) || jar.ID(c1) == jar.ID(c2) {
		t.Error("two cookies alike")
	}
	if err := jar.Check(jar.Make(v6, t0), v6, t0.Add(time.Minute)); err != nil {
		t.Errorf("v6: %v", err)
	}
	if _, err := NewCookieJar(bytes.NewReader(nil), t0); !errors.Is(err, ErrRandom) {
		t.Errorf("no randomness: %v", err)
	}
}

// TestCookieLifetimeVirtualTime drives the lifetime with the virtual clock
// of testing/synctest, the way the endpoint passes its now.
func TestCookieLifetimeVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		jar, err := NewCookieJar(testRand(42), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		a := netip.MustParseAddrPort("198.51.100.7:40000")
		time.Sleep(3 * time.Second)
		c := jar.Make(a, time.Now())
		time.Sleep(CookieLifetime)
		if err := jar.Check(c, a, time.Now()); err != nil {
			t.Fatalf("at the lifetime: %v", err)
		}
		time.Sleep(time.Second)
		if err := jar.Check(c, a, time.Now()); err != ErrCookieExpired {
			t.Fatalf("past the lifetime: %v", err)
		}
		// A fresh cookie for the same address is good again.
		if err := jar.Check(jar.Make(a, time.Now()), a, time.Now()); err != nil {
			t.Fatal(err)
		}
	})
}
