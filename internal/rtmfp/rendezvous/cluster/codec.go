package cluster

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/rendezvous"
	"camchat/internal/rtmfp/wire"
)

// What nodes write to each other. Every value read from NATS is parsed
// strictly: a malformed one is dropped and counted, never trusted.

// codecVersion is the first byte of every value and message; a node
// drops versions it does not know, so a later format can be rolled out
// node by node under another bucket name.
const codecVersion = 1

// maxEntryAddrs is the most addresses of a directory entry: the observed
// one and what setPeerInfo reported.
const maxEntryAddrs = 1 + rendezvous.MaxReportedAddrs

// Bounds of an introduction message: the tag and EPD of one IHello
// (RFC 7016 §2.3.2), which fit one packet.
const (
	maxTag   = 255
	maxEPD   = 1024
	maxIntro = 1 + 32 + 19 + 1 + maxTag + 2 + maxEPD
)

// errFormat: a value or message that does not parse.
var errFormat = errors.New("cluster: malformed value")

// nodeID names one running node; it is drawn at random when the node
// starts, so a node that restarts never claims its former entries.
type nodeID uint64

func (n nodeID) String() string { return fmt.Sprintf("%016x", uint64(n)) }

// Keys of the bucket: "p.<peer ID in hex>" for a peer, "n.<node ID>" for
// a node's heartbeat.
const (
	peerPrefix = "p."
	nodePrefix = "n."
)

func peerKey(id flashcrypto.PeerID) string { return peerPrefix + hex.EncodeToString(id[:]) }
func nodeKey(n nodeID) string              { return nodePrefix + n.String() }

// parseKey tells a peer key from a node key.
func parseKey(k string) (peer flashcrypto.PeerID, node nodeID, isPeer bool, err error) {
	switch {
	case len(k) == len(peerPrefix)+64 && k[:2] == peerPrefix:
		if _, err := hex.Decode(peer[:], []byte(k[2:])); err != nil {
			return peer, 0, false, fmt.Errorf("%w: key %q", errFormat, k)
		}
		return peer, 0, true, nil
	case len(k) == len(nodePrefix)+16 && k[:2] == nodePrefix:
		var b [8]byte
		if _, err := hex.Decode(b[:], []byte(k[2:])); err != nil {
			return peer, 0, false, fmt.Errorf("%w: key %q", errFormat, k)
		}
		return peer, nodeID(binary.BigEndian.Uint64(b[:])), false, nil
	}
	return peer, 0, false, fmt.Errorf("%w: key %q", errFormat, k)
}

// A peer key's value is the node that holds the peer's session and the
// peer's addresses as they go in a Redirect (RFC 7016 §2.1.5 encoding),
// the observed address first:
//
//	+---------+-------------+-----------+-------------------------/-+
//	| ver (1) | node ID (8) | count (1) | count × address (7 or 19) |
//	+---------+-------------+-----------+-------------------------/-+

// appendEntry encodes an entry for a peer observed at observed that
// reported reported (at most maxEntryAddrs-1 of them are kept).
func appendEntry(b []byte, node nodeID, observed netip.AddrPort, reported []netip.AddrPort) []byte {
	b = append(b, codecVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(node))
	n := 1
	for _, a := range reported {
		if a != observed && n < maxEntryAddrs {
			n++
		}
	}
	b = append(b, byte(n))
	b = wire.Address{AddrPort: observed, Origin: wire.OriginObserved}.Append(b)
	n = 1
	for _, a := range reported {
		if a != observed && n < maxEntryAddrs {
			b = wire.Address{AddrPort: a, Origin: wire.OriginReported}.Append(b)
			n++
		}
	}
	return b
}

// parseEntry decodes an entry; the addresses stay encoded (addrs), which
// is what the replica keeps. It checks every address.
func parseEntry(b []byte) (node nodeID, addrs []byte, err error) {
	if len(b) < 10 || b[0] != codecVersion {
		return 0, nil, fmt.Errorf("%w: entry header", errFormat)
	}
	node = nodeID(binary.BigEndian.Uint64(b[1:9]))
	n := int(b[9])
	if n < 1 || n > maxEntryAddrs {
		return 0, nil, fmt.Errorf("%w: %d addresses", errFormat, n)
	}
	rest := b[10:]
	for i := 0; i < n; i++ {
		_, k, err := wire.ParseAddress(rest)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: address %d: %w", errFormat, i, err)
		}
		rest = rest[k:]
	}
	if len(rest) != 0 {
		return 0, nil, fmt.Errorf("%w: %d bytes after the addresses", errFormat, len(rest))
	}
	return node, b[10:], nil
}

// decodeAddrs expands addresses checked by parseEntry.
func decodeAddrs(b []byte) []wire.Address {
	out := make([]wire.Address, 0, 4)
	for len(b) > 0 {
		a, k, err := wire.ParseAddress(b)
		if err != nil {
			break
		}
		out = append(out, a)
		b = b[k:]
	}
	return out
}

// intro is an introduction one node asks another to complete: the
// IHello it received for target from the initiator at from (RFC 7016
// §3.5.1.4), which the holder of the target's session forwards as an
// FIHello. Sent on the subject of the holding node:
//
//	+---------+---------------+--------------+---------+-----+---------/-+
//	| ver (1) | target ID (32)| from address | tag len | tag | EPD (rest)|
//	+---------+---------------+--------------+---------+-----+---------/-+
type intro struct {
	target flashcrypto.PeerID
	from   netip.AddrPort
	tag    []byte
	epd    []byte
}

func (m intro) append(b []byte) []byte {
	b = append(b, codecVersion)
	b = append(b, m.target[:]...)
	b = wire.Address{AddrPort: m.from, Origin: wire.OriginObserved}.Append(b)
	b = append(b, byte(len(m.tag)))
	b = append(b, m.tag...)
	return append(b, m.epd...)
}

// fits reports whether m can be encoded.
func (m intro) fits() bool { return len(m.tag) <= maxTag && len(m.epd) <= maxEPD && len(m.epd) > 0 }

// parseIntro decodes an introduction message; tag and epd alias b.
func parseIntro(b []byte) (intro, error) {
	var m intro
	if len(b) > maxIntro || len(b) < 1+32 || b[0] != codecVersion {
		return m, fmt.Errorf("%w: introduction header", errFormat)
	}
	copy(m.target[:], b[1:33])
	a, k, err := wire.ParseAddress(b[33:])
	if err != nil {
		return m, fmt.Errorf("%w: introduction address: %w", errFormat, err)
	}
	m.from = netip.AddrPortFrom(a.AddrPort.Addr().Unmap(), a.AddrPort.Port())
	rest := b[33+k:]
	if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
		return m, fmt.Errorf("%w: introduction tag", errFormat)
	}
	m.tag = rest[1 : 1+int(rest[0])]
	m.epd = rest[1+int(rest[0]):]
	if len(m.epd) == 0 || len(m.epd) > maxEPD || !m.from.IsValid() || m.from.Port() == 0 {
		return m, fmt.Errorf("%w: introduction EPD or address", errFormat)
	}
	return m, nil
}
