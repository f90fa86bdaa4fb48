package rtmfp

import (
	"bytes"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/cc"
	"camchat/internal/rtmfp/wire"
)

// Receiving: an authenticated session packet's header (timestamps, TC and
// TCR) and the dispatch of its chunks (RFC 7016 §3.5.2, §2.3).

// receive handles a datagram addressed to this session's ID.
func (s *Session) receive(now time.Time, from netip.AddrPort, pkt []byte) {
	e := s.e
	switch s.state {
	case stateIHelloSent:
		e.drop(DropHandshake)
		return
	case stateKeyingSent:
		// RIKeying and Cookie Change come with the default key to our ID
		// (RFC 7425 §4.1); anything else is an early session packet.
		if from != s.farAddr {
			// Only the address our IIKeying went to may answer it (see
			// receiveKeying); nor may others fill the early-packet slots.
			e.drop(DropHandshake)
			return
		}
		plain, err := e.defCipher.Open(e.rbuf[:0], pkt[wire.SessionIDLength:])
		if err != nil {
			if len(s.hs.early) >= MaxEarlyPackets {
				e.drop(DropEarlyOverflow)
				return
			}
			s.hs.early = append(s.hs.early, earlyPacket{from: from, b: bytes.Clone(pkt)})
			return
		}
		s.receiveKeying(now, from, plain)
		return
	case stateClosed:
		e.drop(DropUnknownSession)
		return
	}
	plain, err := s.cipher.Open(e.rbuf[:0], pkt[wire.SessionIDLength:])
	if err != nil {
		r := openError(err)
		e.drop(r)
		s.stats.Dropped[r]++
		return
	}
	h, n, err := wire.ParsePacketHeader(plain)
	if err != nil {
		e.drop(DropMalformed)
		s.stats.Dropped[DropMalformed]++
		return
	}
	if h.Mode == s.mode() || h.Mode == wire.ModeStartup {
		e.drop(DropBadMode)
		s.stats.Dropped[DropBadMode]++
		return
	}
	s.stats.PacketsReceived++
	s.stats.LastReceived = now
	s.stats.BytesReceived += uint64(len(pkt))
	s.meter.at(e.interval(now)).recv += uint32(len(pkt))
	// An authenticated packet from the initiator: it has our RIKeying.
	s.hs = nil
	if h.HasTimestamp {
		s.tsRecv, s.tsRecvAt, s.haveTSRecv = cc.Timestamp(h.Timestamp), now, true
	}
	if h.HasTimestampEcho && s.state == stateOpen {
		rtt, ok := s.cc.OnTimestampEcho(now, e.timestamp(now), cc.Timestamp(h.TimestampEcho))
		if ok && e.cfg.Tracer != nil {
			base, _ := s.cc.BaseRTT()
			e.trace(TraceEvent{Time: now, Kind: TraceRTT, Session: s, RTT: rtt, SRTT: s.cc.SRTT(), BaseRTT: base})
		}
	}
	if h.TimeCritical {
		e.tcRecv(s, now)
	}
	if h.TimeCriticalReverse {
		s.cc.OnTCR(now)
	}
	s.processChunks(now, from, plain[n:])
	if s.state == stateClosed {
		return
	}
	// A valid packet from a new address: check the path before moving
	// (RFC 7016 §3.5.4.2).
	if from != s.farAddr && s.state == stateOpen {
		if s.mobSentAt.IsZero() || now.Sub(s.mobSentAt) >= MobilityCheckInterval {
			s.mobAddr = from
		}
	}
}

// processChunks handles the chunks of an authenticated session packet.
func (s *Session) processChunks(now time.Time, from netip.AddrPort, body []byte) {
	e := s.e
	r := wire.NewChunkReader(body)
	s.flows.beginPacket()
	var prev wire.UserData
	havePrev := false
	seenFIHello := false
	for t, p, ok := r.Next(); ok; t, p, ok = r.Next() {
		if t != wire.ChunkNextUserData {
			havePrev = false
		}
		switch t {
		case wire.ChunkPing:
			if len(p) > 0 && p[0] == pingMobility && from != s.farAddr {
				s.answerCheck(from, p)
			} else if len(s.control)+len(p)+wire.ChunkHeaderLength <= maxControl {
				s.control = wire.PingReply{Message: p}.Append(s.control)
			}
			if len(p) > 0 && p[0] == pingMobility {
				s.cc.ResetBaseRTT()
			}
		case wire.ChunkPingReply:
			s.keepaliveOut = false
			s.rtxEpoch = time.Time{}
			if len(p) > 0 && p[0] == pingMobility {
				s.onMobilityReply(now, from, p)
			}
		case wire.ChunkUserData:
			c, err := wire.ParseUserData(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			if s.state == stateOpen {
				s.onUserData(now, c)
			}
			prev, havePrev = c, true
		case wire.ChunkNextUserData:
			if !havePrev {
				e.drop(DropMalformed)
				continue
			}
			c, err := wire.ParseNextUserData(p)
			if err != nil {
				e.drop(DropMalformed)
				havePrev = false
				continue
			}
			prev = c.Follow(prev)
			if s.state == stateOpen {
				s.onUserData(now, prev)
			}
		case wire.ChunkAckRanges:
			ack, it, err := wire.NewAckRangeIter(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			if s.onAckRanges(now, ack, it) {
				s.keepaliveOut = false
				s.rtxEpoch = time.Time{}
			}
		case wire.ChunkAckBitmap:
			ack, err := wire.ParseAckBitmap(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			if s.onAckBitmap(now, ack) {
				s.keepaliveOut = false
				s.rtxEpoch = time.Time{}
			}
		case wire.ChunkBufferProbe:
			c, err := wire.ParseBufferProbe(p)
			if err == nil {
				s.onBufferProbe(now, c.FlowID)
			}
		case wire.ChunkFlowException:
			c, err := wire.ParseFlowException(p)
			if err == nil {
				s.onFlowException(c.FlowID, c.Code)
			}
		case wire.ChunkFIHello:
			if seenFIHello { // only the first FIHello of a packet counts
				e.drop(DropRateLimited)
				s.stats.Dropped[DropRateLimited]++
				continue
			}
			seenFIHello = true
			c, err := wire.ParseFIHello(p)
			if err != nil {
				e.drop(DropMalformed)
				continue
			}
			if s.fiMode != FIHelloIgnore && s.state == stateOpen {
				s.onFIHello(now, from, c)
			}
		case wire.ChunkSessionClose:
			switch s.state {
			case stateOpen:
				s.setErr(ErrSessionClosed)
				s.state = stateFarCloseLinger
				s.closeStarted = now
				s.finish()
				s.control = wire.SessionCloseAck{}.Append(s.control)
			case stateFarCloseLinger:
				s.control = wire.SessionCloseAck{}.Append(s.control)
			case stateNearClose:
				// Both ends closing: acknowledge and finish.
				s.e.queueStartup(s.farAddr, s.sealOnce(now, wire.SessionCloseAck{}.Append(nil)))
				s.state = stateClosed
				s.e.remove(s)
				return
			}
		case wire.ChunkSessionCloseAck:
			switch s.state {
			case stateOpen:
				s.abort(now, ErrSessionAborted, true)
				return
			case stateNearClose:
				s.state = stateClosed
				s.e.remove(s)
				return
			}
		}
	}
	if r.Err() != nil {
		e.drop(DropMalformed)
		s.stats.Dropped[DropMalformed]++
	}
	s.flows.endPacket(now, s)
}
