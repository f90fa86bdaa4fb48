package identity

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"camchat/internal/rtmfp/flashcrypto"
)

const hexID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func mustPeerID(t *testing.T, s string) flashcrypto.PeerID {
	t.Helper()
	id, err := flashcrypto.ParsePeerID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func aps(ss ...string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, s := range ss {
		out = append(out, netip.MustParseAddrPort(s))
	}
	return out
}

func TestParseInviteAccepts(t *testing.T) {
	id := mustPeerID(t, hexID)
	upper := strings.ToUpper(hexID)
	cases := []struct {
		in   string
		want Invite
	}{
		{hexID, Invite{PeerID: id}},
		{upper, Invite{PeerID: id}},
		{"  " + hexID + "\n", Invite{PeerID: id}},
		{`"` + hexID + `"`, Invite{PeerID: id}},
		{"“" + hexID + "”.", Invite{PeerID: id}},
		{"'" + hexID[:30] + "\r\n" + hexID[30:] + "'", Invite{PeerID: id}}, // wrapped by a mail program
		{"\ufeff" + hexID + "\u200b", Invite{PeerID: id}},
		{"<camchat:" + hexID + ">", Invite{PeerID: id}},
		{"camchat:" + hexID, Invite{PeerID: id}},
		{"CamChat://" + upper, Invite{PeerID: id}},
		{"camchat:" + hexID + "?", Invite{PeerID: id}},
		{"camchat:" + hexID + "?a=192.168.1.20:1935&a=[fd00::20]:1935&a=127.0.0.1:1935&r=rdv.example.net:1935",
			Invite{PeerID: id, Addrs: aps("192.168.1.20:1935", "[fd00::20]:1935", "127.0.0.1:1935"), Rendezvous: "rdv.example.net:1935"}},
		{"camchat:" + hexID + "?a=%5B::1%5D%3A1935&A=10.0.0.1:5&&future=x&r=RDV.Example.NET:01935",
			Invite{PeerID: id, Addrs: aps("[::1]:1935", "10.0.0.1:5"), Rendezvous: "rdv.example.net:1935"}},
		{"camchat:" + hexID + "?a=[::ffff:10.0.0.1]:5&a=10.0.0.1:5&r=[::ffff:127.0.0.1]:1935",
			Invite{PeerID: id, Addrs: aps("10.0.0.1:5"), Rendezvous: "127.0.0.1:1935"}},
		{"camchat:" + hexID + "?r=[2001:db8::1]:1935", Invite{PeerID: id, Rendezvous: "[2001:db8::1]:1935"}},
	}
	for _, c := range cases {
		got, err := ParseInvite(c.in)
		if err != nil {
			t.Errorf("ParseInvite(%q): %v", c.in, err)
			continue
		}
		if got.PeerID != c.want.PeerID || !slices.Equal(got.Addrs, c.want.Addrs) || got.Rendezvous != c.want.Rendezvous {
			t.Errorf("ParseInvite(%q) = %+v, want %+v", c.in, got, c.want)
		}
		back, err := ParseInvite(got.String())
		if err != nil || back.String() != got.String() {
			t.Errorf("round trip of %q: %q, %v", got.String(), back.String(), err)
		}
	}
}

func TestParseInviteErrors(t *testing.T) {
	inv := "camchat:" + hexID + "?"
	cases := []struct{ in, want string }{
		{"", "nothing to call: paste a peer ID or an invite"},
		{" \n\"\" ", "nothing to call: paste a peer ID or an invite"},
		{hexID[:63], "not a peer ID: 63 hex digits, need 64"},
		{hexID + "0", "not a peer ID: 65 hex digits, need 64"},
		{hexID[:10] + "g" + hexID[11:], "not a peer ID: 'g' is not a hex digit"},
		{hexID[:10] + "é" + hexID[11:], "not a peer ID: 'é' is not a hex digit"},
		{hexID[:10] + "\x00" + hexID[11:], "not a peer ID: U+0000 is not a hex digit"},
		{hexID[:10] + "\xff" + hexID[11:], "not a peer ID: U+FFFD is not a hex digit"},
		{"0x" + hexID[2:], "not a peer ID: 'x' is not a hex digit"},
		{"camchat:", "not a peer ID: 0 hex digits, need 64"},
		{"camchat:" + hexID[:62], "not a peer ID: 62 hex digits, need 64"},
		{"https://example.com/" + hexID, "not a camchat invite: it starts with 'https:', not 'camchat:'"},
		{hexID + "?a=1.2.3.4:5", "not a peer ID: '?' is not a hex digit"},
		{inv + "a=x", "address hint 'x' is not IP:port"},
		{inv + "a=", "address hint '' is not IP:port"},
		{inv + "a=1.2.3.4", "address hint '1.2.3.4' is not IP:port"},
		{inv + "a=::1:1935", "address hint '::1:1935' is not IP:port"},
		{inv + "a=host.example:1935", "address hint 'host.example:1935' is not IP:port"},
		{inv + "a=1.2.3.4:0", "address hint '1.2.3.4:0' cannot be called (port 0)"},
		{inv + "a=0.0.0.0:1935", "address hint '0.0.0.0:1935' cannot be called (unspecified address)"},
		{inv + "a=[::]:1935", "address hint '[::]:1935' cannot be called (unspecified address)"},
		{inv + "a=224.0.0.1:1935", "address hint '224.0.0.1:1935' cannot be called (multicast address)"},
		{inv + "a=[ff02::1]:1935", "address hint '[ff02::1]:1935' cannot be called (multicast address)"},
		{inv + "a=255.255.255.255:1935", "address hint '255.255.255.255:1935' cannot be called (broadcast address)"},
		{inv + "a=169.254.1.1:1935", "address hint '169.254.1.1:1935' cannot be called (link-local address, valid on one network only)"},
		{inv + "a=[fe80::1%25eth0]:1935", "address hint '[fe80::1%eth0]:1935' cannot be called (link-local address, valid on one network only)"},
		{inv + "a=[2001:db8::1%25eth0]:1935", "address hint '[2001:db8::1%eth0]:1935' cannot be called (address with an interface zone)"},
		{inv + "a=1.1.1.1:1&a=1.1.1.2:1&a=1.1.1.3:1&a=1.1.1.4:1&a=1.1.1.5:1&a=1.1.1.6:1&a=1.1.1.7:1&a=1.1.1.8:1&a=1.1.1.9:1",
			"too many address hints: 9, at most 8"},
		{inv + "r=x", "rendezvous server 'x' is not host:port"},
		{inv + "r=example.net", "rendezvous server 'example.net' is not host:port"},
		{inv + "r=example.net:0", "rendezvous server 'example.net:0' is not host:port"},
		{inv + "r=example.net:65536", "rendezvous server 'example.net:65536' is not host:port"},
		{inv + "r=example.net:+80", "rendezvous server 'example.net:+80' is not host:port"},
		{inv + "r=exa_mple.net:80", "rendezvous server 'exa_mple.net:80' is not host:port"},
		{inv + "r=-example.net:80", "rendezvous server '-example.net:80' is not host:port"},
		{inv + "r=0.0.0.0:1935", "rendezvous server '0.0.0.0:1935' cannot be called (unspecified address)"},
		{inv + "r=a.example:1&r=b.example:1", "more than one rendezvous server in the invite"},
		{inv + "a=1.2.3.4:5&" + strings.Repeat("x", MaxInviteLen), "too long for an invite: at most 1024 characters"},
		{strings.Repeat("0", 100_000), "too long for an invite: at most 1024 characters"},
	}
	for _, c := range cases {
		_, err := ParseInvite(c.in)
		if err == nil {
			t.Errorf("ParseInvite(%q) succeeded, want %q", c.in, c.want)
			continue
		}
		if !errors.Is(err, ErrBadInvite) || err.Error() != c.want {
			t.Errorf("ParseInvite(%q):\n got  %v\n want %s", c.in, err, c.want)
		}
	}
}

func TestInviteString(t *testing.T) {
	inv := Invite{PeerID: mustPeerID(t, hexID), Addrs: aps("192.168.1.20:1935", "[fd00::20]:1935"), Rendezvous: "rdv.example.net:1935"}
	want := "camchat:" + hexID + "?a=192.168.1.20:1935&a=[fd00::20]:1935&r=rdv.example.net:1935"
	if got := inv.String(); got != want {
		t.Errorf("String = %s, want %s", got, want)
	}
	if got := (Invite{PeerID: inv.PeerID, Rendezvous: "h:1"}).String(); got != "camchat:"+hexID+"?r=h:1" {
		t.Errorf("String = %s", got)
	}
}

func TestFormatInviteOrdersAndBoundsHints(t *testing.T) {
	id := mustPeerID(t, hexID)
	in := aps(
		"[::1]:1935", "127.0.0.1:1935", // loopback: last, IPv4 first
		"[2001:db8::5]:1935",                    // public IPv6
		"203.0.113.5:1935",                      // public IPv4
		"[fd00::2]:1935",                        // unique local
		"192.168.1.20:1935", "100.101.1.2:1935", // private, CGNAT: first, in given order
		"0.0.0.0:1935", "[fe80::1]:1935", "224.0.0.1:1935", "10.0.0.1:0", // never
		"192.168.1.20:1935", "[::ffff:192.168.1.20]:1935", // duplicates
	)
	s, err := FormatInvite(id, in, "")
	if err != nil {
		t.Fatal(err)
	}
	want := "camchat:" + hexID + "?a=192.168.1.20:1935&a=100.101.1.2:1935&a=[fd00::2]:1935&a=203.0.113.5:1935&a=[2001:db8::5]:1935&a=127.0.0.1:1935&a=[::1]:1935"
	if s != want {
		t.Errorf("FormatInvite =\n %s\nwant\n %s", s, want)
	}

	// Beyond eight hints the last non-loopback ones go; loopback stays.
	var many []netip.AddrPort
	for i := range 12 {
		many = append(many, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), 1935))
	}
	many = append(many, aps("127.0.0.1:1935")...)
	s, err = FormatInvite(id, many, "rdv.example.net:1935")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := ParseInvite(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Addrs) != MaxInviteAddrs || inv.Addrs[6] != many[6] || inv.Addrs[7] != many[12] || inv.Rendezvous != "rdv.example.net:1935" {
		t.Errorf("bounded hints %v, rendezvous %q", inv.Addrs, inv.Rendezvous)
	}

	if _, err := FormatInvite(id, nil, "no-port"); !errors.Is(err, ErrBadInvite) {
		t.Errorf("FormatInvite with a bad rendezvous = %v", err)
	}
	if s, _ := FormatInvite(id, nil, ""); s != "camchat:"+hexID {
		t.Errorf("FormatInvite with nothing = %s", s)
	}
}

// The longest invite FormatInvite can make still parses.
func TestLongestInviteFits(t *testing.T) {
	var addrs []netip.AddrPort
	for i := range MaxInviteAddrs {
		addrs = append(addrs, netip.MustParseAddrPort("[2001:db8:ffff:ffff:ffff:ffff:ffff:fff"+string(rune('0'+i))+"]:65535"))
	}
	host := strings.Repeat(strings.Repeat("h", 63)+".", 3) + strings.Repeat("h", 61)
	s, err := FormatInvite(mustPeerID(t, hexID), addrs, host+":65535")
	if err != nil {
		t.Fatal(err)
	}
	if len(s) > MaxInviteLen {
		t.Fatalf("invite of %d bytes, more than %d", len(s), MaxInviteLen)
	}
	if _, err := ParseInvite(s); err != nil {
		t.Fatal(err)
	}
}

func TestLocalAddrs(t *testing.T) {
	got := LocalAddrs(1935)
	if len(got) == 0 {
		t.Fatal("no local addresses")
	}
	if last := got[len(got)-1]; !last.Addr().IsLoopback() {
		t.Errorf("last address %v is not loopback", last)
	}
	if !slices.Contains(got, netip.MustParseAddrPort("127.0.0.1:1935")) {
		t.Errorf("%v lacks 127.0.0.1:1935", got)
	}
	host, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	seenLoopback := false
	for _, a := range got {
		if a.Port() != 1935 || unusable(a) != "" {
			t.Errorf("unusable address %v", a)
		}
		if a.Addr().IsLoopback() {
			seenLoopback = true
		} else if seenLoopback {
			t.Errorf("%v after loopback", a)
		}
		found := false
		for _, h := range host {
			if n, ok := h.(*net.IPNet); ok && n.IP.Equal(net.IP(a.Addr().AsSlice())) {
				found = true
			}
		}
		if !found {
			t.Errorf("%v is not an address of this host (%v)", a, host)
		}
	}
	// Every usable interface address is there.
	for _, h := range host {
		n, ok := h.(*net.IPNet)
		if !ok {
			continue
		}
		ip, _ := netip.AddrFromSlice(n.IP)
		ap := netip.AddrPortFrom(ip.Unmap(), 1935)
		if unusable(ap) == "" && !slices.Contains(got, ap) {
			t.Logf("interface address %v missing (its interface may not be running)", ap)
		}
	}
	if LocalAddrs(0) != nil || LocalAddrs(70000) != nil {
		t.Error("LocalAddrs accepted a bad port")
	}
	// What LocalAddrs returns makes an invite as is.
	if _, err := FormatInvite(mustPeerID(t, hexID), got, ""); err != nil {
		t.Error(err)
	}
}
