package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Origin says how an address was learned (RFC 7016 §2.1.5).
type Origin uint8

// Address origins, the low 2 bits of the flags byte.
const (
	OriginUnknown  Origin = 0
	OriginReported Origin = 1 // the peer told us, e.g. through setPeerInfo
	OriginObserved Origin = 2 // the source address of a packet
	OriginRelay    Origin = 3
)

func (o Origin) String() string {
	switch o {
	case OriginUnknown:
		return "unknown"
	case OriginReported:
		return "reported"
	case OriginObserved:
		return "observed"
	case OriginRelay:
		return "relay"
	}
	return fmt.Sprintf("Origin(%d)", uint8(o))
}

const (
	addressFlagIPv6   = 0x80
	addressOriginMask = 0x03
)

// Address is an encoded socket address as carried by Responder Redirect and
// FIHello (RFC 7016 §2.1.5; rtmfp-cpp Address::encode):
//
//	 0 1 2 3 4 5 6 7
//	+-+-+-+-+-+-+-+-+-----------------/-+---------------+
//	|6|  rsv    | O | IPv4 (4) or IPv6 (16) | port (u16)    |
//	+-+-+-+-+-+-+-+-+-----------------/-+---------------+
//	 6: IPv6 address follows; O: origin; rsv: reserved, sent as 0
//
// An IPv4 address (netip.Addr.Is4) is encoded in 4 bytes; any other valid
// address, including IPv4-mapped IPv6, in 16. The zone is not carried. The
// invalid zero Addr is encoded as 0.0.0.0.
type Address struct {
	AddrPort netip.AddrPort
	Origin   Origin
}

// Length returns the encoded length: 7 for IPv4, 19 for IPv6.
func (a Address) Length() int {
	if a.is6() {
		return 19
	}
	return 7
}

func (a Address) is6() bool {
	ip := a.AddrPort.Addr()
	return ip.IsValid() && !ip.Is4()
}

// Append appends the encoded address.
func (a Address) Append(b []byte) []byte {
	flags := byte(a.Origin) & addressOriginMask
	ip := a.AddrPort.Addr()
	if a.is6() {
		b = append(b, flags|addressFlagIPv6)
		a16 := ip.As16()
		b = append(b, a16[:]...)
	} else {
		b = append(b, flags)
		var a4 [4]byte
		if ip.IsValid() {
			a4 = ip.As4()
		}
		b = append(b, a4[:]...)
	}
	return binary.BigEndian.AppendUint16(b, a.AddrPort.Port())
}

// ParseAddress decodes the address at the start of b and returns the number
// of bytes used. Reserved flag bits are ignored.
func ParseAddress(b []byte) (Address, int, error) {
	if len(b) < 1 {
		return Address{}, 0, fmt.Errorf("address flags: %w", ErrTruncated)
	}
	origin := Origin(b[0] & addressOriginMask)
	var ip netip.Addr
	var n int
	if b[0]&addressFlagIPv6 != 0 {
		if len(b) < 19 {
			return Address{}, 0, fmt.Errorf("IPv6 address: %w", ErrTruncated)
		}
		ip = netip.AddrFrom16([16]byte(b[1:17]))
		n = 17
	} else {
		if len(b) < 7 {
			return Address{}, 0, fmt.Errorf("IPv4 address: %w", ErrTruncated)
		}
		ip = netip.AddrFrom4([4]byte(b[1:5]))
		n = 5
	}
	port := binary.BigEndian.Uint16(b[n:])
	return Address{AddrPort: netip.AddrPortFrom(ip, port), Origin: origin}, n + 2, nil
}
