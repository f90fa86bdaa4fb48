package wire

import (
	"encoding/binary"
	"fmt"
)

// ChunkType is the first byte of a chunk (RFC 7016 §2.3; codes from
// rtmfp-cpp packet.hpp).
type ChunkType uint8

// Chunk types.
const (
	ChunkFragment           ChunkType = 0x7f // Packet Fragment; defined, never sent or reassembled
	ChunkIHello             ChunkType = 0x30 // Initiator Hello, §2.3.2
	ChunkFIHello            ChunkType = 0x0f // Forwarded Initiator Hello, §2.3.3
	ChunkRHello             ChunkType = 0x70 // Responder Hello, §2.3.4
	ChunkRedirect           ChunkType = 0x71 // Responder Redirect, §2.3.5
	ChunkRHelloCookieChange ChunkType = 0x79 // RHello Cookie Change, §2.3.6
	ChunkIIKeying           ChunkType = 0x38 // Initiator Initial Keying, §2.3.7
	ChunkRIKeying           ChunkType = 0x78 // Responder Initial Keying, §2.3.8
	ChunkPing               ChunkType = 0x01 // Ping, §2.3.9
	ChunkPingReply          ChunkType = 0x41 // Ping Reply, §2.3.10
	ChunkUserData           ChunkType = 0x10 // User Data, §2.3.11
	ChunkNextUserData       ChunkType = 0x11 // Next User Data, §2.3.12
	ChunkAckBitmap          ChunkType = 0x50 // Data Acknowledgement Bitmap, §2.3.13
	ChunkAckRanges          ChunkType = 0x51 // Data Acknowledgement Ranges, §2.3.14
	ChunkBufferProbe        ChunkType = 0x18 // Buffer Probe, §2.3.15
	ChunkFlowException      ChunkType = 0x5e // Flow Exception Report, §2.3.16
	ChunkSessionClose       ChunkType = 0x0c // Session Close Request, §2.3.17
	ChunkSessionCloseAck    ChunkType = 0x4c // Session Close Acknowledgement, §2.3.18
	ChunkECNReport          ChunkType = 0xec // rtmfp-cpp experimental ECN report, not in the RFC
	ChunkPadding            ChunkType = 0xff // padding: the rest of the packet
	ChunkPaddingZero        ChunkType = 0x00 // also reserved for padding (§2.3)
)

// String returns the chunk's RFC name.
func (t ChunkType) String() string {
	switch t {
	case ChunkFragment:
		return "Fragment"
	case ChunkIHello:
		return "IHello"
	case ChunkFIHello:
		return "FIHello"
	case ChunkRHello:
		return "RHello"
	case ChunkRedirect:
		return "Redirect"
	case ChunkRHelloCookieChange:
		return "RHelloCookieChange"
	case ChunkIIKeying:
		return "IIKeying"
	case ChunkRIKeying:
		return "RIKeying"
	case ChunkPing:
		return "Ping"
	case ChunkPingReply:
		return "PingReply"
	case ChunkUserData:
		return "UserData"
	case ChunkNextUserData:
		return "NextUserData"
	case ChunkAckBitmap:
		return "AckBitmap"
	case ChunkAckRanges:
		return "AckRanges"
	case ChunkBufferProbe:
		return "BufferProbe"
	case ChunkFlowException:
		return "FlowException"
	case ChunkSessionClose:
		return "SessionClose"
	case ChunkSessionCloseAck:
		return "SessionCloseAck"
	case ChunkECNReport:
		return "ECNReport"
	case ChunkPadding, ChunkPaddingZero:
		return "Padding"
	}
	return fmt.Sprintf("ChunkType(0x%02x)", uint8(t))
}

// Known reports whether t is a chunk type this package knows, padding
// excluded. ChunkReader skips the others.
func (t ChunkType) Known() bool {
	switch t {
	case ChunkFragment, ChunkIHello, ChunkFIHello, ChunkRHello, ChunkRedirect,
		ChunkRHelloCookieChange, ChunkIIKeying, ChunkRIKeying, ChunkPing,
		ChunkPingReply, ChunkUserData, ChunkNextUserData, ChunkAckBitmap,
		ChunkAckRanges, ChunkBufferProbe, ChunkFlowException,
		ChunkSessionClose, ChunkSessionCloseAck, ChunkECNReport:
		return true
	}
	return false
}

// A chunk (RFC 7016 §2.3):
//
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  chunk type   |  chunk length (u16, payload)  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  payload (chunk length bytes)              .../
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

// ChunkHeaderLength is the size of a chunk's type and length.
const ChunkHeaderLength = 3

// MaxChunkPayload is the largest payload a chunk length can express.
const MaxChunkPayload = 0xffff

// Chunk is implemented by every chunk struct in this package.
type Chunk interface {
	// Type returns the chunk type.
	Type() ChunkType
	// Append appends the whole chunk, header included.
	Append(b []byte) []byte
	// Length returns the number of bytes Append writes.
	Length() int
}

// AppendChunkHeader appends a chunk header for a payload of payloadLen
// bytes. A payload over MaxChunkPayload is a programming error (no RTMFP
// packet is that large) and panics.
func AppendChunkHeader(b []byte, t ChunkType, payloadLen int) []byte {
	if payloadLen < 0 || payloadLen > MaxChunkPayload {
		panic(fmt.Sprintf("wire: %v chunk payload of %d bytes exceeds %d", t, payloadLen, MaxChunkPayload))
	}
	b = append(b, byte(t))
	return binary.BigEndian.AppendUint16(b, uint16(payloadLen))
}

// ChunkReader walks the chunks of a decrypted packet body (the bytes after
// the packet header) without allocating:
//
//	r := wire.NewChunkReader(body)
//	for t, payload, ok := r.Next(); ok; t, payload, ok = r.Next() { ... }
//	if r.Err() != nil { /* overrun: count it; chunks seen so far were intact */ }
//
// It stops cleanly at the end of the body or at a padding type byte (0xff or
// 0x00), after which the rest is padding (RFC 7016 §2.3; rtmfp-cpp stops at
// 0xff padding because its "length" 0xffff overruns). A header or length
// that runs past the end stops it with ErrChunkOverrun. Unknown chunk types
// are skipped (§2.3: a receiver ignores chunks it does not understand) and
// counted.
type ChunkReader struct {
	b       []byte
	err     error
	unknown int
}

// NewChunkReader returns a reader over the chunks in body.
func NewChunkReader(body []byte) ChunkReader { return ChunkReader{b: body} }

// Next returns the next known chunk's type and payload (aliasing the body),
// or false at the end.
func (r *ChunkReader) Next() (ChunkType, []byte, bool) {
	for len(r.b) > 0 {
		t := ChunkType(r.b[0])
		if t == ChunkPadding || t == ChunkPaddingZero {
			r.b = nil
			return 0, nil, false
		}
		if len(r.b) < ChunkHeaderLength {
			r.b = nil
			r.err = fmt.Errorf("%v chunk header: %w", t, ErrChunkOverrun)
			return 0, nil, false
		}
		l := int(binary.BigEndian.Uint16(r.b[1:]))
		if l > len(r.b)-ChunkHeaderLength {
			r.b = nil
			r.err = fmt.Errorf("%v chunk of %d bytes: %w", t, l, ErrChunkOverrun)
			return 0, nil, false
		}
		end := ChunkHeaderLength + l
		payload := r.b[ChunkHeaderLength:end:end]
		r.b = r.b[end:]
		if !t.Known() {
			r.unknown++
			continue
		}
		return t, payload, true
	}
	return 0, nil, false
}

// Err returns ErrChunkOverrun (wrapped) if the body ended inside a chunk,
// or nil after a clean end.
func (r *ChunkReader) Err() error { return r.err }

// Unknown returns how many chunks of unknown type were skipped.
func (r *ChunkReader) Unknown() int { return r.unknown }

// AppendPadding appends n padding bytes (0xff), as the Flash profile pads
// the cleartext to the cipher block size (RFC 7425 §4.2).
func AppendPadding(b []byte, n int) []byte {
	for range n {
		b = append(b, byte(ChunkPadding))
	}
	return b
}
