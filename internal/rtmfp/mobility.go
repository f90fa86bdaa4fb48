package rtmfp

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/wire"
)

// Address mobility (RFC 7016 §3.5.4.2): a valid packet from a new address
// makes the session check that address with a Ping before moving there.
const (
	// MobilityCheckInterval: at most one mobility check per second.
	MobilityCheckInterval = time.Second
	// MobilityCheckLifetime: a mobility check's answer is valid this long.
	MobilityCheckLifetime = 120 * time.Second
	// pingMobility marks a mobility check Ping.
	pingMobility = 'M'
)

// mobilityCheck builds the Ping message of a mobility check to addr:
// 'M' | VLU seconds | SHA-256('M' | VLU seconds | encoded address | secret)
// (rtmfp-cpp makeMobilityCheck; we have one interface, so no interface ID).
func (s *Session) mobilityCheck(secs uint64, addr netip.AddrPort) []byte {
	msg := []byte{pingMobility}
	msg = wire.AppendVLU(msg, secs)
	h := sha256.New()
	h.Write(msg)
	h.Write(wire.Address{AddrPort: addr}.Append(nil))
	h.Write(s.e.secret[:])
	return h.Sum(msg)
}

func (s *Session) onMobilityReply(now time.Time, from netip.AddrPort, p []byte) {
	secs, n, err := wire.ParseVLU(p[1:])
	if err != nil || n == 0 {
		return
	}
	if !bytes.Equal(p, s.mobilityCheck(secs, from)) {
		s.e.drop(DropHandshake)
		return
	}
	age := now.Sub(s.e.epoch) - time.Duration(secs)*time.Second
	if age < 0 || age > MobilityCheckLifetime {
		return
	}
	if from != s.farAddr {
		s.e.unindexAddr(s)
		s.farAddr = from
		s.e.indexAddr(s)
		s.cc.ResetBaseRTT()
		if s.onMove != nil {
			s.onMove(from)
		}
	}
}
