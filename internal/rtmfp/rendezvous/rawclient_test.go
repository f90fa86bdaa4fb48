package rendezvous

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"camchat/internal/rtmfp/flashcrypto"
	"camchat/internal/rtmfp/wire"
)

// A raw RTMFP initiator for the flood benchmark, built from wire and
// flashcrypto: it does what a hostile client does, the handshake step by
// step (or only part of it) and then whatever chunks it likes, with none
// of the transport's rules.

var errRawTimeout = errors.New("raw client: no answer")

// rawStartup seals chunks in a startup packet (default key, RFC 7425
// §4.1) to session ID sid, padded to pad bytes of cleartext.
func rawStartup(sid wire.SessionID, chunks []byte, pad int) []byte {
	h := wire.PacketHeader{Mode: wire.ModeStartup, HasTimestamp: true, Timestamp: 1}
	plain := append(h.Append(nil), chunks...)
	if len(plain) < pad {
		plain = wire.AppendPadding(plain, pad-len(plain))
	}
	c := flashcrypto.NewDefaultCipher()
	out := make([]byte, wire.SessionIDLength, wire.SessionIDLength+c.SealedLen(len(plain)))
	out = c.Seal(out, plain)
	_ = wire.PutScrambledSessionID(out, sid)
	return out
}

// rawChunks opens a startup datagram and returns its chunks.
func rawChunks(b []byte) (wire.SessionID, wire.ChunkReader, bool) {
	sid, err := wire.UnscrambleSessionID(b)
	if err != nil {
		return 0, wire.ChunkReader{}, false
	}
	plain, err := flashcrypto.NewDefaultCipher().Open(nil, b[wire.SessionIDLength:])
	if err != nil {
		return 0, wire.ChunkReader{}, false
	}
	_, n, err := wire.ParsePacketHeader(plain)
	if err != nil {
		return 0, wire.ChunkReader{}, false
	}
	return sid, wire.NewChunkReader(plain[n:]), true
}

// rawCookie sends an IHello for epd (padded to pad bytes, as camchat pads
// its own) and returns the RHello's cookie and certificate.
func rawCookie(c *net.UDPConn, server netip.AddrPort, epd []byte, pad int, timeout time.Duration) (cookie, cert []byte, err error) {
	var tag [16]byte
	_, _ = rand.Read(tag[:])
	ih := rawStartup(wire.StartupSessionID, wire.IHello{EPD: epd, Tag: tag[:]}.Append(nil), pad)
	if _, err := c.WriteToUDPAddrPort(ih, server); err != nil {
		return nil, nil, err
	}
	buf := make([]byte, 9000)
	deadline := time.Now().Add(timeout)
	for {
		_ = c.SetReadDeadline(deadline)
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return nil, nil, errRawTimeout
		}
		_, r, ok := rawChunks(buf[:n])
		if !ok {
			continue
		}
		for t, p, ok := r.Next(); ok; t, p, ok = r.Next() {
			if t != wire.ChunkRHello {
				continue
			}
			rh, err := wire.ParseRHello(p)
			if err == nil && bytes.Equal(rh.Tag, tag[:]) {
				return bytes.Clone(rh.Cookie), bytes.Clone(rh.Certificate), nil
			}
		}
	}
}

// rawIIKeying is an IIKeying for session ID isid.
func rawIIKeying(isid wire.SessionID, cookie, cert, skic []byte) []byte {
	return rawStartup(wire.StartupSessionID, wire.IIKeying{InitiatorSessionID: isid, Cookie: cookie,
		Certificate: cert, SKIC: skic, Signature: []byte{flashcrypto.Signature}}.Append(nil), 0)
}

// rawSession is an open session of the raw client.
type rawSession struct {
	c      *net.UDPConn
	server netip.AddrPort
	cipher *flashcrypto.PacketCipher
	fsid   wire.SessionID
	buf    []byte
}

// rawDial completes a handshake with identity id: IHello, IIKeying,
// RIKeying (RFC 7016 §3.5.1.1).
func rawDial(c *net.UDPConn, server netip.AddrPort, id *flashcrypto.Identity, epd []byte, timeout time.Duration) (*rawSession, error) {
	cookie, certRaw, err := rawCookie(c, server, epd, 400, timeout)
	if err != nil {
		return nil, err
	}
	cert, err := flashcrypto.ParseCert(certRaw)
	if err != nil {
		return nil, err
	}
	in, err := flashcrypto.NewInitiator(id, cert, flashcrypto.DefaultPolicy(), rand.Reader)
	if err != nil {
		return nil, err
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	isid := wire.SessionID(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3])) | 1
	if _, err := c.WriteToUDPAddrPort(rawIIKeying(isid, cookie, id.Cert().Raw, in.SKIC()), server); err != nil {
		return nil, err
	}
	buf := make([]byte, 9000)
	deadline := time.Now().Add(timeout)
	for {
		_ = c.SetReadDeadline(deadline)
		n, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return nil, errRawTimeout
		}
		sid, r, ok := rawChunks(buf[:n])
		if !ok || sid != isid {
			continue
		}
		for t, p, ok := r.Next(); ok; t, p, ok = r.Next() {
			if t != wire.ChunkRIKeying {
				continue
			}
			ri, err := wire.ParseRIKeying(p)
			if err != nil {
				return nil, err
			}
			est, err := in.Complete(ri.SKRC)
			if err != nil {
				return nil, err
			}
			cipher, err := est.Cipher()
			if err != nil {
				return nil, err
			}
			_ = c.SetReadDeadline(time.Time{})
			return &rawSession{c: c, server: server, cipher: cipher, fsid: ri.ResponderSessionID}, nil
		}
	}
}

// send seals chunks in a session packet (initiator mode) and sends it.
func (s *rawSession) send(chunks []byte) error {
	h := wire.PacketHeader{Mode: wire.ModeInitiator}
	plain := append(h.Append(s.buf[:0]), chunks...)
	out := make([]byte, wire.SessionIDLength, wire.SessionIDLength+s.cipher.SealedLen(len(plain)))
	out = s.cipher.Seal(out, plain)
	_ = wire.PutScrambledSessionID(out, s.fsid)
	s.buf = plain[:0]
	_, err := s.c.WriteToUDPAddrPort(out, s.server)
	return err
}

// read returns the chunks of the next session packet within timeout.
func (s *rawSession) read(timeout time.Duration) (wire.ChunkReader, error) {
	buf := make([]byte, 9000)
	_ = s.c.SetReadDeadline(time.Now().Add(timeout))
	for {
		n, _, err := s.c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return wire.ChunkReader{}, errRawTimeout
		}
		plain, err := s.cipher.Open(nil, buf[wire.SessionIDLength:n])
		if err != nil {
			continue
		}
		_, k, err := wire.ParsePacketHeader(plain)
		if err != nil {
			continue
		}
		return wire.NewChunkReader(plain[k:]), nil
	}
}

// message is a User Data chunk carrying a whole message on flow fid with
// sequence number seq; with metadata md it opens the flow, returning to
// the far end's flow ret if that is not 0 (RFC 7016 §2.3.11).
func message(fid wire.FlowID, seq wire.SeqNum, md []byte, ret wire.FlowID, data []byte) []byte {
	ud := wire.UserData{FlowID: fid, SeqNum: seq, FSNOffset: 1, Data: data}
	if md != nil {
		ud.Flags |= wire.FlagOPT
		ud.Options = wire.AppendMetadataOption(nil, md)
		if ret != 0 {
			ud.Options = wire.AppendReturnAssociationOption(ud.Options, ret)
		}
	}
	return ud.Append(nil)
}

func (s *rawSession) String() string { return fmt.Sprintf("raw session to %v", s.server) }
