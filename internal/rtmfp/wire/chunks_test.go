package wire

import (
	"errors"
	"net/netip"
	"testing"
)

// chunkVector is one golden chunk: its bytes, its value, and how many
// payload bytes must be present for the payload to parse (shorter payloads
// must fail; the chunk reader must reject every truncated chunk).
type chunkVector struct {
	name     string
	wire     []byte
	want     Chunk
	required int
}

var (
	peerID = h(rep("ab", 32))
	tag16  = h(rep("cd", 16))
)

func chunkVectors() []chunkVector {
	return []chunkVector{
		{
			// EPD field 22 = 34 bytes: option 21 (33) type 0f + 32-byte peer ID (RFC 7425 §4.4).
			name: "IHello by peer ID",
			wire: h("30 0033 | 22 21 0f" + rep("ab", 32) + "|" + rep("cd", 16)),
			want: IHello{EPD: append(h("21 0f"), peerID...), Tag: tag16},
			// EPD field complete; the tag may be empty.
			required: 35,
		},
		{
			name:     "IHello of startup_plain",
			wire:     h("30 0005 | 02 0a 00 | aa bb"),
			want:     IHello{EPD: h("0a 00"), Tag: h("aa bb")},
			required: 3,
		},
		{
			name: "FIHello",
			wire: h("0f 000e | 02 0a 00 | 02 c0 a8 01 02 07 8f | aa bb cc dd"),
			want: FIHello{EPD: h("0a 00"),
				ReplyAddress: Address{netip.MustParseAddrPort("192.168.1.2:1935"), OriginObserved},
				Tag:          h("aa bb cc dd")},
			required: 10,
		},
		{
			// Certificate "01 0a": accepts ancillary data, as tcserver sends.
			name:     "RHello",
			wire:     h("70 000a | 02 aa bb | 04 c1 c2 c3 c4 | 01 0a"),
			want:     RHello{Tag: h("aa bb"), Cookie: h("c1 c2 c3 c4"), Certificate: h("01 0a")},
			required: 8,
		},
		{
			name: "Redirect with two addresses",
			wire: h("71 001d | 02 aa bb | 01 7f000001 078f | 82 20010db8000000000000000000000001 04d2"),
			want: Redirect{Tag: h("aa bb"), Addresses: []Address{
				{netip.MustParseAddrPort("127.0.0.1:1935"), OriginReported},
				{netip.MustParseAddrPort("[2001:db8::1]:1234"), OriginObserved},
			}},
			// Cut at an address boundary it is a shorter list.
			required: 3,
		},
		{
			name:     "Redirect to the sender",
			wire:     h("71 0003 | 02 aa bb"),
			want:     Redirect{Tag: h("aa bb")},
			required: 3,
		},
		{
			name:     "RHello Cookie Change",
			wire:     h("79 0007 | 02 c1 c2 | 11 22 33 44"),
			want:     RHelloCookieChange{OldCookie: h("c1 c2"), NewCookie: h("11 22 33 44")},
			required: 3,
		},
		{
			// ISID 00000005, cookie, certificate, SKIC, signature byte 0x58.
			name: "IIKeying",
			wire: h("38 000f | 00000005 | 02 c1 c2 | 02 01 0a | 03 02 1e 02 | 58"),
			want: IIKeying{InitiatorSessionID: 5, Cookie: h("c1 c2"), Certificate: h("01 0a"),
				SKIC: h("02 1e 02"), Signature: h("58"),
				Signed: h("00000005 02c1c2 02010a 03021e02")},
			required: 14,
		},
		{
			name: "RIKeying",
			wire: h("78 000a | 00000007 | 04 03 1a 00 00 | 58"),
			want: RIKeying{ResponderSessionID: 7, SKRC: h("03 1a 00 00"), Signature: h("58"),
				Signed: h("00000007 04031a0000")},
			required: 9,
		},
		{name: "Ping", wire: h("01 0003 | 61 62 63"), want: Ping{Message: []byte("abc")}},
		{name: "Ping empty", wire: h("01 0000"), want: Ping{}},
		{name: "Ping Reply", wire: h("41 0003 | 61 62 63"), want: PingReply{Message: []byte("abc")}},
		{
			// OPT|begin, flow 2, seq 1, offset 1 (FSN 0), TC metadata stream 0,
			// return association to flow 3, marker, then an AMF0 command header.
			name: "User Data with options",
			wire: h("10 0014 | 90 | 02 | 01 | 01 | 05 00 54 43 04 00 | 02 0a 03 | 00 | 14 00 00 00 00 02"),
			want: UserData{Flags: FlagOPT | UserDataFlags(FragmentBegin), FlowID: 2, SeqNum: 1, FSNOffset: 1,
				Options: h("05 00 54 43 04 00 02 0a 03"), Data: h("14 00 00 00 00 02")},
			required: 14,
		},
		{
			// flow 300 = 82 2c, seq 130 = 81 02, offset 0, data "hi".
			name:     "User Data plain",
			wire:     h("10 0008 | 00 | 82 2c | 81 02 | 00 | 68 69"),
			want:     UserData{FlowID: 300, SeqNum: 130, Data: []byte("hi")},
			required: 6,
		},
		{
			name:     "User Data abandoned",
			wire:     h("10 0004 | 02 | 01 | 05 | 02"),
			want:     UserData{Flags: FlagABN, FlowID: 1, SeqNum: 5, FSNOffset: 2},
			required: 4,
		},
		{
			name:     "Next User Data end fragment",
			wire:     h("11 0004 | 20 | 64 65 66"),
			want:     NextUserData{Flags: UserDataFlags(FragmentEnd), Data: []byte("def")},
			required: 1,
		},
		{
			// An ignorable option of type 0x2000 (VLU c0 00).
			name:     "Next User Data with option",
			wire:     h("11 0006 | 80 | 02 c0 00 | 00 | 78"),
			want:     NextUserData{Flags: FlagOPT, Options: h("02 c0 00"), Data: []byte("x")},
			required: 5,
		},
		{
			name:     "Ack Bitmap",
			wire:     h("50 0005 | 02 | 40 | 05 | ff 01"),
			want:     AckBitmap{FlowID: 2, BufferBlocks: 64, CumulativeAck: 5, Bitmap: h("ff 01")},
			required: 3,
		},
		{
			// cumAck 10; (0, 2): from 10+0+2 = 12, to 14; (1, 0): from 14+1+2 = 17, to 17.
			name: "Ack Ranges",
			wire: h("51 0007 | 03 | 40 | 0a | 00 02 | 01 00"),
			want: AckRanges{FlowID: 3, BufferBlocks: 64, CumulativeAck: 10,
				Ranges: []SeqRange{{12, 14}, {17, 17}}},
			required: 3,
		},
		{name: "Buffer Probe", wire: h("18 0001 | 03"), want: BufferProbe{FlowID: 3}, required: 1},
		{name: "Flow Exception", wire: h("5e 0003 | 03 | 81 02"), want: FlowException{FlowID: 3, Code: 130}, required: 3},
		{name: "Session Close", wire: h("0c 0000"), want: SessionClose{}},
		{name: "Session Close Ack", wire: h("4c 0000"), want: SessionCloseAck{}},
		{name: "ECN report", wire: h("ec 0001 | 05"), want: ECNReport{CECount: 5}, required: 1},
	}
}

func TestChunkGolden(t *testing.T) {
	for _, tc := range chunkVectors() {
		t.Run(tc.name, func(t *testing.T) {
			mustEqualBytes(t, "Append", tc.want.Append(nil), tc.wire)
			if tc.want.Length() != len(tc.wire) {
				t.Fatalf("Length %d, want %d", tc.want.Length(), len(tc.wire))
			}
			if tc.want.Type() != ChunkType(tc.wire[0]) {
				t.Fatalf("Type %v, want %v", tc.want.Type(), ChunkType(tc.wire[0]))
			}
			r := NewChunkReader(tc.wire)
			typ, payload, ok := r.Next()
			if !ok || typ != tc.want.Type() {
				t.Fatalf("reader: %v %v %v", typ, ok, r.Err())
			}
			got, err := parseChunk(typ, payload)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if show(got) != show(tc.want) {
				t.Fatalf("parse:\n got  %s\n want %s", show(got), show(tc.want))
			}
			mustEqualBytes(t, "re-Append", got.Append(nil), tc.wire)
			if _, _, ok := r.Next(); ok || r.Err() != nil {
				t.Fatalf("after the chunk: ok %v err %v", ok, r.Err())
			}
		})
	}
}

// TestChunkTruncated cuts every golden chunk at every length: the reader
// reports an overrun and yields nothing, and a payload shorter than its
// required fields fails to parse.
func TestChunkTruncated(t *testing.T) {
	for _, tc := range chunkVectors() {
		for i := 1; i < len(tc.wire); i++ {
			r := NewChunkReader(tc.wire[:i])
			if _, _, ok := r.Next(); ok || !errors.Is(r.Err(), ErrChunkOverrun) {
				t.Errorf("%s: %d bytes: ok %v err %v", tc.name, i, ok, r.Err())
			}
		}
		payload := tc.wire[ChunkHeaderLength:]
		for i := range tc.required {
			if _, err := parseChunk(tc.want.Type(), payload[:i]); err == nil {
				t.Errorf("%s: payload cut to %d of %d required bytes parsed", tc.name, i, tc.required)
			}
		}
		for i := tc.required; i <= len(payload); i++ {
			c, err := parseChunk(tc.want.Type(), payload[:i])
			if err != nil {
				// Only options and addresses cut in the middle may fail here.
				switch tc.want.(type) {
				case UserData, NextUserData, Redirect:
				default:
					t.Errorf("%s: payload cut to %d: %v", tc.name, i, err)
				}
				continue
			}
			if c.Length() != len(c.Append(nil)) {
				t.Errorf("%s: payload cut to %d: Length %d, Append %d", tc.name, i, c.Length(), len(c.Append(nil)))
			}
		}
	}
}

func TestChunkErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		typ  ChunkType
		p    string
		err  error
	}{
		{"FSN offset above seq", ChunkUserData, "00 01 05 06", ErrFSNOffset},
		{"options without marker", ChunkUserData, "80 01 05 00 | 02 0a 03", ErrNoMarker},
		{"option overruns", ChunkNextUserData, "80 | 05 00 54", ErrTruncated},
		{"flowID overflow", ChunkBufferProbe, "82 80 80 80 80 80 80 80 80 00", ErrVLUOverflow},
		{"Redirect half address", ChunkRedirect, "00 | 01 7f 00", ErrTruncated},
		{"FIHello no address", ChunkFIHello, "00", ErrTruncated},
		{"IIKeying short SID", ChunkIIKeying, "00 00 01", ErrTruncated},
		{"RIKeying SKRC overruns", ChunkRIKeying, "00 00 00 01 | 05 01", ErrTruncated},
		{"Ack Ranges overflow", ChunkAckRanges, "01 01 | ff ff ff ff ff ff ff ff ff 7f | 00 00", ErrMalformed},
	} {
		if _, err := parseChunk(tc.typ, h(tc.p)); !errors.Is(err, tc.err) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
		}
	}
}

func TestChunkLenient(t *testing.T) {
	// Bytes after the last field of a fixed-layout chunk are ignored.
	c, err := ParseBufferProbe(h("03 ff ff"))
	if err != nil || c.FlowID != 3 {
		t.Fatalf("BufferProbe: %+v %v", c, err)
	}
	e, err := ParseFlowException(h("03 01 ff"))
	if err != nil || e != (FlowException{3, 1}) {
		t.Fatalf("FlowException: %+v %v", e, err)
	}
	if _, err := ParseSessionClose(h("99")); err != nil {
		t.Fatal(err)
	}
}

func TestChunkHeaderPanicsOverMax(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a 65536-byte payload")
		}
	}()
	Ping{Message: make([]byte, MaxChunkPayload+1)}.Append(nil)
}

func TestChunkHeaderMax(t *testing.T) {
	b := Ping{Message: make([]byte, MaxChunkPayload)}.Append(nil)
	mustEqualBytes(t, "header", b[:3], h("01 ffff"))
}
