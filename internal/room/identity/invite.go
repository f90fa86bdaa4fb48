package identity

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"camchat/internal/rtmfp/flashcrypto"
)

// Invite is what one user gives another to call them: a peer ID, and for
// calls without a rendezvous server (two instances on one machine, or on
// one LAN) address hints where the peer listens, optionally with the
// rendezvous server to look it up through. Its string form:
//
//	camchat:<peer ID, 64 hex digits>[?a=IP:PORT[&a=[IPv6]:PORT …][&r=HOST:PORT]]
//
// for example
//
//	camchat:0123…cdef?a=192.168.1.20:1935&a=[fd00::20]:1935&a=127.0.0.1:1935&r=rdv.example.net:1935
//
// "a" may repeat (at most MaxInviteAddrs times, in the order to try), "r"
// may appear once; values may be percent-encoded; other keys are ignored,
// so that later versions can add some. A bare peer ID is an invite with no
// hints. The whole string is at most MaxInviteLen bytes.
//
// Address hints must be usable from another machine or from this one:
// not unspecified, multicast, the limited broadcast address, link-local
// (meaningless without the interface) or port 0. ParseInvite rejects an
// invite that holds such a hint (it was typed or edited by hand);
// FormatInvite leaves such addresses out.
type Invite struct {
	PeerID flashcrypto.PeerID
	// Addrs are the address hints, in the order to try.
	Addrs []netip.AddrPort
	// Rendezvous is a rendezvous server as "host:port", or "".
	Rendezvous string
}

// Invite bounds.
const (
	InviteScheme   = "camchat"
	MaxInviteAddrs = 8
	MaxInviteLen   = 1024
)

// String returns the invite's string form; ParseInvite gives it back.
func (inv Invite) String() string {
	var b strings.Builder
	b.WriteString(InviteScheme + ":")
	b.WriteString(inv.PeerID.String())
	sep := byte('?')
	for _, a := range inv.Addrs {
		b.WriteByte(sep)
		b.WriteString("a=")
		b.WriteString(a.String())
		sep = '&'
	}
	if inv.Rendezvous != "" {
		b.WriteByte(sep)
		b.WriteString("r=")
		b.WriteString(inv.Rendezvous)
	}
	return b.String()
}

func invalid(format string, args ...any) error {
	return &inviteError{msg: fmt.Sprintf(format, args...)}
}

// ParseInvite reads a peer ID or an invite that a user typed or pasted.
// It forgives what copying adds: whitespace and line breaks anywhere
// (mail programs wrap long lines), invisible characters, quotes or
// brackets around it, a full stop after it, hex digits in either case. It
// checks everything else, and its errors (errors.Is ErrBadInvite) are
// sentences for that user, e.g. "not a peer ID: 63 hex digits, need 64".
// Whether the peer ID is the user's own is the caller's check.
func ParseInvite(s string) (Invite, error) {
	if len(s) > 16*MaxInviteLen {
		return Invite{}, invalid("too long for an invite: at most %d characters", MaxInviteLen)
	}
	s = cleanPasted(s)
	switch {
	case s == "":
		return Invite{}, invalid("nothing to call: paste a peer ID or an invite")
	case len(s) > MaxInviteLen:
		return Invite{}, invalid("too long for an invite: at most %d characters", MaxInviteLen)
	}
	var inv Invite
	body, query := s, ""
	if len(s) > len(InviteScheme) && strings.EqualFold(s[:len(InviteScheme)+1], InviteScheme+":") {
		body = strings.TrimPrefix(s[len(InviteScheme)+1:], "//")
		body, query, _ = strings.Cut(body, "?")
	} else if i := strings.IndexByte(s, ':'); i > 0 && isScheme(s[:i]) {
		return Invite{}, invalid("not a camchat invite: it starts with '%s:', not 'camchat:'", s[:i])
	}
	id, err := parseHexPeerID(body)
	if err != nil {
		return Invite{}, err
	}
	inv.PeerID = id
	if query == "" {
		return inv, nil
	}
	for part := range strings.SplitSeq(query, "&") {
		if part == "" {
			continue
		}
		key, raw, _ := strings.Cut(part, "=")
		v, err := url.PathUnescape(raw)
		if err != nil {
			v = raw
		}
		switch strings.ToLower(key) {
		case "a":
			a, err := parseHint(v)
			if err != nil {
				return Invite{}, err
			}
			if !slices.Contains(inv.Addrs, a) {
				inv.Addrs = append(inv.Addrs, a)
			}
		case "r":
			if inv.Rendezvous != "" {
				return Invite{}, invalid("more than one rendezvous server in the invite")
			}
			if inv.Rendezvous, err = parseRendezvous(v); err != nil {
				return Invite{}, err
			}
		}
	}
	if len(inv.Addrs) > MaxInviteAddrs {
		return Invite{}, invalid("too many address hints: %d, at most %d", len(inv.Addrs), MaxInviteAddrs)
	}
	return inv, nil
}

// cleanPasted removes what copying and pasting add around and inside an
// invite: whitespace, invisible characters, enclosing quotes and brackets,
// sentence punctuation after it.
func cleanPasted(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	const quotes = "\"'`‘’‚“”„«»‹›"
	for {
		t := strings.TrimLeft(s, quotes+"<([")
		t = strings.TrimRight(t, quotes+">).,;!")
		if t == s {
			return s
		}
		s = t
	}
}

// isScheme reports whether s looks like a URI scheme (RFC 3986 §3.1).
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !alpha && (i == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

func parseHexPeerID(s string) (flashcrypto.PeerID, error) {
	var id flashcrypto.PeerID
	for _, r := range s {
		if !('0' <= r && r <= '9' || 'a' <= r && r <= 'f' || 'A' <= r && r <= 'F') {
			return id, invalid("not a peer ID: %s is not a hex digit", showRune(r))
		}
	}
	if len(s) != 2*flashcrypto.PeerIDLen {
		return id, invalid("not a peer ID: %d hex digits, need %d", len(s), 2*flashcrypto.PeerIDLen)
	}
	id, err := flashcrypto.ParsePeerID(s)
	if err != nil { // cannot happen after the checks above
		return id, invalid("not a peer ID")
	}
	return id, nil
}

func showRune(r rune) string {
	if r == utf8.RuneError || !unicode.IsPrint(r) {
		return fmt.Sprintf("%U", r)
	}
	return "'" + string(r) + "'"
}

// parseHint parses one address hint and checks that it can be called.
func parseHint(v string) (netip.AddrPort, error) {
	a, err := netip.ParseAddrPort(v)
	if err != nil {
		return a, invalid("address hint '%s' is not IP:port", v)
	}
	a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	if why := unusable(a); why != "" {
		return a, invalid("address hint '%s' cannot be called (%s)", v, why)
	}
	return a, nil
}

// unusable says why a cannot be called, or "": the unspecified address,
// multicast, the IPv4 limited broadcast, link-local (meaningless without
// the interface), addresses with a zone and port 0. These are the
// transport's rules for addresses it is told about (rtmfp usableAddr),
// with link-local refused outright; loopback is fine, for a second
// instance on the same machine.
func unusable(a netip.AddrPort) string {
	ip := a.Addr()
	switch {
	case !a.IsValid():
		return "no address"
	case a.Port() == 0:
		return "port 0"
	case ip.IsUnspecified():
		return "unspecified address"
	case ip.IsMulticast():
		return "multicast address"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast address"
	case ip.IsLinkLocalUnicast():
		return "link-local address, valid on one network only"
	case ip.Zone() != "":
		return "address with an interface zone"
	}
	return ""
}

// parseRendezvous checks a rendezvous server "host:port" (a DNS name or an
// IP address) and returns it normalized.
func parseRendezvous(v string) (string, error) {
	bad := invalid("rendezvous server '%s' is not host:port", v)
	host, portStr, err := net.SplitHostPort(v)
	if err != nil || portStr == "" || len(portStr) > 5 {
		return "", bad
	}
	for i := 0; i < len(portStr); i++ {
		if portStr[i] < '0' || portStr[i] > '9' {
			return "", bad
		}
	}
	port, _ := strconv.Atoi(portStr)
	if port < 1 || port > 65535 {
		return "", bad
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		a := netip.AddrPortFrom(ip.Unmap(), uint16(port))
		if why := unusable(a); why != "" {
			return "", invalid("rendezvous server '%s' cannot be called (%s)", v, why)
		}
		return a.String(), nil
	}
	if !isDNSName(host) {
		return "", bad
	}
	return net.JoinHostPort(strings.ToLower(host), strconv.Itoa(port)), nil
}

// isDNSName reports whether s is a host name: dot-separated labels of
// letters, digits and inner hyphens, 1–63 bytes each, 253 in all (RFC 1123
// §2.1).
func isDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// FormatInvite returns the invite for id with the usable ones of addrs
// (see Invite) as hints, in the order that suits the callers most likely
// to use them: private LAN addresses first (IPv4, then IPv6 unique local;
// carrier-grade NAT space, where overlay VPNs live, counts as private),
// then public IPv4 and IPv6, then loopback for a second instance on the
// same machine. Within a class the order of addrs is kept (LocalAddrs puts
// virtual bridges after real interfaces). Beyond MaxInviteAddrs the last
// non-loopback hints are dropped, so that loopback stays. rendezvous is
// "host:port" or "".
func FormatInvite(id flashcrypto.PeerID, addrs []netip.AddrPort, rendezvous string) (string, error) {
	inv := Invite{PeerID: id}
	if rendezvous != "" {
		r, err := parseRendezvous(rendezvous)
		if err != nil {
			return "", err
		}
		inv.Rendezvous = r
	}
	inv.Addrs = orderHints(addrs)
	return inv.String(), nil
}

// orderHints filters, deduplicates, orders and bounds address hints (see
// FormatInvite).
func orderHints(addrs []netip.AddrPort) []netip.AddrPort {
	var hints, loop []netip.AddrPort
	for _, a := range addrs {
		a = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
		if unusable(a) != "" || slices.Contains(hints, a) || slices.Contains(loop, a) {
			continue
		}
		if a.Addr().IsLoopback() {
			loop = append(loop, a)
		} else {
			hints = append(hints, a)
		}
	}
	slices.SortStableFunc(hints, func(x, y netip.AddrPort) int { return hintRank(x.Addr()) - hintRank(y.Addr()) })
	// IPv4 loopback first: a socket bound to all IPv6 addresses usually
	// accepts IPv4 too, the reverse never.
	slices.SortStableFunc(loop, func(x, y netip.AddrPort) int { return hintRank(x.Addr()) - hintRank(y.Addr()) })
	loop = loop[:min(len(loop), 2)]
	hints = hints[:min(len(hints), MaxInviteAddrs-len(loop))]
	return append(hints, loop...)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598

func hintRank(ip netip.Addr) int {
	switch {
	case ip.IsLoopback() && ip.Is4():
		return 4
	case ip.IsLoopback():
		return 5
	case ip.Is4() && (ip.IsPrivate() || cgnat.Contains(ip)):
		return 0
	case ip.IsPrivate():
		return 1
	case ip.Is4():
		return 2
	}
	return 3
}
