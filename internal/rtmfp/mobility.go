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

// answeredFrom runs when the far end of this open session answered an
// IHello of ours (Repunch) with an RHello from from: a keepalive Ping goes
// out at once, so that the far end hears us from where we are now and
// checks that address (§3.5.4.2), and an RHello from an address other than
// the session's is checked as a new address would be.
func (s *Session) answeredFrom(now time.Time, from netip.AddrPort) {
	if s.state != stateOpen {
		return
	}
	if s.keepaliveOut {
		s.control = wire.Ping{}.Append(s.control)
	} else {
		s.sendKeepalive(now)
	}
	if from != s.farAddr && (s.mobSentAt.IsZero() || now.Sub(s.mobSentAt) >= MobilityCheckInterval) {
		s.mobAddr = from
	}
	s.retransmitSoon(now)
	s.e.touch(s)
}

// answerCheck answers a mobility check that came from an address other
// than the session's to that address: the far end checks where it is
// sending from now, and when both ends change paths at once (a relayed
// call moving to a direct path) an answer along the old path would come
// from the wrong address and never count. One answer waits at a time,
// no larger than the check (mobilityCheck is 1 + VLU + 32 bytes).
func (s *Session) answerCheck(from netip.AddrPort, p []byte) {
	if len(p) > 64 {
		s.e.drop(DropMalformed)
		return
	}
	s.mobReplyTo, s.mobReply = from, bytes.Clone(p)
}

// CheckAddress sends a mobility check to a: if the far end answers from
// a, the session moves there (RFC 7016 §3.5.4.2). A call carried by a
// relay uses it to try a direct path; both ends checking each other's
// direct address opens both NATs. At most one check a second
// (MobilityCheckInterval); it reports whether one was sent.
func (s *Session) CheckAddress(a netip.AddrPort) bool {
	e := s.e
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	if s.state != stateOpen || !a.IsValid() || a == s.farAddr || (!s.mobSentAt.IsZero() && now.Sub(s.mobSentAt) < MobilityCheckInterval) {
		return false
	}
	s.mobAddr = a
	e.touch(s)
	e.wake()
	return true
}

// retransmitSoon runs the retransmission timer now when data is in
// flight: after the path to the far end came back or moved, what is in
// flight was lost on the old one, and a timer backed off during the outage
// would hold the flows up for seconds more.
func (s *Session) retransmitSoon(now time.Time) {
	if s.flows.outstanding() > 0 && !s.rtoAt.IsZero() && s.rtoAt.After(now) {
		s.rtoAt = now
		s.e.touch(s)
	}
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
	// Without session sequence numbers (a Flash-era far end, RFC 7425
	// §4.6.5) a packet is accepted again when replayed: only the answer to
	// our latest check moves such a session, so that an older answer
	// replayed from a former address of the far end cannot take it back
	// there.
	if s.est != nil && !s.est.Negotiated.SSEQRecv && secs != uint64(s.mobSentAt.Sub(s.e.epoch)/time.Second) {
		s.e.drop(DropReplay)
		return
	}
	if from != s.farAddr {
		s.e.unindexAddr(s)
		s.farAddr = from
		s.e.indexAddr(s)
		s.cc.ResetBaseRTT()
		s.retransmitSoon(now)
		if s.onMove != nil {
			s.onMove(from)
		}
	}
}
